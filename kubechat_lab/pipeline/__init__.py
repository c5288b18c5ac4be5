"""One flow for every face: resolve, parse or translate, make explicit, judge, audit, run.

Resolve the context first, parse or translate, make every default explicit, judge, gate
approvals, audit, preview and execute.
:class:`Lifecycle` keeps the order of a command's life (propose, decide, run, watch) over a
:class:`ProposalStore` whose transitions are compare-and-set.

The server (HTTP), its watch route and ``kubechat run`` (the terminal) are thin faces over
:class:`Lifecycle`; the same command gets the same canonical text, level and reasons from all.
"""

from __future__ import annotations

from kubechat_lab.pipeline._explicit import BLOCKING_DEFAULTS, blocking_seconds, uses_namespace
from kubechat_lab.pipeline._gate import Authority, Denial, Refusal, check_approval
from kubechat_lab.pipeline._grounding import Grounding
from kubechat_lab.pipeline._life import AUTO_SAFE, Lifecycle, Outcome, WatchRefusedError
from kubechat_lab.pipeline._pg_proposals import PgProposalStore, Transactional
from kubechat_lab.pipeline._pipeline import (
    AuditSink,
    Execution,
    Pipeline,
    Proposed,
    ResultWithheldError,
    TranslateFn,
    digest_result,
)
from kubechat_lab.pipeline._plan import Limits, Plan, make_plan
from kubechat_lab.pipeline._proposals import (
    LIVE,
    MemoryProposalStore,
    Proposal,
    ProposalConflictError,
    ProposalNotFoundError,
    ProposalStore,
    Recorder,
    State,
)
from kubechat_lab.pipeline._target import ClientSource, Identity, Target, resolve_target

__all__ = [
    "AUTO_SAFE",
    "BLOCKING_DEFAULTS",
    "LIVE",
    "AuditSink",
    "Authority",
    "ClientSource",
    "Denial",
    "Execution",
    "Grounding",
    "Identity",
    "Lifecycle",
    "Limits",
    "MemoryProposalStore",
    "Outcome",
    "PgProposalStore",
    "Pipeline",
    "Plan",
    "Proposal",
    "ProposalConflictError",
    "ProposalNotFoundError",
    "ProposalStore",
    "Proposed",
    "Recorder",
    "Refusal",
    "ResultWithheldError",
    "State",
    "Target",
    "Transactional",
    "TranslateFn",
    "WatchRefusedError",
    "blocking_seconds",
    "check_approval",
    "digest_result",
    "make_plan",
    "resolve_target",
    "uses_namespace",
]
