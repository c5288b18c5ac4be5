"""The chat panel and the live table in a real JupyterLab: Enter sends a question through
anywidget's command channel, a top result is charted and kept as a variable; a watch shows a
pod the test creates and ends on its Stop button (audited). Scratch namespace only."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.browser.test_notebook_widgets import notebook, run_cell, run_first_cell
from tests.plugins.browser import LabPage, unique
from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-nbw") as name:
        yield name


def test_chat_panel_asks_charts_and_keeps(lab_page: LabPage) -> None:
    notebook(lab_page.server.root_dir / "chat.ipynb", "%load_ext kubechat_lab",
             "from kubechat_lab.kernel import ChatPanel\nChatPanel()",
             "print(type(hot).__name__, len(hot))")
    page = lab_page.page
    lab_page.goto_lab("lab/tree/chat.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    run_cell(lab_page, 1)
    box = page.locator("[data-testid=kc-input]")
    box.wait_for(timeout=120_000)
    box.fill("top pods in shop")
    box.press("Enter")
    page.wait_for_selector("[data-testid=kc-card][data-state=executed]", timeout=120_000)
    page.wait_for_selector("[data-testid=kc-chart] rect", timeout=60_000)
    preview = page.locator("[data-testid=kc-preview]")
    assert "top-pods" in preview.inner_text()
    preview.locator("[data-testid=kc-keep-name]").fill("hot")
    preview.locator("[data-testid=kc-keep]").click()
    page.wait_for_selector("[data-testid=kc-note]:has-text('kept as hot')", timeout=60_000)
    lab_page.shot("chat panel with a top chart")
    run_cell(lab_page, 2)
    page.wait_for_selector(".jp-OutputArea-output:has-text('DataFrame')", timeout=60_000)


def test_watch_shows_a_new_pod_and_stops_on_the_button(lab_page: LabPage, sandbox: SandboxInfo,
                                                       scratch: str) -> None:
    notebook(lab_page.server.root_dir / "watch.ipynb", "%load_ext kubechat_lab",
             f"%kubechat watch get pods -n {scratch} --for 300s -o live")
    page = lab_page.page
    lab_page.goto_lab("lab/tree/watch.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    run_cell(lab_page, 1)
    status = page.locator("[data-testid=kc-live-status]")
    status.wait_for(timeout=120_000)
    try:
        page.wait_for_selector("[data-testid=kc-live-status]:has-text('watching')",
                               timeout=120_000)
    except Exception as exc:  # noqa: BLE001 - playwright's TimeoutError: say what the page shows
        outputs = page.locator(".jp-Notebook:visible .jp-OutputArea").all_inner_texts()
        pytest.fail(f"the live table never said 'watching': status {status.inner_text()!r}; "
                    f"cell outputs {outputs!r} ({exc})")
    pod = unique("seen")
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": scratch},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}))
    page.wait_for_selector(f"[data-testid=kc-live] td:has-text('{pod}')", timeout=60_000)
    lab_page.shot("live table sees the new pod")
    page.locator("[data-testid=kc-stop]").click()
    page.wait_for_selector("[data-testid=kc-live-status]:has-text('stopped (stopped)')",
                           timeout=60_000)
    lab_page.shot("watch stopped from the page")
    code, page_of = lab_page.server.api("GET", "audit", params={"type": "watch_stopped"})
    assert code == 200
    stopped = [r["event"] for r in page_of["records"] if scratch in r["event"]["command"]]
    assert stopped and stopped[-1]["reason"] == "stopped" and stopped[-1]["via"] == "capability"
