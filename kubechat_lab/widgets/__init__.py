"""anywidget widgets: the command card, the live table and the dashboard.

They share one ES module, ``static/kubechat.js`` (it picks its view from the ``view`` trait),
with the chat panel (``kubechat_lab.kernel.ChatPanel``, which composes the kernel's client with
these cards). The module is bundled from ``js/src/widget`` with the side panel's own card,
choices and result table (``js/src/components``): one source for every face, built by ``jlpm
build`` and shipped in the wheel (see ``_bundle.py``). Approvals go from the page to the
server's browser route, never through the kernel. This package never imports the kernel
package.
"""

from __future__ import annotations

from kubechat_lab.widgets._cards import CardState, InvalidTransition
from kubechat_lab.widgets.command_card import CommandCard
from kubechat_lab.widgets.dashboard import DashboardWidget
from kubechat_lab.widgets.live_table import LiveTable

__all__ = ["CardState", "CommandCard", "DashboardWidget", "InvalidTransition", "LiveTable"]
