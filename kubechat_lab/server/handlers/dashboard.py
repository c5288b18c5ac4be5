"""``GET kubechat/api/dashboard``: the cluster at a glance, from the dashboard's safe reads.

``GET kubechat/api/dashboard/watch`` streams it live (NDJSON): ``start`` (the watch id, the
commands it covers, those followed by watches, the refresh interval of the others, the audit
seq), ``dashboard`` (the first, then one per change: the same body as ``GET dashboard``, with
the reads that changed), ``heartbeat``, ``error`` and ``end`` (reason, events, updates,
seconds, audit seq). It takes one slot of the watch quotas (429 when they are full: the page
then polls ``GET dashboard``); the client closing the connection stops it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubechat_lab.server._dashboards import dashboard_snapshot
from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel
from kubechat_lab.server.handlers.watch import stream_ndjson

if TYPE_CHECKING:
    from kubechat_lab.server._dashboard_watch import LiveDashboard

__all__ = ["DashboardHandler", "DashboardWatchHandler", "default_handlers"]


def _context(handler: KubechatHandler) -> str | None:
    context = handler.get_argument("context", None) or None
    if context is not None and len(context) > 253:
        raise BadRequestError("query 'context' must be a context name of at most 253 "
                              "characters", field="context")
    return context


class DashboardHandler(KubechatHandler):
    """Run the dashboard's reads once (one audit event) and return the tiles."""

    auth_resource = "kubechat_lab:proposals"
    route = "dashboard"

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """``?context=NAME`` (default: the server's); the snapshot and the refresh interval."""
        context = _context(self)
        snapshot = await self.kubechat.run_blocking(
            lambda: dashboard_snapshot(self.service, principal, context=context))
        self.reply({**snapshot.to_dict(),
                    "refresh_seconds": self.kubechat.dashboard_refresh_seconds})


class DashboardWatchHandler(KubechatHandler):
    """Stream the dashboard, recomputed when a watch sees a change (one watch slot)."""

    auth_resource = "kubechat_lab:proposals"
    route = "dashboard.watch"
    _live: LiveDashboard | None = None

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """``?context=NAME`` (default: the server's); the reply streams until the watch ends."""
        context = _context(self)
        watches = self.kubechat.dashboard_watches
        live = await self.kubechat.run_blocking(lambda: watches.start(principal, context))
        self._live = live
        await stream_ndjson(self, live, f"kubechat-{live.name}")

    def on_connection_close(self) -> None:
        """Stop the watch when the client goes away."""
        if self._live is not None:
            self._live.stop("client-closed")
        super().on_connection_close()


default_handlers = [(r"/kubechat/api/dashboard", DashboardHandler),
                    (r"/kubechat/api/dashboard/watch", DashboardWatchHandler)]
