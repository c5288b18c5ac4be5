"""A kubechat plot in a real JupyterLab: ``plot.pod_phases`` on the sandbox's pods renders as a
plotly chart (one bar trace per pod status, every namespace on the x axis), and its screenshot
is the README's. ``KUBECHAT_UPDATE_DOC_IMAGES=1`` copies it to docs/images/ (otherwise it stays
under test-artifacts/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.browser.test_notebook_widgets import open_and_run
from tests.plugins.browser import LabPage
from tests.plugins.sandbox import SandboxInfo, kjson

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

DOC_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "plot-pod-phases.png"


def test_pod_phases_plot_renders(lab_page: LabPage, sandbox: SandboxInfo) -> None:
    open_and_run(lab_page, "plot", "%kubectl get pods -n shop -o shop\n"
                 "%kubectl get pods -n payments -o payments\n"
                 "import pandas as pd\nfrom kubechat_lab import plot\n"
                 "plot.pod_phases(pd.concat([shop, payments]))", "safe")
    page = lab_page.page
    page.wait_for_selector(".js-plotly-plot .barlayer .trace", state="attached",
                           timeout=120_000)
    chart = page.locator(".js-plotly-plot").first
    chart.scroll_into_view_if_needed()
    statuses = {p["status"]["phase"] for ns in ("shop", "payments")
                for p in kjson(sandbox, "get", "pods", "-n", ns)["items"]}
    traces = page.locator(".js-plotly-plot .barlayer .trace").count()
    legend = page.locator(".js-plotly-plot .legend .traces").all_text_contents()
    assert traces == len(legend) >= 2, legend  # Running and Pending/CrashLoopBackOff at least
    ticks = page.locator(".js-plotly-plot .xtick").all_text_contents()
    assert {"shop", "payments"} <= {(t or "").strip() for t in ticks}, ticks
    assert "Running" in statuses and any("Running" in t for t in legend)
    news = page.get_by_role("button", name="No", exact=True)  # JupyterLab's news prompt
    if news.count():
        news.first.click()
        news.first.wait_for(state="detached")
    shot = lab_page.artifacts / "plot-pod-phases.png"
    chart.screenshot(path=str(shot))
    if os.environ.get("KUBECHAT_UPDATE_DOC_IMAGES") == "1":
        shutil.copyfile(shot, DOC_IMAGE)
