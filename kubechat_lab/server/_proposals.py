"""Principals and request errors: who asks; proposals themselves are the pipeline's.

:class:`Proposal`, its :class:`State`, the :class:`ProposalStore` protocol and its errors live
in :mod:`kubechat_lab.pipeline` (the order of a command's life); they are re-exported here for
the server's modules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubechat_lab.errors import KubechatError
from kubechat_lab.pipeline._proposals import (
    MemoryProposalStore,
    Proposal,
    ProposalConflictError,
    ProposalNotFoundError,
    ProposalStore,
    State,
)

if TYPE_CHECKING:
    from kubechat_lab.audit.events import Actor
    from kubechat_lab.pipeline import Identity
    from kubechat_lab.server._capabilities import Capability

__all__ = [
    "BadRequestError",
    "BusyError",
    "MemoryProposalStore",
    "Principal",
    "Proposal",
    "ProposalConflictError",
    "ProposalNotFoundError",
    "ProposalStore",
    "State",
]


class BusyError(KubechatError):
    """Too many long-running requests of one user at once (HTTP 429); retry later."""


class BadRequestError(KubechatError):
    """A request field is missing or invalid; ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


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
    origin : str or None
        ``"mcp"`` for a capability request made for an agent (``kubechat mcp``); such a
        principal never approves anything, whatever its scopes.
    client : tuple of (str, str) or None
        The agent program's declared name and version, for ``mcp`` requests.
    groups : tuple of str
        The groups the identity provider says the person is in (JupyterHub's groups); the
        server adds the ones ``c.KubechatApp.groups`` names. Empty for capabilities.
    """

    user: str
    via: str
    capability: Capability | None = None
    auth: str | None = None
    origin: str | None = None
    client: tuple[str, str] | None = None
    groups: tuple[str, ...] = ()

    @property
    def is_agent(self) -> bool:
        """True for a call an agent made through the MCP face (``origin == "mcp"``)."""
        return self.origin == "mcp"

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
        from kubechat_lab.audit.events import Actor, CapabilityRef, ClientRef

        cap = self.capability
        ref = None
        if cap is not None:
            ref = CapabilityRef(cap.id, cap.origin, cap.label,
                                tuple(sorted(s.value for s in cap.scopes)))
        client = ClientRef(*self.client) if self.client is not None else None
        return Actor(user=self.user, via=self.via, auth=self.auth, origin=self.origin,
                     client=client, capability=ref,
                     kernel_id=cap.kernel_id if cap is not None else None,
                     impersonate_user=identity[0], impersonate_groups=identity[1])
