"""Investigations: one object, a plan of safe reads for its kind and state, findings.

:func:`route_why` says whether a question is one, :func:`plan_more` picks the reads,
:func:`investigate` runs them round by round (through a caller-given function, which the
server binds to the audited pipeline), :func:`analyze` turns the evidence into
:class:`Finding` values, and :func:`to_notebook` writes the runbook.
Pure Python: nothing here talks to a cluster or a server by itself.
"""

from __future__ import annotations

from kubechat_lab.investigate._analyze import analyze
from kubechat_lab.investigate._model import (
    KINDS,
    Evidence,
    Finding,
    InvestigateError,
    Read,
    Subject,
    evidence_from_result,
)
from kubechat_lab.investigate._notebook import to_notebook
from kubechat_lab.investigate._plan import plan_more
from kubechat_lab.investigate._resolve import resolve_subject, target_text
from kubechat_lab.investigate._route import WhyRoute, is_why_question, route_why
from kubechat_lab.investigate._run import Investigation, RunRead, investigate

__all__ = [
    "KINDS",
    "Evidence",
    "Finding",
    "InvestigateError",
    "Investigation",
    "Read",
    "RunRead",
    "Subject",
    "WhyRoute",
    "analyze",
    "evidence_from_result",
    "investigate",
    "is_why_question",
    "plan_more",
    "resolve_subject",
    "route_why",
    "target_text",
    "to_notebook",
]
