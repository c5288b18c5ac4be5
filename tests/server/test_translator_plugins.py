"""Translator plugins through the server: options each provider declares, allow/block lists.

A real Jupyter server with kubechat against the sandbox and the fake Ollama wire server: the
provider is configured only through ``c.TranslatorRegistry.translator_options`` (no
provider-specific trait), and a provider the operator blocked is refused with the reason.
"""

from __future__ import annotations

from typing import Any

import pytest

from kubechat_lab.command import parse
from tests.plugins.llm_servers import FakeLLMServer
from tests.server.conftest import Api, sandbox_settings

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def registry_extra() -> dict[str, Any]:
    """More TranslatorRegistry config for one test (parametrize to change)."""
    return {}


@pytest.fixture
def registry_config(ollama_server: FakeLLMServer, registry_extra: dict[str, Any]) -> dict[str, Any]:
    options = {"ollama": {"host": ollama_server.url, "model": "plugin-model", "timeout": "5",
                          "retries": "0"}}
    return {"translator_options": options, **registry_extra}


@pytest.fixture
def jp_server_config(sandbox: Any, kubechat_settings: dict[str, Any],
                     registry_config: dict[str, Any]) -> dict[str, Any]:
    settings = sandbox_settings(sandbox, kubechat_settings)
    settings |= {"llm_provider": "ollama", "ollama_model": ""}
    return {
        "ServerApp": {"jpserver_extensions": {"kubechat_lab": True}},
        "KubechatApp": settings,
        "TranslatorRegistry": registry_config,
    }


async def test_a_provider_is_configured_by_its_declared_options(
    api: Api, ollama_server: FakeLLMServer
) -> None:
    ollama_server.answer("kubectl get pods -n shop", "Lists the pods in shop.")
    code, out = await api.call("POST", "ask", {"question": "show me the pods in shop"})
    assert code == 200, out
    assert out["proposal"]["provider"] == "ollama", out["translation"]["notes"]
    assert out["proposal"]["command"] == parse("kubectl get pods -n shop").render()
    assert ollama_server.received[0].body["model"] == "plugin-model"


@pytest.mark.parametrize("registry_extra", [{"blocked_translators": ["ollama"]}])
async def test_a_blocked_provider_is_refused_with_the_reason(
    api: Api, ollama_server: FakeLLMServer
) -> None:
    code, body = await api.call("POST", "ask", {"question": "show me the pods in shop"})
    assert code == 502, body
    assert "not allowed by this server's configuration" in body["message"], body
    assert ollama_server.received == []
    code, health = await api.call("GET", "health")
    assert code == 503 and health["provider"]["ok"] is False, health


@pytest.mark.parametrize("registry_extra", [
    {"translator_options": {"ollama": {"model": "m", "hots": "http://127.0.0.1:9"}}}])
async def test_an_unknown_option_is_named(api: Api) -> None:
    code, body = await api.call("POST", "ask", {"question": "show me the pods in shop"})
    assert code == 502, body
    assert "no option 'hots'" in body["message"] and "did you mean host" in body["message"]
