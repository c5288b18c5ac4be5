"""Deterministic analyzers: evidence in, findings (each with its evidence rows) out.

Pure functions over what the reads returned; no cluster access, no LLM. Each finding names
the read its rows come from and the next command that would help (a write there is only a
proposal for a person to approve, never run by the investigation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from kubechat_lab.investigate._fit import (
    cpu_text,
    mem_text,
    quantity,
    requests_of,
    static_misfits,
)
from kubechat_lab.investigate._model import Evidence, Finding, Subject
from kubechat_lab.investigate._plan import first_pods, selector_text

__all__ = ["analyze"]

_BAD_WAITING = ("ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                "CreateContainerError", "InvalidImageName", "RunContainerError")


def _steps(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    return {e.read.step: e for e in evidence}


def _name(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


def _seconds(start: object, end: object) -> float | None:
    try:
        a = datetime.fromisoformat(str(start).replace("Z", "+00:00"))
        b = datetime.fromisoformat(str(end).replace("Z", "+00:00"))
    except ValueError:
        return None
    return (b - a).total_seconds()


def _last_lines(logs: Evidence | None, n: int = 3) -> list[str]:
    if logs is None:
        return []
    lines = [str(r.get("message", "")).rstrip() for r in logs.rows if r.get("message")]
    errors = [ln for ln in lines if any(w in ln.upper() for w in ("ERROR", "FATAL", "PANIC",
                                                                   "EXCEPTION"))]
    return (errors or lines)[-n:]


def _pod_findings(subject: Subject, pod: Mapping[str, Any], steps: Mapping[str, Evidence]
                  ) -> list[Finding]:
    name = _name(pod)
    ns = str((pod.get("metadata") or {}).get("namespace"))
    out: list[Finding] = []
    status = pod.get("status") or {}
    source = "object" if subject.kind == "pods" else "pods"
    inits = {str(c.get("name")) for c in status.get("initContainerStatuses") or []}
    for c in [*(status.get("initContainerStatuses") or []),
              *(status.get("containerStatuses") or [])]:
        cname = str(c.get("name"))
        role = "init container" if cname in inits else "container"
        restarts = int(c.get("restartCount") or 0)
        last = (c.get("lastState") or {}).get("terminated")
        now_term = (c.get("state") or {}).get("terminated")
        waiting = (c.get("state") or {}).get("waiting") or {}
        term = last or (now_term if now_term and now_term.get("exitCode") else None)
        if term:
            logs_step = f"logs:{name}:{cname}"
            lines = _last_lines(steps.get(logs_step))
            took = _seconds(term.get("startedAt"), term.get("finishedAt"))
            after = f" after {took:.0f} s" if took is not None else ""
            reason = term.get("reason") or "Error"
            title = (f"{role} {cname} of pod {name} exited with code {term.get('exitCode')}"
                     f" ({reason}){after}, {restarts} restarts")
            if lines:
                title += f"; last lines: {' | '.join(lines)}"
            rows = [f"[{source}] {name}/{cname}: lastState.terminated exitCode="
                    f"{term.get('exitCode')} reason={reason} startedAt={term.get('startedAt')}"
                    f" finishedAt={term.get('finishedAt')}",
                    f"[{source}] {name}/{cname}: restartCount={restarts}"
                    + (f", waiting {waiting.get('reason')}" if waiting else "")]
            rows += [f"[{logs_step}] {ln}" for ln in lines]
            if reason == "OOMKilled":
                title += " (out of memory: raise the memory limit)"
            flag = " --previous" if last else ""
            out.append(Finding(title, tuple(rows),
                               f"kubectl logs {name} -n {ns} -c {cname}{flag} --tail=200",
                               steps=(source, logs_step)))
        elif waiting.get("reason") in _BAD_WAITING:
            out.append(Finding(
                f"{role} {cname} of pod {name} cannot start: {waiting.get('reason')}",
                (f"[{source}] {name}/{cname}: waiting {waiting.get('reason')}: "
                 f"{waiting.get('message', '')}",),
                f"kubectl describe pod {name} -n {ns}", steps=(source,)))
    if status.get("phase") == "Pending" and not (pod.get("spec") or {}).get("nodeName"):
        out.append(_fit_finding(pod, steps, source))
    return out


def _fit_finding(pod: Mapping[str, Any], steps: Mapping[str, Evidence], source: str
                 ) -> Finding:
    name = _name(pod)
    ns = str((pod.get("metadata") or {}).get("namespace"))
    cpu, mem = requests_of(pod)
    rows: list[str] = []
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            rows.append(f"[{source}] {name}: PodScheduled=False {cond.get('reason')}: "
                        f"{cond.get('message')}")
    nodes = steps.get("nodes")
    if nodes is None:
        return Finding(f"pod {name} is Pending and not scheduled", tuple(rows),
                       f"kubectl describe pod {name} -n {ns}", steps=(source,))
    fits = 0
    largest: tuple[float, str] | None = None
    misfit_kinds: set[str] = set()
    for node in nodes.objects:
        node_name = _name(node)
        why = static_misfits(pod, node)
        alloc = (node.get("status") or {}).get("allocatable") or {}
        free_cpu, free_mem = quantity(alloc.get("cpu")), quantity(alloc.get("memory"))
        on_node = steps.get(f"node-pods:{node_name}")
        if on_node is not None:
            for other in on_node.objects:
                if (other.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
                    continue
                used = requests_of(other)
                free_cpu -= used[0]
                free_mem -= used[1]
        if not why and on_node is not None:
            if cpu > free_cpu:
                why.append(f"insufficient cpu: requests {cpu_text(cpu)}, free "
                           f"{cpu_text(max(free_cpu, 0))}")
            if mem > free_mem:
                why.append(f"insufficient memory: requests {mem_text(mem)}, free "
                           f"{mem_text(max(free_mem, 0))}")
        if largest is None or free_cpu > largest[0]:
            largest = (free_cpu, node_name)
        for reason in why:
            misfit_kinds.add(reason.split(" ")[0])
        fits += not why
        free = f"free {cpu_text(max(free_cpu, 0))}" if on_node is not None else \
            f"allocatable {cpu_text(free_cpu)}"
        rows.append(f"[nodes] {node_name}: " + ("; ".join(why) or "fits") + f" ({free})")
    total = len(nodes.objects)
    parts = [f"{fits} of {total} nodes fit pod {name}: requests {cpu_text(cpu)}, "
             f"{mem_text(mem)}"]
    selector = (pod.get("spec") or {}).get("nodeSelector") or {}
    if "node" in misfit_kinds:
        matched = sum(1 for n in nodes.objects
                      if not any(w.startswith("node selector") for w in static_misfits(pod, n)))
        parts.append(f"node selector {selector_text(selector)} matches {matched} node(s)")
    if "insufficient" in misfit_kinds and largest is not None:
        parts.append(f"largest free {cpu_text(max(largest[0], 0))} ({largest[1]})")
    if "cordoned" in misfit_kinds:
        parts.append("cordoned nodes refuse it")
    if "taint" in misfit_kinds:
        parts.append("untolerated taints refuse it")
    if selector and "node" in misfit_kinds:
        nxt = f"kubectl get nodes -l {sorted(selector)[0]}"
    else:
        nxt = "kubectl top nodes"
    return Finding("; ".join(parts), tuple(rows), nxt, steps=(source, "nodes"))


def _workload_findings(subject: Subject, obj: Mapping[str, Any], steps: Mapping[str, Evidence]
                       ) -> list[Finding]:
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    ns = subject.namespace
    out: list[Finding] = []
    if subject.kind == "daemonsets":
        want, ready = status.get("desiredNumberScheduled", 0), status.get("numberReady", 0)
    else:
        want, ready = spec.get("replicas", 1), status.get("readyReplicas", 0)
    pods = steps.get("pods")
    if want and (ready or 0) < want:
        rows = [f"[object] {subject.kind[:-1]} {subject.name}: desired {want}, ready "
                f"{ready or 0}"]
        if pods is not None:
            phases: dict[str, int] = {}
            for p in pods.objects:
                phase = str((p.get("status") or {}).get("phase"))
                phases[phase] = phases.get(phase, 0) + 1
            rows.append("[pods] " + (", ".join(f"{v} {k}" for k, v in sorted(phases.items()))
                                     or "no pod matches the selector"))
        out.append(Finding(f"{subject.kind[:-1]} {subject.name}: {ready or 0} of {want} "
                           "replicas ready", tuple(rows),
                           f"kubectl rollout status {subject.kind[:-1]}/{subject.name} -n {ns}",
                           severity="warning", steps=("object", "pods")))
    return out


def _job_findings(subject: Subject, obj: Mapping[str, Any]) -> list[Finding]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "Failed" and cond.get("status") == "True":
            rows = (f"[object] job {subject.name}: condition Failed {cond.get('reason')}: "
                    f"{cond.get('message')}",
                    f"[object] job {subject.name}: failed pods {status.get('failed', 0)}, "
                    f"backoffLimit {spec.get('backoffLimit')}, activeDeadlineSeconds "
                    f"{spec.get('activeDeadlineSeconds')}")
            return [Finding(f"job failed: {cond.get('reason')} ({cond.get('message')})", rows,
                            f"kubectl logs job/{subject.name} -n {subject.namespace} --tail=200",
                            steps=("object",))]
    return []


def _service_findings(subject: Subject, obj: Mapping[str, Any], steps: Mapping[str, Evidence]
                      ) -> list[Finding]:
    selector = (obj.get("spec") or {}).get("selector") or {}
    ns = subject.namespace
    if not selector:
        return [Finding(f"Service {subject.name} has no selector: its endpoints are managed "
                        "by hand", ("[object] spec.selector is empty",),
                        f"kubectl get endpointslices -n {ns} -l "
                        f"kubernetes.io/service-name={subject.name}", severity="info",
                        steps=("object",))]
    pods = steps.get("pods")
    sel = selector_text(selector)
    if pods is not None and not pods.objects:
        rows = [f"[object] Service {subject.name}: spec.selector {sel}",
                f"[pods] 0 pods in {ns} match {sel}"]
        key = sorted(selector)[0]
        keyed = steps.get("label-key")
        if keyed is not None:
            values = sorted({str(((p.get("metadata") or {}).get("labels") or {}).get(key))
                             for p in keyed.objects})
            rows.append(f"[label-key] pods in {ns} with label {key}: "
                        + (", ".join(f"{key}={v}" for v in values) or "none"))
        return [Finding(f"Service {subject.name} selects {sel}; no pod has that label",
                        tuple(rows), f"kubectl get pods -n {ns} --show-labels",
                        steps=("object", "pods", "label-key"))]
    slices = steps.get("endpointslices")
    if pods is not None and slices is not None:
        ready = sum(1 for s in slices.objects for ep in s.get("endpoints") or []
                    if (ep.get("conditions") or {}).get("ready"))
        if ready == 0:
            return [Finding(f"Service {subject.name} has no ready endpoint: "
                            f"{len(pods.objects)} pod(s) match {sel}, none ready",
                            (f"[endpointslices] ready endpoints: {ready}",
                             f"[pods] {len(pods.objects)} pod(s) match {sel}"),
                            f"kubectl get pods -n {ns} -l {sel}",
                            steps=("endpointslices", "pods"))]
    return []


def _node_findings(subject: Subject, obj: Mapping[str, Any], steps: Mapping[str, Evidence]
                   ) -> list[Finding]:
    out: list[Finding] = []
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    if spec.get("unschedulable"):
        taints = [t.get("key") for t in spec.get("taints") or []]
        out.append(Finding(f"node {subject.name} is cordoned: no new pod is scheduled there",
                           (f"[object] spec.unschedulable=true, taints: {taints}",),
                           f"kubectl uncordon {subject.name}", severity="warning",
                           steps=("object",)))
    for cond in status.get("conditions") or []:
        kind, value = cond.get("type"), cond.get("status")
        if (kind == "Ready" and value != "True") or (kind != "Ready" and value == "True"):
            out.append(Finding(f"node {subject.name}: {kind}={value} ({cond.get('reason')})",
                               (f"[object] condition {kind}={value}: {cond.get('message')}",),
                               f"kubectl describe node {subject.name}", steps=("object",)))
    pods = steps.get("node-pods")
    alloc = status.get("allocatable") or {}
    if pods is not None and alloc:
        live = [p for p in pods.objects
                if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed")]
        cpu = sum(requests_of(p)[0] for p in live)
        mem = sum(requests_of(p)[1] for p in live)
        acpu, amem = quantity(alloc.get("cpu")), quantity(alloc.get("memory"))
        out.append(Finding(
            f"node {subject.name}: {len(live)} pods request {cpu_text(cpu)} of "
            f"{cpu_text(acpu)} and {mem_text(mem)} of {mem_text(amem)}",
            (f"[object] allocatable cpu={alloc.get('cpu')} memory={alloc.get('memory')}",
             f"[node-pods] {len(live)} pods running or pending"),
            f"kubectl top node {subject.name}", severity="info", steps=("object", "node-pods")))
    return out


def _pvc_findings(subject: Subject, obj: Mapping[str, Any]) -> list[Finding]:
    status = obj.get("status") or {}
    spec = obj.get("spec") or {}
    if status.get("phase") == "Bound":
        return []
    return [Finding(f"PVC {subject.name} is {status.get('phase')}: storage class "
                    f"{spec.get('storageClassName')!s}",
                    (f"[object] phase {status.get('phase')}, storageClassName "
                     f"{spec.get('storageClassName')}, volumeName {spec.get('volumeName')}",),
                    "kubectl get storageclasses", steps=("object",))]


def _warning_events(subject: Subject, evidence: Sequence[Evidence]) -> Finding | None:
    by_reason: dict[tuple[str, str], tuple[int, str]] = {}
    for e in evidence:
        if e.read.step == "events" or e.read.step.startswith("events:"):
            for r in e.rows:
                if r.get("type") == "Warning":
                    key = (e.read.step, str(r.get("reason")))
                    count = by_reason.get(key, (0, ""))[0] + int(r.get("count") or 1)
                    by_reason[key] = (count, str(r.get("message")))  # rows come oldest first
    if not by_reason:
        return None
    rows = tuple(f"[{step}] {reason} x{count}, latest: {message}"
                 for (step, reason), (count, message) in by_reason.items())
    reasons = sorted({reason for _, reason in by_reason})
    where = f" -n {subject.namespace}" if subject.namespace else " -A"
    return Finding(f"Warning events: {', '.join(reasons)}", rows[:8],
                   f"kubectl get events{where} --field-selector type=Warning",
                   severity="warning", steps=tuple(sorted({s for s, _ in by_reason})))


def analyze(subject: Subject, evidence: Sequence[Evidence]) -> tuple[Finding, ...]:
    """Return the findings the evidence supports (the most specific first)."""
    steps = _steps(evidence)
    found = steps.get("object")
    if found is None or not found.objects:
        why = found.error if found is not None and found.error else "it was not found"
        return (Finding(f"could not read {subject.label}: {why}",
                        (f"[object] {found.read.command if found else 'not run'}",),
                        f"kubectl get {subject.kind}{subject.ns_flag}", steps=("object",)),)
    obj = found.objects[0]
    out: list[Finding] = []
    if subject.kind == "jobs":
        out += _job_findings(subject, obj)
    if subject.kind == "services":
        out += _service_findings(subject, obj, steps)
    if subject.kind == "nodes":
        out += _node_findings(subject, obj, steps)
    if subject.kind == "persistentvolumeclaims":
        out += _pvc_findings(subject, obj)
    pending_seen = False
    for pod in first_pods(subject, evidence):
        for finding in _pod_findings(subject, pod, steps):
            if "nodes" in finding.steps:  # one fit analysis is enough for one template
                if pending_seen:
                    continue
                pending_seen = True
            out.append(finding)
    if subject.kind in ("deployments", "statefulsets", "daemonsets"):
        out += _workload_findings(subject, obj, steps)
    warnings = _warning_events(subject, evidence)
    if warnings is not None:
        out.append(warnings)
    failed = [e for e in evidence if e.error]
    for e in failed:
        out.append(Finding(f"read {e.read.step} gave nothing: {e.error}",
                           (f"[{e.read.step}] {e.read.command}",), e.read.command,
                           severity="info", steps=(e.read.step,)))
    if not out:
        out.append(Finding(f"nothing wrong found for {subject.label}",
                           (f"[object] read {len(evidence)} source(s)",), None, severity="info"))
    return tuple(out)
