"""The server face of the pipeline: who asks, what they may see and approve, over HTTP handlers.

Every method is synchronous and blocking (database, Kubernetes, LLM); handlers run them in the
extension's thread pools. The flow (resolve, parse or translate, make explicit, judge, audit,
preview, execute) is :class:`kubechat_lab.pipeline.Pipeline`'s and the order of a proposal's
life (propose, decide, run, watch) is :class:`kubechat_lab.pipeline.Lifecycle`'s; this class
keeps what is the server's own: who may see and act on a proposal (its proposer, or an
approver), approvals by channel (``server/_approvals.py``), conversations and metrics. Every
state change is appended to the audit chain *before* it takes effect: if the append fails the
action does not happen and the caller gets :class:`~kubechat_lab.errors.AuditError` (HTTP 503).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kubechat_lab.audit.events import AskEvent
from kubechat_lab.command import redact_command, redact_text
from kubechat_lab.errors import AuditError, CommandError, PolicyViolation
from kubechat_lab.pipeline import Lifecycle
from kubechat_lab.pipeline._life import refuse_self_approval
from kubechat_lab.policy import Level
from kubechat_lab.server._approvals import refuse_approval
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import (
    BadRequestError,
    Principal,
    Proposal,
    ProposalNotFoundError,
    ProposalStore,
)
from kubechat_lab.server._why import why_reply

if TYPE_CHECKING:
    from kubechat_lab.command import Command
    from kubechat_lab.pipeline import Identity, Pipeline, Plan, Target
    from kubechat_lab.server._clusters import ClusterPool
    from kubechat_lab.server._conversations import ConversationStore
    from kubechat_lab.server._metrics import Metrics
    from kubechat_lab.server._pg_conversations import PgConversationStore
    from kubechat_lab.translate import Translation

__all__ = ["KubechatService"]

logger = logging.getLogger(__name__)

MAX_QUESTION = 2000
MAX_COMMAND = 4000
#: Characters of an inline manifest (``-f -``) a proposal may carry.
MAX_MANIFEST = 1_000_000


class KubechatService:
    """Proposals, approvals and execution for the server's users, each step audited first.

    Parameters
    ----------
    pipeline : Pipeline
        The one flow (policy, audit sink, cluster clients, translator).
    proposals : ProposalStore
        Live proposals.
    clusters : ClusterPool
        Which contexts a request may name.
    metrics : Metrics
        Counters for levels and decisions.
    conversations : ConversationStore
        Recent turns per (user, conversation).
    identity_for : callable
        Jupyter user -> the Kubernetes identity their commands run as.
    auto_approve_safe : bool
        Approve safe commands on proposal (policy approval, audited).
    capability_may_approve_warning : bool
        Whether a capability with the ``approve:warning`` scope may approve warning commands.
    dry_run_writes : bool
        Preview writes with a server-side dry run.
    approvers : iterable of str
        Jupyter users who may see, approve, reject and run everyone's proposals.
    on_page_levels : iterable of str
        Levels approved only on the approval page (``approve_on_page_levels``).
    page_url : callable, optional
        Proposal id -> the link that opens its approval page from JupyterLab.
    groups : mapping of str to iterable of str, optional
        Group -> its members (``c.KubechatApp.groups``), added to the groups the identity
        provider gives a person; a two-person proposal's approver is a member of its group.
    """

    def __init__(self, *, pipeline: Pipeline, proposals: ProposalStore, clusters: ClusterPool,
                 metrics: Metrics, conversations: ConversationStore | PgConversationStore,
                 identity_for: Callable[[str], Identity], auto_approve_safe: bool = True,
                 capability_may_approve_warning: bool = True, dry_run_writes: bool = True,
                 approvers: Iterable[str] = (), on_page_levels: Iterable[str] = ("dangerous",),
                 page_url: Callable[[str], str] | None = None,
                 groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self.pipeline = pipeline
        self.proposals = proposals
        self.clusters = clusters
        self.metrics = metrics
        self.conversations = conversations
        self.identity_for = identity_for
        self.auto_approve_safe = auto_approve_safe
        self.capability_may_approve_warning = capability_may_approve_warning
        self.dry_run_writes = dry_run_writes
        self.approvers = frozenset(approvers)
        self.on_page_levels = frozenset(on_page_levels) | {"dangerous"}
        self.page_url = page_url
        self.groups = {group: frozenset(members) for group, members in (groups or {}).items()}
        self.life = Lifecycle(pipeline, proposals, auto_approve_safe=auto_approve_safe,
                              outcome=self._count)

    def view(self, proposal: Proposal, principal: Principal | None = None) -> dict[str, Any]:
        """Return a proposal's JSON form plus ``approval_page`` and ``waiting_for_me``.

        ``approval_page`` is the link (on the JupyterLab origin, relative to ``base_url``)
        that opens its approval page, for a proposal still waiting whose level is approved
        there; otherwise None. ``waiting_for_me`` says whether it waits for ``principal``'s
        decision (:meth:`waits_for`; False without a principal).
        """
        out = proposal.to_dict()
        waiting = proposal.state.value == "proposed" and proposal.level in self.on_page_levels
        out["approval_page"] = (self.page_url(proposal.id)
                                if waiting and self.page_url is not None else None)
        out["waiting_for_me"] = principal is not None and self.waits_for(principal, proposal)
        return out

    # -- two-person approval ---------------------------------------------------------------

    def member_groups(self, principal: Principal) -> frozenset[str]:
        """Return the groups of a person: the identity provider's and ``c.KubechatApp.groups``.

        A capability (a kernel, a script, an agent) is in no group: it is not a person.
        """
        if principal.capability is not None or principal.is_agent:
            return frozenset()
        configured = {g for g, members in self.groups.items() if principal.user in members}
        return frozenset(principal.groups) | configured

    def second_person(self, principal: Principal, proposal: Proposal) -> bool:
        """Return whether ``principal`` is a person who may approve a two-person proposal.

        A member of its ``approvers`` group other than its proposer; never a capability.
        """
        group = proposal.plan.approvers
        return (group is not None and principal.user != proposal.user
                and group in self.member_groups(principal))

    def may_see(self, principal: Principal, proposal: Proposal) -> bool:
        """:meth:`Principal.may_see`, or a second person of a two-person proposal."""
        return (principal.may_see(proposal, self.approvers)
                or self.second_person(principal, proposal))

    def waits_for(self, principal: Principal, proposal: Proposal) -> bool:
        """Return whether a proposal still waiting may be approved by ``principal``, a person.

        A two-person proposal waits for the members of its group other than its proposer;
        any other for its proposer and the server's approvers. Whether the level is approved
        here or on the approval page does not matter: it waits for the same people.
        """
        if proposal.state.value != "proposed" or proposal.level == "forbidden":
            return False
        if principal.capability is not None or principal.is_agent:
            return False
        if proposal.plan.approvers is not None:
            return self.second_person(principal, proposal)
        return proposal.user == principal.user or principal.user in self.approvers

    def refuse_two_person(self, principal: Principal, proposal: Proposal) -> None:
        """Refuse an approval the proposal's ``two_person`` entry does not allow.

        Raises
        ------
        PolicyViolation
            A capability or agent (``two-person-needs-person``), the proposer
            (``two-person-self``), or a person outside the group (``two-person-group``).
        """
        group = proposal.plan.approvers
        if group is None:
            return
        text = proposal.text
        if principal.capability is not None or principal.is_agent:
            msg = (f"{text!r} needs approval by a person in {group}; a kernel, script or "
                   "agent never approves it")
            raise PolicyViolation(msg, rule_id="two-person-needs-person")
        refuse_self_approval(proposal, principal.user)
        if group not in self.member_groups(principal):
            msg = (f"{text!r} needs approval by a member of {group} other than its proposer "
                   f"({proposal.user}); {principal.user} is not in {group} (groups come from "
                   "the hub and c.KubechatApp.groups): ask a member of it")
            raise PolicyViolation(msg, rule_id="two-person-group")

    def _count(self, outcome: str) -> None:
        if outcome == "audit-failure":
            self.metrics.audit_failures.inc()
        else:
            self.metrics.decisions.labels(decision=outcome).inc()

    # -- helpers ---------------------------------------------------------------------------

    def record(self, event: Any) -> int | None:
        """Append a typed audit event (fail closed), counting failures."""
        try:
            return self.pipeline.record(event)
        except AuditError:
            self.metrics.audit_failures.inc()
            raise

    @staticmethod
    def require(principal: Principal, scope: Scope) -> None:
        """Refuse a capability that lacks ``scope`` (browser requests pass)."""
        cap = principal.capability
        if principal.is_browser or cap is None:
            return
        if not cap.allows(scope):
            msg = (
                f"this capability (id {cap.id}) lacks the {scope.value!r} scope; "
                "ask the server admin for one that has it, or act in the browser"
            )
            raise PolicyViolation(msg, rule_id="capability-scope")

    def owned(self, principal: Principal, proposal_id: str) -> Proposal:
        """Return a proposal ``principal`` may see (:meth:`may_see`).

        Its proposer's pages and the owner that made it (a kernel sees its own alone), an
        approver's pages, or for a two-person proposal the pages of its group's members.

        Raises
        ------
        ProposalNotFoundError
            For everyone else, with the same answer as for an id that never existed.
        """
        found = self.proposals.get(proposal_id)
        if not self.may_see(principal, found):
            raise ProposalNotFoundError.unknown(proposal_id)
        return found

    def target(self, principal: Principal, context: str | None) -> Target:
        """Resolve the context a request names, for the principal's Kubernetes identity."""
        ctx = self.clusters.resolve_context(context)
        identity = self.identity_for(principal.user)
        return self.pipeline.resolve(ctx, user=principal.user, identity=identity)

    # -- ask / propose ---------------------------------------------------------------------

    def ask(self, principal: Principal, question: str, *, context: str | None = None,
            conversation: str | None = None) -> dict[str, Any]:
        """Translate a question and propose the resulting command.

        Returns ``{"translation": {...}, "proposal": {...} | None, "choices": [...],
        "audit_seq": int}``. When the translator was unsure and offered readings instead of a
        command, ``choices`` holds them made explicit and judged like a proposal (see
        :meth:`judged_choices`); nothing is proposed for them until a person picks one and
        proposes it like any typed command. A why-question about one object comes back as an
        ``investigate`` marker instead (see :func:`kubechat_lab.server._why.why_reply`).
        """
        from kubechat_lab.translate import Turn

        self.require(principal, Scope.ASK)
        question = question.strip()
        if not question:
            raise BadRequestError("field 'question' is empty; ask something", field="question")
        if len(question) > MAX_QUESTION:
            msg = f"field 'question' is {len(question)} characters; the limit is {MAX_QUESTION}"
            raise BadRequestError(msg, field="question")
        target = self.target(principal, context)
        # "why is X pending": an investigation of X, not one read (server/_why.py)
        routed = why_reply(self, principal, question, target, conversation=conversation)
        if routed is not None:
            self.conversations.add(principal.owner, conversation,
                                   Turn(redact_text(question), None))
            return routed
        previous = self.conversations.previous(principal.owner, conversation)
        translation: Translation = self.pipeline.translate(question, target, previous=previous)
        plan = None
        if translation.command is not None:
            plan = self.pipeline.plan(translation.command, target)
        seq = self.record(AskEvent(
            actor=principal.actor(target.identity),
            question=plan.command.redact(question) if plan is not None else redact_text(question),
            provider=translation.provider,
            outcome="translated" if plan is not None else "untranslated",
            command=plan.recorded if plan is not None else None, context=target.context,
            cluster=target.cluster, conversation=conversation,
            cached=True if translation.cached else None))
        out: dict[str, Any] = {"translation": translation.to_dict(), "proposal": None,
                               "choices": [], "audit_seq": seq}
        if plan is None:
            out["choices"] = self.judged_choices(translation, target)
            self.conversations.add(principal.owner, conversation,
                                   Turn(redact_text(question), None))
            return out
        proposal = self._propose_plan(
            principal, plan, source="ask", question=question, provider=translation.provider,
            explanation=translation.explanation, assumptions=translation.assumptions,
            notes=translation.notes, conversation=conversation, cached=translation.cached)
        # The conversation keeps the turn without secret values: a follow-up that reuses them
        # carries <redacted>, which make_plan refuses.
        self.conversations.add(principal.owner, conversation,
                               Turn(plan.command.redact(question), redact_command(plan.command)),
                               proposal.id)
        out["proposal"] = self.view(proposal, principal)
        return out

    def judged_choices(self, translation: Translation, target: Target) -> list[dict[str, Any]]:
        """Return the readings a refusal offers, each made explicit and judged for ``target``.

        See :meth:`judged_offers`; a refusal offers at most ``MAX_CHOICES``.
        """
        from kubechat_lab.translate import MAX_CHOICES

        return self.judged_offers(((c.command, c.why) for c in translation.choices), target,
                                  limit=MAX_CHOICES)

    def judged_offers(self, offers: Iterable[tuple[str | Command, str]], target: Target, *,
                      limit: int) -> list[dict[str, Any]]:
        """Return commands offered to a person, each made explicit and judged for ``target``.

        Each is ``{"command", "display", "level", "reasons", "assumptions", "why"}`` exactly as
        its proposal would show it (``-n`` and ``--context=NAME`` explicit). Nothing is
        audited: an offer is only an offer until a person proposes it. One the policy forbids
        is left out (picking it could only be refused), as is one the grammar refuses for this
        cluster (an unknown resource); two that become the same command are offered once.
        """
        offered: list[dict[str, Any]] = []
        seen: set[str] = set()
        for command, why in offers:
            try:
                plan = self.pipeline.plan(command, target)
            except CommandError as exc:
                logger.debug("offer %s left out: %s", command, exc)
                continue
            if plan.level is Level.FORBIDDEN or plan.text in seen:
                continue
            seen.add(plan.text)
            offered.append({"command": plan.text, "display": plan.display,
                            "level": plan.level.value, "reasons": list(plan.reasons),
                            "assumptions": list(plan.assumptions), "why": why})
            if len(offered) == limit:
                break
        return offered

    def propose(self, principal: Principal, text: str, *, context: str | None = None,
                manifest: str | None = None) -> Proposal:
        """Parse a kubectl command line (and the manifest its ``-f -`` sends) and propose it.

        Raises
        ------
        CommandError
            When the grammar refuses the line (audited without the raw text, which may hold a
            credential such as ``--token=...``).
        """
        self.require(principal, Scope.PROPOSE)
        if not text.strip():
            msg = "field 'command' is empty; send a kubectl command"
            raise BadRequestError(msg, field="command")
        if len(text) > MAX_COMMAND:
            msg = f"field 'command' is {len(text)} characters; the limit is {MAX_COMMAND}"
            raise BadRequestError(msg, field="command")
        target = self.target(principal, context)
        try:
            plan = self.pipeline.plan(text, target, manifest=manifest)
        except CommandError as exc:
            self.record_invalid(principal, target, exc)
            raise
        return self._propose_plan(principal, plan, source="propose")

    def record_invalid(self, principal: Principal, target: Target, exc: CommandError) -> None:
        """Audit a line the grammar refused (without its text) and count it."""
        try:
            self.pipeline.record_invalid(principal.actor(target.identity), target, exc,
                                         source="propose")
        except AuditError:
            self.metrics.audit_failures.inc()
            raise
        self.metrics.levels.labels(level="invalid").inc()

    def _propose_plan(self, principal: Principal, plan: Plan, *, source: str,
                      question: str | None = None, provider: str | None = None,
                      explanation: str = "", assumptions: tuple[str, ...] = (),
                      notes: tuple[str, ...] = (), conversation: str | None = None,
                      cached: bool = False) -> Proposal:
        proposal = self.life.propose(
            principal.actor(plan.target.identity), plan, user=principal.user, source=source,
            preview=self.dry_run_writes and plan.command.is_write, question=question,
            provider=provider, explanation=explanation, assumptions=assumptions, notes=notes,
            owner=principal.owner,
            conversation=conversation, cached=cached)
        self.metrics.levels.labels(level=plan.level.value).inc()
        return proposal

    # -- read / approve / reject -----------------------------------------------------------

    def waiting(self, principal: Principal, *, limit: int = 100, for_me: bool = False
                ) -> list[Proposal]:
        """Return the proposals waiting for a decision that this person sees, newest first.

        Their own, their kernels' and their agents' (``Principal.may_see``), everyone's for
        an approver, and the two-person proposals of their groups' (:meth:`second_person`):
        where a person finds what an agent proposed (docs/mcp.md). With ``for_me`` only the
        ones this person may approve (:meth:`waits_for`): not their own two-person ones.
        """
        return [p for p in self.proposals.waiting()
                if self.may_see(principal, p)
                and (not for_me or self.waits_for(principal, p))][:limit]


    def get(self, principal: Principal, proposal_id: str) -> Proposal:
        """Return a proposal its proposer (or an approver) may see."""
        self.require(principal, Scope.PROPOSE)
        return self.owned(principal, proposal_id)

    def approve(self, principal: Principal, proposal_id: str, *, confirm: str | None = None
                ) -> Proposal:
        """Approve a proposal, enforcing who may approve which level (``server/_approvals.py``).

        Raises
        ------
        PolicyViolation
            Forbidden commands; dangerous ones from a capability or a token-only request;
            warning ones from a capability without the ``approve:warning`` scope; anything
            from an agent (``origin`` ``mcp``), whatever its capability's scopes; a two-person
            proposal from its proposer, from anyone outside its group, or from a capability
            (:meth:`refuse_two_person`).
        BadRequestError
            A dangerous command without its confirmation text.
        """
        proposal = self.owned(principal, proposal_id)
        if principal.is_agent:
            msg = (f"an agent cannot approve {proposal.text!r}: a person approves it in "
                   "kubechat, signed in to JupyterLab")
            raise PolicyViolation(msg, rule_id="agent-cannot-approve")
        self.refuse_two_person(principal, proposal)
        refusal = refuse_approval(
            principal, proposal, confirm,
            capability_may_approve_warning=self.capability_may_approve_warning,
            on_page_levels=self.on_page_levels,
            page_url=self.page_url(proposal_id) if self.page_url is not None else None)
        if refusal is not None:
            raise refusal
        return self._decide(proposal_id, principal, approve=True)

    def reject(self, principal: Principal, proposal_id: str, *, reason: str = "") -> Proposal:
        """Reject a proposal (its proposer or an approver)."""
        self.require(principal, Scope.PROPOSE)
        self.owned(principal, proposal_id)
        return self._decide(proposal_id, principal, approve=False, reason=reason[:500])

    def _decide(self, proposal_id: str, principal: Principal, *, approve: bool,
                reason: str = "") -> Proposal:
        before = self.proposals.get(proposal_id)
        return self.life.decide(principal.actor(before.plan.target.identity), proposal_id,
                                approve=approve, approver=principal.user, via=principal.via,
                                reason=reason or None)

    # -- execute ---------------------------------------------------------------------------

    def blocks(self, principal: Principal, proposal_id: str) -> bool:
        """Return whether running the proposal may block (a verb that waits for a condition)."""
        return self.owned(principal, proposal_id).plan.blocking is not None

    def execute(self, principal: Principal, proposal_id: str) -> Proposal:
        """Run an approved proposal once, as the proposer's Kubernetes identity.

        The ``executing`` event is appended before the command runs and the ``executed`` event
        (result status and digest) after; if the second append fails the result is withheld
        and the caller gets the audit error.
        """
        self.require(principal, Scope.EXECUTE)
        current = self.owned(principal, proposal_id)
        done, result = self.life.execute(principal.actor(current.plan.target.identity),
                                         proposal_id)
        self.conversations.observe(proposal_id, result.to_columnar())
        return done
