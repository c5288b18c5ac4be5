"""Facts about traffic and nodes: endpoints that claim a Service, control-plane taints, Bindings.

- Service traffic goes where a Service's Endpoints (named like the Service) and EndpointSlices
  (labelled ``kubernetes.io/service-name``) say. A slice whose label names a Service its own
  name does not belong to, or one that forges the EndpointSlice controller's ``managed-by``
  label, steers another Service's traffic; the ``kubernetes`` Service in ``default`` is the
  API server itself, so claiming it sends every in-cluster client (and their tokens) to the
  writer's address.
- The control-plane taint (``node-role.kubernetes.io/control-plane`` or ``master``) keeps
  workloads off the nodes that hold the cluster's keys; removing it (``taint ... KEY-``, a patch
  or a whole Node that drops it) lets any pod be scheduled there.
- A ``Binding`` (``pods/binding``) places a pod on a node of the writer's choosing, bypassing
  the scheduler and its checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kubechat_lab.command import Command
from kubechat_lab.policy._model import Observe
from kubechat_lab.policy._walk import get_ci
from kubechat_lab.policy._written import Written

__all__ = ["CONTROL_PLANE_TAINTS", "node_command_findings", "traffic_findings"]

Add = Callable[[str, str], None]

#: Taint keys that keep workloads off control-plane nodes.
CONTROL_PLANE_TAINTS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_SERVICE_NAME = "kubernetes.io/service-name"
_MANAGED_BY = "endpointslice.kubernetes.io/managed-by"
_CONTROLLERS = ("endpointslice-controller.k8s.io", "endpointslicemirroring-controller.k8s.io")
_API_SERVICE = "kubernetes"


def _label(body: object, key: str) -> str | None:
    labels = get_ci(get_ci(body, "metadata"), "labels")
    if not isinstance(labels, Mapping):
        return None
    for name, value in labels.items():
        if str(name).strip().lower() == key and value is not None:
            return str(value).strip()
    return None


def _namespace(written: Written, namespace: str | None) -> str | None:
    found = get_ci(get_ci(written.body, "metadata"), "namespace")
    return str(found).strip() if isinstance(found, str) and found.strip() else namespace


def _endpoints(written: Written, namespace: str | None, add: Add) -> None:
    kind = written.kind.lower()
    name = (written.name or "").strip()
    where = _namespace(written, namespace)
    in_default = where in (None, "default")
    claimed = _label(written.body, _SERVICE_NAME)
    service = claimed if kind == "endpointslice" and claimed else (
        name if kind == "endpoints" else None)
    if in_default and (service == _API_SERVICE or name == _API_SERVICE):
        add("endpoints-apiserver", f"{written.label} in {where or 'the default namespace'} "
            "claims the `kubernetes` Service, the API server every pod talks to")
        return
    if claimed and name and claimed != name and not name.startswith(f"{claimed}-"):
        add("endpoints-claim", f"{written.label} is labelled {_SERVICE_NAME}={claimed}: it "
            f"claims Service {claimed}, which its name does not belong to")
    owners = get_ci(get_ci(written.body, "metadata"), "ownerReferences")
    for owner in owners if isinstance(owners, list) else ():
        owner_name = str(get_ci(owner, "name", "")).strip()
        if str(get_ci(owner, "kind", "")).strip().lower() == "service" and claimed and (
                owner_name != claimed):
            add("endpoints-claim", f"{written.label} is owned by Service {owner_name} but "
                f"claims Service {claimed}")
    managed = _label(written.body, _MANAGED_BY)
    if managed is not None and managed.lower() in _CONTROLLERS:
        add("endpoints-claim", f"{written.label} says {_MANAGED_BY}={managed}: it poses as "
            "the controller that keeps a Service's endpoints")


def _taint_keys(taints: object) -> set[str]:
    return {str(get_ci(t, "key", "")).strip().lower()
            for t in (taints if isinstance(taints, list) else ())}


def _node(written: Written, observe: Observe | None, add: Add) -> None:
    if written.via == "taint" or written.mode in ("new", "delete"):
        return  # kubectl taint keeps the taints it does not name: node_command_findings
    spec = get_ci(written.body, "spec")
    if not isinstance(spec, Mapping) or not any(str(k).lower() == "taints" for k in spec):
        return
    taints = get_ci(spec, "taints")
    if isinstance(taints, list) and all(
            isinstance(t, Mapping) and "$patch" not in t for t in taints) and (
            _taint_keys(taints) & set(CONTROL_PLANE_TAINTS)):
        return
    live = observe("nodes", None, written.name) if observe and written.name else None
    if live is not None:
        if not _taint_keys(get_ci(get_ci(live, "spec"), "taints")) & set(CONTROL_PLANE_TAINTS):
            return  # the node has no control-plane taint to lose
        add("control-plane-untaint", f"{written.label}: {written.via} replaces spec.taints "
            "without the control-plane taint the node has")
        return
    add("control-plane-untaint", f"{written.label}: {written.via} replaces spec.taints "
        "without the control-plane taint, removing it if the node is a control-plane node")


def traffic_findings(written: Written, namespace: str | None, observe: Observe | None,
                     add: Add) -> None:
    """Report endpoints that claim a Service, control-plane taints removed, and Bindings.

    ``namespace`` is the command's namespace (None: the context's, perhaps ``default``);
    ``observe`` reads the live node whose taints a write replaces (None: assume it may be a
    control-plane node).
    """
    kind = written.kind.lower()
    if kind in ("endpoints", "endpointslice") and written.body is not None:
        _endpoints(written, namespace, add)
    elif kind == "node" and written.body is not None:
        _node(written, observe, add)
    elif kind == "binding" and written.mode != "delete":
        target = get_ci(get_ci(written.body, "target"), "name")
        add("pod-binding", f"{written.label} binds a pod to node {target!s}, bypassing the "
            "scheduler")


def node_command_findings(command: Command, add: Add) -> None:
    """Report ``kubectl taint ... KEY-`` that removes the control-plane taint."""
    if command.verb != "taint":
        return
    for arg in command.args:
        if not arg.endswith("-"):
            continue
        key = arg[:-1].split(":", 1)[0].split("=", 1)[0].strip().lower()
        if key in CONTROL_PLANE_TAINTS:
            nodes = ", ".join(command.names) or ("every node" if command.selector
                                                  or command.flag("all") == "true" else "a node")
            add("control-plane-untaint", f"taint {nodes} {arg}: removes the control-plane taint")
