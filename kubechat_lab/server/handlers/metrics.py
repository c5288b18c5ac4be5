"""``GET metrics``: Prometheus text (requests, latencies, levels, decisions)."""

from __future__ import annotations

from kubechat_lab.server._metrics import CONTENT_TYPE
from kubechat_lab.server._proposals import Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["MetricsHandler", "default_handlers"]


class MetricsHandler(KubechatHandler):
    """Scrape with the Jupyter token (``Authorization: token ...``)."""

    auth_resource = "kubechat_lab:metrics"
    route = "metrics"

    @browser_only
    async def get(self, principal: Principal) -> None:
        """Return the exposition text."""
        self.set_status(200)
        self.finish(self.metrics.render(), set_content_type=CONTENT_TYPE)


default_handlers = [(r"/kubechat/api/metrics", MetricsHandler)]
