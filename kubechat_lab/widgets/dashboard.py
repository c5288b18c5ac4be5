"""``DashboardWidget``: the side panel's Cluster tab in a notebook cell."""

from __future__ import annotations

import anywidget
import traitlets

from kubechat_lab.widgets import _bundle

__all__ = ["DashboardWidget"]


class DashboardWidget(anywidget.AnyWidget):
    """The view of ``%kubechat dashboard``: the same tiles as the Cluster tab.

    The page reads ``GET kubechat/api/dashboard`` itself (the browser route, as the signed-in
    person), every ``refresh_seconds`` of the server while the cell is on screen and the page
    is visible; the kernel sends nothing but the context.

    Parameters
    ----------
    context
        The kubeconfig context to show (empty: the server's default).
    """

    _esm = _bundle.esm()
    _css = _bundle.css()

    view = traitlets.Unicode("dashboard").tag(sync=True)
    context = traitlets.Unicode("").tag(sync=True)

    def __repr__(self) -> str:
        return f"DashboardWidget({self.context or 'default context'})"
