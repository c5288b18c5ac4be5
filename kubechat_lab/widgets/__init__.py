"""anywidget widgets: the command card, the chat panel and the live table (plain ESM, no Node).

All three share one committed ES module, ``static/kubechat.js`` (it picks its view from the
``view`` trait), so the chat panel draws exactly the cards ``CommandCard`` draws without a
bundler. Approvals go from the page to the server's browser route, never through the kernel.
"""

from __future__ import annotations

from kubechat_lab.widgets._cards import CardState, InvalidTransition
from kubechat_lab.widgets.chat_panel import ChatPanel
from kubechat_lab.widgets.command_card import CommandCard
from kubechat_lab.widgets.live_table import LiveTable

__all__ = ["CardState", "ChatPanel", "CommandCard", "InvalidTransition", "LiveTable"]
