"""The values of an investigation: its subject, the reads it ran, what they gave, its findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubechat_lab.errors import KubechatError

__all__ = [
    "KINDS",
    "Evidence",
    "Finding",
    "InvestigateError",
    "Read",
    "Subject",
    "evidence_from_result",
]

#: The kinds an investigation understands, by their plural resource name.
KINDS: tuple[str, ...] = (
    "pods", "deployments", "statefulsets", "daemonsets", "services", "nodes", "jobs",
    "persistentvolumeclaims",
)
_CLUSTER_SCOPED = frozenset({"nodes"})


class InvestigateError(KubechatError):
    """The object to investigate is unknown or ambiguous (the message says which to name)."""


@dataclass(frozen=True, slots=True)
class Subject:
    """The one object under investigation.

    Parameters
    ----------
    kind
        Plural resource name, one of :data:`KINDS`.
    name
        Its name.
    namespace
        Its namespace (None for nodes).
    """

    kind: str
    name: str
    namespace: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"cannot investigate a {self.kind!r}; investigable kinds: {', '.join(KINDS)}"
            raise InvestigateError(msg)
        if (self.namespace is None) != (self.kind in _CLUSTER_SCOPED):
            msg = f"{self.kind} {self.name!r}: a namespace is needed exactly for namespaced kinds"
            raise InvestigateError(msg)

    @property
    def ns_flag(self) -> str:
        """`` -n NAMESPACE`` (empty for a node)."""
        return f" -n {self.namespace}" if self.namespace else ""

    @property
    def label(self) -> str:
        """``kind/name`` in ``namespace`` as a person reads it."""
        where = f" in {self.namespace}" if self.namespace else ""
        return f"{self.kind[:-1]} {self.name}{where}"

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"kind": self.kind, "name": self.name, "namespace": self.namespace}


@dataclass(frozen=True, slots=True)
class Read:
    """One safe read of the plan: a step name and the exact kubectl command it runs."""

    step: str
    command: str


@dataclass(frozen=True, slots=True)
class Evidence:
    """What one read gave.

    Parameters
    ----------
    read
        The read.
    objects
        Full objects (``-o json`` reads), one per row.
    rows
        Table rows as ``{column: value}`` (events, logs).
    error
        Why it gave nothing (refused, not approved, the cluster's error), else None.
    proposal
        The proposal id it ran as (audited), else None.
    """

    read: Read
    objects: tuple[Mapping[str, Any], ...] = ()
    rows: tuple[Mapping[str, Any], ...] = ()
    error: str | None = None
    proposal: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (without the objects, which the audit digests already cover)."""
        return {"step": self.read.step, "command": self.read.command, "error": self.error,
                "proposal": self.proposal, "objects": len(self.objects), "rows": len(self.rows)}


@dataclass(frozen=True, slots=True)
class Finding:
    """One conclusion drawn from the evidence.

    Parameters
    ----------
    title
        One line: what is wrong.
    evidence
        The rows that show it (each names the read it comes from).
    next_command
        The kubectl command that would help next (a write is only proposed, never run).
    severity
        ``error``, ``warning`` or ``info``.
    steps
        The plan steps (reads) its evidence comes from.
    """

    title: str
    evidence: tuple[str, ...] = ()
    next_command: str | None = None
    severity: str = "error"
    steps: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"title": self.title, "evidence": list(self.evidence),
                "next_command": self.next_command, "severity": self.severity,
                "steps": list(self.steps)}


def evidence_from_result(read: Read, data: Mapping[str, Any], *, proposal: str | None = None
                         ) -> Evidence:
    """Turn a serialized cluster result (columnar JSON) into :class:`Evidence`."""
    columns = [str(c[0]) for c in data.get("columns") or ()]
    values = data.get("data") or []
    count = len(values[0]) if values else 0
    rows = tuple({name: values[i][r] for i, name in enumerate(columns)} for r in range(count))
    if "object" in columns and all(isinstance(row.get("object"), Mapping) for row in rows):
        return Evidence(read, objects=tuple(row["object"] for row in rows), proposal=proposal)
    return Evidence(read, rows=rows, proposal=proposal)
