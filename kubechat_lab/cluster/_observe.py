"""Read verbs about running things: ``logs`` (pods/log), ``top`` (metrics.k8s.io), ``events``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._context import Context
from kubechat_lab.cluster._discovery import ApiResource
from kubechat_lab.cluster._result import Result
from kubechat_lab.cluster._transport import path_quote
from kubechat_lab.cluster._units import parse_duration
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["events", "logs", "pods_for", "selector_of", "top"]

logger = logging.getLogger(__name__)

_METRICS = "/apis/metrics.k8s.io/v1beta1"
_DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container"


def _bad(message: str) -> ClusterError:
    return ClusterError(message, status=400, reason="BadRequest")


def selector_of(obj: dict[str, Any]) -> str | None:
    """Return the label selector (``a=b,c=d``) of a workload or service, from its spec."""
    spec = obj.get("spec") or {}
    selector = spec.get("selector")
    if obj.get("kind") == "Service" or (isinstance(selector, dict) and
                                        "matchLabels" not in selector and
                                        "matchExpressions" not in selector):
        labels = selector or {}
    else:
        selector = selector or {}
        labels = dict(selector.get("matchLabels") or {})
        parts = [f"{k}={v}" for k, v in labels.items()]
        for expr in selector.get("matchExpressions") or ():
            key, op, values = expr["key"], expr["operator"], expr.get("values") or []
            if op == "In":
                parts.append(f"{key} in ({','.join(values)})")
            elif op == "NotIn":
                parts.append(f"{key} notin ({','.join(values)})")
            elif op == "Exists":
                parts.append(key)
            elif op == "DoesNotExist":
                parts.append(f"!{key}")
        return ",".join(parts) or None
    return ",".join(f"{k}={v}" for k, v in labels.items()) or None


def pods_for(ctx: Context, resource: ApiResource, namespace: str, name: str) -> list[Any]:
    """Return the pods of a workload (deployment, statefulset, job, service, ...)."""
    obj = ctx.get_object(resource, namespace, name)
    if resource.info.kind == "Pod":
        return [obj]
    selector = selector_of(obj)
    if not selector:
        raise _bad(f"{resource.canonical}/{name} has no pod selector; name a pod instead")
    pods = ctx.list_objects(ctx.discovery.resolve("pods", quick=True), namespace, selector)
    pods.sort(key=lambda p: (
        (p.get("status") or {}).get("phase") != "Running",
        (p.get("metadata") or {}).get("creationTimestamp") or "",
    ))
    return pods


def _containers(pod: dict[str, Any], cmd: Command) -> list[str]:
    spec = pod.get("spec") or {}
    names = [c["name"] for c in spec.get("containers") or ()]
    if cmd.flag("all-containers") == "true":
        return [c["name"] for c in spec.get("initContainers") or ()] + names
    wanted = cmd.flag("container")
    if wanted:
        every = names + [c["name"] for c in spec.get("initContainers") or ()] + [
            c["name"] for c in spec.get("ephemeralContainers") or ()]
        if wanted not in every:
            pod_name = pod["metadata"]["name"]
            raise ClusterError(
                f"container {wanted!r} is not in pod {pod_name}; its containers are "
                f"{', '.join(every)}",
                status=400,
                reason="BadRequest",
            )
        return [wanted]
    default = ((pod.get("metadata") or {}).get("annotations") or {}).get(_DEFAULT_CONTAINER)
    if isinstance(default, str) and default in names:
        return [default]
    return names[:1]


def logs(ctx: Context, cmd: Command) -> Result:
    """``kubectl logs``: one row per line (namespace, pod, container, timestamp, message)."""
    namespace = cmd.namespace or ctx.transport.default_namespace
    pods: list[Any]
    selector_mode = bool(cmd.selector)
    if cmd.selector:
        pods = ctx.list_objects(ctx.discovery.resolve("pods", quick=True), namespace, cmd.selector)
        limit = int(cmd.flag("max-log-requests") or 5)
        if len(pods) > limit:
            raise _bad(
                f"selector {cmd.selector!r} matches {len(pods)} pods, more than "
                f"--max-log-requests={limit}; narrow the selector or raise the limit"
            )
    else:
        groups = ctx.groups(cmd, default="pods", quick=True)
        pods = []
        for resource, names in groups:
            if not names:
                raise _bad("`kubectl logs` needs a pod name, TYPE/NAME or a selector (-l)")
            for name in names:
                found = pods_for(ctx, resource, namespace, name)
                if not found:
                    raise ClusterError(
                        f"{resource.canonical}/{name} has no pods in namespace {namespace}",
                        status=404,
                        reason="NotFound",
                    )
                pods.append(found[0])
    query: dict[str, str] = {"timestamps": "true"}
    tail = cmd.flag("tail")
    if tail is None and selector_mode:
        tail = "10"  # what kubectl does with a selector
    if tail is not None and int(tail) >= 0:
        query["tailLines"] = tail
    since = cmd.flag("since")
    if since:
        try:
            query["sinceSeconds"] = str(max(1, int(parse_duration(since))))
        except ValueError as exc:
            raise _bad(f"--since={since!r} is not a duration (e.g. 30s, 5m, 1h)") from exc
    if cmd.flag("since-time"):
        query["sinceTime"] = str(cmd.flag("since-time"))
    if cmd.flag("previous") == "true":
        query["previous"] = "true"
    if cmd.flag("limit-bytes"):
        query["limitBytes"] = str(cmd.flag("limit-bytes"))
    rows: list[tuple[str | None, str, str, str | None, str]] = []
    for pod in pods:
        meta = pod["metadata"]
        for container in _containers(pod, cmd):
            params = dict(query, container=container)
            path = (f"/api/v1/namespaces/{path_quote(meta['namespace'])}/pods/"
                    f"{path_quote(meta['name'])}/log")
            body = ctx.transport.request("GET", path, query=params, accept="text/plain, */*")
            for line in body.decode("utf-8", "replace").splitlines():
                stamp, sep, message = line.partition(" ")
                if sep and len(stamp) >= 20 and stamp[4] == "-" and stamp[10] == "T":
                    rows.append((meta["namespace"], meta["name"], container, stamp, message))
                else:
                    rows.append((meta["namespace"], meta["name"], container, None, line))
    return frames.logs_result(rows)


def top(ctx: Context, cmd: Command) -> Result:
    """``kubectl top pods|nodes`` through the metrics API (metrics.k8s.io)."""
    what = cmd.subverb or (cmd.resources[0] if cmd.resources else "pods")
    query = {"labelSelector": cmd.selector} if cmd.selector else {}
    sort_by = cmd.flag("sort-by")
    if what in ("pods", "pod", "po"):
        namespace = None if cmd.all_namespaces else (cmd.namespace or
                                                      ctx.transport.default_namespace)
        base = f"{_METRICS}/namespaces/{path_quote(namespace)}/pods" if namespace else (
            f"{_METRICS}/pods")
        items = _metrics(ctx, base, cmd.names, query)
        result = frames.top_pods_result(items, containers=cmd.flag("containers") == "true")
    elif what in ("nodes", "node", "no"):
        items = _metrics(ctx, f"{_METRICS}/nodes", cmd.names, query)
        nodes_resource = ctx.discovery.resolve("nodes", quick=True)
        if cmd.names:
            nodes = [ctx.get_object(nodes_resource, None, n) for n in cmd.names]
        else:
            nodes = ctx.list_objects(nodes_resource, None, cmd.selector)
        result = frames.top_nodes_result(items, nodes)
    else:
        raise _bad(f"`kubectl top {what}` is not supported; use top pods or top nodes")
    if sort_by in ("cpu", "memory"):
        column = "cpu_m" if sort_by == "cpu" else "memory_bytes"
        index = result.column_names.index(column)
        rows = sorted(result.rows, key=lambda r: -(r[index] or 0))  # type: ignore[operator]
        result = Result(result.kind, result.columns, tuple(rows))
    return result


def _metrics(ctx: Context, base: str, names: tuple[str, ...],
             query: dict[str, str]) -> list[Any]:
    try:
        if names:
            return [ctx.transport.get(f"{base}/{path_quote(n)}") for n in names]
        items: list[Any] = []
        for page in ctx.transport.pages(base, query=query):
            if page.fresh:
                items = []
            items.extend(page.doc.get("items") or ())
        return items
    except ClusterError as exc:
        if exc.status in (404, 503) and exc.reason in ("NotFound", "ServiceUnavailable") and (
            not names or "not found" not in str(exc) or "metrics" in str(exc)
        ):
            raise ClusterError(
                f"the metrics API (metrics.k8s.io) is not available: {exc}; install "
                "metrics-server (the sandbox serves it once `kubechat sandbox up` finished)",
                status=exc.status,
                reason=exc.reason,
            ) from exc
        raise


def events(ctx: Context, cmd: Command) -> Result:
    """``kubectl events``: the events frame, optionally ``--for TYPE/NAME`` and ``--types``."""
    resource = ctx.discovery.resolve("events", quick=True)
    namespace = ctx.namespace(cmd, resource)
    fields = [cmd.field_selector] if cmd.field_selector else []
    target = cmd.flag("for")
    if target:
        type_name, sep, name = target.partition("/")
        if not sep:
            raise _bad(f"--for={target!r} must be TYPE/NAME (e.g. pod/web-1)")
        kind = ctx.discovery.resolve(type_name).info.kind
        fields += [f"involvedObject.kind={kind}", f"involvedObject.name={name}"]
    items = ctx.list_objects(resource, namespace, cmd.selector, ",".join(fields) or None)
    types = cmd.flag("types")
    if types:
        wanted = {t.strip().lower() for t in types.split(",")}
        items = [i for i in items if str(i.get("type", "")).lower() in wanted]
    return frames.events_result(items)
