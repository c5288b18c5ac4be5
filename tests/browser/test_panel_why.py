"""A why-question in the side panel and in the chat widget runs an investigation (Chromium).

Real parts only: jupyter lab with the built labextension and widget bundle, the sandbox's demo
workload (``recommendations`` in ``shop`` is Pending: its node selector and CPU request fit no
node), the embedded PostgreSQL audit chain, a real kernel for the widget. The finding on the
page is checked against what the API server says (the real kubectl). A finding's next command
is proposed on a click and, when it writes, waits for approval: nothing is run for it.
Screenshots: test-artifacts/<test>/NN-step.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.test_notebook_widgets import notebook, run_cell, run_first_cell
from tests.plugins.browser import LabPage
from tests.plugins.sandbox import SandboxInfo, kjson

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

PANEL_TAB = "[data-id='kubechat-lab-panel']"
INPUT = ".jp-kubechat-input"
QUESTION = "why is recommendations pending"


def expected_fit(sandbox: SandboxInfo) -> str:
    """``N of M nodes fit``: the nodes recommendations' node selector matches, of all nodes."""
    deployment = kjson(sandbox, "get", "deployment", "recommendations", "-n", "shop")
    selector = deployment["spec"]["template"]["spec"].get("nodeSelector") or {}
    nodes = kjson(sandbox, "get", "nodes")["items"]
    matching = [n for n in nodes if all((n["metadata"].get("labels") or {}).get(k) == v
                                        for k, v in selector.items())]
    assert len(matching) < len(nodes), "the demo workload changed: recommendations fits"
    return f"{len(matching)} of {len(nodes)} nodes fit pod recommendations-"


def audit_events(lab: LabPage, kind: str, after: int = 0) -> list[dict[str, Any]]:
    code, page = lab.server.api("GET", "audit", params={"type": kind, "after": after,
                                                        "limit": 1000})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


def head_seq(lab: LabPage) -> int:
    code, health = lab.server.api("GET", "health")
    assert code == 200, health
    return int(health["database"]["head_seq"])


def test_a_why_question_in_the_panel_shows_findings_with_evidence(
        lab_page: LabPage, sandbox: SandboxInfo) -> None:
    lab, page = lab_page, lab_page.page
    fit = expected_fit(sandbox)
    start = head_seq(lab)
    panel = page.locator("#kubechat-lab-panel")
    if not panel.is_visible():
        page.click(PANEL_TAB)
    panel.wait_for(state="visible")
    page.fill(INPUT, QUESTION)
    page.press(INPUT, "Enter")
    turn = page.locator(".jp-kubechat-why-turn").first
    turn.wait_for()
    # the plan's object is named at once; the findings follow once the reads have run
    turn.get_by_text("deployment recommendations in shop").first.wait_for()
    investigation = turn.locator("[data-testid=kc-investigation]")
    investigation.wait_for(timeout=120_000)
    lab.shot("why recommendations is pending")

    # the finding, with its evidence rows, as the analyzer says it
    found = investigation.locator("[data-testid=kc-finding]").filter(has_text=fit)
    assert found.count() == 1, investigation.inner_text()
    rows = found.locator("[data-testid=kc-evidence]").all_inner_texts()
    assert any(r.startswith("[nodes] ") for r in rows), rows
    # no language model in this lab: the findings stand alone, no summary block
    assert investigation.locator("[data-testid=kc-summary]").count() == 0
    # it was an investigation, not one read: no command card in that turn
    assert turn.locator(".jp-kubechat-card").count() == 0

    # the reads ran as audited safe proposals; nothing else was proposed or run
    proposed = [e for e in audit_events(lab, "proposed", start)
                if "recommendations" in str(e.get("command"))]
    assert proposed and all(e.get("level") == "safe" for e in proposed), proposed
    asked = [e for e in audit_events(lab, "ask", start) if e.get("question") == QUESTION]
    assert [e["outcome"] for e in asked] == ["investigation"]

    # a finding's next command is proposed on a click, as its own card; a write waits
    offers = investigation.locator("[data-testid=kc-next-propose]")
    if offers.count():
        offer = offers.first
        level = offer.get_attribute("data-level")
        offer.click()
        card = page.locator(".jp-kubechat-turn .jp-kubechat-card").last
        card.wait_for(timeout=60_000)
        assert card.locator(".jp-kubechat-badge").first.inner_text() == (level or "").upper()
        if level != "safe":
            executed = [e for e in audit_events(lab, "executing", start)
                        if e.get("command") == offer.get_attribute("data-command")]
            assert executed == []
        lab.shot("next command proposed")

    # Save as notebook: the runbook the server wrote, opened in the lab
    investigation.locator(".jp-kubechat-why-save").click()
    notice = page.locator(".jp-kubechat-notice")
    notice.filter(has_text="Saved the investigation as").wait_for(timeout=60_000)
    path = notice.inner_text().rsplit(" ", 1)[1].rstrip(".")
    saved = lab.server.contents(path)["content"]
    sources = ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
               for c in saved["cells"]]
    assert any(s.startswith("%kubectl") and "recommendations" in s for s in sources), sources
    assert any("nodes fit" in s for s in sources), sources


