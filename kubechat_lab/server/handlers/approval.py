"""``GET .../proposals/ID/approval-page``: sign in on the approval origin, open the proposal.

The JupyterLab page opens this route (a top-level navigation, with the Jupyter login cookie).
It mints a one-time login code for the signed-in person and answers with a redirect to the
approval origin's ``/login``: the code travels only in the ``Location`` header, which no script
of the JupyterLab origin can read (``fetch`` sees an opaque redirect, a frame or window that
follows it lands on another origin). See docs/security.md, "The approval page".
"""

from __future__ import annotations

import inspect
from urllib.parse import urlencode

from tornado import web

from kubechat_lab.errors import PolicyViolation
from kubechat_lab.server._proposals import Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["OpenApprovalHandler", "default_handlers"]

_ID = r"(?P<proposal_id>p_[0-9a-f]{20})"


class OpenApprovalHandler(KubechatHandler):
    """Redirect a signed-in page to the approval page of one proposal, signed in there."""

    auth_resource = "kubechat_lab:proposals"
    route = "approval.open"

    def get_login_url(self) -> str:
        """On the hub service, send a browser that is not signed in to the hub's login.

        This route is a page a person opens (a navigation), not an API call: there, the
        hub's OAuth signs the person in and brings them back. Elsewhere an API's 403 stays.
        """
        if self.kubechat.as_hub_service:
            return str(web.RequestHandler.get_login_url(self))
        return str(super().get_login_url())

    @browser_only
    async def get(self, principal: Principal, proposal_id: str) -> None:
        """302 to ``<approval origin>/login?code=...&next=/proposals/ID``.

        On the hub service, a request with a token (a person's server forwarding the card's
        link) is sent to this route on the service's public address instead, where the
        browser signs in with the hub's OAuth.
        """
        if self.kubechat.as_hub_service and not await self._has_login_cookie(principal):
            self.set_header("Cache-Control", "no-store")
            self.redirect(f"{self.kubechat.hub_public_url}kubechat/api/proposals/"
                          f"{proposal_id}/approval-page")
            return
        if not await self._has_login_cookie(principal):
            msg = ("the approval page signs in only a person's browser: open this link from "
                   "JupyterLab (signed in with the login cookie), not with the Jupyter token")
            raise PolicyViolation(msg, rule_id="approval-needs-browser")
        # 404 unless theirs (or an approver's); both read the database, off the event loop
        await self.kubechat.run_blocking(self.service.owned, principal, proposal_id)
        approval = self.kubechat.approval
        code = await self.kubechat.run_blocking(approval.mint_code, principal.user,
                                                principal.groups)
        self.log.info("kubechat approval sign-in link user=%s proposal=%s", principal.user,
                      proposal_id)
        query = urlencode({"code": code, "next": f"/proposals/{proposal_id}"})
        self.set_header("Cache-Control", "no-store")
        self.set_header("Referrer-Policy", "no-referrer")
        self.redirect(f"{approval.url}login?{query}")

    async def _has_login_cookie(self, principal: Principal) -> bool:
        """Whether the Jupyter login cookie came along (a token alone signs in no one here)."""
        found = self.identity_provider.get_user_cookie(self)
        if inspect.isawaitable(found):
            found = await found
        name = getattr(found, "username", None)
        return name is not None and self.jupyter_user(name) == principal.user


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (rf"/kubechat/api/proposals/{_ID}/approval-page", OpenApprovalHandler),
]
