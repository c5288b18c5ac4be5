"""Picking a refusal's choice in the notebook: the chat panel and the ``%kubechat`` card.

A real Jupyter server with kubechat against the sandbox, the test translator plugin that refuses
with choices (tests/plugins/choices_translator.py, a real entry point), and the widgets' command
channel driven as the page drives it. A pick goes through the kernel client's ``propose`` (the
``%kubectl`` route): a safe read runs as any safe read does, a write waits for approval.
"""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import anywidget
import pytest

from kubechat_lab.kernel import ChatPanel, FrameRegistry, KubechatClient
from kubechat_lab.widgets import CommandCard
from tests.plugins.choices_translator import PLUGIN_ID, plugin_path
from tests.plugins.sandbox import SandboxInfo
from tests.server.conftest import Api, sandbox_settings

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]
_ids = itertools.count(1)
QUESTION = "please frobnicate the checkout deployment"


@pytest.fixture
def jp_server_config(sandbox: SandboxInfo, kubechat_settings: dict[str, Any], tmp_path: Path,
                     monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.syspath_prepend(str(plugin_path(tmp_path / "plugin")))
    settings = sandbox_settings(sandbox, kubechat_settings) | {"llm_provider": PLUGIN_ID}
    return {"ServerApp": {"jpserver_extensions": {"kubechat_lab": True}},
            "KubechatApp": settings}


async def invoke(widget: anywidget.AnyWidget, name: str, msg: dict[str, Any]) -> Any:
    """Send one anywidget command as the page does; return the widget's reply."""
    replies: list[dict[str, Any]] = []
    widget.send = lambda content, buffers=None: replies.append(content)  # type: ignore
    request = {"kind": "anywidget-command", "name": name, "msg": msg, "id": next(_ids)}
    await asyncio.to_thread(widget._handle_custom_msg, request, [])
    return replies[-1]["response"]


@pytest.fixture
def client(api: Api, jp_base_url: str, jp_http_port: int, jp_asyncio_loop: Any
           ) -> KubechatClient:
    code, minted = jp_asyncio_loop.run_until_complete(api.call(
        "POST", "capabilities", {"scopes": ["ask", "propose", "execute"], "label": "choices"}))
    assert code == 201, minted
    return KubechatClient(f"http://127.0.0.1:{jp_http_port}{jp_base_url}", minted["token"],
                          timeout=30)


async def _proposed(api: Api) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"type": "proposed"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


async def test_the_chat_offers_choices_and_a_pick_is_proposed(client: KubechatClient,
                                                              api: Api) -> None:
    namespace: dict[str, Any] = {}
    panel = ChatPanel(client=client, registry=FrameRegistry(namespace), namespace=namespace)
    assert await invoke(panel, "ask", {"question": QUESTION}) == {"ok": True}
    assert [m["role"] for m in panel.messages] == ["user", "choices"]
    offered = panel.messages[1]["choices"]
    assert [(c["level"], c["why"]) for c in offered] == [
        ("warning", "bounce: restart its pods"), ("safe", "look: list its pods")]
    assert all(c["display"].startswith("kubectl --context=") for c in offered)
    assert await _proposed(api) == []  # offered, not proposed

    assert "not offered" in (await invoke(panel, "pick", {"at": 1, "index": 7}))["error"]
    assert await _proposed(api) == []

    # the safe read runs as any safe read does once proposed
    reply = await invoke(panel, "pick", {"at": 1, "index": 1})
    assert reply["ok"], reply
    assert panel.messages[2] == {"role": "error", "text": "choice 7 was not offered here; "
                                 "pick one of the 2 shown"}
    card = panel.messages[3]
    assert card["role"] == "card" and card["card"]["command"] == offered[1]["display"]
    assert card["card"]["level"] == "safe" and card["state"] == "executed", card
    assert card["card"]["explanation"] == "Picked: look: list its pods"
    assert panel.messages[1]["picked"] == 1

    # the write waits for approval: proposed, nothing ran
    reply = await invoke(panel, "pick", {"at": 1, "index": 0})
    write = next(m for m in panel.messages[4:] if m["role"] == "card")
    assert write["card"]["level"] == "warning" and write["state"] == "proposed"
    events = await _proposed(api)
    assert [(e["source"], e["level"]) for e in events] == [("propose", "safe"),
                                                            ("propose", "warning")]
    assert [e["command"] for e in events] == [c["command"] for c in reversed(offered)]
    code, page = await api.call("GET", "audit", params={"type": "executing"})
    assert [r["event"]["level"] for r in page["records"]] == ["safe"]


async def test_the_kubechat_card_becomes_the_picked_proposal(client: KubechatClient,
                                                             api: Api) -> None:
    answer = await asyncio.to_thread(client.ask, QUESTION)
    card = CommandCard.offering(answer, question=QUESTION, client=client)
    assert [c["level"] for c in card.choices] == ["warning", "safe"]
    assert card.card["question"] == QUESTION and not card.proposal_id
    reply = await invoke(card, "pick", {"index": 0})
    assert reply["ok"] and reply["state"] == "proposed", reply
    assert card.choices == [] and card.card["level"] == "warning"
    assert card.card["explanation"] == "Picked: bounce: restart its pods"
    assert card.card["command"] == answer["choices"][0]["display"]
    assert card.state == "proposed"
    # before approval nothing runs from the card
    reply = await invoke(card, "execute", {"id": card.proposal_id})
    assert "nothing ran" in reply["error"]
    code, page = await api.call("GET", "audit", params={"type": "executing"})
    assert page["records"] == []
    # a card of choices that was already picked offers nothing more
    assert "offers no choices" in (await invoke(card, "pick", {"index": 1}))["error"]
