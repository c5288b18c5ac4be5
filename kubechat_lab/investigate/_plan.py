"""The plan: which safe reads to run next, given the subject and the evidence so far.

Planning is a pure function of what was read: the first round reads the object, its events
and what its kind always needs; later rounds follow its state (the pods its selector picks,
``logs --previous`` of a crashed container, the nodes a pending pod could go to and what runs
on them). Every read is a plain ``kubectl`` line that goes through the same pipeline as a
typed ``%kubectl`` (policy, audit, impersonation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubechat_lab.investigate._fit import static_misfits
from kubechat_lab.investigate._model import Evidence, Read, Subject

__all__ = ["LOG_TAIL", "MAX_FIT_NODES", "MAX_POD_DETAILS", "MAX_ROUNDS", "candidate_nodes",
           "first_pods", "plan_more", "selector_text"]

#: Pods whose logs and events are read, at most (the worst first).
MAX_POD_DETAILS = 2
#: Nodes a pending pod's fit is checked against with their pods' requests, at most.
MAX_FIT_NODES = 5
#: Planning rounds, at most.
MAX_ROUNDS = 4
#: Log lines a crashed container's ``--previous`` read asks for.
LOG_TAIL = 20

_WORKLOADS = frozenset({"deployments", "statefulsets", "daemonsets", "jobs"})


def selector_text(labels: Mapping[str, Any]) -> str:
    """``k=v,k2=v2`` of a label map (sorted)."""
    return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))


def _by_step(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    return {e.read.step: e for e in evidence}


def _pod_badness(pod: Mapping[str, Any]) -> tuple[int, int]:
    """(0 when healthy else 1, restarts): the worst pod sorts last."""
    status = pod.get("status") or {}
    statuses = status.get("containerStatuses") or []
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    ready = bool(statuses) and all(c.get("ready") for c in statuses)
    phase = status.get("phase")
    healthy = phase == "Succeeded" or (phase == "Running" and ready)
    return (0 if healthy else 1, restarts)


def first_pods(subject: Subject, evidence: Sequence[Evidence]) -> list[Mapping[str, Any]]:
    """Return the pods worth a closer look (the subject pod, or the worst of the selected pods)."""
    steps = _by_step(evidence)
    if subject.kind == "pods":
        found = steps.get("object")
        return list(found.objects[:1]) if found else []
    pods = steps.get("pods")
    if pods is None:
        return []
    ranked = sorted(pods.objects, key=_pod_badness, reverse=True)
    return [p for p in ranked if _pod_badness(p) != (0, 0)][:MAX_POD_DETAILS]


def _object(evidence: Sequence[Evidence]) -> Mapping[str, Any] | None:
    found = _by_step(evidence).get("object")
    return found.objects[0] if found and found.objects else None


def _crashed(pod: Mapping[str, Any]) -> list[tuple[str, bool]]:
    """(container, previous) whose logs explain a crash or a failure."""
    out = []
    status = pod.get("status") or {}
    for c in [*(status.get("initContainerStatuses") or []),
              *(status.get("containerStatuses") or [])]:
        if (c.get("lastState") or {}).get("terminated"):
            out.append((str(c.get("name")), True))
        elif ((c.get("state") or {}).get("terminated") or {}).get("exitCode", 0):
            out.append((str(c.get("name")), False))
    return out


def _pending(pod: Mapping[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Pending" and not (pod.get("spec") or {}).get("nodeName")


def candidate_nodes(pod: Mapping[str, Any], nodes: Sequence[Mapping[str, Any]]
                    ) -> list[Mapping[str, Any]]:
    """Return the nodes that pass the pod's selector, taints and cordon (not its requests)."""
    return [n for n in nodes if not static_misfits(pod, n)]


def plan_more(subject: Subject, evidence: Sequence[Evidence]) -> tuple[Read, ...]:
    """Return the reads to run next (none when the plan is complete)."""
    done = {e.read.command for e in evidence}
    steps = _by_step(evidence)
    ns = subject.ns_flag
    reads: list[Read] = []
    if not evidence:
        reads.append(Read("object", f"kubectl get {subject.kind} {subject.name}{ns} -o json"))
        where = ns if subject.namespace else " -A"
        reads.append(Read("events", f"kubectl get events{where} "
                                    f"--field-selector involvedObject.name={subject.name}"))
        if subject.kind == "services":
            reads.append(Read("endpointslices", "kubectl get endpointslices"
                              f"{ns} -l kubernetes.io/service-name={subject.name} -o json"))
        if subject.kind == "nodes":
            reads.append(Read("node-pods", "kubectl get pods -A "
                              f"--field-selector spec.nodeName={subject.name} -o json"))
        return tuple(reads)
    obj = _object(evidence)
    if obj is None:
        return ()
    spec = obj.get("spec") or {}
    if subject.kind in _WORKLOADS or subject.kind == "services":
        labels = spec.get("selector") or {}
        if subject.kind != "services":
            labels = labels.get("matchLabels") or {}
        if labels and "pods" not in steps:
            reads.append(Read("pods", f"kubectl get pods{ns} -l {selector_text(labels)} -o json"))
        pods = steps.get("pods")
        if (subject.kind == "services" and pods is not None and not pods.objects and labels
                and "label-key" not in steps):
            key = sorted(labels)[0]
            reads.append(Read("label-key", f"kubectl get pods{ns} -l {key} -o json"))
    for pod in first_pods(subject, evidence):
        meta = pod.get("metadata") or {}
        name = str(meta.get("name"))
        pod_ns = f" -n {meta.get('namespace')}"
        if subject.kind != "pods":
            reads.append(Read(f"events:{name}", f"kubectl get events{pod_ns} "
                                                f"--field-selector involvedObject.name={name}"))
        for container, previous in _crashed(pod)[:2]:
            flag = " --previous" if previous else ""
            reads.append(Read(f"logs:{name}:{container}",
                              f"kubectl logs {name}{pod_ns} -c {container}{flag} "
                              f"--tail={LOG_TAIL}"))
        if _pending(pod):
            reads.append(Read("nodes", "kubectl get nodes -o json"))
            nodes = steps.get("nodes")
            if nodes is not None:
                for node in candidate_nodes(pod, nodes.objects)[:MAX_FIT_NODES]:
                    node_name = str((node.get("metadata") or {}).get("name"))
                    reads.append(Read(f"node-pods:{node_name}", "kubectl get pods -A "
                                      f"--field-selector spec.nodeName={node_name} -o json"))
    unique: dict[str, Read] = {}
    for read in reads:
        if read.command not in done and read.step not in steps:
            unique.setdefault(read.command, read)
    return tuple(unique.values())
