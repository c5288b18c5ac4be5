"""Proposals and the store protocol their life goes through: transitions are compare-and-set.

A :class:`ProposalStore` keeps proposals and moves each one through the states of :class:`State`.
Every state change is :meth:`ProposalStore.transition`: a compare-and-set from the states the
caller expects, so of two racing decisions exactly one wins and the other gets
:class:`ProposalConflictError`. The transition's audit event is appended *while the claim is
held*, before the new state is visible: if the append fails nothing changes. An in-memory store
does that under a lock per proposal; a PostgreSQL store can do the same in one transaction
(``SELECT ... FOR UPDATE``, the audit append, ``UPDATE ... WHERE state = ANY(expected)``).
"""

from __future__ import annotations

import enum
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from kubechat_lab.command import secret_template
from kubechat_lab.errors import KubechatError

if TYPE_CHECKING:
    from kubechat_lab.audit.events import Actor
    from kubechat_lab.cluster import Result
    from kubechat_lab.command import Command
    from kubechat_lab.pipeline._plan import Plan

__all__ = [
    "LIVE",
    "MemoryProposalStore",
    "Proposal",
    "ProposalConflictError",
    "ProposalNotFoundError",
    "ProposalStore",
    "Recorder",
    "State",
    "StoreClock",
]


class ProposalNotFoundError(KubechatError):
    """No proposal with that id (never made, forgotten after its TTL, or not yours to see)."""

    #: The machine reason this error crosses the REST boundary with.
    reason = "proposal-not-found"

    @classmethod
    def unknown(cls, proposal_id: str) -> ProposalNotFoundError:
        """Return the error for an id that is not (or no longer) there."""
        return cls(f"no proposal {proposal_id!r}: it never existed or was forgotten; "
                   "propose again")


class ProposalConflictError(KubechatError):
    """The proposal is not in a state that allows the action (already decided, expired...)."""

    #: The machine reason this error crosses the REST boundary with.
    reason = "proposal-conflict"

    def __init__(self, message: str, *, state: str | None = None) -> None:
        super().__init__(message)
        self.state = state


class State(enum.StrEnum):
    """Where a proposal is in its life."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUSED = "refused"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"


#: States a proposal can still be acted on in; they end at the proposal's expiry.
LIVE = frozenset({State.PROPOSED, State.APPROVED})


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed command (its :class:`~kubechat_lab.pipeline.Plan`) and its state.

    Plain data, so a proposal can be served with :meth:`to_dict`. ``user`` is the person who
    proposed it and ``owner`` what the face says made it (the server's ``Principal.owner``;
    empty where a face has no such notion). ``result`` (what running
    it returned) and ``dry_run`` (what its preview returned) are kept as the cluster's
    :class:`~kubechat_lab.cluster.Result`, so a reply encodes them once, as JSON or as Arrow.
    ``proposer`` is the audit actor that proposed it (origin, agent client, capability, kernel):
    who or what a person is asked to decide for.
    """

    id: str
    plan: Plan
    user: str
    source: str
    created: float
    expires: float
    state: State = State.PROPOSED
    owner: str = ""
    question: str | None = None
    provider: str | None = None
    explanation: str = ""
    assumptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    preview: dict[str, Any] | None = None
    approver: str | None = None
    decided_via: str | None = None
    audit_seqs: tuple[int, ...] = ()
    result: Result | None = None
    error: str | None = None
    conversation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    dry_run: Result | None = None
    proposer: Actor | None = None
    #: The model's answer came from the LLM answer cache (judged afresh all the same).
    cached: bool = False

    @property
    def command(self) -> Command:
        """The command with every default explicit."""
        return self.plan.command

    @property
    def text(self) -> str:
        """Its canonical text (what is shown, judged and run)."""
        return self.plan.text

    @property
    def level(self) -> str:
        """``safe``, ``warning``, ``dangerous`` or ``forbidden``."""
        return self.plan.level.value

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it has its level."""
        return self.plan.reasons

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """The rules that matched."""
        return self.plan.rule_ids

    @property
    def context(self) -> str | None:
        """The kubeconfig context it runs on."""
        return self.plan.target.context

    @property
    def namespace(self) -> str | None:
        """The namespace it runs in."""
        return self.plan.namespace

    @property
    def confirm(self) -> str | None:
        """What to type back to approve it (dangerous only)."""
        return self.plan.confirm

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form served by the API (``js/src/model.ts`` ``IProposal``)."""
        return {
            "id": self.id,
            "command": self.text,
            "display": self.plan.display,
            "parsed": self.command.to_dict(),
            "level": self.level,
            "reasons": list(self.reasons),
            "rule_ids": list(self.rule_ids),
            "context": self.context,
            "namespace": self.namespace,
            "user": self.user,
            "source": self.source,
            "state": self.state.value,
            "created": self.created,
            "expires": self.expires,
            "question": self.question,
            "provider": self.provider,
            "cached": self.cached,
            "explanation": self.explanation,
            "assumptions": [*self.assumptions, *self.plan.assumptions],
            "notes": list(self.notes),
            "preview": self.preview,
            "confirm": self.confirm,
            # two-person approval: a member of this group other than ``user`` approves
            "approvers": self.plan.approvers,
            "approver": self.approver,
            "decided_via": self.decided_via,
            "audit_seqs": list(self.audit_seqs),
            "error": self.error,
            "progress": self.extra.get("progress"),
            "conversation": self.conversation,
            # what a runbook or a shared record writes instead of secret values
            "secret_template": secret_template(self.command),
            "redacted": {
                "command": self.plan.recorded,
                "question": self.command.redact(self.question) if self.question else None,
                "explanation": self.command.redact(self.explanation),
            },
        }