def test_an_unknown_object_is_refused_with_choices_in_the_panel(lab_page: LabPage) -> None:
    page = lab_page.page
    panel = page.locator("#kubechat-lab-panel")
    if not panel.is_visible():
        page.click(PANEL_TAB)
    panel.wait_for(state="visible")
    page.fill(INPUT, "why is recomendations pending")
    page.press(INPUT, "Enter")
    refused = page.locator("[data-testid=kc-why-refused]").first
    refused.wait_for(timeout=60_000)
    assert "Not investigated" in refused.inner_text()
    choice = refused.locator("[data-testid=kc-why-choice]")
    texts = [" ".join(t.split()) for t in choice.all_inner_texts()]
    assert texts == ["Investigate deployment/recommendations -n shop"]
    choice.click()
    page.locator("[data-testid=kc-investigation]").first.wait_for(timeout=120_000)
    lab_page.shot("refused then investigated")


def test_a_why_question_in_the_chat_widget_shows_the_same_findings(
        lab_page: LabPage, sandbox: SandboxInfo) -> None:
    fit = expected_fit(sandbox)
    notebook(lab_page.server.root_dir / "why-chat.ipynb", "%load_ext kubechat_lab",
             "from kubechat_lab.kernel import ChatPanel\nChatPanel()")
    page = lab_page.page
    lab_page.goto_lab("lab/tree/why-chat.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab_page)
    run_cell(lab_page, 1)
    box = page.locator("[data-testid=kc-chat] [data-testid=kc-input]")
    box.wait_for(timeout=120_000)
    box.fill(QUESTION)
    box.press("Enter")
    investigation = page.locator("[data-testid=kc-chat] [data-testid=kc-investigation]")
    investigation.wait_for(timeout=180_000)
    found = investigation.locator("[data-testid=kc-finding]").filter(has_text=fit)
    assert found.count() == 1, investigation.inner_text()
    assert found.locator("[data-testid=kc-evidence]").count() > 0
    # nothing was proposed as a card for the question itself
    assert page.locator("[data-testid=kc-chat] [data-testid=kc-card]").count() == 0
    lab_page.shot("why in the chat widget")
    # a next command goes through the kernel's propose_next: its own card, judged again
    offer = investigation.locator("[data-testid=kc-next-propose]").first
    command, level = offer.get_attribute("data-command"), offer.get_attribute("data-level")
    offer.click()
    card = page.locator(f"[data-testid=kc-chat] [data-testid=kc-card][data-level={level}]")
    card.wait_for(timeout=120_000)
    proposed = [e for e in audit_events(lab_page, "proposed") if e.get("command") == command]
    assert proposed and proposed[-1]["via"] == "capability", proposed
    lab_page.shot("next command proposed from the widget")
