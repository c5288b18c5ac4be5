"""``ask`` over MCP when the translator is unsure: nothing is proposed, and the judged readings
come back as choices (the forbidden one left out, every namespace explicit), through the real
choices plugin (tests/plugins/choices_translator.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.mcp.conftest import agent, mint
from tests.plugins.choices_translator import PLUGIN_ID, plugin_path
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def kubechat_settings(sandbox: Any, audit_db: Any, tmp_path: Path,
                      monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.syspath_prepend(str(plugin_path(tmp_path / "plugin")))
    return {"audit_dsn": audit_db.app_dsn, "audit_dsn_env": "",
            "kubeconfig": str(sandbox.kubeconfig), "llm_provider": PLUGIN_ID}


async def test_an_unsure_question_proposes_nothing_and_offers_judged_choices(
        api: Api, server_url: str, tmp_path: Path) -> None:
    capability = await mint(api)
    async with agent(server_url, capability, tmp_path) as session:
        reply = await session.call_tool(
            "ask", {"question": "please frobnicate the checkout deployment"})
    body = reply.structured_content
    assert not reply.is_error and body["status"] == "no_command", body
    choices = body["choices"]
    assert choices and all(c["level"] != "forbidden" for c in choices), choices
    assert all(" -n " in c["command"] for c in choices), choices
    assert "kubectl tool" in reply.content[0].text
    code, page = await api.call("GET", "audit", params={"type": "proposed"})
    assert code == 200 and page["records"] == []  # nothing proposed for an offer
