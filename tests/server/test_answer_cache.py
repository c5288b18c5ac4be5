"""The LLM answer cache through a real Jupyter server (docs/translation.md "The answer cache").

A real server with the ``openai`` provider against the wire-level fake, the cache's rows in a
real PostgreSQL (the audit database), the sandbox cluster with RBAC for two people: the second
ask is served from the cache (the fake sees one request) and marked on the proposal and in the
audit; case and space do not matter; another previous turn, another identity's grounding and a
changed inventory miss; a hit is judged by the policy afresh. The rules provider never touches
the cache.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.plugins.llm_servers import FakeLLMServer
from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import Api
from tests.server.test_users import (  # noqa: F401 - pods_only_rbac is a fixture
    BOB_TOKEN,
    PODS_ONLY_GROUP,
    as_user,
    pods_only_rbac,
)

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

QUESTION = "Which pods run in shop?"


@pytest.fixture
def provider() -> str:
    return "openai"


@pytest.fixture
def kubechat_settings(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path,
                      openai_server: FakeLLMServer, pods_only_rbac: str,  # noqa: F811
                      provider: str) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "llm_provider": provider,
        "openai_base_url": openai_server.url,
        "openai_model": "kube-model",
        "llm_timeout": 5.0,
        "request_timeout": 20.0,
        "impersonate": {
            "alice": {"user": "kc-alice", "groups": ["system:masters"]},
            "bob": {"user": "kc-bob", "groups": [PODS_ONLY_GROUP]},
        },
    }


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kubechat_lab": True},
            "identity_provider_class": "tests.server.test_users.NamedUsers",
        },
        "KubechatApp": dict(kubechat_settings),
    }


async def ask(api: Api, question: str, token: str | None = None,
              conversation: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if conversation:
        body["conversation"] = conversation
    if token is None:
        code, out = await api.call("POST", "ask", body)
    else:
        code, out = await as_user(api, token, "POST", "ask", body)
    assert code == 200, out
    return dict(out)


def entries(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT provider, model, replies, hits FROM "
                            "kubechat_audit.answer_cache ORDER BY created_at").fetchall()


async def ask_events(api: Api) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"type": "ask", "limit": "1000"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


async def test_second_ask_is_cached_and_a_changed_grounding_or_turn_misses(
        api: Api, openai_server: FakeLLMServer, kubechat_app: Any, audit_db: Any,
        sandbox: SandboxInfo) -> None:
    for _ in range(5):
        openai_server.answer("kubectl get pods -n shop", "Lists the pods in shop.")
    first = await ask(api, QUESTION)
    assert first["translation"]["cached"] is False
    assert first["proposal"]["cached"] is False
    second = await ask(api, "which   PODS run in shop")
    assert len(openai_server.received) == 1  # served from the cache: no request
    assert second["translation"]["cached"] is True
    proposal = second["proposal"]
    assert proposal["cached"] is True and proposal["command"].startswith("kubectl get pods")
    assert proposal["level"] == "safe" and proposal["state"] == "approved"
    assert proposal["explanation"] == "Lists the pods in shop."
    events = await ask_events(api)
    assert [e.get("cached") for e in events] == [None, True]  # the audit says so too
    assert kubechat_app.answers.scope == kubechat_app.policy.digest  # the policy version
    code, metrics = await api.call("GET", "metrics")
    assert code == 200
    for outcome, count in (("miss", 1), ("store", 1), ("hit", 1)):
        assert f'kubechat_answer_cache_total{{outcome="{outcome}"}} {count}.0' in metrics

    # a follow-up: another previous turn misses (then hits as the same follow-up)
    await ask(api, QUESTION, conversation="c1")  # no previous turn yet: a hit
    assert len(openai_server.received) == 1
    followup = await ask(api, QUESTION, conversation="c1")
    assert followup["translation"]["cached"] is False and len(openai_server.received) == 2
    assert "Previous question: Which pods run in shop?" in openai_server.received[-1].prompt

    # bob's identity lists pods only: his grounding differs, so alice's answer is not his
    bob = await ask(api, QUESTION, token=BOB_TOKEN)
    assert bob["translation"]["cached"] is False and len(openai_server.received) == 3
    assert (await ask(api, QUESTION, token=BOB_TOKEN))["translation"]["cached"] is True

    # the inventory changes: a new deployment appears, so the same question misses
    with scratch_namespace(sandbox, "kc-cache") as ns:
        kubectl(sandbox, "create", "deployment", "cache-probe", "-n", ns, "--image=nginx:1.27")
        kubechat_app.pipeline.grounding.clear()  # instead of waiting for its 60 s TTL
        changed = await ask(api, QUESTION)
        assert changed["translation"]["cached"] is False and len(openai_server.received) == 4
        assert "deployments/cache-probe" in openai_server.received[-1].prompt
        assert (await ask(api, QUESTION))["translation"]["cached"] is True
    assert len(openai_server.received) == 4
    assert len(entries(audit_db.dsn)) == 4  # alice, alice's follow-up, bob, the new inventory


async def test_a_hit_is_judged_by_the_policy_every_time(
        api: Api, openai_server: FakeLLMServer, audit_db: Any) -> None:
    """The cache holds the model's raw reply, never a level: an entry rewritten in the
    database to a delete comes back judged dangerous and waiting, not as the restart was."""
    openai_server.answer("kubectl rollout restart deployment/checkout -n shop")
    question = "restart the checkout deployment in shop"
    first = (await ask(api, question))["proposal"]
    assert first["level"] == "warning" and first["state"] == "proposed"
    (row,) = entries(audit_db.dsn)
    assert set(json.loads(row[2][0])) == {"command", "explanation"}  # no level kept
    with psycopg.connect(audit_db.dsn) as conn:
        conn.execute("UPDATE kubechat_audit.answer_cache SET replies = %s", [[json.dumps(
            {"command": "kubectl delete deployment checkout -n shop", "explanation": "x"})]])
    hit = (await ask(api, question))["proposal"]
    assert len(openai_server.received) == 1 and hit["cached"] is True
    assert hit["command"] == "kubectl delete deployments checkout -n shop"
    assert hit["level"] == "dangerous" and hit["state"] == "proposed"
    assert hit["confirm"] == "checkout" and hit["reasons"]


@pytest.mark.parametrize("provider", ["rules"])
async def test_the_rules_provider_never_touches_the_cache(
        api: Api, kubechat_app: Any, audit_db: Any, openai_server: FakeLLMServer) -> None:
    for _ in range(2):
        out = await ask(api, QUESTION)
        assert out["translation"]["provider"] == "rules"
        assert out["translation"]["cached"] is False and out["proposal"]["cached"] is False
    assert kubechat_app.answers is None
    assert entries(audit_db.dsn) == [] and openai_server.received == []
