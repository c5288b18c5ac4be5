"""The server's flow on the real sandbox: conversations (docs/translation.md), blocking verbs
that never stall other requests and are bounded, and the audit order of a preview."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def kubechat_settings(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 20.0,
        "max_block_seconds": 300.0,
        "max_workers": 2,  # few threads: a blocking verb must still not hold the others up
    }


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-flow") as name:
        kubectl(sandbox, "create", "configmap", "hold", "-n", name, "--from-literal=a=1")
        yield name


async def ask(api: Api, question: str, conversation: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"question": question}
    if conversation is not None:
        body["conversation"] = conversation
    code, reply = await api.call("POST", "ask", body)
    assert code == 200, reply
    return reply


async def test_a_follow_up_is_read_against_the_previous_turn(api: Api) -> None:
    first = await ask(api, "list the pods in namespace shop", conversation="c-1")
    assert first["proposal"]["command"] == "kubectl get pods -n shop"
    code, done = await api.call("POST", f"proposals/{first['proposal']['id']}/execute")
    assert code == 200
    follow = await ask(api, "and in payments?", conversation="c-1")
    assert follow["proposal"]["command"] == "kubectl get pods -n payments"
    assert follow["proposal"]["conversation"] == "c-1"
    await ask(api, "show deployment checkout in shop", conversation="c-2")
    again = await ask(api, "now restart it", conversation="c-2")
    assert again["proposal"]["command"] == "kubectl rollout restart deployments/checkout -n shop"
    # another conversation (or none) has no previous turn: "it" means nothing there
    for conversation in ("c-3", None):
        alone = await ask(api, "now restart it", conversation=conversation)
        assert alone["proposal"] is None or "checkout" not in alone["proposal"]["command"]
    code, page = await api.call("GET", "audit", params={"type": "ask"})
    assert [r["event"].get("conversation") for r in page["records"]] == [
        "c-1", "c-1", "c-2", "c-2", "c-3", None]
    code, body = await api.call("POST", "ask", {"question": "pods", "conversation": "bad id!"})
    assert code == 400 and body["reason"] == "invalid-conversation"
    code, body = await api.call("POST", "ask", {"question": "pods", "conversation": "x" * 65})
    assert code == 400 and body["reason"] == "invalid-conversation"


async def test_the_result_of_a_turn_grounds_the_next(api: Api, kubechat_app: Any) -> None:
    first = await ask(api, "list the pods in namespace shop", conversation="names")
    await api.call("POST", f"proposals/{first['proposal']['id']}/execute")
    turn = kubechat_app.conversations.previous("page:" + first["proposal"]["user"], "names")
    assert turn.kind == "pods" and turn.names and turn.command.namespace == "shop"


async def test_a_long_wait_does_not_stall_the_same_users_other_requests(
    api: Api, sandbox: SandboxInfo, scratch: str
) -> None:
    code, wait = await api.call("POST", "propose", {
        "command": f"kubectl wait --for=delete configmap/hold -n {scratch} --timeout=240s"})
    assert code == 201 and wait["state"] == "approved", wait
    assert wait["command"].endswith("--for=delete --timeout=240s")
    waiting = asyncio.ensure_future(api.call("POST", f"proposals/{wait['id']}/execute"))
    # the wait is running once its 'executing' event is in the chain
    for _ in range(200):
        code, page = await api.call("GET", "audit", params={"proposal": wait["id"],
                                                            "type": "executing"})
        if page["records"]:
            break
        await asyncio.sleep(0.1)
    assert page["records"], "the wait never started"
    # the same user's reads still answer, several at once, while the wait blocks
    for _ in range(2):
        proposals = [await api.call("POST", "propose",
                                    {"command": f"kubectl get configmaps -n {scratch}"})
                     for _ in range(4)]
        done = await asyncio.gather(*(api.call("POST", f"proposals/{p['id']}/execute")
                                      for _, p in proposals))
        assert [code for code, _ in done] == [200] * 4
        assert "hold" in str(done[0][1]["result"])
    assert not waiting.done()  # it only ends when its condition holds
    kubectl(sandbox, "delete", "configmap", "hold", "-n", scratch)
    code, finished = await asyncio.wait_for(waiting, 240)
    assert code == 200 and finished["state"] == "executed", finished
    assert "condition met" in (finished["result"]["text"] or "")


async def test_a_wait_above_the_limit_is_refused_naming_the_limit(api: Api, scratch: str) -> None:
    code, wait = await api.call("POST", "propose", {
        "command": f"kubectl wait --for=delete configmap/hold -n {scratch} --timeout=1h"})
    assert code == 201 and wait["state"] == "refused" and wait["level"] == "forbidden"
    assert wait["rule_ids"][0] == "server:blocking-limit"
    assert "300 s" in wait["reasons"][0] and "max_block_seconds" in wait["reasons"][0]
    code, body = await api.call("POST", f"proposals/{wait['id']}/execute")
    assert code == 403
    # a wait without --timeout runs with the default, shown
    code, plain = await api.call("POST", "propose", {
        "command": f"kubectl rollout status deployment/frontend -n {scratch}"})
    assert plain["command"].endswith("--timeout=60s")


async def test_the_preview_is_recorded_before_it_touches_the_cluster(
    api: Api, scratch: str
) -> None:
    code, proposal = await api.call("POST", "propose", {
        "command": f"kubectl label configmap hold -n {scratch} seen=yes"})
    assert code == 201 and proposal["preview"]["status"] == "dry-run", proposal
    code, page = await api.call("GET", "audit", params={"proposal": proposal["id"]})
    assert [r["event"]["type"] for r in page["records"]] == ["proposed"]
    assert page["records"][0]["seq"] == proposal["audit_seqs"][0]
