"""The flow of one command: ask/propose -> assess -> audit -> approve -> audit -> execute -> audit.

Every method is synchronous and blocking (database, Kubernetes, LLM); handlers run them in the
extension's thread pool. Every state change is appended to the audit chain *before* it takes
effect, so nothing runs unaudited: if the append fails the action does not happen and the
caller gets :class:`~kubechat_lab.errors.AuditError` (HTTP 503).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from kubechat_lab.errors import AuditError, ClusterError, CommandError, PolicyViolation
from kubechat_lab.policy import confirmation_text
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import (
    BadRequestError,
    Principal,
    Proposal,
    ProposalStore,
    State,
)

if TYPE_CHECKING:
    from kubechat_lab.command import Command
    from kubechat_lab.server._audit_log import AuditLog
    from kubechat_lab.server._clusters import ClusterPool
    from kubechat_lab.server._metrics import Metrics

__all__ = ["AssessFn", "KubechatService", "TranslateFn", "Verdict"]

logger = logging.getLogger(__name__)

MAX_QUESTION = 2000
MAX_COMMAND = 4000


@dataclass(frozen=True, slots=True)
class Verdict:
    """The policy's answer for one command, as the service uses it."""

    level: str
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]


class AssessFn(Protocol):
    """Classify a command for a user on a context."""

    def __call__(self, command: Command, *, user: str, context: str | None) -> Verdict:
        """Return the verdict."""


class TranslateFn(Protocol):
    """Turn a question into a translation, grounded on the cluster."""

    def __call__(self, question: str, *, context: str | None, user: str) -> Any:
        """Return a :class:`kubechat_lab.translate.Translation`."""


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _row_count(data: Any) -> int | None:
    """Return the number of rows of a columnar result (``None`` when it is not one)."""
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        return None
    columns = data["data"]
    return len(columns[0]) if columns else 0


def _result_json(result: Any) -> Any:
    """Return a JSON-friendly form of a cluster ``Result``."""
    to_json = getattr(result, "to_json", None)
    if to_json is None:
        return result
    data = to_json()
    if isinstance(data, bytes | str):
        return orjson.loads(data)
    return data


