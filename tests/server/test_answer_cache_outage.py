"""The LLM answer cache when PostgreSQL goes away (docs/translation.md "The answer cache").

The cache is an optimisation and fails open; the ask fails closed, because its ``ask`` audit
event cannot be appended. A real server (openai provider, wire-level fake, the sandbox) on a
private PostgreSQL that the test stops and starts again: while it is down an ask answers 503
``audit-unavailable`` and nothing is served from a cache; once it is back the ask works again,
and the entry made before the outage is still there for later hits.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.plugins.llm_servers import FakeLLMServer
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

QUESTION = "which pods run in shop"


@pytest.fixture
def kubechat_settings(sandbox: Any, dedicated_pg: Any, api_key_file: Path,
                      openai_server: FakeLLMServer) -> dict[str, Any]:
    return {
        "audit_dsn": dedicated_pg.app_dsn,
        "audit_dsn_env": "",
        "audit_connect_timeout": 3.0,
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "llm_provider": "openai",
        "openai_base_url": openai_server.url,
        "openai_model": "kube-model",
        "llm_timeout": 5.0,
        "request_timeout": 20.0,
    }


async def test_the_cache_fails_open_and_the_ask_fails_closed(
        api: Api, dedicated_pg: Any, openai_server: FakeLLMServer, kubechat_app: Any) -> None:
    for _ in range(4):
        openai_server.answer("kubectl get pods -n shop")
    code, first = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 200 and first["translation"]["cached"] is False, first
    code, hit = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 200 and hit["translation"]["cached"] is True, hit
    assert len(openai_server.received) == 1

    dedicated_pg.stop(mode="immediate")
    code, down = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 503 and down["reason"] == "audit-unavailable", down
    # the lookup failed (a miss, logged), so the model was asked; nothing was proposed
    assert len(openai_server.received) == 2

    dedicated_pg.start()
    code, back = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 200, back
    # the cache is left alone for retry_after seconds after a failure: a miss, never an error
    assert back["translation"]["cached"] is False and len(openai_server.received) == 3
    kubechat_app.answers._down_until = 0.0  # as when retry_after has passed
    code, later = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 200 and later["translation"]["cached"] is True, later
    assert len(openai_server.received) == 3
