"""Analyzers of pods: why a container crashed or cannot start, why a pod is not scheduled."""

from __future__ import annotations

from collections.abc import Mapping
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
from kubechat_lab.investigate._plan import selector_text

__all__ = ["name_of", "pod_findings"]


def name_of(obj: Mapping[str, Any]) -> str:
    """Return an object's ``metadata.name`` (``?`` when it has none)."""
    return str((obj.get("metadata") or {}).get("name", "?"))


_BAD_WAITING = ("ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
                "CreateContainerError", "InvalidImageName", "RunContainerError")


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


def pod_findings(subject: Subject, pod: Mapping[str, Any], steps: Mapping[str, Evidence]
                  ) -> list[Finding]:
    """Return the findings about one pod: crashed or unstartable containers, no node to fit."""
    name = name_of(pod)
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
    name = name_of(pod)
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
        node_name = name_of(node)
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