#: Appends a transition's audit event for the proposal as it was before; returns its seq.
Recorder = Callable[[Proposal], "int | None"]


class ProposalStore(Protocol):
    """Where proposals live; each state change is one compare-and-set :meth:`transition`."""

    @property
    def ttl(self) -> float:
        """Seconds a proposal stays actionable."""
        ...

    def new_id(self) -> str:
        """Return a fresh unguessable proposal id."""
        ...

    def now(self) -> float:
        """Return the store's clock (seconds since the epoch)."""
        ...

    def add(self, proposal: Proposal) -> None:
        """Store a new proposal (its ``proposed`` event is already in the audit chain)."""
        ...

    def get(self, proposal_id: str) -> Proposal:
        """Return a proposal or raise :class:`ProposalNotFoundError`."""
        ...

    def transition(self, proposal_id: str, expected: frozenset[State], to: State, *,
                   record: Recorder | None = None, **changes: Any) -> Proposal:
        """Move a proposal from one of ``expected`` to ``to`` if it is there; return it after.

        ``record`` is called with the proposal before the change while the claim is held;
        its seq joins ``audit_seqs``. If it raises, nothing changes and the error propagates.

        Raises
        ------
        ProposalNotFoundError
            No such proposal.
        ProposalConflictError
            It is in another state, or expired while live.
        """
        ...

    def update(self, proposal_id: str, **changes: Any) -> Proposal:
        """Change fields other than ``state`` (progress, result) and return the proposal."""
        ...

    def add_seqs(self, proposal_id: str, *seqs: int | None) -> Proposal:
        """Append audit seqs (``None`` ignored) and return the proposal."""
        ...

    def waiting(self) -> list[Proposal]:
        """Return the proposals still waiting for a decision (not expired), newest first."""
        ...


