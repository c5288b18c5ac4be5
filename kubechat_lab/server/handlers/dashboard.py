"""``GET kubechat/api/dashboard``: the cluster at a glance, from the dashboard's safe reads."""

from __future__ import annotations

from kubechat_lab.server._dashboards import dashboard_snapshot
from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel

__all__ = ["DashboardHandler", "default_handlers"]


class DashboardHandler(KubechatHandler):
    """Run the dashboard's reads once (one audit event) and return the tiles."""

    auth_resource = "kubechat_lab:proposals"
    route = "dashboard"

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """``?context=NAME`` (default: the server's); the snapshot and the refresh interval."""
        context = self.get_argument("context", None) or None
        if context is not None and len(context) > 253:
            raise BadRequestError("query 'context' must be a context name of at most 253 "
                                  "characters", field="context")
        snapshot = await self.kubechat.run_blocking(
            lambda: dashboard_snapshot(self.service, principal, context=context))
        self.reply({**snapshot.to_dict(),
                    "refresh_seconds": self.kubechat.dashboard_refresh_seconds})


default_handlers = [(r"/kubechat/api/dashboard", DashboardHandler)]
