"""The MCP face over streamable HTTP at ``kubechat/api/mcp``, driven by the MCP SDK's own
client: only a capability reaches it, and its calls are judged, audited (origin ``mcp``) and
never approving, as over stdio."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mcp import _clients
from tests.mcp.conftest import CLIENT, approve_attempts, mint
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


def http_agent(url: str, capability: str) -> Any:
    return _clients.http_agent(url, capability, CLIENT)


async def test_over_http_reads_run_writes_wait_and_every_call_is_audited(
        api: Api, server_url: str, sandbox: SandboxInfo, scratch: str) -> None:
    capability = await mint(api)
    async with http_agent(server_url, capability) as session:
        tools = {t.name: t for t in (await session.list_tools()).tools}
        pods = await session.call_tool("kubectl", {"command": "kubectl get pods -n shop"})
        refused = await session.call_tool(
            "kubectl", {"command": f"kubectl delete configmap settings -n {scratch}",
                        "approve": True})
        delete = await session.call_tool(
            "kubectl", {"command": f"kubectl delete configmap settings -n {scratch}"})
        pid = delete.structured_content["proposal"]["id"]
        waited = await session.call_tool("wait_for_decision", {"id": pid, "seconds": 1})
    assert {n for n, t in tools.items() if t.annotations.read_only_hint} == {
        "proposal", "contexts", "audit"}
    real = {p["metadata"]["name"] for p in kjson(sandbox, "get", "pods", "-n", "shop")["items"]}
    rows = pods.structured_content["cluster_data"]["rows"]
    assert {r["name"] for r in rows} == real
    assert refused.is_error and refused.structured_content["reason"] == "invalid-arguments"
    assert delete.structured_content["status"] == "waiting_for_approval"
    assert waited.structured_content["status"] == "waiting_for_approval"
    assert kubectl(sandbox, "get", "configmap", "settings", "-n", scratch).returncode == 0
    code, page = await api.call("GET", "audit", params={"limit": "1000"})
    assert code == 200
    used = [r["event"] for r in page["records"] if r["event"].get("capability")]
    assert used and all(e.get("origin") == "mcp" for e in used)
    assert all(e.get("client") == {"name": CLIENT[0], "version": CLIENT[1]} for e in used)


async def test_over_http_no_tool_or_argument_approves_and_forbidden_is_refused(
        api: Api, server_url: str, sandbox: SandboxInfo, scratch: str) -> None:
    # even a capability that carries approve:warning approves nothing through the MCP face
    capability = await mint(api, ["ask", "propose", "execute", "approve:warning"])
    async with http_agent(server_url, capability) as session:
        warning = await session.call_tool(
            "kubectl", {"command": f"kubectl label configmap settings -n {scratch} team=sre"})
        pid = warning.structured_content["proposal"]["id"]
        assert warning.structured_content["proposal"]["level"] == "warning"
        for name, arguments in approve_attempts(pid, scratch):
            reply = await session.call_tool(name, arguments)
            status = (reply.structured_content or {}).get("status")
            assert status != "executed", (name, arguments, reply.content)
        still = await session.call_tool("proposal", {"id": pid})
        forbidden = await session.call_tool(
            "kubectl", {"command": "kubectl exec -n shop deploy/frontend -- sh"})
    assert still.structured_content["proposal"]["state"] == "proposed"
    labels = kjson(sandbox, "get", "configmap", "settings", "-n", scratch)["metadata"]
    assert "team" not in (labels.get("labels") or {})
    assert forbidden.is_error and forbidden.structured_content["status"] == "refused"
    assert "exec" in forbidden.content[0].text
    code, page = await api.call("GET", "audit", params={"limit": "1000", "proposal": pid})
    assert code == 200
    assert [r["event"] for r in page["records"] if r["event"]["type"] == "approved"] == []


async def test_the_http_face_needs_a_live_capability(
        api: Api, server_url: str, http_server_client: Any) -> None:
    import httpx

    url = server_url + "kubechat/api/mcp"
    hello = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
             "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "x", "version": "1"}}}
    accept = {"Accept": "application/json, text/event-stream"}
    async with httpx.AsyncClient() as http:
        none = await http.post(url, json=hello, headers=accept)
        forged = await http.post(url, json=hello, headers={
            **accept, "X-Kubechat-Capability": "kcap_" + "x" * 43})
        token = await http.post(url, json=hello, headers={
            **accept, "Authorization": f"token {api._token}"})
    assert none.status_code == 403 and forged.status_code == 403, (none.text, forged.text)
    # the Jupyter token is a person's credential, not an agent's: refused here too
    assert token.status_code == 403, token.text
