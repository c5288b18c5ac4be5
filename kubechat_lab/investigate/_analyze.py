"""Deterministic analyzers: evidence in, findings (each with its evidence rows) out.

Pure functions over what the reads returned; no cluster access, no LLM. Each finding names
the read its rows come from and the next command that would help (a write there is only a
proposal for a person to approve, never run by the investigation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from kubechat_lab.investigate._fit import (
    cpu_text,
    mem_text,
    quantity,
    requests_of,
)
from kubechat_lab.investigate._model import Evidence, Finding, Subject
from kubechat_lab.investigate._plan import first_pods, selector_text
from kubechat_lab.investigate._pods import name_of, pod_findings

__all__ = ["analyze"]


def _steps(evidence: Sequence[Evidence]) -> dict[str, Evidence]:
    return {e.read.step: e for e in evidence}


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
    for cond in status.get("conditions") or []:
        kind, value = cond.get("type"), cond.get("status")
        if (kind == "ReplicaFailure" and value == "True") or (
                kind == "Progressing" and value == "False"):
            out.append(Finding(
                f"{subject.kind[:-1]} {subject.name}: {kind}={value} {cond.get('reason')}: "
                f"{cond.get('message')}",
                (f"[object] condition {kind}={value} reason={cond.get('reason')}: "
                 f"{cond.get('message')}",),
                f"kubectl describe {subject.kind[:-1]} {subject.name} -n {ns}",
                steps=("object",)))
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
    if pods is not None and pods.objects:
        ports = _port_mismatch(subject, obj, pods.objects)
        if ports is not None:
            return [ports]
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


def _port_mismatch(subject: Subject, obj: Mapping[str, Any],
                   pods: Sequence[Mapping[str, Any]]) -> Finding | None:
    """Return a finding for a Service port whose targetPort no selected pod declares."""
    declared: dict[str, set[object]] = {}
    for p in pods:
        for c in (p.get("spec") or {}).get("containers") or []:
            for port in c.get("ports") or []:
                declared.setdefault(name_of(p), set()).update(
                    {port.get("name"), port.get("containerPort")})
    for port in (obj.get("spec") or {}).get("ports") or []:
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, int) and not declared:
            continue  # containers need not declare a numbered port
        missing = [p for p in (name_of(p) for p in pods) if target not in declared.get(p, set())]
        if missing and len(missing) == len(pods):
            return Finding(
                f"Service {subject.name} port {port.get('port')} targets {target!r}, which no "
                "selected pod declares",
                (f"[object] port {port.get('port')} targetPort {target!r}",
                 *(f"[pods] {name}: ports {sorted(map(str, declared.get(name, set())))}"
                   for name in missing[:5])),
                f"kubectl get pods -n {subject.namespace} -l "
                f"{selector_text((obj.get('spec') or {}).get('selector') or {})} -o yaml",
                steps=("object", "pods"))
    return None


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
        for finding in pod_findings(subject, pod, steps):
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