class StoreClock:
    """What every :class:`ProposalStore` shares: its time to live, its clock and new ids."""

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self._ttl = ttl
        self._clock = clock

    @property
    def ttl(self) -> float:
        """Seconds a proposal stays actionable."""
        return self._ttl

    def new_id(self) -> str:
        """Return a fresh unguessable proposal id."""
        return "p_" + secrets.token_hex(10)

    def now(self) -> float:
        """Return the store's clock."""
        return self._clock()

    def _check_transition(self, found: Proposal, expected: frozenset[State]) -> None:
        """Refuse a transition from a state not ``expected``, or from a live one expired.

        Raises
        ------
        ProposalConflictError
            The proposal is in another state, or expired.
        """
        if found.state not in expected:
            want = " or ".join(sorted(s.value for s in expected))
            msg = (f"proposal {found.id} is {found.state.value!r}, not {want}; "
                   "propose the command again to act on it")
            raise ProposalConflictError(msg, state=found.state.value)
        if found.state in LIVE and found.expires <= self._clock():
            msg = f"proposal {found.id} expired; propose the command again"
            raise ProposalConflictError(msg, state="expired")


class MemoryProposalStore(StoreClock):
    """Thread-safe in-memory :class:`ProposalStore` with expiry.

    Parameters
    ----------
    ttl : float
        Seconds a proposal stays actionable.
    clock : callable, optional
        Wall clock (``time.time``).
    """

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.time) -> None:
        super().__init__(ttl=ttl, clock=clock)
        self._lock = threading.Lock()
        self._items: dict[str, Proposal] = {}
        self._claims: dict[str, threading.Lock] = {}

    def add(self, proposal: Proposal) -> None:
        """Store a proposal (forgetting ones that expired an hour ago)."""
        with self._lock:
            cutoff = self._clock() - 3600
            for pid in [p.id for p in self._items.values() if p.expires < cutoff]:
                del self._items[pid]
                self._claims.pop(pid, None)
            self._items[proposal.id] = proposal
            self._claims[proposal.id] = threading.Lock()

    def get(self, proposal_id: str) -> Proposal:
        """Return a proposal or raise :class:`ProposalNotFoundError`."""
        with self._lock:
            found = self._items.get(proposal_id)
        if found is None:
            raise ProposalNotFoundError.unknown(proposal_id)
        return found

    def transition(self, proposal_id: str, expected: frozenset[State], to: State, *,
                   record: Recorder | None = None, **changes: Any) -> Proposal:
        """Compare-and-set the state (see :meth:`ProposalStore.transition`)."""
        with self._lock:
            claim = self._claims.get(proposal_id)
        if claim is None:
            raise ProposalNotFoundError.unknown(proposal_id)
        with claim:  # held across the audit append: a racing transition waits, then conflicts
            found = self.get(proposal_id)
            self._check_transition(found, expected)
            seq = record(found) if record is not None else None
            with self._lock:
                current = self._items[proposal_id]  # update() may have touched other fields
                seqs = current.audit_seqs + ((seq,) if seq is not None else ())
                updated = replace(current, state=to, audit_seqs=seqs, **changes)
                self._items[proposal_id] = updated
            return updated

    def update(self, proposal_id: str, **changes: Any) -> Proposal:
        """Change fields other than ``state`` and return the proposal."""
        if "state" in changes:
            msg = "a proposal's state changes only through transition() (compare-and-set)"
            raise TypeError(msg)
        with self._lock:
            found = self._items.get(proposal_id)
            if found is None:
                raise ProposalNotFoundError.unknown(proposal_id)
            updated = replace(found, **changes)
            self._items[proposal_id] = updated
            return updated

    def add_seqs(self, proposal_id: str, *seqs: int | None) -> Proposal:
        """Append audit seqs to a stored proposal (``None`` ignored); return it."""
        with self._lock:
            found = self._items.get(proposal_id)
            if found is None:
                raise ProposalNotFoundError.unknown(proposal_id)
            more = tuple(seq for seq in seqs if seq is not None)
            updated = replace(found, audit_seqs=found.audit_seqs + more)
            self._items[proposal_id] = updated
            return updated

    def waiting(self) -> list[Proposal]:
        """Return the proposals still waiting for a decision (not expired), newest first."""
        now = self._clock()
        with self._lock:
            found = [p for p in self._items.values()
                     if p.state is State.PROPOSED and p.expires > now]
        return sorted(found, key=lambda p: p.created, reverse=True)
