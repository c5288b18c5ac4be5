"""Writes of whole objects: apply/create/replace/delete of an inline manifest.

Also the ``create`` generators (namespace, deployment, configmap, secret, job, ...) and
``autoscale``.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._apply import APPLY_PATCH, Op
from kubechat_lab.cluster._context import Context, Target
from kubechat_lab.cluster._discovery import ApiResource
from kubechat_lab.cluster._writes import bad_request
from kubechat_lab.command import load_documents
from kubechat_lab.errors import ClusterError, CommandError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["autoscale_ops", "create_ops", "manifest_objects", "manifest_ops"]


def manifest_objects(text: str) -> list[dict[str, Any]]:
    """Return the objects of a YAML/JSON manifest (several documents, ``kind: List`` flattened).

    Raises
    ------
    ClusterError
        400 when the text is not YAML, breaks the loader's bounds (no aliases, size, depth:
        :func:`kubechat_lab.command.load_documents`) or a document is not a Kubernetes object.
    """
    try:
        docs: list[Any] = [d for d in load_documents(text, "manifest") if d is not None]
    except CommandError as exc:
        raise bad_request(str(exc)) from exc
    objects: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict) and str(doc.get("kind", "")).endswith("List") and (
            isinstance(doc.get("items"), list)
        ):
            objects.extend(doc["items"])
        else:
            objects.append(doc)
    for obj in objects:
        if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
            raise bad_request("every manifest document needs apiVersion and kind; got "
                              f"{str(obj)[:80]!r}")
    if not objects:
        raise bad_request("the manifest holds no objects")
    return objects


def _resource_for(ctx: Context, obj: dict[str, Any]) -> ApiResource:
    api_version = str(obj["apiVersion"])
    group, _, version = api_version.rpartition("/")
    kind = str(obj["kind"])
    for attempt in range(2):
        for resource in ctx.discovery.resources():
            if resource.info.kind == kind and resource.info.group == group:
                info = replace(resource.info, version=version)
                return replace(resource, info=info)
        if attempt == 0:
            ctx.discovery.refresh()
    raise ClusterError(
        f"the API server serves no kind {kind} in {api_version} (is its CRD installed?); "
        "list what it serves with `kubectl api-resources`",
        status=404,
        reason="NotFound",
    )


def _placed(ctx: Context, cmd: Command, obj: dict[str, Any]) -> tuple[ApiResource, Target]:
    resource = _resource_for(ctx, obj)
    meta = obj.setdefault("metadata", {})
    name = meta.get("name")
    if not name:
        raise bad_request(f"a {obj['kind']} in the manifest has no metadata.name")
    namespace = None
    if resource.namespaced:
        namespace = meta.get("namespace") or cmd.namespace or ctx.transport.default_namespace
        if cmd.namespace and meta.get("namespace") and meta["namespace"] != cmd.namespace:
            raise bad_request(
                f"{obj['kind']}/{name} says namespace {meta['namespace']} but the command "
                f"says -n {cmd.namespace}; make them agree"
            )
        meta["namespace"] = namespace
    return resource, Target(resource, namespace, str(name))


def _live(ctx: Context, target: Target) -> dict[str, Any] | None:
    try:
        live: dict[str, Any] = ctx.get_object(target.resource, target.namespace, target.name)
        return live
    except ClusterError as exc:
        if exc.status == 404:
            return None
        raise


def manifest_ops(ctx: Context, cmd: Command) -> list[Op]:
    """Apply (server-side apply), create, replace (``--force``: delete + create) or delete."""
    if not cmd.manifest:
        raise bad_request(f"`kubectl {cmd.verb} -f` needs the manifest text (inline, not a path)")
    ops: list[Op] = []
    for obj in manifest_objects(cmd.manifest):
        resource, target = _placed(ctx, cmd, obj)
        item = resource.path(target.namespace, target.name)
        if cmd.verb == "apply":
            before = _live(ctx, target)
            query = {"force": "true"}  # take over fields from other managers, as kubectl apply
            ops.append(Op("created" if before is None else "configured", target, "PATCH", item,
                          obj, APPLY_PATCH, before, query))
        elif cmd.verb == "create":
            ops.append(Op("created", target, "POST", resource.path(target.namespace), obj))
        elif cmd.verb == "replace":
            before = _live(ctx, target)
            if before is None:
                raise ClusterError(
                    f"{resource.canonical}/{target.name} does not exist, so it cannot be "
                    "replaced; use create or apply",
                    status=404,
                    reason="NotFound",
                )
            if cmd.flag("force") == "true":
                ops.append(Op("deleted", target, "DELETE", item, None, "application/json",
                              before, {"propagationPolicy": "Background"}))
                ops.append(Op("created", target, "POST", resource.path(target.namespace), obj))
            else:
                ops.append(Op("replaced", target, "PUT", item, obj, "application/json", before))
        elif cmd.verb == "delete":
            before = _live(ctx, target)
            if before is None:
                if cmd.flag("ignore-not-found") == "true":
                    continue
                raise ClusterError(
                    f"{resource.canonical}/{target.name} not found in namespace "
                    f"{target.namespace}: nothing to delete",
                    status=404,
                    reason="NotFound",
                )
            ops.append(Op("deleted", target, "DELETE", item, None, "application/json", before,
                          {"propagationPolicy": "Background"}))
        else:
            raise bad_request(f"`kubectl {cmd.verb}` does not take a manifest")
    return ops


def _literals(cmd: Command) -> dict[str, str]:
    data = {}
    for literal in cmd.flag_values("from-literal"):
        key, sep, value = literal.partition("=")
        if not sep or not key:
            raise bad_request(f"--from-literal={literal!r} must be KEY=VALUE")
        data[key] = value
    return data


def _container_name(image: str) -> str:
    base = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0]
    return "".join(c if c.isalnum() or c == "-" else "-" for c in base.lower()) or "app"


def _command_args(cmd: Command) -> list[str]:
    if "--" in cmd.args:
        return list(cmd.args[cmd.args.index("--") + 1:])
    return []


def _pod_template(cmd: Command, name: str, labels: dict[str, str], restart: str | None
                  ) -> dict[str, Any]:
    images = cmd.flag_values("image")
    if not images:
        raise bad_request(f"`kubectl create {cmd.subverb}` needs --image")
    containers: list[dict[str, Any]] = []
    for image in images:
        container: dict[str, Any] = {"name": _container_name(image), "image": image}
        containers.append(container)
    command = _command_args(cmd)
    if command:
        containers[0]["command"] = command
    port = cmd.flag("port")
    if port:
        containers[0]["ports"] = [{"containerPort": int(port)}]
    spec: dict[str, Any] = {"containers": containers}
    if restart:
        spec["restartPolicy"] = restart
    return {"metadata": {"labels": labels}, "spec": spec}


def _generated(cmd: Command, name: str, namespace: str) -> dict[str, Any]:
    what = (cmd.subverb or "").split()[0] if cmd.subverb else ""
    meta: dict[str, Any] = {"name": name}
    if what == "namespace":
        return {"apiVersion": "v1", "kind": "Namespace", "metadata": meta}
    meta["namespace"] = namespace
    if what == "deployment":
        labels = {"app": name}
        return {"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": dict(meta, labels=labels),
                "spec": {"replicas": int(cmd.flag("replicas") or 1),
                         "selector": {"matchLabels": labels},
                         "template": _pod_template(cmd, name, labels, None)}}
    if what == "job":
        return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta,
                "spec": {"template": _pod_template(cmd, name, {}, "Never")}}
    if what == "cronjob":
        schedule = cmd.flag("schedule")
        if not schedule:
            raise bad_request("`kubectl create cronjob` needs --schedule")
        return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
                "spec": {"schedule": schedule, "jobTemplate": {"spec": {
                    "template": _pod_template(cmd, name, {}, "OnFailure")}}}}
    if what == "configmap":
        return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                "data": _literals(cmd)}
    if what == "secret":
        data = {k: base64.b64encode(v.encode()).decode() for k, v in _literals(cmd).items()}
        return {"apiVersion": "v1", "kind": "Secret", "metadata": meta,
                "type": cmd.flag("type") or "Opaque", "data": data}
    if what == "serviceaccount":
        return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta}
    raise bad_request(
        f"`kubectl create {cmd.subverb}` is not supported; create a namespace, deployment, "
        "job, cronjob, configmap, secret generic or serviceaccount, or pass a manifest"
    )


def _job_from_cronjob(ctx: Context, source: str, name: str, namespace: str) -> dict[str, Any]:
    """Build a Job from a CronJob's template, owned by it, as ``kubectl create job --from`` does."""
    kind, _, cron = source.partition("/")
    if ctx.discovery.resolve(kind).info.kind != "CronJob" or not cron:
        raise bad_request(f"--from={source!r}: a Job is made only from a CronJob "
                          "(--from=cronjob/NAME)")
    found = ctx.get_object(ctx.discovery.resolve("cronjobs"), namespace, cron)
    template = found["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    annotations = {**(meta.get("annotations") or {}),
                   "cronjob.kubernetes.io/instantiate": "manual"}
    owner = {"apiVersion": "batch/v1", "kind": "CronJob", "name": cron,
             "uid": found["metadata"]["uid"], "controller": True}
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "annotations": annotations,
                         "labels": meta.get("labels") or {}, "ownerReferences": [owner]},
            "spec": template["spec"]}


