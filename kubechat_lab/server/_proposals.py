"""Proposals and principals: who asks, what was proposed, and where it is in its life."""

from __future__ import annotations

import enum
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from kubechat_lab.command import secret_template
from kubechat_lab.errors import KubechatError

if TYPE_CHECKING:
    from kubechat_lab.audit.events import Actor
    from kubechat_lab.command import Command
    from kubechat_lab.pipeline import Identity, Plan
    from kubechat_lab.server._capabilities import Capability

__all__ = [
    "BadRequestError",
    "BusyError",
    "Principal",
    "Proposal",
    "ProposalConflictError",
    "ProposalNotFoundError",
    "ProposalStore",
    "State",
]


class ProposalNotFoundError(KubechatError):
    """No proposal with that id (never made, or forgotten after its TTL)."""


class ProposalConflictError(KubechatError):
    """The proposal is not in a state that allows the action (already executed, expired...)."""


class BusyError(KubechatError):
    """Too many long-running requests of one user at once (HTTP 429); retry later."""


class BadRequestError(KubechatError):
    """A request field is missing or invalid; ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class State(enum.StrEnum):
    """Where a proposal is in its life."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    REFUSED = "refused"
    EXECUTING = "executing"
    EXECUTED = "executed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a browser user (Jupyter auth) or a capability holder (kernel, script).

    Parameters
    ----------
    user : str
        The Jupyter user name.
    via : str
        ``"browser"`` or ``"capability"``.
    capability : Capability or None
        The capability used, for capability principals.
    auth : str or None
        For browser requests, how they authenticated: ``"cookie"`` (the login cookie, with
        the XSRF check passed) or ``"token"`` (the Jupyter token only).
    """

    user: str
    via: str
    capability: Capability | None = None
    auth: str | None = None

    @property
    def is_browser(self) -> bool:
        """True for an authenticated browser (or Jupyter-token) request."""
        return self.via == "browser"

    @property
    def owner(self) -> str:
        """Who owns what this principal makes: proposals, conversations, watch and run slots.

        A person's pages (browser and Jupyter-token requests) are one owner, ``page:<user>``;
        each of their kernels is another, ``kernel:<kernel id>``, and each capability minted
        for a script another still, ``capability:<id>``. A kernel is code the person runs, not
        the person: it must not act on, write into or use up what their page holds.
        """
        cap = self.capability
        if cap is None:
            return f"page:{self.user}"
        if cap.kernel_id is not None:
            return f"kernel:{cap.kernel_id}"
        return f"capability:{cap.id}"

    def may_see(self, proposal: Proposal, approvers: frozenset[str] = frozenset()) -> bool:
        """Return whether this principal may see and act on ``proposal``.

        A person's pages see every proposal of that person (their kernels' too: a dangerous
        command a kernel proposes is approved on the page), and an approver's pages see
        everyone's. A capability sees only what it made itself: never the page's, another
        kernel's or another person's.
        """
        if self.capability is not None:
            return proposal.owner == self.owner
        return proposal.user == self.user or self.user in approvers

    def actor(self, identity: Identity = (None, ())) -> Actor:
        """Return the audit actor: this principal acting as Kubernetes ``identity``."""
        from kubechat_lab.audit.events import Actor, CapabilityRef

        cap = self.capability
        ref = None
        if cap is not None:
            ref = CapabilityRef(cap.id, cap.origin, cap.label,
                                tuple(sorted(s.value for s in cap.scopes)))
        return Actor(user=self.user, via=self.via, auth=self.auth, capability=ref,
                     kernel_id=cap.kernel_id if cap is not None else None,
                     impersonate_user=identity[0], impersonate_groups=identity[1])


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed command (its :class:`~kubechat_lab.pipeline.Plan`) and its state.

    Plain data, so a proposal can be served with :meth:`to_dict`. ``user`` is the person who
    proposed it and ``owner`` the :attr:`Principal.owner` that did (their page, one of their
    kernels or capabilities).
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
    result: dict[str, Any] | None = None
    error: str | None = None
    conversation: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

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
        """Return the JSON form served by the API (contract C2)."""
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
            "explanation": self.explanation,
            "assumptions": [*self.assumptions, *self.plan.assumptions],
            "notes": list(self.notes),
            "preview": self.preview,
            "confirm": self.confirm,
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


class ProposalStore:
    """Thread-safe in-memory proposals with expiry and atomic state transitions.

    Parameters
    ----------
    ttl : float
        Seconds a proposal stays actionable.
    clock : callable, optional
        Wall clock (``time.time``).
    """

    def __init__(self, *, ttl: float, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._items: dict[str, Proposal] = {}

    def new_id(self) -> str:
        """Return a fresh unguessable proposal id."""
        return "p_" + secrets.token_hex(10)

    def now(self) -> float:
        """Return the store's clock."""
        return self._clock()

    def add(self, proposal: Proposal) -> None:
        """Store a proposal (forgetting ones that expired an hour ago)."""
        with self._lock:
            cutoff = self._clock() - 3600
            for pid in [p.id for p in self._items.values() if p.expires < cutoff]:
                del self._items[pid]
            self._items[proposal.id] = proposal

    def get(self, proposal_id: str) -> Proposal:
        """Return a proposal or raise :class:`ProposalNotFoundError`."""
        with self._lock:
            found = self._items.get(proposal_id)
        if found is None:
            msg = f"no proposal {proposal_id!r}: it never existed or was forgotten; propose again"
            raise ProposalNotFoundError(msg)
        return found

    def transition(
        self, proposal_id: str, expected: tuple[State, ...], **changes: Any
    ) -> tuple[Proposal, Proposal]:
        """Atomically move a proposal out of one of ``expected`` states.

        Returns ``(before, after)``. Raises :class:`ProposalConflictError` when the proposal
        is in another state or has expired (for actions that need it live).
        """
        with self._lock:
            found = self._items.get(proposal_id)
            if found is None:
                msg = f"no proposal {proposal_id!r}: it never existed or was forgotten"
                raise ProposalNotFoundError(msg)
            if found.state not in expected:
                want = " or ".join(s.value for s in expected)
                msg = (
                    f"proposal {proposal_id} is {found.state.value!r}, not {want}; "
                    "propose the command again to act on it"
                )
                raise ProposalConflictError(msg)
            live = found.state in (State.PROPOSED, State.APPROVED)
            if live and found.expires <= self._clock():
                msg = f"proposal {proposal_id} expired; propose the command again"
                raise ProposalConflictError(msg)
            updated = replace(found, **changes)
            self._items[proposal_id] = updated
            return found, updated

    def update(self, proposal_id: str, **changes: Any) -> Proposal:
        """Unconditionally update fields of a stored proposal."""
        with self._lock:
            updated = replace(self._items[proposal_id], **changes)
            self._items[proposal_id] = updated
            return updated

    def add_seqs(self, proposal_id: str, *seqs: int | None) -> Proposal:
        """Append audit seqs to a stored proposal (``None`` ignored); return it."""
        with self._lock:
            found = self._items[proposal_id]
            more = tuple(seq for seq in seqs if seq is not None)
            updated = replace(found, audit_seqs=found.audit_seqs + more)
            self._items[proposal_id] = updated
            return updated
