"""Whether a pod fits a node: selector, taints, cordon, and requests against allocatable."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["Requests", "cpu_text", "mem_text", "quantity", "requests_of", "static_misfits"]

_SUFFIX = {"": 1.0, "m": 1e-3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "Ki": 1024.0,
           "Mi": 1024.0**2, "Gi": 1024.0**3, "Ti": 1024.0**4}
_QUANTITY = re.compile(r"^([0-9.]+(?:e[0-9]+)?)([A-Za-z]*)$")

#: (CPU cores, memory bytes)
Requests = tuple[float, float]


def quantity(text: object) -> float:
    """Parse a Kubernetes quantity (``500m``, ``2``, ``4Gi``); 0 for what it cannot read."""
    match = _QUANTITY.match(str(text or "").strip())
    if not match or match.group(2) not in _SUFFIX:
        return 0.0
    return float(match.group(1)) * _SUFFIX[match.group(2)]


def cpu_text(cores: float) -> str:
    """``1.5 CPU`` / ``250m CPU``."""
    if cores < 1 and cores > 0:
        return f"{round(cores * 1000)}m CPU"
    return f"{cores:g} CPU"


def mem_text(size: float) -> str:
    """``4Gi`` / ``512Mi``."""
    for unit, scale in (("Gi", 1024.0**3), ("Mi", 1024.0**2), ("Ki", 1024.0)):
        if size >= scale:
            return f"{size / scale:.3g}{unit}"
    return f"{size:g}"


def requests_of(pod: Mapping[str, Any]) -> Requests:
    """Return the pod's requests (the sum over containers, or the largest init container)."""
    spec = pod.get("spec") or {}

    def total(containers: Sequence[Mapping[str, Any]]) -> Requests:
        cpu = mem = 0.0
        for c in containers:
            req = (c.get("resources") or {}).get("requests") or {}
            cpu += quantity(req.get("cpu"))
            mem += quantity(req.get("memory"))
        return cpu, mem

    main = total(spec.get("containers") or [])
    inits = [total([c]) for c in spec.get("initContainers") or []]
    return (max([main[0], *(i[0] for i in inits)]), max([main[1], *(i[1] for i in inits)]))


def _tolerated(taint: Mapping[str, Any], tolerations: Sequence[Mapping[str, Any]]) -> bool:
    for tol in tolerations:
        if tol.get("effect") and tol.get("effect") != taint.get("effect"):
            continue
        if tol.get("operator") == "Exists" and not tol.get("key"):
            return True
        if tol.get("key") != taint.get("key"):
            continue
        if tol.get("operator") == "Exists" or tol.get("value") == taint.get("value"):
            return True
    return False


def static_misfits(pod: Mapping[str, Any], node: Mapping[str, Any]) -> list[str]:
    """Why ``pod`` cannot go to ``node`` apart from resources (empty: it could)."""
    spec = pod.get("spec") or {}
    node_spec = node.get("spec") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    why: list[str] = []
    if node_spec.get("unschedulable"):
        why.append("cordoned (unschedulable)")
    wanted = spec.get("nodeSelector") or {}
    missing = [f"{k}={v}" for k, v in sorted(wanted.items()) if labels.get(k) != v]
    if missing:
        why.append(f"node selector {','.join(missing)} not matched")
    tolerations = spec.get("tolerations") or []
    for taint in node_spec.get("taints") or []:
        if taint.get("effect") not in ("NoSchedule", "NoExecute"):
            continue
        if taint.get("key") == "node.kubernetes.io/unschedulable" and node_spec.get(
                "unschedulable"):
            continue
        if not _tolerated(taint, tolerations):
            value = f"={taint['value']}" if taint.get("value") else ""
            why.append(f"taint {taint.get('key')}{value}:{taint.get('effect')} not tolerated")
    return why
