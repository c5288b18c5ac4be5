"""Run an investigation: plan, run each round's reads together, analyze."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from kubechat_lab.investigate._analyze import analyze
from kubechat_lab.investigate._model import Evidence, Finding, Read, Subject
from kubechat_lab.investigate._plan import MAX_ROUNDS, plan_more

__all__ = ["Investigation", "RunRead", "investigate"]

#: Runs one read (through the pipeline, audited) and returns what it gave; never raises for
#: a read the policy or the cluster refused (that is an :class:`Evidence` with ``error``).
RunRead = Callable[[Read], Evidence]

#: Reads one round runs in parallel, at most.
PARALLEL = 6


@dataclass(frozen=True, slots=True)
class Investigation:
    """A finished investigation: the subject, every read in order, and the findings."""

    subject: Subject
    evidence: tuple[Evidence, ...]
    findings: tuple[Finding, ...]
    seconds: float = 0.0
    question: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (what the REST route returns, with the notebook added there)."""
        return {"subject": self.subject.to_dict(), "question": self.question,
                "reads": [e.to_dict() for e in self.evidence],
                "findings": [f.to_dict() for f in self.findings],
                "summary": None, "seconds": round(self.seconds, 3)}


def investigate(subject: Subject, run_read: RunRead, *, question: str | None = None
                ) -> Investigation:
    """Plan, run every round's reads together (at most :data:`MAX_ROUNDS`), then analyze."""
    started = time.monotonic()
    evidence: list[Evidence] = []
    with ThreadPoolExecutor(max_workers=PARALLEL, thread_name_prefix="investigate") as pool:
        for _ in range(MAX_ROUNDS):
            reads = plan_more(subject, evidence)
            if not reads:
                break
            evidence.extend(pool.map(run_read, reads))
    return Investigation(subject, tuple(evidence), analyze(subject, evidence),
                         time.monotonic() - started, question)
