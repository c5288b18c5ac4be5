"""``kubectl describe``: a readable text summary of each object plus its events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._context import Context
from kubechat_lab.cluster._diff import clean, to_yaml
from kubechat_lab.cluster._discovery import ApiResource
from kubechat_lab.cluster._result import Result
from kubechat_lab.cluster._units import cpu_millicores, memory_bytes, parse_time

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["describe", "render_object"]

_W = 16  # width of the key column


def describe(ctx: Context, cmd: Command) -> Result:
    """Describe every named (or selected) object; rows are the events of those objects."""
    texts: list[str] = []
    events: list[Any] = []
    events_resource = ctx.discovery.resolve("events", quick=True)
    for resource, names in ctx.groups(cmd, quick=True):
        namespace = ctx.namespace(cmd, resource)
        if names:
            ns = namespace if namespace is not None or not resource.namespaced else (
                cmd.namespace or ctx.transport.default_namespace)
            objects = [ctx.get_object(resource, ns, name) for name in names]
        else:
            objects = ctx.list_objects(resource, namespace, cmd.selector, cmd.field_selector)
        for obj in objects:
            meta = obj.get("metadata") or {}
            fields = f"involvedObject.uid={meta.get('uid')}"
            own = ctx.list_objects(events_resource, meta.get("namespace") or None, None, fields)
            own = list(frames.events_result(own).records())
            extra = _node_pods(ctx, obj) if resource.info.kind == "Node" else None
            texts.append(render_object(resource, obj, own, extra=extra))
            events.extend(own)
    rows = tuple(tuple(ev[c.name] for c in frames.EVENTS_COLUMNS) for ev in events)
    return Result("describe", frames.EVENTS_COLUMNS, rows, text="\n\n".join(texts) + "\n")


def _node_pods(ctx: Context, node: dict[str, Any]) -> list[Any]:
    name = node["metadata"]["name"]
    pods = ctx.list_objects(
        ctx.discovery.resolve("pods", quick=True), None, None,
        f"spec.nodeName={name},status.phase!=Succeeded,status.phase!=Failed",
    )
    return pods


def _age(stamp: str | None) -> str:
    parsed = parse_time(stamp)
    if parsed is None:
        return "<unknown>"
    seconds = int((datetime.now(UTC) - parsed).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * 2 or (unit == "m" and seconds >= 60):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _map(lines: list[str], key: str, values: dict[str, Any] | None, indent: str = "") -> None:
    if not values:
        lines.append(f"{indent}{key + ':':<{_W}}<none>")
        return
    first = True
    for k, v in sorted(values.items()):
        label = key + ":" if first else ""
        lines.append(f"{indent}{label:<{_W}}{k}={v}")
        first = False


def _kv(lines: list[str], key: str, value: object, indent: str = "") -> None:
    text = "<none>" if value in (None, "", [], {}) else str(value)
    lines.append(f"{indent}{key + ':':<{_W}}{text}")


def render_object(
    resource: ApiResource,
    obj: dict[str, Any],
    events: list[dict[str, Any]],
    *,
    extra: list[Any] | None = None,
) -> str:
    """Render one object (already fetched) and its events as describe text."""
    obj = clean(obj)
    meta = obj.get("metadata") or {}
    lines: list[str] = []
    _kv(lines, "Name", meta.get("name"))
    if resource.namespaced:
        _kv(lines, "Namespace", meta.get("namespace"))
    _kv(lines, "Kind", f"{obj.get('kind', resource.info.kind)} ({obj.get('apiVersion', '')})")
    _map(lines, "Labels", meta.get("labels"))
    annotations = {k: (v if len(str(v)) <= 80 else str(v)[:77] + "...")
                   for k, v in (meta.get("annotations") or {}).items()}
    _map(lines, "Annotations", annotations)
    created = meta.get("creationTimestamp")
    _kv(lines, "Created", f"{created} ({_age(created)} ago)" if created else None)
    owners = [f"{o.get('kind')}/{o.get('name')}" for o in meta.get("ownerReferences") or ()
              if o.get("controller")]
    if owners:
        _kv(lines, "Controlled By", ", ".join(owners))
    kind = obj.get("kind") or resource.info.kind
    renderer = _RENDERERS.get(kind, _generic)
    renderer(lines, obj, extra)
    lines.append("Events:" + ("" if events else "  <none>"))
    if events:
        lines.append(f"  {'Type':<8} {'Reason':<20} {'Age':<6} {'From':<24} Message")
        for ev in events:
            lines.append(
                f"  {str(ev.get('type') or ''):<8} {str(ev.get('reason') or ''):<20} "
                f"{_age(ev.get('last_seen')):<6} {str(ev.get('source') or ''):<24} "
                f"{ev.get('message') or ''}"
            )
    return "\n".join(lines)


def _containers(lines: list[str], containers: list[dict[str, Any]],
                statuses: dict[str, dict[str, Any]], title: str = "Containers") -> None:
    if not containers:
        return
    lines.append(f"{title}:")
    for c in containers:
        lines.append(f"  {c.get('name')}:")
        _kv(lines, "Image", c.get("image"), "    ")
        ports = [f"{p.get('containerPort')}/{p.get('protocol', 'TCP')}" for p in
                 c.get("ports") or ()]
        if ports:
            _kv(lines, "Ports", ", ".join(ports), "    ")
        status = statuses.get(c.get("name", ""))
        if status:
            _kv(lines, "State", _state(status.get("state") or {}), "    ")
            if status.get("lastState"):
                _kv(lines, "Last State", _state(status["lastState"]), "    ")
            _kv(lines, "Ready", status.get("ready"), "    ")
            _kv(lines, "Restart Count", status.get("restartCount", 0), "    ")
        resources = c.get("resources") or {}
        for key in ("requests", "limits"):
            if resources.get(key):
                _kv(lines, key.capitalize(),
                    ", ".join(f"{k}={v}" for k, v in resources[key].items()), "    ")
        env = c.get("env") or []
        if env:
            _kv(lines, "Environment", ", ".join(
                f"{e['name']}={e['value']}" if "value" in e else f"{e['name']} (from source)"
                for e in env), "    ")


def _state(state: dict[str, Any]) -> str:
    if "running" in state:
        return f"Running (since {state['running'].get('startedAt')})"
    if "waiting" in state:
        w = state["waiting"]
        return f"Waiting ({w.get('reason', '')}{': ' + w['message'] if w.get('message') else ''})"
    if "terminated" in state:
        t = state["terminated"]
        return f"Terminated ({t.get('reason', '')}, exit code {t.get('exitCode')})"
    return "<unknown>"


def _conditions(lines: list[str], conditions: list[dict[str, Any]] | None) -> None:
    if not conditions:
        return
    lines.append("Conditions:")
    lines.append(f"  {'Type':<28} {'Status':<8} {'Reason':<28} Message")
    for cond in conditions:
        lines.append(f"  {cond.get('type', ''):<28} {cond.get('status', ''):<8} "
                     f"{cond.get('reason') or '':<28} {cond.get('message') or ''}")


def _pod(lines: list[str], obj: dict[str, Any], _: object) -> None:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    _kv(lines, "Node", spec.get("nodeName"))
    _kv(lines, "Status", status.get("reason") or status.get("phase"))
    _kv(lines, "IP", status.get("podIP"))
    _kv(lines, "Start Time", status.get("startTime"))
    _kv(lines, "QoS Class", status.get("qosClass"))
    _kv(lines, "Service Account", spec.get("serviceAccountName"))
    statuses = {s["name"]: s for s in (status.get("containerStatuses") or []) +
                (status.get("initContainerStatuses") or [])}
    _containers(lines, spec.get("initContainers") or [], statuses, "Init Containers")
    _containers(lines, spec.get("containers") or [], statuses)
    _conditions(lines, status.get("conditions"))
    volumes = [v.get("name") for v in spec.get("volumes") or ()]
    _kv(lines, "Volumes", ", ".join(str(v) for v in volumes))
    _map(lines, "Node-Selectors", spec.get("nodeSelector"))
    tolerations = [f"{t.get('key', '')}:{t.get('effect', '')}" for t in
                   spec.get("tolerations") or ()]
    _kv(lines, "Tolerations", ", ".join(tolerations))


def _template(lines: list[str], spec: dict[str, Any]) -> None:
    template = spec.get("template") or {}
    lines.append("Pod Template:")
    _map(lines, "  Labels", (template.get("metadata") or {}).get("labels"))
    _containers(lines, (template.get("spec") or {}).get("containers") or [], {})


def _workload(lines: list[str], obj: dict[str, Any], _: object) -> None:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    selector = (spec.get("selector") or {}).get("matchLabels")
    _kv(lines, "Selector", ",".join(f"{k}={v}" for k, v in (selector or {}).items()))
    if "replicas" in spec or obj.get("kind") in ("Deployment", "StatefulSet", "ReplicaSet"):
        _kv(lines, "Replicas",
            f"{spec.get('replicas', 1)} desired | {status.get('updatedReplicas', 0)} updated | "
            f"{status.get('replicas', 0)} total | {status.get('readyReplicas', 0)} ready | "
            f"{status.get('availableReplicas', 0)} available")
    if obj.get("kind") == "DaemonSet":
        _kv(lines, "Nodes", f"{status.get('desiredNumberScheduled', 0)} desired | "
            f"{status.get('currentNumberScheduled', 0)} current | "
            f"{status.get('numberReady', 0)} ready")
    strategy = spec.get("strategy") or spec.get("updateStrategy") or {}
    if strategy:
        _kv(lines, "Strategy", strategy.get("type"))
    if spec.get("paused"):
        _kv(lines, "Paused", True)
    if obj.get("kind") == "CronJob":
        _kv(lines, "Schedule", spec.get("schedule"))
        _kv(lines, "Suspend", spec.get("suspend", False))
        _kv(lines, "Last Schedule", status.get("lastScheduleTime"))
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    if obj.get("kind") == "Job":
        _kv(lines, "Completions", f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}")
        _kv(lines, "Start Time", status.get("startTime"))
        _kv(lines, "Completed At", status.get("completionTime"))
    _template(lines, spec)
    _conditions(lines, status.get("conditions"))


def _node(lines: list[str], obj: dict[str, Any], pods: object) -> None:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    labels = (obj.get("metadata") or {}).get("labels") or {}
    roles = sorted(k.rpartition("/")[2] for k in labels if
                   k.startswith("node-role.kubernetes.io/"))
    _kv(lines, "Roles", ",".join(roles))
    _kv(lines, "Unschedulable", spec.get("unschedulable", False))
    taints = [f"{t['key']}{'=' + t['value'] if t.get('value') else ''}:{t['effect']}"
              for t in spec.get("taints") or ()]
    _kv(lines, "Taints", ", ".join(taints))
    _conditions(lines, status.get("conditions"))
    _kv(lines, "Addresses", ", ".join(f"{a['type']}={a['address']}" for a in
                                      status.get("addresses") or ()))
    for key in ("capacity", "allocatable"):
        values = status.get(key) or {}
        _kv(lines, key.capitalize(), ", ".join(f"{k}={v}" for k, v in sorted(values.items())))
    info = status.get("nodeInfo") or {}
    _kv(lines, "Kubelet", info.get("kubeletVersion"))
    _kv(lines, "OS Image", info.get("osImage"))
    _kv(lines, "Runtime", info.get("containerRuntimeVersion"))
    if isinstance(pods, list):
        lines.append(f"Non-terminated Pods: ({len(pods)} in total)")
        cpu = mem = 0
        for pod in pods:
            for c in (pod.get("spec") or {}).get("containers") or ():
                req = (c.get("resources") or {}).get("requests") or {}
                cpu += cpu_millicores(req.get("cpu")) or 0
                mem += memory_bytes(req.get("memory")) or 0
            pm = pod.get("metadata") or {}
            lines.append(f"  {pm.get('namespace', ''):<20} {pm.get('name', '')}")
        lines.append(f"Allocated requests: cpu={cpu}m memory={mem}")


def _service(lines: list[str], obj: dict[str, Any], _: object) -> None:
    spec = obj.get("spec") or {}
    _kv(lines, "Type", spec.get("type"))
    _kv(lines, "IP", spec.get("clusterIP"))
    _map(lines, "Selector", spec.get("selector"))
    ports = [f"{p.get('name', '')} {p.get('port')}->{p.get('targetPort')}/"
             f"{p.get('protocol', 'TCP')}" for p in spec.get("ports") or ()]
    _kv(lines, "Ports", ", ".join(ports))
    _kv(lines, "Session Affinity", spec.get("sessionAffinity"))


def _configmap(lines: list[str], obj: dict[str, Any], _: object) -> None:
    lines.append("Data:")
    for key, value in sorted((obj.get("data") or {}).items()):
        text = str(value)
        lines.append(f"  {key}: {text if len(text) <= 200 else text[:197] + '...'}")
    for key in sorted(obj.get("binaryData") or {}):
        lines.append(f"  {key}: <binary>")


def _secret(lines: list[str], obj: dict[str, Any], _: object) -> None:
    _kv(lines, "Type", obj.get("type"))
    lines.append("Data (values redacted):")
    for key in sorted(obj.get("data") or {}):
        lines.append(f"  {key}")


def _generic(lines: list[str], obj: dict[str, Any], _: object) -> None:
    for key in ("spec", "data", "status"):
        if obj.get(key):
            lines.append(f"{key.capitalize()}:")
            body = to_yaml(obj[key]).rstrip("\n").splitlines()
            lines.extend("  " + line for line in body[:80])
            if len(body) > 80:
                lines.append(f"  ... ({len(body) - 80} more lines)")


_RENDERERS = {
    "Pod": _pod,
    "Deployment": _workload,
    "StatefulSet": _workload,
    "DaemonSet": _workload,
    "ReplicaSet": _workload,
    "Job": _workload,
    "CronJob": _workload,
    "Node": _node,
    "Service": _service,
    "ConfigMap": _configmap,
    "Secret": _secret,
}
