"""A refusal's choices in a real browser: on the ``%kubechat`` card and in the side panel.

Real JupyterLab (token and XSRF on) with the built labextension, a real kernel, the sandbox and
the embedded PostgreSQL audit chain, driven through Debian's Chromium. The server translates
with the test plugin that refuses "frobnicate the NAME deployment in NS" with choices
(tests/plugins/choices_translator.py, installed through a real entry point on the lab
server's PYTHONPATH): a warning ``rollout restart`` in a scratch namespace and a safe
``get pods -l app=NAME`` (a third, forbidden reading is never offered). Clicking a choice
proposes it: the proposal appears with its level; the write waits for approval.
Screenshots: test-artifacts/<test>/.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kubechat_lab.command import parse
from tests.browser.test_notebook_widgets import CARD, notebook, run_cell, run_first_cell
from tests.browser.test_panel import ask, open_panel
from tests.plugins.browser import REPO, LabPage, LabServer, start_lab, stop_lab
from tests.plugins.choices_translator import PLUGIN_ID, plugin_path
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

RESTARTED = "kubectl.kubernetes.io/restartedAt"


@pytest.fixture(scope="module")
def lab_server(lab_kubechat_settings: dict[str, Any],
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """The module's lab server, translating with the plugin that refuses with choices."""
    base = tmp_path_factory.mktemp("lab-choices")
    plugin = plugin_path(base / "plugin")
    server = start_lab(base, {**lab_kubechat_settings, "llm_provider": PLUGIN_ID},
                       env={"PYTHONPATH": f"{plugin}:{REPO}"})
    try:
        yield server
    finally:
        stop_lab(server)


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    """A namespace with a deployment ``web``; deleted at the end."""
    with scratch_namespace(sandbox, "kc-choice") as name:
        kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app",
                                                           "image": "nginx:1.27"}]}}}}))
        yield name


def restarted(sandbox: SandboxInfo, namespace: str) -> bool:
    template = kjson(sandbox, "get", "deployment", "web", "-n", namespace)["spec"]["template"]
    return RESTARTED in ((template.get("metadata") or {}).get("annotations") or {})


def proposed(server: LabServer) -> list[dict[str, Any]]:
    code, page = server.api("GET", "audit", params={"type": "proposed", "limit": "200"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


def test_choices_on_the_card_and_a_picked_write_waits_for_approval(
        lab_page: LabPage, sandbox: SandboxInfo, scratch: str) -> None:
    page, server = lab_page.page, lab_page.server
    question = f"please frobnicate the web deployment in {scratch}"
    notebook(server.root_dir / "choices.ipynb", "%load_ext kubechat_lab", f"%kubechat {question}")
    lab_page.goto_lab("lab/tree/choices.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    before = len(proposed(server))
    run_cell(lab_page, 1)
    offer = page.locator("[data-testid=kc-choices]")
    offer.wait_for(timeout=120_000)
    buttons = offer.locator("[data-testid=kc-choice]")
    assert buttons.count() == 2
    assert [buttons.nth(i).get_attribute("data-level") for i in range(2)] == ["warning", "safe"]
    write = buttons.nth(0)
    restart = parse(f"kubectl rollout restart deployment web -n {scratch}").render()
    assert write.get_attribute("data-command") == restart
    assert "kubectl --context=" in write.inner_text()
    assert "kube-system" not in offer.inner_text()  # the forbidden reading is not offered
    assert question in offer.inner_text()
    lab_page.shot("choices on the card")
    offer.screenshot(path=str(lab_page.artifacts / "card-choices.png"))
    assert len(proposed(server)) == before  # offering proposed nothing

    write.click()
    card = page.locator(f"{CARD}[data-level=warning][data-state=proposed]")
    card.wait_for(timeout=60_000)
    assert card.locator("[data-testid=kc-command]").inner_text().endswith(
        restart[len("kubectl"):])
    card.locator("[data-testid=kc-approve]").wait_for()
    events = proposed(server)[before:]
    assert [(e["source"], e["level"]) for e in events] == [("propose", "warning")]
    assert not restarted(sandbox, scratch)  # nothing ran: it waits for approval
    lab_page.shot("picked write waits for approval")

    card.locator("[data-testid=kc-approve]").click()
    page.wait_for_selector(f"{CARD}[data-level=warning][data-state=executed]", timeout=120_000)
    assert restarted(sandbox, scratch)
    lab_page.shot("picked write approved and run")


def test_choices_in_the_side_panel_and_a_pick_proposes_it(
        lab_page: LabPage, sandbox: SandboxInfo, scratch: str) -> None:
    page, server = lab_page.page, lab_page.server
    panel = open_panel(lab_page)
    question = f"please frobnicate the web deployment in {scratch}"
    before = len(proposed(server))
    turn = ask(lab_page, question)
    choices = turn.locator(".jp-kubechat-choice")
    choices.first.wait_for()
    assert choices.count() == 2
    assert [choices.nth(i).get_attribute("data-level") for i in range(2)] == ["warning",
                                                                              "safe"]
    assert "kube-system" not in turn.inner_text()
    assert turn.locator(".jp-kubechat-card").count() == 0
    assert len(proposed(server)) == before
    lab_page.shot("choices in the side panel")

    # the safe read: proposed like a typed command, approved by policy, run at once
    look = choices.nth(1)
    command = look.get_attribute("data-command") or ""
    assert " get pods " in command and "-l app=web" in command and " -n " in command
    look.click()
    card = turn.locator(".jp-kubechat-card")
    card.wait_for()
    assert card.locator(".jp-kubechat-badge").inner_text() == "SAFE"
    assert "Picked: look: list its pods" in card.inner_text()
    assert card.locator(".jp-kubechat-command").inner_text().endswith(command[len("kubectl"):])
    page.wait_for_function(
        "e => e.getAttribute('data-state') === 'executed'", arg=card.element_handle(),
        timeout=60_000)
    assert turn.locator(".jp-kubechat-choice").count() == 0  # the turn became the proposal
    lab_page.shot("picked safe read ran")

    # the write: proposed and waiting for approval; rejected here, nothing runs
    again = ask(lab_page, question)
    again.locator(".jp-kubechat-choice").first.click()
    card = again.locator(".jp-kubechat-card[data-state=proposed]")
    card.wait_for()
    assert card.locator(".jp-kubechat-badge").inner_text() == "WARNING"
    assert card.locator(".jp-kubechat-approve").is_visible()
    events = proposed(server)[before:]
    assert [(e["source"], e["level"]) for e in events] == [("propose", "safe"),
                                                            ("propose", "warning")]
    lab_page.shot("picked write waits in the panel")
    panel.screenshot(path=str(lab_page.artifacts / "panel-choices.png"))
    card.locator(".jp-kubechat-reject").click()
    again.locator(".jp-kubechat-message").filter(has_text="Rejected: nothing ran.").wait_for()
