"""Admin routes for capabilities: list, mint (``kubechat token``), revoke.

Only Jupyter authentication reaches them (the browser, or the Jupyter token the operator has);
a capability never can, so a kernel cannot mint or widen its own rights.
"""

from __future__ import annotations

from kubechat_lab.audit.events import CapabilityMintedEvent
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import BadRequestError, Principal, ProposalNotFoundError
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only
from kubechat_lab.server.handlers._requests import MintRequest

__all__ = ["CapabilitiesHandler", "CapabilityHandler", "default_handlers"]


class _CapabilitiesBase(KubechatHandler):
    auth_resource = "kubechat_lab:capabilities"


class CapabilitiesHandler(_CapabilitiesBase):
    """``GET`` lists live capabilities (no tokens); ``POST`` mints one for a headless process."""

    route = "capabilities"

    @browser_only
    async def get(self, principal: Principal) -> None:
        """Return ``{"capabilities": [...]}``."""
        caps = [c.to_dict() for c in await self.kubechat.run_blocking(self.capabilities.list)]
        self.reply({"capabilities": caps})

    @browser_only
    async def post(self, principal: Principal) -> None:
        """Body ``{"scopes": [...], "ttl": seconds?, "label": str?, "agent": bool?}``.

        The token is shown once. ``agent``: a capability for an agent (origin ``mcp``): every
        request made with it is an agent's, which approves nothing, whatever it declares.
        """
        req = MintRequest.from_json(self.json_body())
        try:
            scopes = Scope.parse_all(req.scopes)
        except ValueError as exc:
            raise BadRequestError(str(exc), field="scopes") from exc
        app = self.kubechat
        ttl = min(req.ttl or app.token_ttl, app.token_ttl)
        origin = "mcp" if req.agent else "token"
        token, cap = await app.run_blocking(lambda: self.capabilities.mint(
            user=principal.user, scopes=scopes, ttl=ttl, origin=origin, label=req.label
        ))
        event = CapabilityMintedEvent(
            actor=principal.actor(),
            capability_id=cap.id,
            origin=origin,
            label=req.label,
            scopes=tuple(sorted(s.value for s in scopes)),
            expires=cap.expires,
        )
        try:
            await app.run_blocking(self.service.record, event)
        except Exception:
            await app.run_blocking(self.capabilities.revoke, cap.id)  # no unaudited token
            raise
        self.reply(
            {**cap.to_dict(), "token": token, "url": app.public_url()},
            status=201,
        )


class CapabilityHandler(_CapabilitiesBase):
    """``DELETE`` revokes one capability by id."""

    route = "capability"

    @browser_only
    async def delete(self, principal: Principal, capability_id: str) -> None:
        """Revoke; 404 if unknown."""
        if not await self.kubechat.run_blocking(self.capabilities.revoke, capability_id):
            raise ProposalNotFoundError(f"no live capability {capability_id!r}")
        self.kubechat.log.info(
            "kubechat capability revoked id=%s by=%s", capability_id, principal.user
        )
        self.set_status(204)
        self.finish()


default_handlers = [
    (r"/kubechat/api/capabilities", CapabilitiesHandler),
    (r"/kubechat/api/capabilities/(?P<capability_id>[0-9a-f]{16})", CapabilityHandler),
]
