"""The notebook face in a real browser: JupyterLab 4 and Notebook 7, a real kernel, the sandbox.

A question becomes a warning card whose Approve button (the page's cookie + XSRF, never the
kernel) lets the waiting cell run; a dangerous card links to the approval page (another
origin), which refuses a wrong name and takes the right one. Writes happen only in a scratch
namespace made here. Screenshots: test-artifacts/.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugins.browser import LabPage
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

CARD = "[data-testid=kc-card]"


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    """A namespace with deployments ``web`` (1 replica) and ``doomed``; deleted at the end."""
    with scratch_namespace(sandbox, "kc-nbb") as name:
        for deployment in ("web", "doomed"):
            kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": deployment, "namespace": name},
                "spec": {"replicas": 1, "selector": {"matchLabels": {"app": deployment}},
                         "template": {"metadata": {"labels": {"app": deployment}},
                                      "spec": {"containers": [{"name": "app",
                                                               "image": "nginx:1.27"}]}}}}))
        yield name


def notebook(path: Any, *sources: str) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for s in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))


def run_cell(lab: LabPage, index: int) -> None:
    """Select code cell ``index`` of the open notebook and run it (Shift+Enter)."""
    cell = lab.page.locator(".jp-Notebook:visible .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    lab.page.keyboard.press("Shift+Enter")


def run_first_cell(lab: LabPage) -> None:
    """Run cell 0 (``%load_ext kubechat_lab``) until the kernel has run it.

    A Shift+Enter sent while the page is still connecting its kernel is dropped by the front
    end, so it is sent again (the cell is idempotent) until the cell shows an execution count.
    """
    prompt = lab.page.locator(".jp-Notebook:visible .jp-Cell").nth(0).locator(".jp-InputPrompt")
    for _ in range(12):
        # JupyterLab may ask which kernel to start (more than one kernelspec in the
        # environment): take the notebook's own, python3, preselected
        dialog = lab.page.locator(".jp-Dialog:has-text('Select Kernel') .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        run_cell(lab, 0)
        try:
            lab.page.wait_for_function("e => /\\[\\d+\\]/.test(e.innerText)",
                                       arg=prompt.element_handle(), timeout=15_000)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: not connected yet
            continue
    pytest.fail("the notebook's kernel never ran the first cell")


def open_and_run(lab: LabPage, name: str, cell: str, level: str) -> Any:
    """Open a notebook ``%load_ext kubechat_lab`` + ``cell`` in JupyterLab, run both, and
    return the locator of the card of ``level`` it shows."""
    notebook(lab.server.root_dir / f"{name}.ipynb", "%load_ext kubechat_lab", cell)
    lab.goto_lab(f"lab/tree/{name}.ipynb?reset")
    lab.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab)
    run_cell(lab, 1)
    card = lab.page.locator(f"{CARD}[data-level={level}]")
    card.wait_for(timeout=120_000)
    return card


def replicas(sandbox: SandboxInfo, namespace: str, name: str) -> int:
    return int(kjson(sandbox, "get", "deployment", name, "-n", namespace)["spec"]["replicas"])


def test_warning_card_approved_in_jupyterlab(lab_page: LabPage, sandbox: SandboxInfo,
                                             scratch: str) -> None:
    page = lab_page.page
    card = open_and_run(lab_page, "warning", f"%kubechat scale deployment web in namespace "
                        f"{scratch} to 2 replicas -o scaled", "warning")
    shown = card.locator("[data-testid=kc-command]").inner_text()
    assert "kubectl --context=" in shown and " scale deployments/web " in shown  # C2 display
    assert f"-n {scratch}" in card.inner_text() and "context:" in card.inner_text()
    page.wait_for_selector(f"{CARD}[data-state=proposed] [data-testid=kc-approve]")
    assert replicas(sandbox, scratch, "web") == 1  # the cell waits; nothing ran
    lab_page.shot("warning card waiting")
    card.screenshot(path=str(lab_page.artifacts / "command-card-warning.png"))
    card.locator("[data-testid=kc-approve]").click()
    page.wait_for_selector(f"{CARD}[data-state=executed]", timeout=120_000)
    page.wait_for_selector(".jp-OutputArea-output table", timeout=60_000)  # the result frame
    lab_page.shot("warning card executed with its frame")
    assert replicas(sandbox, scratch, "web") == 2


def test_dangerous_card_links_to_the_approval_page(lab_page: LabPage, sandbox: SandboxInfo,
                                                   scratch: str) -> None:
    page = lab_page.page
    card = open_and_run(lab_page, "dangerous", f"%kubectl delete deploy doomed -n {scratch}",
                        "dangerous")
    link = card.locator("[data-testid=kc-approval-page]")
    link.wait_for()
    # the notebook page approves no dangerous command: no name field, no Approve button
    assert card.locator("[data-testid=kc-confirm]").count() == 0
    assert card.locator("[data-testid=kc-approve]").count() == 0
    card.screenshot(path=str(lab_page.artifacts / "command-card-dangerous.png"))
    with page.context.expect_page() as opened:
        link.click()
    person = opened.value
    person.wait_for_selector("[data-testid=command]")
    assert not person.url.startswith(lab_page.server.url), person.url  # another origin
    person.fill("[data-testid=confirm]", "doomed-typo")
    person.click("[data-testid=approve]")
    error = person.locator("[data-testid=error]")
    error.wait_for()
    assert "'doomed'" in error.inner_text()
    person.screenshot(path=str(lab_page.artifacts / "approval-page-wrong-name.png"))
    assert kjson(sandbox, "get", "deployment", "doomed", "-n", scratch)["metadata"]["name"]
    person.fill("[data-testid=confirm]", "doomed")
    person.click("[data-testid=approve]")
    person.wait_for_selector("[data-testid=done]")
    person.screenshot(path=str(lab_page.artifacts / "approval-page-approved.png"))
    page.wait_for_selector(f"{CARD}[data-state=executed]", timeout=120_000)
    lab_page.shot("dangerous card executed")
    gone = kubectl(sandbox, "get", "deployment", "doomed", "-n", scratch, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


def test_notebook7_renders_the_card_and_approves(lab_page: LabPage, sandbox: SandboxInfo,
                                                 scratch: str) -> None:
    notebook(lab_page.server.root_dir / "nb7.ipynb", "%load_ext kubechat_lab",
             "%kubectl get pods -n shop", f"%kubectl scale deploy web -n {scratch} --replicas=3")
    page = lab_page.page
    page.goto(lab_page.server.lab_url("notebooks/nb7.ipynb"))
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    for index in (1, 2):
        run_cell(lab_page, index)
    page.wait_for_selector(f"{CARD}[data-level=safe][data-state=executed]", timeout=120_000)
    card = page.locator(f"{CARD}[data-level=warning]")
    card.wait_for(timeout=120_000)
    lab_page.shot("notebook 7 cards")
    card.locator("[data-testid=kc-approve]").click()
    page.wait_for_selector(f"{CARD}[data-level=warning][data-state=executed]", timeout=120_000)
    lab_page.shot("notebook 7 approved")
    assert replicas(sandbox, scratch, "web") == 3
    assert re.search(r"frontend|checkout", page.locator(".jp-OutputArea-output table").first
                     .inner_text())
