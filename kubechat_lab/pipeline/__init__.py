"""One flow for every face: resolve, parse or translate, make explicit, judge, audit, run.

Resolve the context first, parse or translate, make every default explicit, judge, gate
approvals, audit, preview and execute (issue 9).

The server (proposal state, HTTP) and ``kubechat run`` (the terminal) are thin faces over
:class:`Pipeline`; the same command gets the same canonical text, level and reasons from both.
"""

from __future__ import annotations

from kubechat_lab.pipeline._explicit import BLOCKING_DEFAULTS, blocking_seconds, uses_namespace
from kubechat_lab.pipeline._gate import Authority, Denial, Refusal, check_approval
from kubechat_lab.pipeline._grounding import Grounding
from kubechat_lab.pipeline._pipeline import (
    AuditSink,
    Execution,
    Pipeline,
    Proposed,
    ResultWithheldError,
    TranslateFn,
)
from kubechat_lab.pipeline._plan import Limits, Plan, make_plan
from kubechat_lab.pipeline._target import ClientSource, Identity, Target, resolve_target

__all__ = [
    "BLOCKING_DEFAULTS",
    "AuditSink",
    "Authority",
    "ClientSource",
    "Denial",
    "Execution",
    "Grounding",
    "Identity",
    "Limits",
    "Pipeline",
    "Plan",
    "Proposed",
    "Refusal",
    "ResultWithheldError",
    "Target",
    "TranslateFn",
    "blocking_seconds",
    "check_approval",
    "make_plan",
    "resolve_target",
    "uses_namespace",
]
