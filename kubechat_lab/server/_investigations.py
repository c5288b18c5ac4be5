"""The server face of investigations: resolve the object, run each read as a proposal.

Every read of the plan is proposed and executed through :class:`KubechatService` exactly
like a typed ``%kubectl`` line (parsed, judged by the policy, audited, run as the caller's
Kubernetes identity). A read the policy does not approve at once is not run: its evidence
says so and the findings stand without it. Nothing here writes to the cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import ClusterError, CommandError, PolicyViolation, TranslateError
from kubechat_lab.investigate import (
    Evidence,
    Finding,
    InvestigateError,
    Investigation,
    Read,
    evidence_from_result,
    investigate,
    resolve_subject,
    to_notebook,
)
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import BadRequestError, State

if TYPE_CHECKING:
    from kubechat_lab.pipeline import Target
    from kubechat_lab.server._proposals import Principal
    from kubechat_lab.server._service import KubechatService

__all__ = ["MAX_NEXT", "MAX_TARGET", "Complete", "llm_summary", "run_investigation"]

#: Sends chat messages to the configured model and returns its raw answer (None: no model).
Complete = Callable[[list[dict[str, str]]], "str | None"]

logger = logging.getLogger(__name__)

#: Characters of the object or question an investigation names.
MAX_TARGET = 2000
#: Next commands offered (judged, not proposed), at most.
MAX_NEXT = 5


def _judged_next(service: KubechatService, target: Target, findings: tuple[Finding, ...]
                 ) -> list[dict[str, Any]]:
    """Return the findings' next commands made explicit and judged, as a choice card offers.

    Nothing is proposed or audited: a person picks one and it is proposed like any typed
    command (a write waits for its approval).
    """
    offers = ((f.next_command, f.title) for f in findings if f.next_command is not None)
    return service.judged_offers(offers, target, limit=MAX_NEXT)


def llm_summary(inv: Investigation, complete: Complete | None) -> dict[str, Any] | None:
    """Return ``{"label", "text"}``: the model's summary of the evidence, or None without one.

    The prompt holds the findings and the evidence rows only (credential-looking values
    redacted, cluster text fenced as untrusted data; see
    :mod:`kubechat_lab.investigate._summary`). The answer is plain text: nothing in it is
    proposed or run. A model that fails gives ``{"label", "text": None, "error"}``; the
    findings stand alone.
    """
    from kubechat_lab.investigate._summary import SUMMARY_LABEL, read_summary, summary_messages

    if complete is None or not inv.evidence:
        return None
    try:
        raw = complete(summary_messages(inv))
    except TranslateError as exc:
        logger.info("investigation summary failed: %s", exc)
        return {"label": SUMMARY_LABEL, "text": None, "error": str(exc)}
    if raw is None:
        return None
    return {"label": SUMMARY_LABEL, "text": read_summary(raw) or None}


def run_investigation(service: KubechatService, principal: Principal, target: str, *,
                      context: str | None = None, complete: Complete | None = None
                      ) -> dict[str, Any]:
    """Investigate the one object ``target`` names; return the investigation and its notebook.

    ``complete`` is the configured language model, when there is one: it adds ``summary``
    (see :func:`llm_summary`); without it ``summary`` is None and the findings stand alone.

    Raises
    ------
    BadRequestError
        The text names no object, or more than one (``invalid-target``).
    AuditError
        A read could not be audited (it did not run; nothing more runs).
    ClusterError
        The objects could not be listed to find the one named.
    """
    service.require(principal, Scope.PROPOSE)
    service.require(principal, Scope.EXECUTE)
    text = target.strip()
    if not text:
        raise BadRequestError("field 'target' is empty; name an object, e.g. "
                              "deployment/checkout -n shop", field="target")
    resolved = service.target(principal, context)
    # A fresh inventory, listed as the caller (RBAC applies): in an incident pods come and go
    # faster than the translation grounding's cache, and a name must not resolve to an
    # object that was replaced a moment ago.
    listed = service.pipeline.client(resolved).inventory()  # ClusterError: the cluster's reply
    inventory = {kind: tuple((ns or "", name) for ns, name in pairs)
                 for kind, pairs in listed.objects.items()}
    try:
        subject = resolve_subject(text, inventory, listed.namespaces, resolved.namespace)
    except InvestigateError as exc:
        raise BadRequestError(str(exc), field="target") from exc

    def run_read(read: Read) -> Evidence:
        try:
            proposal = service.propose(principal, read.command, context=context)
        except CommandError as exc:
            return Evidence(read, error=f"the grammar refused it: {exc}")
        shown = Read(read.step, proposal.text)
        if proposal.state is not State.APPROVED:
            return Evidence(shown, proposal=proposal.id, error=(
                f"not run: the policy judged it {proposal.level} ({'; '.join(proposal.reasons)})"
                f", so it waits for approval as proposal {proposal.id}"))
        try:
            done = service.execute(principal, proposal.id)
        except (ClusterError, PolicyViolation) as exc:
            return Evidence(shown, proposal=proposal.id, error=str(exc))
        found = done.result.to_columnar() if done.result is not None else {}
        return evidence_from_result(shown, found, proposal=proposal.id)

    inv = investigate(subject, run_read, question=text)
    logger.info("investigation of %s by %s: %d reads, %d findings", subject.label,
                principal.user, len(inv.evidence), len(inv.findings))
    out = inv.to_dict()
    out["context"] = resolved.context
    out["next"] = _judged_next(service, resolved, inv.findings)
    out["notebook"] = to_notebook(inv)
    out["summary"] = llm_summary(inv, complete)
    return out
