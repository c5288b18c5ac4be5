"""``kubectl rollout``: restart, undo, pause, resume (writes) and status, history (reads)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._apply import JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, Op
from kubechat_lab.cluster._context import Context, Target
from kubechat_lab.cluster._observe import selector_of
from kubechat_lab.cluster._result import JSON, Column, Result
from kubechat_lab.cluster._units import parse_duration
from kubechat_lab.cluster._writes import bad_request
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["rollout_ops", "rollout_read"]

_REVISION = "deployment.kubernetes.io/revision"
_CHANGE_CAUSE = "kubernetes.io/change-cause"
_RESTARTABLE = ("Deployment", "DaemonSet", "StatefulSet")


def rollout_ops(ctx: Context, cmd: Command) -> list[Op]:
    """Plan ``rollout restart|undo|pause|resume``."""
    ops = []
    for target in ctx.targets(cmd):
        kind = target.resource.info.kind
        before = ctx.get_object(target.resource, target.namespace, target.name)
        path = target.resource.path(target.namespace, target.name)
        if cmd.subverb == "restart":
            if kind not in _RESTARTABLE:
                raise bad_request(f"cannot restart a {kind}; restart a deployment, daemonset "
                                  "or statefulset")
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            body: dict[str, Any] = {"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": stamp}}}}}
            ops.append(Op("restarted", target, "PATCH", path, body, MERGE_PATCH, before))
        elif cmd.subverb in ("pause", "resume"):
            if kind != "Deployment":
                raise bad_request(f"only deployments can be paused or resumed, not a {kind}")
            paused = cmd.subverb == "pause"
            body = {"spec": {"paused": True if paused else None}}
            ops.append(Op("paused" if paused else "resumed", target, "PATCH", path, body,
                          MERGE_PATCH, before))
        elif cmd.subverb == "undo":
            ops.append(_undo(ctx, cmd, target, before, path))
        else:
            raise bad_request(f"`kubectl rollout {cmd.subverb}` is not a write")
    return ops


def _history(ctx: Context, target: Target, obj: dict[str, Any]) -> list[tuple[int, Any]]:
    """(revision, ReplicaSet or ControllerRevision) of a workload, oldest first."""
    uid = obj["metadata"]["uid"]
    selector = selector_of(obj)
    if target.resource.info.kind == "Deployment":
        owned = ctx.list_objects(ctx.discovery.resolve("replicasets"), target.namespace, selector)
        revisions = [
            (int(((rs.get("metadata") or {}).get("annotations") or {}).get(_REVISION, "0")), rs)
            for rs in owned
            if any(o.get("uid") == uid for o in rs["metadata"].get("ownerReferences") or ())
        ]
    else:
        owned = ctx.list_objects(ctx.discovery.resolve("controllerrevisions"), target.namespace,
                                 selector)
        revisions = [
            (int(rev.get("revision", 0)), rev) for rev in owned
            if any(o.get("uid") == uid for o in rev["metadata"].get("ownerReferences") or ())
        ]
    return sorted(revisions, key=lambda pair: pair[0])


def _undo(ctx: Context, cmd: Command, target: Target, before: dict[str, Any], path: str) -> Op:
    kind = target.resource.info.kind
    if kind not in _RESTARTABLE:
        raise bad_request(f"cannot undo a {kind}; undo a deployment, daemonset or statefulset")
    history = _history(ctx, target, before)
    wanted = int(cmd.flag("to-revision") or 0)
    if kind == "Deployment":
        current = int(((before["metadata"].get("annotations") or {}).get(_REVISION)) or 0)
    else:
        current = history[-1][0] if history else 0
    if wanted:
        chosen = [pair for pair in history if pair[0] == wanted]
    else:
        chosen = [pair for pair in history if pair[0] < current][-1:]
    if not chosen:
        raise ClusterError(
            f"{target.resource.canonical}/{target.name} has no revision "
            f"{wanted or 'before ' + str(current)} to roll back to (revisions: "
            f"{', '.join(str(r) for r, _ in history) or 'none'})",
            status=404,
            reason="NotFound",
        )
    revision, source = chosen[0]
    if kind == "Deployment":
        template = dict(source["spec"]["template"])
        meta = dict(template.get("metadata") or {})
        labels = dict(meta.get("labels") or {})
        labels.pop("pod-template-hash", None)
        meta["labels"] = labels
        template["metadata"] = meta
        body: Any = [{"op": "replace", "path": "/spec/template", "value": template}]
        return Op(f"rolled-back-to-{revision}", target, "PATCH", path, body, JSON_PATCH, before)
    return Op(f"rolled-back-to-{revision}", target, "PATCH", path, source.get("data") or {},
              STRATEGIC_PATCH, before)


def rollout_read(ctx: Context, cmd: Command) -> Result:
    """``rollout status`` (waits up to ``--timeout``, default 60s) and ``rollout history``."""
    targets = ctx.targets(cmd)
    if cmd.subverb == "history":
        rows: list[tuple[JSON, ...]] = []
        for target in targets:
            obj = ctx.get_object(target.resource, target.namespace, target.name)
            for revision, source in _history(ctx, target, obj):
                meta = source.get("metadata") or {}
                template = (source.get("spec") or {}).get("template") or {}
                images = ",".join(c.get("image", "") for c in
                                  (template.get("spec") or {}).get("containers") or ())
                rows.append((target.resource.canonical, target.namespace, target.name,
                             revision, (meta.get("annotations") or {}).get(_CHANGE_CAUSE),
                             meta.get("name"), images or None, meta.get("creationTimestamp")))
        columns = (Column("resource", "str"), Column("namespace", "str"), Column("name", "str"),
                   Column("revision", "int"), Column("change_cause", "str"),
                   Column("source", "str"), Column("images", "str"),
                   Column("created", "datetime"))
        return Result("rollout-history", columns, tuple(rows))
    if cmd.subverb != "status":
        raise bad_request(f"`kubectl rollout {cmd.subverb}` is not supported")
    timeout = parse_duration(cmd.flag("timeout") or "60s")
    watch = cmd.flag("watch") != "false"
    deadline = time.monotonic() + timeout
    lines = []
    status_rows: list[tuple[JSON, ...]] = []
    for target in targets:
        while True:
            obj = ctx.get_object(target.resource, target.namespace, target.name)
            done, message = _rollout_state(obj)
            if done or not watch or time.monotonic() >= deadline:
                break
            time.sleep(1.0)
        lines.append(message)
        status_rows.append((target.resource.canonical, target.namespace, target.name, done,
                            message))
    status_columns = (Column("resource", "str"), Column("namespace", "str"),
                      Column("name", "str"), Column("complete", "bool"),
                      Column("message", "str"))
    return Result("rollout-status", status_columns, tuple(status_rows),
                  text="\n".join(lines) + "\n")


def _rollout_state(obj: dict[str, Any]) -> tuple[bool, str]:
    kind = obj.get("kind")
    name = obj["metadata"]["name"]
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    label = f'{str(kind).lower()} "{name}"'
    if obj["metadata"].get("generation", 0) > status.get("observedGeneration", 0):
        return False, f"Waiting for {label} spec update to be observed..."
    if kind == "Deployment":
        for cond in status.get("conditions") or ():
            if cond.get("type") == "Progressing" and (
                    cond.get("reason") == "ProgressDeadlineExceeded"):
                return False, f"{label} exceeded its progress deadline"
        want = spec.get("replicas", 1)
        updated = status.get("updatedReplicas", 0)
        if updated < want:
            return False, (f"Waiting for {label} rollout to finish: {updated} out of {want} new "
                           "replicas have been updated...")
        if status.get("replicas", 0) > updated:
            return False, (f"Waiting for {label} rollout to finish: "
                           f"{status.get('replicas', 0) - updated} old replicas are pending "
                           "termination...")
        if status.get("availableReplicas", 0) < updated:
            return False, (f"Waiting for {label} rollout to finish: "
                           f"{status.get('availableReplicas', 0)} of {updated} updated replicas "
                           "are available...")
        return True, f"{label} successfully rolled out"
    if kind == "StatefulSet":
        want = spec.get("replicas", 1)
        ready = status.get("readyReplicas", 0)
        if ready < want or status.get("updatedReplicas", 0) < want:
            return False, f"Waiting for {label}: {ready} of {want} pods are ready..."
        return True, f"{label} rolling update complete: {want} pods ready"
    if kind == "DaemonSet":
        want = status.get("desiredNumberScheduled", 0)
        avail = status.get("numberAvailable", 0)
        if status.get("updatedNumberScheduled", 0) < want or avail < want:
            return False, f"Waiting for {label} rollout: {avail} of {want} pods are available..."
        return True, f"{label} successfully rolled out"
    raise bad_request(f"rollout status is not available for a {kind}")
