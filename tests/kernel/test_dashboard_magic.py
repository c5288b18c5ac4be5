"""``%kubechat dashboard``: the widget of the Cluster tab, for the context given."""

from __future__ import annotations

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

from kubechat_lab.kernel.magics import KubechatMagics
from kubechat_lab.widgets import DashboardWidget


@pytest.fixture
def shell() -> InteractiveShell:
    ip = InteractiveShell.instance()
    ip.register_magics(KubechatMagics(ip))
    return ip


def test_dashboard_is_the_cluster_tabs_widget(shell: InteractiveShell) -> None:
    widget = shell.run_line_magic("kubechat", "dashboard --context prod")
    assert isinstance(widget, DashboardWidget)
    assert (widget.view, widget.context) == ("dashboard", "prod")
    assert shell.run_line_magic("kubechat", "dashboard").context == ""
    with pytest.raises(UsageError, match="only --context"):
        shell.run_line_magic("kubechat", "dashboard of shop")