class KubechatService:
    """Proposals, approvals and execution, each step audited first.

    Parameters
    ----------
    audit : AuditLog
        Where events go (fail closed).
    proposals : ProposalStore
        Live proposals.
    assess : AssessFn
        The safety policy.
    translate : TranslateFn
        Question -> Translation.
    clusters : ClusterPool
        Kubernetes clients.
    metrics : Metrics
        Counters for levels and decisions.
    auto_approve_safe : bool
        Approve safe commands on proposal (policy approval, audited).
    capability_may_approve_warning : bool
        Whether a capability with the ``approve:warning`` scope may approve warning commands.
    """

    def __init__(
        self,
        *,
        audit: AuditLog,
        proposals: ProposalStore,
        assess: AssessFn,
        translate: TranslateFn,
        clusters: ClusterPool,
        metrics: Metrics,
        auto_approve_safe: bool = True,
        capability_may_approve_warning: bool = True,
        dry_run_writes: bool = True,
    ) -> None:
        self.audit = audit
        self.proposals = proposals
        self.assess = assess
        self.translate = translate
        self.clusters = clusters
        self.metrics = metrics
        self.auto_approve_safe = auto_approve_safe
        self.capability_may_approve_warning = capability_may_approve_warning
        self.dry_run_writes = dry_run_writes

    # -- helpers ---------------------------------------------------------------------------

    def _event(self, kind: str, principal: Principal, **fields: Any) -> dict[str, Any]:
        event: dict[str, Any] = {"type": kind, "time": _now_iso(), **principal.audit_fields()}
        event.update({k: v for k, v in fields.items() if v is not None})
        return event

    def _append(self, event: dict[str, Any]) -> int:
        try:
            return self.audit.append(event).seq
        except AuditError:
            self.metrics.audit_failures.inc()
            raise

    @staticmethod
    def _require(principal: Principal, scope: Scope) -> None:
        cap = principal.capability
        if principal.is_browser or cap is None:
            return
        if not cap.allows(scope):
            msg = (
                f"this capability (id {cap.id}) lacks the {scope.value!r} scope; "
                "ask the server admin for one that has it, or act in the browser"
            )
            raise PolicyViolation(msg, rule_id="capability-scope")

    # -- ask / propose ---------------------------------------------------------------------

    def ask(
        self, principal: Principal, question: str, *, context: str | None = None
    ) -> dict[str, Any]:
        """Translate a question and propose the resulting command.

        Returns ``{"translation": {...}, "proposal": {...} | None}``.
        """
        self._require(principal, Scope.ASK)
        question = question.strip()
        if not question:
            raise BadRequestError("field 'question' is empty; ask something", field="question")
        if len(question) > MAX_QUESTION:
            msg = f"field 'question' is {len(question)} characters; the limit is {MAX_QUESTION}"
            raise BadRequestError(msg, field="question")
        ctx = self.clusters.resolve_context(context)
        translation = self.translate(question, context=ctx, user=principal.user)
        command = getattr(translation, "command", None)
        to_dict = getattr(translation, "to_dict", None)
        tdict: dict[str, Any] = to_dict() if callable(to_dict) else {}
        outcome = "translated" if command is not None else "untranslated"
        seq = self._append(
            self._event(
                "ask",
                principal,
                question=question,
                provider=getattr(translation, "provider", None),
                outcome=outcome,
                command=command.render() if command is not None else None,
                context=ctx,
            )
        )
        if command is None:
            return {"translation": tdict, "proposal": None, "audit_seq": seq}
        proposal = self._propose_command(
            principal,
            command,
            context=ctx,
            source="ask",
            question=question,
            provider=getattr(translation, "provider", None),
            explanation=str(getattr(translation, "explanation", "")),
            assumptions=tuple(getattr(translation, "assumptions", ())),
            notes=tuple(getattr(translation, "notes", ())),
        )
        return {"translation": tdict, "proposal": proposal.to_dict(), "audit_seq": seq}

    def propose(self, principal: Principal, text: str, *, context: str | None = None) -> Proposal:
        """Parse a kubectl command line and propose it.

        Raises
        ------
        CommandError
            When the grammar refuses the line (audited without the raw text, which may hold a
            credential such as ``--token=...``).
        """
        from kubechat_lab.command import parse

        self._require(principal, Scope.PROPOSE)
        if not text.strip():
            msg = "field 'command' is empty; send a kubectl command"
            raise BadRequestError(msg, field="command")
        if len(text) > MAX_COMMAND:
            msg = f"field 'command' is {len(text)} characters; the limit is {MAX_COMMAND}"
            raise BadRequestError(msg, field="command")
        ctx = self.clusters.resolve_context(context)
        try:
            command = parse(text)
        except CommandError as exc:
            self._append(
                self._event(
                    "proposed",
                    principal,
                    source="propose",
                    outcome="invalid",
                    error_reason=getattr(exc, "reason", "invalid"),
                    level="forbidden",
                    context=ctx,
                )
            )
            self.metrics.levels.labels(level="invalid").inc()
            raise
        return self._propose_command(principal, command, context=ctx, source="propose")

    def _propose_command(
        self,
        principal: Principal,
        command: Command,
        *,
        context: str | None,
        source: str,
        question: str | None = None,
        provider: str | None = None,
        explanation: str = "",
        assumptions: tuple[str, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> Proposal:
        verdict = self.assess(command, user=principal.user, context=context)
        text = command.render()
        now = self.proposals.now()
        proposal = Proposal(
            id=self.proposals.new_id(),
            command=command,
            text=text,
            level=verdict.level,
            reasons=verdict.reasons,
            rule_ids=verdict.rule_ids,
            context=context,
            namespace=command.namespace,
            user=principal.user,
            source=source,
            created=now,
            expires=now + self.proposals.ttl,
            question=question,
            provider=provider,
            explanation=explanation,
            assumptions=assumptions,
            notes=notes,
            confirm=confirmation_text(command) if verdict.level == "dangerous" else None,
        )
        if verdict.level == "forbidden":
            proposal = _replace(proposal, state=State.REFUSED, approver="policy")
        elif self.dry_run_writes and command.is_write:
            proposal = _replace(proposal, preview=self._preview(principal, proposal))
        seq = self._append(
            self._event(
                "proposed",
                principal,
                proposal=proposal.id,
                source=source,
                question=question,
                provider=provider,
                command=text,
                level=verdict.level,
                reasons=list(verdict.reasons),
                rule_ids=list(verdict.rule_ids),
                context=context,
                namespace=command.namespace,
                decision="refused" if proposal.state is State.REFUSED else None,
            )
        )
        proposal = _replace(proposal, audit_seqs=(seq,))
        self.metrics.levels.labels(level=verdict.level).inc()
        if proposal.state is State.REFUSED:
            self.metrics.decisions.labels(decision="refused").inc()
        self.proposals.add(proposal)
        if verdict.level == "safe" and self.auto_approve_safe:
            proposal = self._decide(
                proposal.id, principal, approve=True, approver="policy:auto-safe", via="policy"
            )
        return proposal

    def _preview(self, principal: Principal, proposal: Proposal) -> dict[str, Any]:
        try:
            result = self.clusters.call(
                proposal.context, principal.user, lambda c: c.dry_run(proposal.command)
            )
        except ClusterError as exc:
            return {"status": "error", "message": str(exc), "code": exc.status}
        data = _result_json(result)
        return {"status": "dry-run", "diff": getattr(result, "diff", None), "result": data}

    # -- approve / reject ------------------------------------------------------------------

    def get(self, principal: Principal, proposal_id: str) -> Proposal:
        """Return a proposal."""
        self._require(principal, Scope.PROPOSE)
        return self.proposals.get(proposal_id)

    def approve(
        self, principal: Principal, proposal_id: str, *, confirm: str | None = None
    ) -> Proposal:
        """Approve a proposal, enforcing who may approve which level.

        Raises
        ------
        PolicyViolation
            Forbidden commands; dangerous ones from a capability or without the typed name;
            warning ones from a capability without the ``approve:warning`` scope.
        """
        proposal = self.proposals.get(proposal_id)
        level = proposal.level
        if level == "forbidden":
            msg = f"{proposal.text!r} is forbidden by policy: " + "; ".join(proposal.reasons)
            raise PolicyViolation(msg, rule_id=(proposal.rule_ids or ("forbidden",))[0])
        if level == "dangerous":
            if not principal.is_browser:
                msg = (
                    f"{proposal.text!r} is dangerous: only an authenticated browser request may "
                    f"approve it, by typing {proposal.confirm!r}; a kernel capability never can"
                )
                raise PolicyViolation(msg, rule_id="dangerous-needs-browser")
            if confirm is None or confirm.strip() != (proposal.confirm or ""):
                msg = (
                    f"approving a dangerous command needs field 'confirm' set to "
                    f"{proposal.confirm!r} (the target typed back)"
                )
                raise BadRequestError(msg, field="confirm")
        elif level == "warning" and not principal.is_browser:
            self._require(principal, Scope.APPROVE_WARNING)
            if not self.capability_may_approve_warning:
                msg = (
                    f"{proposal.text!r} needs approval in the browser: this server does not let "
                    "kernel capabilities approve warning-level commands"
                )
                raise PolicyViolation(msg, rule_id="warning-needs-browser")
        return self._decide(proposal_id, principal, approve=True)

    def reject(self, principal: Principal, proposal_id: str, *, reason: str = "") -> Proposal:
        """Reject a proposal (anyone who may propose may reject)."""
        self._require(principal, Scope.PROPOSE)
        return self._decide(proposal_id, principal, approve=False, reason=reason[:500])

    def _decide(
        self,
        proposal_id: str,
        principal: Principal,
        *,
        approve: bool,
        approver: str | None = None,
        via: str | None = None,
        reason: str = "",
    ) -> Proposal:
        target = State.APPROVED if approve else State.REJECTED
        expected = (State.PROPOSED,) if approve else (State.PROPOSED, State.APPROVED)
        who = approver or principal.user
        # Claim the transition first so two approvals cannot both be audited, then audit; if the
        # append fails, put the proposal back: the decision did not happen.
        before, _ = self.proposals.transition(
            proposal_id, expected, state=target, approver=who, decided_via=via or principal.via
        )
        try:
            seq = self._append(
                self._event(
                    "approved" if approve else "rejected",
                    principal,
                    proposal=proposal_id,
                    command=before.text,
                    level=before.level,
                    approver=who,
                    decision="approved" if approve else "rejected",
                    reason=reason or None,
                    context=before.context,
                    namespace=before.namespace,
                )
            )
        except AuditError:
            self.proposals.update(
                proposal_id,
                state=before.state,
                approver=before.approver,
                decided_via=before.decided_via,
            )
            raise
        self.metrics.decisions.labels(decision=target.value).inc()
        current = self.proposals.get(proposal_id)
        return self.proposals.update(proposal_id, audit_seqs=current.audit_seqs + (seq,))

    # -- execute ---------------------------------------------------------------------------

    def execute(self, principal: Principal, proposal_id: str) -> Proposal:
        """Run an approved proposal once, impersonating the proposer's mapped identity.

        The ``executing`` event is appended before the command runs and the ``executed`` event
        (result status and digest) after; if the second append fails the result is withheld
        and the caller gets the audit error.
        """
        self._require(principal, Scope.EXECUTE)
        current = self.proposals.get(proposal_id)
        if current.state is State.PROPOSED:
            msg = (
                f"proposal {proposal_id} ({current.level}) is not approved yet; approve it first"
                + (f" by typing {current.confirm!r} in the browser" if current.confirm else "")
            )
            raise PolicyViolation(msg, rule_id="not-approved")
        if current.state is State.REFUSED:
            msg = f"{current.text!r} is forbidden by policy and never runs"
            raise PolicyViolation(msg, rule_id=(current.rule_ids or ("forbidden",))[0])
        before, _ = self.proposals.transition(proposal_id, (State.APPROVED,), state=State.EXECUTING)
        try:
            start_seq = self._append(
                self._event(
                    "executing",
                    principal,
                    proposal=proposal_id,
                    command=before.text,
                    level=before.level,
                    approver=before.approver,
                    context=before.context,
                    namespace=before.namespace,
                )
            )
        except AuditError:
            self.proposals.update(proposal_id, state=State.APPROVED)
            raise
        started = time.monotonic()
        try:
            result = self.clusters.call(
                before.context, before.user, lambda c: c.execute(before.command)
            )
        except ClusterError as exc:
            self.metrics.decisions.labels(decision="failed").inc()
            failed = self.proposals.update(
                proposal_id,
                state=State.FAILED,
                error=str(exc),
                audit_seqs=before.audit_seqs + (start_seq,),
            )
            try:
                seq = self._append(
                    self._event(
                        "executed",
                        principal,
                        proposal=proposal_id,
                        command=before.text,
                        status="error",
                        error=str(exc)[:500],
                        error_code=exc.status,
                        context=before.context,
                        namespace=before.namespace,
                        seconds=round(time.monotonic() - started, 4),
                    )
                )
                self.proposals.update(proposal_id, audit_seqs=failed.audit_seqs + (seq,))
            except AuditError:
                logger.error("could not audit the failure of proposal=%s", proposal_id)
            raise
        data = _result_json(result)
        digest = hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()
        status = str(getattr(result, "status", "ok"))
        executed = self.proposals.update(
            proposal_id, state=State.EXECUTED, audit_seqs=before.audit_seqs + (start_seq,)
        )
        seq = self._append(
            self._event(
                "executed",
                principal,
                proposal=proposal_id,
                command=before.text,
                status=status,
                result_digest="sha256:" + digest,
                rows=_row_count(data),
                context=before.context,
                namespace=before.namespace,
                seconds=round(time.monotonic() - started, 4),
            )
        )
        self.metrics.decisions.labels(decision="executed").inc()
        return self.proposals.update(
            proposal_id, result=data, audit_seqs=executed.audit_seqs + (seq,)
        )


def _replace(proposal: Proposal, **changes: Any) -> Proposal:
    return dataclasses.replace(proposal, **changes)
