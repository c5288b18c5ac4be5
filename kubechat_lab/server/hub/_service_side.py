"""The service's side of kernels: capabilities minted for single-user servers' kernels.

A single-user server in hub mode (``kubechat_lab/server/hub/_user_side.py``) calls, with its own hub
token (``Authorization: token $JUPYTERHUB_API_TOKEN``, the server's, never a person's cookie):

- ``POST {prefix}kubechat/api/hub/kernels`` ``{"kernel_id": ...}`` when a kernel starts: the
  service mints a capability bound to that person and that kernel and answers it once;
- ``DELETE {prefix}kubechat/api/hub/kernels/<kernel_id>`` when it stops: the capability is
  revoked, and the kernel is no longer alive for the service.

A kernel id belongs to the first person who registered it; another person's server can neither
take it over nor revoke it.
"""

from __future__ import annotations

import re
import threading

from tornado import web

from kubechat_lab.errors import PolicyViolation
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import (
    BadRequestError,
    Principal,
    ProposalConflictError,
    ProposalNotFoundError,
)
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["HubKernels", "default_handlers"]

_KERNEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


class HubKernels:
    """Which person runs which live kernel, as the single-user servers told the service."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[str, str] = {}

    def add(self, user: str, kernel_id: str) -> None:
        """Record ``kernel_id`` as ``user``'s.

        Raises
        ------
        ProposalConflictError
            Another person already registered that kernel id.
        """
        with self._lock:
            owner = self._owner.setdefault(kernel_id, user)
        if owner != user:
            msg = f"kernel {kernel_id} is registered by another person; start a new kernel"
            raise ProposalConflictError(msg)

    def remove(self, user: str, kernel_id: str) -> bool:
        """Forget ``user``'s kernel; return whether it was theirs and known."""
        with self._lock:
            if self._owner.get(kernel_id) != user:
                return False
            del self._owner[kernel_id]
        return True

    def alive(self, kernel_id: str) -> bool:
        """Return whether a single-user server reported ``kernel_id`` started and not stopped."""
        with self._lock:
            return kernel_id in self._owner


class _HubKernelsBase(KubechatHandler):
    auth_resource = "kubechat_lab:hub-kernels"

    def server_principal(self, principal: Principal) -> Principal:
        """Refuse anything but a hub token (a single-user server's): never a browser cookie."""
        if not self.token_authenticated:
            msg = ("this route is for single-user servers, authenticated with their hub token "
                   "(Authorization: token $JUPYTERHUB_API_TOKEN), not for a browser")
            raise PolicyViolation(msg, rule_id="hub-token-only")
        return principal


class HubKernelsHandler(_HubKernelsBase):
    """``POST``: mint the capability of a new kernel of the calling server's person."""

    route = "hub.kernels"

    @browser_only
    async def post(self, principal: Principal) -> None:
        """Body ``{"kernel_id": str, "label": str?}``; 201 ``{"token", "url", "id", ...}``."""
        principal = self.server_principal(principal)
        body = self.json_body()
        kernel_id = body.get("kernel_id")
        if not isinstance(kernel_id, str) or not _KERNEL_ID.match(kernel_id):
            msg = "kernel_id must be the kernel's id (letters, digits, '-', '_', '.'; <= 100)"
            raise BadRequestError(msg, field="kernel_id")
        label = body.get("label", "")
        label = label[:200] if isinstance(label, str) and label.isprintable() else ""
        app = self.kubechat
        app.hub_kernels.add(principal.user, kernel_id)
        token, cap = self.capabilities.mint(
            user=principal.user, scopes=Scope.parse_all(app.kernel_scopes),
            ttl=app.capability_ttl, origin="kernel", kernel_id=kernel_id, label=label)
        app.log.info("kubechat capability minted id=%s kernel=%s user=%s via=hub", cap.id,
                     kernel_id, principal.user)
        self.reply({**cap.to_dict(), "token": token, "url": app.public_url()}, status=201)


class HubKernelHandler(_HubKernelsBase):
    """``DELETE``: the kernel stopped; revoke its capabilities."""

    route = "hub.kernel"

    @browser_only
    async def delete(self, principal: Principal, kernel_id: str) -> None:
        """Revoke the caller's capabilities of ``kernel_id``; 404 if it is not theirs."""
        principal = self.server_principal(principal)
        app = self.kubechat
        if not app.hub_kernels.remove(principal.user, kernel_id):
            raise ProposalNotFoundError(f"no live kernel {kernel_id!r} of {principal.user!r}")
        revoked = 0
        for cap in self.capabilities.list():
            if cap.kernel_id == kernel_id and cap.user == principal.user:
                revoked += int(self.capabilities.revoke(cap.id))
        app.log.info("kubechat capability revoked kernel=%s user=%s count=%d via=hub",
                     kernel_id, principal.user, revoked)
        self.set_status(204)
        self.finish()


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (r"/kubechat/api/hub/kernels", HubKernelsHandler),
    (r"/kubechat/api/hub/kernels/(?P<kernel_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})",
     HubKernelHandler),
]
