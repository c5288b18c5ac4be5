"""REST handlers of the extension, one module per resource, under ``{base_url}kubechat/api/``."""

from __future__ import annotations

from kubechat_lab.server.handlers import (
    approval,
    ask,
    audit,
    capabilities,
    dashboard,
    health,
    investigate,
    mcp,
    metrics,
    pending,
    proposals,
    watch,
)
from kubechat_lab.server.handlers._base import KubechatHandler

__all__ = ["KubechatHandler", "default_handlers"]

default_handlers = [
    *ask.default_handlers,
    *proposals.default_handlers,
    *watch.default_handlers,
    *investigate.default_handlers,
    *dashboard.default_handlers,
    *audit.default_handlers,
    *health.default_handlers,
    *metrics.default_handlers,
    *capabilities.default_handlers,
    *mcp.default_handlers,
    *pending.default_handlers,
    *approval.default_handlers,
]