def create_ops(ctx: Context, cmd: Command) -> list[Op]:
    """``kubectl create KIND NAME ...``: build the object and POST it."""
    if cmd.subverb is None or cmd.manifest:
        return manifest_ops(ctx, cmd)
    if not cmd.names:
        raise bad_request(f"`kubectl create {cmd.subverb}` needs a NAME")
    namespace = cmd.namespace or ctx.transport.default_namespace
    source = cmd.flag("from")
    if cmd.subverb == "job" and source:
        obj = _job_from_cronjob(ctx, source, cmd.names[0], namespace)
    else:
        obj = _generated(cmd, cmd.names[0], namespace)
    resource, target = _placed(ctx, cmd, obj)
    return [Op("created", target, "POST", resource.path(target.namespace), obj)]


def autoscale_ops(ctx: Context, cmd: Command) -> list[Op]:
    """``kubectl autoscale TYPE NAME --min --max --cpu-percent``: create an autoscaling/v2 HPA."""
    targets = ctx.targets(cmd)
    if len(targets) != 1:
        raise bad_request("`kubectl autoscale` takes exactly one TYPE/NAME")
    target = targets[0]
    maximum = cmd.flag("max")
    if not maximum or not maximum.isdigit():
        raise bad_request("`kubectl autoscale` needs --max=N")
    spec: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": target.resource.info.group_version,
                           "kind": target.resource.info.kind, "name": target.name},
        "maxReplicas": int(maximum),
    }
    if cmd.flag("min"):
        spec["minReplicas"] = int(str(cmd.flag("min")))
    if cmd.flag("cpu-percent"):
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": {
            "type": "Utilization", "averageUtilization": int(str(cmd.flag("cpu-percent")))}}}]
    obj = {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
           "metadata": {"name": cmd.flag("name") or target.name, "namespace": target.namespace},
           "spec": spec}
    resource, placed = _placed(ctx, cmd, obj)
    return [Op("created", placed, "POST", resource.path(placed.namespace), obj)]
