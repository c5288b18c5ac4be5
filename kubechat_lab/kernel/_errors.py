"""Map the server's JSON error replies (and transport failures) to kubechat's typed errors.

The server answers every error as ``{"message", "reason"}`` with one status mapping
(``server/_errors.py``); here each one becomes the class a caller would catch, keeping the
server's message (which already says what to do) and adding the kernel-side fix where the
server cannot know it.
"""

from __future__ import annotations

from typing import Any

import httpx

from kubechat_lab.errors import (
    ApprovalRequired,
    AuditError,
    CapabilityRejected,
    ClusterError,
    CommandError,
    KubechatError,
    PolicyViolation,
    ServerUnreachable,
    ServiceError,
    TranslateError,
)

__all__ = ["error_from_reply", "unreachable"]

_CAPABILITY_REASONS = frozenset({"capability-invalid", "capability-scope", "unauthenticated"})
#: The server's cluster reasons (``server/_errors.py``) and the Kubernetes reason each is.
_CLUSTER_REASONS = {
    "cluster-bad-request": "BadRequest",
    "cluster-forbidden": "Forbidden",
    "cluster-not-found": "NotFound",
    "cluster-conflict": "Conflict",
    "cluster-invalid": "Invalid",
    "cluster-error": "InternalError",
    "cluster-unreachable": "Unreachable",
    "cluster-timeout": "Timeout",
}


def error_from_reply(status: int, body: Any, *, url: str, proposal_id: str | None = None
                     ) -> KubechatError:
    """Return the typed error for an HTTP error reply of the kubechat API.

    Parameters
    ----------
    status
        The HTTP status.
    body
        The decoded JSON body (``{"message", "reason"}``), or anything else for a non-kubechat
        reply (a proxy's HTML page).
    url
        The URL called (named in messages about a reply that is not kubechat's).
    proposal_id
        The proposal the call was about, if any (kept on :class:`ApprovalRequired`).
    """
    if not isinstance(body, dict) or "message" not in body:
        return ServiceError(
            f"{url} answered HTTP {status} without a kubechat error body; is KUBECHAT_URL the "
            "Jupyter server running the kubechat_lab extension?",
            status=status,
            reason="not-kubechat",
        )
    message = str(body.get("message") or f"HTTP {status}")
    reason = str(body.get("reason") or "")
    if status == 403 and reason in _CAPABILITY_REASONS:
        return CapabilityRejected(
            f"{message} (the capability comes from KUBECHAT_CAPABILITY, set when the kernel "
            "started; a script gets one from `kubechat token`)",
            status=status,
            reason=reason,
        )
    if reason in _CLUSTER_REASONS:
        return ClusterError(message, status=status, reason=_CLUSTER_REASONS[reason])
    if status == 403 and reason == "not-approved" and proposal_id is not None:
        return ApprovalRequired(message, proposal_id=proposal_id, status=status, reason=reason)
    if status == 403:
        return PolicyViolation(message, rule_id=reason or "forbidden")
    if status == 400 and reason and not reason.startswith("invalid-"):
        return CommandError(message, reason=reason)
    if reason == "audit-unavailable":
        return AuditError(message)
    if reason.startswith("translate-"):
        return TranslateError(message)
    return ServiceError(message, status=status, reason=reason)


def unreachable(url: str, exc: httpx.HTTPError) -> ServerUnreachable:
    """Return the error for a request that got no HTTP answer at all."""
    if isinstance(exc, httpx.TimeoutException):
        what = f"did not answer in time ({type(exc).__name__})"
        reason = "timeout"
    else:
        what = f"could not be reached ({type(exc).__name__}: {exc})"
        reason = "unreachable"
    return ServerUnreachable(
        f"the kubechat server at {url} {what}; check that the Jupyter server that started this "
        "kernel is still running (KUBECHAT_URL), or pass url= for a server of your own",
        status=0,
        reason=reason,
    )
