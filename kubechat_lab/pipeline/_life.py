"""``Lifecycle``: the order of a command's life, propose -> decide -> run or watch, over a store.

Every face (the server's handlers, ``kubechat run``, the watch route) goes through these steps,
and each state change is a compare-and-set :meth:`ProposalStore.transition` whose audit event
is appended while the claim is held: a decision is made once (of an approve and a reject
racing, one wins and the other gets :class:`ProposalConflictError`), and a proposal runs once,
as one execution or one watch. What is the face's own stays there: who is asking, what they
may approve, how a refusal is worded, HTTP or the terminal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from kubechat_lab.audit.events import WatchStartedEvent, WatchStoppedEvent
from kubechat_lab.errors import AuditError, ClusterError, PolicyViolation
from kubechat_lab.pipeline._pipeline import ResultWithheldError
from kubechat_lab.pipeline._proposal_codec import withheld_secrets
from kubechat_lab.pipeline._proposals import (
    Proposal,
    ProposalConflictError,
    ProposalNotFoundError,
    ProposalStore,
    State,
)
from kubechat_lab.policy import Level

if TYPE_CHECKING:
    from kubechat_lab.audit.events import Actor
    from kubechat_lab.cluster import Result
    from kubechat_lab.cluster._watch import TableWatch
    from kubechat_lab.pipeline._pipeline import Pipeline, Proposed
    from kubechat_lab.pipeline._plan import Plan

__all__ = ["AUTO_SAFE", "Lifecycle", "Outcome", "WatchRefusedError", "refuse_self_approval"]

logger = logging.getLogger(__name__)

#: The approver recorded for a safe command approved by policy when it is proposed.
AUTO_SAFE = "policy:auto-safe"
#: Called with what happened: ``refused``, ``approved``, ``rejected``, ``executed``, ``failed``
#: or ``audit-failure`` (a face counts them).
Outcome = Callable[[str], None]

_DECIDABLE = frozenset({State.PROPOSED})
_RUNNABLE = frozenset({State.APPROVED})
_RUNNING = frozenset({State.EXECUTING})


def refuse_self_approval(proposal: Proposal, approver: str) -> None:
    """Refuse the proposer's approval of their own two-person proposal.

    Raises
    ------
    PolicyViolation
        ``two-person-self``, naming the group whose other members may approve it.
    """
    group = proposal.plan.approvers
    if group is not None and approver == proposal.user:
        msg = (f"{proposal.text!r} needs approval by a member of {group} other than its "
               f"proposer ({proposal.user}); you cannot approve your own proposal: ask "
               f"another member of {group} (it is in their waiting-for-me list)")
        raise PolicyViolation(msg, rule_id="two-person-self")


class WatchRefusedError(PolicyViolation):
    """A watch of a resource whose objects are never streamed (secrets)."""


@dataclass(frozen=True, slots=True)
class _Draft:
    """What a face adds to a proposal beyond its plan."""

    question: str | None = None
    provider: str | None = None
    explanation: str = ""
    assumptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    conversation: str | None = None


class Lifecycle:
    """Propose, decide, execute and watch proposals kept in a :class:`ProposalStore`.

    Parameters
    ----------
    pipeline
        The flow's steps (policy, audit sink, cluster clients).
    store
        Where proposals live; transitions are compare-and-set.
    auto_approve_safe
        Approve safe commands when they are proposed (a policy approval, audited).
    outcome
        Called with each outcome (for metrics).
    """

    def __init__(self, pipeline: Pipeline, store: ProposalStore, *,
                 auto_approve_safe: bool = True, outcome: Outcome | None = None) -> None:
        self.pipeline = pipeline
        self.store = store
        self.auto_approve_safe = auto_approve_safe
        self._outcome = outcome or (lambda _: None)

    def _audited(self, step: Callable[[], int | None]) -> int | None:
        try:
            return step()
        except AuditError:
            self._outcome("audit-failure")
            raise

    # -- propose ---------------------------------------------------------------------------

    def propose(self, actor: Actor, plan: Plan, *, user: str, source: str, preview: bool,
                owner: str = "", question: str | None = None, provider: str | None = None,
                explanation: str = "", assumptions: tuple[str, ...] = (),
                notes: tuple[str, ...] = (), conversation: str | None = None,
                proposal_id: str | None = None, cached: bool = False) -> Proposal:
        """Record a judged plan, dry-run it when ``preview``, store it; approve a safe one.

        A forbidden plan is stored refused. A safe one is approved by policy (``policy:auto-
        safe``) when the lifecycle auto-approves safe commands. ``cached``: the translation
        came from the LLM answer cache (shown on the card; the plan was judged all the same).

        Raises
        ------
        AuditError
            The ``proposed`` event could not be appended: nothing is stored.
        """
        pid = proposal_id or self.store.new_id()
        try:
            proposed = self.pipeline.record_proposed(actor, plan, proposal=pid, source=source,
                                                     question=question, provider=provider)
        except AuditError:
            self._outcome("audit-failure")
            raise
        now = self.store.now()
        proposal = Proposal(
            id=pid, plan=plan, user=user, owner=owner, source=source, created=now,
            expires=now + self.store.ttl, question=question, provider=provider,
            explanation=explanation, assumptions=assumptions, notes=notes,
            audit_seqs=(proposed.seq,) if proposed.seq is not None else (),
            conversation=conversation, proposer=actor, cached=cached)
        if plan.level is Level.FORBIDDEN:
            proposal = replace(proposal, state=State.REFUSED, approver="policy")
            self._outcome("refused")
        elif preview:
            proposal = self._preview(proposed, proposal)
        self.store.add(proposal)
        if plan.level is Level.SAFE and self.auto_approve_safe:
            proposal = self.decide(actor, pid, approve=True, approver=AUTO_SAFE, via="policy")
        return proposal

    def _preview(self, proposed: Proposed, proposal: Proposal) -> Proposal:
        """Dry-run a recorded write; the preview says what would change or why it cannot."""
        try:
            result = self.pipeline.preview(proposed)
        except ClusterError as exc:
            return replace(proposal, preview={"status": "error", "message": str(exc),
                                              "code": exc.status})
        return replace(proposal, dry_run=result, preview={
            "status": "dry-run", "diff": result.diff, "result": result.to_columnar()})

    # -- decide ----------------------------------------------------------------------------

    def decide(self, actor: Actor, proposal_id: str, *, approve: bool, approver: str,
               via: str, reason: str | None = None) -> Proposal:
        """Approve or reject a proposed proposal: once, audited while the claim is held.

        Under two-person approval (the plan's ``two_person`` entry) the proposer never
        approves their own proposal, whichever face asks; that the approver belongs to the
        group is the face's to check (it knows the person's groups).

        Raises
        ------
        PolicyViolation
            The proposer approving their own two-person proposal (``two-person-self``).
        ProposalConflictError
            It was already decided (by a racing decision too), ran, or expired.
        AuditError
            The decision could not be appended: nothing changed.
        """
        def record(before: Proposal) -> int | None:
            if approve:
                refuse_self_approval(before, approver)
            return self._audited(lambda: self.pipeline.record_decision(
                actor, before.plan, proposal=proposal_id, approved=approve, approver=approver,
                reason=reason or None, proposer=before.user))

        to = State.APPROVED if approve else State.REJECTED
        done = self.store.transition(proposal_id, _DECIDABLE, to, record=record,
                                     approver=approver, decided_via=via)
        self._outcome(to.value)
        return done

    # -- run -------------------------------------------------------------------------------

    @staticmethod
    def check_runnable(proposal: Proposal) -> None:
        """Refuse to run a proposal that is not approved or is forbidden.

        Raises
        ------
        PolicyViolation
            ``not-approved``, the forbidding rule, or ``secret-values-elsewhere`` (a command
            that writes secret values, read back from the shared store by a process that does
            not hold them: they are never stored).
        """
        if proposal.state is State.PROPOSED:
            msg = (f"proposal {proposal.id} ({proposal.level}) is not approved yet; approve it "
                   "first" + (f" by typing {proposal.confirm!r} in the browser"
                              if proposal.confirm else ""))
            raise PolicyViolation(msg, rule_id="not-approved")
        if proposal.state is State.REFUSED:
            msg = f"{proposal.text!r} is forbidden by policy and never runs"
            raise PolicyViolation(msg, rule_id=(proposal.rule_ids or ("forbidden",))[0])
        if withheld_secrets(proposal.plan):
            msg = (f"proposal {proposal.id} writes secret values, which are never stored: only "
                   "the server process that proposed it holds them (it restarted, or another "
                   "process serves this request); propose the command again")
            raise PolicyViolation(msg, rule_id="secret-values-elsewhere")

    def execute(self, actor: Actor, proposal_id: str) -> tuple[Proposal, Result]:
        """Run an approved proposal once; return it (executed or failed) and its result.

        ``executing`` is appended while the claim approved -> executing is held, then the
        command runs, then ``executed`` is appended (its result digest) and the proposal
        moves on.

        Raises
        ------
        PolicyViolation
            Not approved, or forbidden.
        ProposalConflictError
            It already ran (or runs), was rejected, or expired.
        AuditError
            ``executing`` could not be appended (nothing ran; it stays approved), or
            ``executed`` could not be (:class:`ResultWithheldError`: it ran, the result is
            withheld).
        ClusterError
            The cluster refused or failed; the proposal is ``failed``.
        """
        self.check_runnable(self.store.get(proposal_id))

        def record(before: Proposal) -> int | None:
            return self._audited(lambda: self.pipeline.record_executing(
                actor, before.plan, proposal=proposal_id, approver=before.approver))

        running = self.store.transition(proposal_id, _RUNNABLE, State.EXECUTING, record=record)
        seqs: list[int] = []
        try:
            done = self.pipeline.run(actor, running.plan, proposal=proposal_id,
                                     on_seq=seqs.append)
        except ResultWithheldError:
            self._outcome("audit-failure")
            self.store.transition(proposal_id, _RUNNING, State.EXECUTED)
            self.store.add_seqs(proposal_id, *seqs)
            raise
        except ClusterError as exc:
            self._outcome("failed")
            self.store.transition(proposal_id, _RUNNING, State.FAILED, error=str(exc))
            self.store.add_seqs(proposal_id, *seqs)
            raise
        self._outcome("executed")
        self.store.transition(proposal_id, _RUNNING, State.EXECUTED, result=done.result)
        return self.store.add_seqs(proposal_id, *seqs), done.result

    # -- watch -----------------------------------------------------------------------------

    def start_watch(self, actor: Actor, proposal_id: str, *, seconds: float
                    ) -> tuple[Proposal, TableWatch]:
        """Open the watch of an approved ``get`` and claim the proposal for it (run once).

        ``watch_started`` is appended while the claim approved -> executing is held, before
        anything is read.

        Raises
        ------
        PolicyViolation
            Not approved, forbidden, or a resource never streamed
            (:class:`WatchRefusedError`).
        ProposalConflictError
            It already ran (or runs), was rejected, or expired.
        AuditError
            The start could not be appended (nothing is read; it stays approved).
        """
        from kubechat_lab.cluster._watch import NEVER_STREAMED_REASON

        current = self.store.get(proposal_id)
        self.check_runnable(current)
        plan = current.plan
        try:
            watch = self.pipeline.client(plan.target).watch(plan.command)
        except ClusterError as exc:
            if exc.reason == NEVER_STREAMED_REASON:
                raise WatchRefusedError(str(exc), rule_id="secrets-never-streamed") from exc
            raise

        def record(before: Proposal) -> int | None:
            return self._audited(lambda: self.pipeline.record(WatchStartedEvent(
                actor=actor, proposal=proposal_id, command=plan.recorded,
                context=plan.target.context, cluster=plan.target.cluster,
                namespace=plan.namespace, level=plan.level.value, approver=before.approver,
                seconds=seconds)))

        try:
            running = self.store.transition(proposal_id, _RUNNABLE, State.EXECUTING,
                                            record=record)
        except Exception:
            watch.stop()
            raise
        logger.info("kubechat watch started proposal=%s command=%r", proposal_id, plan.text)
        return running, watch

    def finish_watch(self, actor: Actor, proposal: Proposal, *, reason: str, events: int,
                     seconds: float, error: str | None) -> int | None:
        """Close a watch's proposal (executed, or failed) and audit why it stopped.

        Returns the ``watch_stopped`` seq, None when it could not be appended (logged: the
        stream has already been read, so there is nothing to withhold). The stop is audited
        even when the proposal is gone from the store (forgotten during a long watch).
        """
        try:
            self.store.transition(proposal.id, _RUNNING,
                                  State.FAILED if error else State.EXECUTED, error=error)
        except (ProposalNotFoundError, ProposalConflictError) as exc:
            logger.warning("watch of proposal=%s stopped; its proposal could not be closed: %s",
                           proposal.id, exc)
        plan = proposal.plan
        try:
            seq = self._audited(lambda: self.pipeline.record(WatchStoppedEvent(
                actor=actor, proposal=proposal.id, command=plan.recorded,
                context=plan.target.context, cluster=plan.target.cluster,
                namespace=plan.namespace, reason=reason, events=events, seconds=seconds,
                error=error)))
        except AuditError:
            logger.error("could not audit the stop of watch proposal=%s", proposal.id)
            return None
        try:
            self.store.add_seqs(proposal.id, seq)
        except ProposalNotFoundError:
            pass  # forgotten meanwhile: the seq is in the audit chain all the same
        logger.info("kubechat watch stopped proposal=%s reason=%s events=%d seconds=%.1f",
                    proposal.id, reason, events, seconds)
        return seq
