"""The service's side of kernels: capabilities minted for single-user servers' kernels.

A single-user server in hub mode (``kubechat_lab/server/hub/_user_side.py``) calls, with its own hub
token (``Authorization: token $JUPYTERHUB_API_TOKEN``, the server's, never a person's cookie):

- ``POST {prefix}kubechat/api/hub/kernels`` ``{"kernel_id": ...}`` when a kernel starts: the
  service mints a capability bound to that person and that kernel and answers it once;
- ``DELETE {prefix}kubechat/api/hub/kernels/<kernel_id>`` when it stops: the capability is
  revoked, and the kernel is no longer alive for the service.

A kernel id belongs to the first person who registered it; another person's server can neither
take it over nor revoke it. Registrations are the capabilities themselves, in PostgreSQL
(:class:`HubKernels`), so every process of the service sees the same kernels.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from tornado import web

from kubechat_lab.errors import PolicyViolation
from kubechat_lab.server._capabilities import Capability, Scope
from kubechat_lab.server._pg_capabilities import PgCapabilityStore
from kubechat_lab.server._proposals import BadRequestError, Principal, ProposalNotFoundError
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["HubKernels", "default_handlers", "public_address"]

_KERNEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def public_address(env: Mapping[str, str], base_url: str) -> str:
    """Return where browsers reach the service, ending in ``/``.

    JupyterHub gives a service it starts ``$JUPYTERHUB_PUBLIC_URL`` when it knows its public
    address (``public_url`` or ``subdomain_host`` set): under ``subdomain_host`` the service's
    own host. Without it, the service's prefix ``base_url``, on whatever origin the browser is
    on (the hub's).
    """
    public = env.get("JUPYTERHUB_PUBLIC_URL", "") or base_url or "/"
    return public if public.endswith("/") else public + "/"


class HubKernels:
    """Which person runs which live kernel, kept in the shared capability table.

    A kernel is registered by minting its capability (``exclusive``: the id must not be another
    person's) and unregistered by deleting its capabilities, so every process of the service
    sees the same kernels: a server's ``DELETE`` may reach another process than its ``POST``
    (several replicas behind one address), and a restarted process forgets nothing.

    Parameters
    ----------
    capabilities
        The service's capability store (PostgreSQL).
    """

    def __init__(self, capabilities: PgCapabilityStore) -> None:
        self._capabilities = capabilities

    def add(self, user: str, kernel_id: str, *, scopes: list[Scope], ttl: float,
            label: str = "") -> tuple[str, Capability]:
        """Register ``user``'s kernel and return its new capability ``(token, capability)``.

        Raises
        ------
        KernelTakenError
            Another person registered that kernel id (and it has not stopped).
        """
        return self._capabilities.mint(user=user, scopes=scopes, ttl=ttl, origin="kernel",
                                       kernel_id=kernel_id, label=label, exclusive=True)

    def remove(self, user: str, kernel_id: str) -> int:
        """Unregister ``user``'s kernel: revoke its capabilities; return how many (0: none)."""
        return self._capabilities.revoke_kernel(kernel_id, user=user)


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
        token, cap = await app.run_blocking(functools.partial(
            app.hub_kernels.add, principal.user, kernel_id,
            scopes=list(Scope.parse_all(app.kernel_scopes)), ttl=app.capability_ttl,
            label=label))
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
        revoked = await app.run_blocking(app.hub_kernels.remove, principal.user, kernel_id)
        if not revoked:
            raise ProposalNotFoundError(f"no live kernel {kernel_id!r} of {principal.user!r}")
        app.log.info("kubechat capability revoked kernel=%s user=%s count=%d via=hub",
                     kernel_id, principal.user, revoked)
        self.set_status(204)
        self.finish()


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (r"/kubechat/api/hub/kernels", HubKernelsHandler),
    (r"/kubechat/api/hub/kernels/(?P<kernel_id>[A-Za-z0-9][A-Za-z0-9_.-]{0,99})",
     HubKernelHandler),
]
