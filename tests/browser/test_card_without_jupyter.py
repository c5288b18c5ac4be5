"""The card's ESM in a page that is not Jupyter's (VS Code's webview has no jupyter-config-data):
no Approve button; it says where to approve instead. Real Chromium, the built ESM as is
(kubechat_lab/widgets/static/kubechat.js, bundled from js/src/widget by `jlpm build`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubechat_lab.widgets._cards import card_fields

ESM = Path(__file__).resolve().parents[2] / "kubechat_lab" / "widgets" / "static" / "kubechat.js"


def render(chromium: Any, state: dict[str, Any]) -> Any:
    page = chromium.new_page()
    page.set_content("<html><body><div id='out'></div></body></html>")
    assert ESM.is_file(), f"{ESM} is not built: run `make setup` (or `jlpm build` in js/)"
    page.evaluate("""async source => {
        const url = URL.createObjectURL(new Blob([source], {type: 'text/javascript'}));
        window.kubechatRender = (await import(url)).default.render;
    }""", ESM.read_text())
    page.evaluate("""state => {
        const model = {get: k => state[k], on: () => {}, set: () => {}, save_changes: () => {}};
        window.kubechatRender({model, el: document.getElementById('out'), experimental: {}});
    }""", state)
    return page


def test_warning_and_dangerous_cards_say_where_to_approve(chromium: Any) -> None:
    base = {"id": "p_" + "b" * 20, "command": "kubectl scale deployments/web -n shop "
            "--replicas=3", "context": "sandbox", "state": "proposed", "reasons": []}
    for level, needle in (("warning", "--approve"), ("dangerous", "never approve")):
        card = card_fields({**base, "level": level, "confirm": "web"})
        page = render(chromium, {"view": "card", "card": card, "state": "proposed",
                                 "message": "", "result": {}})
        text = page.inner_text("[data-testid=kc-elsewhere]")
        assert "cannot reach the kubechat server" in text and base["id"] in text
        assert needle in text
        assert page.locator("[data-testid=kc-approve]").count() == 0
        page.close()


def test_live_table_says_interrupt_to_stop(chromium: Any) -> None:
    page = render(chromium, {"view": "live", "proposal_id": "p_" + "c" * 20,
                             "command": "kubectl get pods -n shop", "columns": ["name"],
                             "rows": [["web-1"]], "total": 1, "events": 0, "elapsed": 1.0,
                             "status": "watching", "last": ""})
    assert "interrupt the kernel to stop" in page.inner_text("[data-testid=kc-live]")
    assert page.locator("[data-testid=kc-stop]").count() == 0
    assert json.loads(json.dumps(page.inner_text("td"))) == "web-1"
    page.close()


def test_the_built_module_draws_the_panels_card(chromium: Any) -> None:
    """The bundle, not only its source: the shared card's level, command, reasons and typed
    name, from the fields the kernel sends (tests/fixtures/faces/proposal.json)."""
    fx = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "faces" /
                     "proposal.json").read_text())
    page = render(chromium, {"view": "card", "card": fx["card_fields"], "state": "proposed",
                             "message": "", "result": {}, "choices": []})
    card = page.locator("section.jp-kubechat-card[data-testid=kc-card]")
    card.wait_for()
    assert card.get_attribute("data-level") == "dangerous"
    assert page.inner_text("[data-testid=kc-level]") == "DANGEROUS"
    assert page.inner_text("[data-testid=kc-command]") == fx["proposal"]["display"]
    assert page.locator(".jp-kubechat-reasons li").all_inner_texts() == fx["proposal"]["reasons"]
    assert "waiting for approval" in page.inner_text("[data-testid=kc-state]")
    assert "kc-elsewhere" in page.content()  # this page has no route to the server
    page.close()
