"""ChatPanel's command channel against a real Jupyter server with kubechat (no cluster): the
page's messages reach Python, Python reaches the server with a capability, and cards follow
approvals, rejections and failures."""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pandas as pd
import pytest

from kubechat_lab.kernel import ChatPanel, FrameRegistry, KubechatClient
from kubechat_lab.kernel.chat_panel import preview
from tests.server.conftest import Api

pytestmark = pytest.mark.postgres
_ids = itertools.count(1)


class Page:
    """Plays the browser side of the anywidget command channel."""

    def __init__(self, panel: ChatPanel) -> None:
        self.panel = panel
        self.replies: list[dict[str, Any]] = []
        panel.send = lambda content, buffers=None: self.replies.append(content)  # type: ignore

    async def invoke(self, name: str, msg: dict[str, Any]) -> Any:
        request = {"kind": "anywidget-command", "name": name, "msg": msg, "id": next(_ids)}
        await asyncio.to_thread(self.panel._handle_custom_msg, request, [])
        reply = self.replies[-1]
        assert reply["kind"] == "anywidget-command-response" and reply["id"] == request["id"]
        return reply["response"]

    def cards(self) -> list[dict[str, Any]]:
        return [m for m in self.panel.messages if m["role"] == "card"]


@pytest.fixture
def page(jp_base_url: str, jp_http_port: int, jp_asyncio_loop: Any,
         request: pytest.FixtureRequest) -> Page:
    server_api: Api = request.getfixturevalue("api")
    code, minted = jp_asyncio_loop.run_until_complete(server_api.call(
        "POST", "capabilities", {"scopes": ["ask", "propose", "execute"], "label": "chat"}))
    assert code == 201
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}"
    client = KubechatClient(url, minted["token"], timeout=30)
    namespace: dict[str, Any] = {}
    return Page(ChatPanel(client=client, registry=FrameRegistry(namespace),
                          namespace=namespace))


async def test_safe_question_runs_at_once_and_a_cluster_failure_fails_the_card(page: Page
                                                                               ) -> None:
    reply = await page.invoke("ask", {"question": "list the pods in namespace shop"})
    assert reply == {"ok": True}
    [card] = page.cards()
    assert card["card"]["command"] == "kubectl get pods -n shop"
    assert card["card"]["level"] == "safe"
    assert card["state"] == "failed" and "kubeconfig" in card["message"]
    assert [m["role"] for m in page.panel.messages] == ["user", "card"]


async def test_warning_waits_for_the_page_then_runs_on_execute(page: Page, api: Api) -> None:
    await page.invoke("ask", {"question": "scale deployment frontend in namespace shop to 3 "
                                          "replicas"})
    [card] = page.cards()
    assert card["card"]["level"] == "warning" and card["state"] == "proposed"
    pid = card["card"]["id"]
    # execute before any approval: nothing runs, the card stays proposed
    reply = await page.invoke("execute", {"id": pid})
    assert "not approved; nothing ran" in reply["error"]
    assert page.cards()[0]["state"] == "proposed"


async def test_approved_in_the_browser_then_executed(page: Page, api: Api) -> None:
    await page.invoke("ask", {"question": "restart the checkout deployment in shop"})
    pid = page.cards()[0]["card"]["id"]
    code, _ = await api.call("POST", f"proposals/{pid}/approve", {})  # the page's Approve
    assert code == 200
    await page.invoke("execute", {"id": pid})
    card = page.cards()[0]
    assert card["state"] == "failed"  # approved, then the (absent) cluster failed it
    assert "cannot load" in card["message"]


async def test_rejected_in_the_browser_is_followed(page: Page, api: Api) -> None:
    await page.invoke("ask", {"question": "delete the fraud-detector deployment in payments"})
    card = page.cards()[0]
    assert card["card"]["level"] == "dangerous" and card["card"]["confirm"] == "fraud-detector"
    code, _ = await api.call("POST", f"proposals/{card['card']['id']}/reject", {})
    assert code == 200
    assert await page.invoke("refresh", {"id": card["card"]["id"]}) == {"state": "rejected"}
    assert page.cards()[0]["state"] == "rejected"


async def test_bad_input_answers_instead_of_hanging(page: Page) -> None:
    assert await page.invoke("ask", {"question": "  "}) == {"error": "type a question first"}
    reply = await page.invoke("keep", {"id": "p_x", "name": "not a name"})
    assert "not a Python variable name" in reply["error"]
    assert "gone" in (await page.invoke("keep", {"id": "p_x", "name": "ok"}))["error"]
    reply = await page.invoke("refresh", {"id": "p_" + "0" * 20})
    assert "no proposal" in reply["error"]


def test_preview_and_top_chart() -> None:
    frame = pd.DataFrame({"namespace": ["a", "b"], "name": ["x", "y"],
                          "cpu_m": pd.array([5, 50], dtype="Int64"),
                          "memory_bytes": pd.array([1, None], dtype="Int64")})
    frame.attrs["kind"] = "top-pods"
    out = preview(frame)
    assert out["shape"] == [2, 4] and out["rows"][1][3] == ""
    assert out["chart"]["bars"] == [["y", 50], ["x", 5]]
