"""The one place that maps kubechat errors to HTTP status codes and JSON messages.

Every reply carries a machine ``reason`` that says which kind of thing failed, so a client
never reads the message: a missing proposal is ``proposal-not-found``, a missing cluster object
``cluster-not-found``; a proposal in the wrong state is ``proposal-conflict``, a cluster
conflict ``cluster-conflict``. ``kernel/_errors.py`` maps these reasons back to typed errors.
"""

from __future__ import annotations

import concurrent.futures

from kubechat_lab.errors import (
    AuditError,
    ClusterError,
    CommandError,
    KubechatError,
    PolicyViolation,
    TranslateError,
    TranslateTimeoutError,
)
from kubechat_lab.server._proposals import (
    BadRequestError,
    BusyError,
    ProposalConflictError,
    ProposalNotFoundError,
)

__all__ = ["CLUSTER_REASONS", "ErrorReply", "map_error"]

#: (HTTP status, short machine reason, human message)
ErrorReply = tuple[int, str, str]

#: Cluster statuses passed through as they are, with their reason.
_CLUSTER_PASSTHROUGH = {
    400: "cluster-bad-request",
    403: "cluster-forbidden",
    404: "cluster-not-found",
    409: "cluster-conflict",
    422: "cluster-invalid",
}
#: Every reason a :class:`ClusterError` crosses the boundary with.
CLUSTER_REASONS = frozenset({*_CLUSTER_PASSTHROUGH.values(), "cluster-timeout",
                             "cluster-unreachable", "cluster-error"})


def map_error(exc: BaseException) -> ErrorReply:
    """Return the HTTP reply for ``exc``.

    ``CommandError`` and bad fields 400, ``PolicyViolation`` 403, a missing proposal 404, a
    state conflict 409, too many long-running requests of one user 429, the audit store down
    503 (nothing ran), translator/cluster failures 502/503 (or the cluster's own
    403/404/409), timeouts 504. Anything else is a bug: 500 with a
    generic message (the traceback goes to the server log only).
    """
    if isinstance(exc, BadRequestError):
        return 400, f"invalid-{exc.field}", str(exc)
    if isinstance(exc, CommandError):
        return 400, exc.reason, str(exc)
    if isinstance(exc, PolicyViolation):
        return 403, exc.rule_id, str(exc)
    if isinstance(exc, ProposalNotFoundError):
        return 404, ProposalNotFoundError.reason, str(exc)
    if isinstance(exc, ProposalConflictError):
        return 409, ProposalConflictError.reason, str(exc)
    if isinstance(exc, BusyError):
        return 429, "busy", str(exc)
    if isinstance(exc, AuditError):
        msg = (
            f"the audit log is unavailable, so nothing was done: {exc}. "
            "Retry once the audit database is back."
        )
        return 503, "audit-unavailable", msg
    if isinstance(exc, ClusterError):
        if exc.status in _CLUSTER_PASSTHROUGH:
            return exc.status, _CLUSTER_PASSTHROUGH[exc.status], str(exc)
        if exc.status in (408, 504) or exc.reason == "Timeout":
            return 504, "cluster-timeout", str(exc)
        if exc.status == 0:
            return 503, "cluster-unreachable", str(exc)
        return 502, "cluster-error", str(exc)
    if isinstance(exc, TranslateTimeoutError):
        return 504, "translate-timeout", str(exc)
    if isinstance(exc, TranslateError):
        return 502, "translate-error", str(exc)
    if isinstance(exc, TimeoutError | concurrent.futures.TimeoutError):
        return 504, "timeout", "the operation timed out; retry later"
    if isinstance(exc, KubechatError):
        return 502, "upstream-error", str(exc)
    return 500, "internal-error", "internal server error; see the server log"
