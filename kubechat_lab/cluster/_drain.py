"""``kubectl drain``: cordon the node, then evict its pods (policy/v1 Eviction)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._apply import Op
from kubechat_lab.cluster._context import Context, Target
from kubechat_lab.cluster._result import JSON
from kubechat_lab.cluster._units import parse_duration
from kubechat_lab.cluster._writes import bad_request, cordon_op
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["drain_ops"]

_MIRROR = "kubernetes.io/config.mirror"


def _controller(pod: dict[str, Any]) -> dict[str, Any] | None:
    for owner in (pod.get("metadata") or {}).get("ownerReferences") or ():
        if owner.get("controller"):
            return dict(owner)
    return None


def drain_ops(ctx: Context, cmd: Command) -> list[Op]:
    """Plan the cordon and one eviction per pod, refusing what kubectl refuses.

    Raises
    ------
    ClusterError
        400 when a pod blocks the drain (DaemonSet pod without ``--ignore-daemonsets``,
        unmanaged pod without ``--force``, emptyDir data without ``--delete-emptydir-data``).
    """
    ignore_ds = cmd.flag("ignore-daemonsets") == "true"
    force = cmd.flag("force") == "true"
    delete_local = (cmd.flag("delete-emptydir-data") == "true"
                    or cmd.flag("delete-local-data") == "true")
    grace = cmd.flag("grace-period")
    timeout = parse_duration(cmd.flag("timeout") or "60s") or 60.0
    pods_resource = ctx.discovery.resolve("pods")
    ops: list[Op] = []
    for node in ctx.targets(cmd, default="nodes"):
        ops.append(cordon_op(ctx, node))
        pods = ctx.list_objects(pods_resource, None, cmd.flag("pod-selector"),
                                f"spec.nodeName={node.name}")
        problems: list[str] = []
        evict: list[dict[str, Any]] = []
        for pod in pods:
            meta = pod["metadata"]
            label = f"{meta['namespace']}/{meta['name']}"
            if _MIRROR in (meta.get("annotations") or {}):
                continue  # static pods cannot be evicted; kubectl skips them too
            phase = (pod.get("status") or {}).get("phase")
            owner = _controller(pod)
            if owner and owner.get("kind") == "DaemonSet":
                if not ignore_ds:
                    problems.append(f"{label} is managed by DaemonSet {owner.get('name')} "
                                    "(pass --ignore-daemonsets)")
                continue
            if owner is None and phase not in ("Succeeded", "Failed") and not force:
                problems.append(f"{label} is not managed by a controller (pass --force to "
                                "delete it for good)")
                continue
            volumes = (pod.get("spec") or {}).get("volumes") or ()
            if any("emptyDir" in v for v in volumes) and not delete_local and phase not in (
                    "Succeeded", "Failed"):
                problems.append(f"{label} uses emptyDir data (pass --delete-emptydir-data)")
                continue
            evict.append(pod)
        if problems:
            raise bad_request(f"cannot drain node {node.name}: " + "; ".join(problems))
        for pod in evict:
            ops.append(_eviction(ctx, pods_resource, pod, grace, timeout))
    return ops


def _eviction(ctx: Context, pods_resource: Any, pod: dict[str, Any], grace: str | None,
              timeout: float) -> Op:
    meta = pod["metadata"]
    target = Target(pods_resource, meta["namespace"], meta["name"])
    body: dict[str, Any] = {"apiVersion": "policy/v1", "kind": "Eviction",
                            "metadata": {"name": meta["name"], "namespace": meta["namespace"]}}
    if grace is not None and int(grace) >= 0:
        body["deleteOptions"] = {"gracePeriodSeconds": int(grace)}
    uid = meta.get("uid")

    def wait_gone(ctx: Context) -> list[dict[str, JSON]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                live = ctx.get_object(pods_resource, meta["namespace"], meta["name"])
            except ClusterError as exc:
                if exc.status == 404:
                    return []
                raise
            if (live.get("metadata") or {}).get("uid") != uid:
                return []  # a new pod of the same name (StatefulSet): ours is gone
            time.sleep(0.5)
        return [{"action": "still-terminating", "resource": "pods",
                 "namespace": meta["namespace"], "name": meta["name"], "field": None,
                 "before": None, "after": f"not gone after {timeout:g}s"}]

    return Op("evicted", target, "POST",
              pods_resource.path(meta["namespace"], meta["name"], "eviction"), body,
              "application/json", pod, after=wait_gone, show_fields=False,
              retry_seconds=timeout)
