"""``kubechat mcp`` over stdio, driven by the MCP SDK's own client, against a real server and
the real sandbox: tools and their annotations, reads that run, writes that wait for a person,
refusals, and an agent that can never approve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.mcp.conftest import CLIENT, agent, approve_attempts, mint
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


async def test_tools_are_listed_with_schemas_and_honest_annotations(
        api: Api, server_url: str, tmp_path: Path) -> None:
    capability = await mint(api)
    async with agent(server_url, capability, tmp_path) as session:
        listed = {t.name: t for t in (await session.list_tools()).tools}
    assert set(listed) == {"kubectl", "ask", "proposal", "wait_for_decision", "contexts",
                           "audit"}
    for tool in listed.values():
        schema = tool.input_schema
        assert schema["type"] == "object" and schema["additionalProperties"] is False, tool.name
        assert tool.description and tool.annotations is not None
    assert listed["kubectl"].input_schema["required"] == ["command"]
    assert set(listed["kubectl"].input_schema["properties"]) == {
        "command", "manifest", "context", "limit", "offset"}
    read_only = {n for n, t in listed.items() if t.annotations.read_only_hint}
    # kubectl and ask may propose writes; wait_for_decision runs what a person approved
    assert read_only == {"proposal", "contexts", "audit"}
    assert listed["kubectl"].annotations.destructive_hint is True


async def test_a_safe_read_returns_the_pods_as_marked_rows(
        api: Api, server_url: str, tmp_path: Path, sandbox: SandboxInfo) -> None:
    real = sorted(p["metadata"]["name"] for p in kjson(sandbox, "get", "pods", "-n", "shop")
                  ["items"])
    capability = await mint(api)
    async with agent(server_url, capability, tmp_path) as session:
        done = await session.call_tool("kubectl", {"command": "kubectl get pods -n shop",
                                                   "limit": 200})
        paged = await session.call_tool("kubectl", {"command": "kubectl get pods -n shop",
                                                    "limit": 2, "offset": 1})
    assert not done.is_error, done.content
    body = done.structured_content
    assert body["status"] == "executed" and body["proposal"]["level"] == "safe"
    data = body["cluster_data"]
    assert data["trust"] == "untrusted-cluster-data"
    assert sorted(r["name"] for r in data["rows"]) == real and data["total"] == len(real)
    assert "<untrusted-cluster-data>" in done.content[0].text
    page = paged.structured_content["cluster_data"]
    assert len(page["rows"]) == 2 and page["offset"] == 1 and page["total"] == len(real)
    assert page["next_offset"] == (3 if len(real) > 3 else None)


async def _events(api: Api, **filters: str) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"limit": "1000", **filters})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


async def test_a_delete_waits_a_person_approves_and_wait_for_decision_sees_it_run(
        api: Api, server_url: str, approval: ApprovalBrowser, tmp_path: Path,
        sandbox: SandboxInfo, scratch: str) -> None:
    capability = await mint(api)
    command = f"kubectl delete configmap settings -n {scratch}"
    async with agent(server_url, capability, tmp_path) as session:
        asked = await session.call_tool("kubectl", {"command": command})
        body = asked.structured_content
        assert not asked.is_error and body["status"] == "waiting_for_approval", body
        proposal = body["proposal"]
        assert proposal["level"] == "dangerous" and proposal["state"] == "proposed"
        # a dangerous command is approved on its approval page: the JupyterLab link that sends
        # a signed-in person on to the approval origin
        assert body["approve_at"].startswith(server_url), body
        assert body["approve_at"].endswith(proposal["approval_page"]), body
        text = asked.content[0].text
        assert body["approve_at"] in text and "cannot approve" in text, text
        waited = await session.call_tool("wait_for_decision", {"id": proposal["id"],
                                                               "seconds": 0})
        assert waited.structured_content["status"] == "waiting_for_approval"
        assert kubectl(sandbox, "get", "configmap", "settings", "-n", scratch, check=False
                       ).returncode == 0  # nothing ran
        # the person finds it among the proposals waiting for them (an agent's has no card) ...
        code, waiting = await api.call("GET", "proposals", signed_in=True)
        assert code == 200, waiting
        found = [w for w in waiting["proposals"] if w["id"] == proposal["id"]]
        assert found and found[0]["owner"].startswith("capability:"), waiting
        # ... named as the agent that asked (its declared client), with its approval page
        by = found[0]["proposed_by"]
        assert by["kind"] == "agent" and by["origin"] == "mcp", by
        assert by["client"] == {"name": CLIENT[0], "version": CLIENT[1]}, by
        assert by["capability"]["id"] == found[0]["owner"].removeprefix("capability:"), by
        assert found[0]["approval_page"] == proposal["approval_page"], found[0]
        assert 0 <= waiting["now"] - found[0]["created"] < 600, waiting
        code, listed = await api.call("GET", "proposals", capability=capability)
        assert code == 403 and listed["reason"] == "browser-only"  # not the agent's to see
        # ... and approves it on the approval page (signed in there, its form token, the name)
        decided = await approval.decide(proposal["id"], confirm=proposal["confirm"])
        assert decided.status_code in (200, 303), decided.text
        done = await session.call_tool("wait_for_decision", {"id": proposal["id"],
                                                             "seconds": 30})
    assert not done.is_error, done.content
    assert done.structured_content["status"] == "executed"
    assert done.structured_content["proposal"]["approver"] is not None
    gone = kubectl(sandbox, "get", "configmap", "settings", "-n", scratch, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr


async def test_no_tool_or_argument_can_approve(
        api: Api, server_url: str, tmp_path: Path, sandbox: SandboxInfo, scratch: str,
        jp_http_port: int, jp_base_url: str) -> None:
    import httpx

    # even a capability that carries approve:warning approves nothing through the MCP face
    capability = await mint(api, ["ask", "propose", "execute", "approve:warning"])
    async with agent(server_url, capability, tmp_path) as session:
        warning = await session.call_tool(
            "kubectl", {"command": f"kubectl label configmap settings -n {scratch} team=sre"})
        pid = warning.structured_content["proposal"]["id"]
        assert warning.structured_content["proposal"]["level"] == "warning"
        for name, arguments in approve_attempts(pid, scratch):
            reply = await session.call_tool(name, arguments)
            status = (reply.structured_content or {}).get("status")
            assert status != "executed", (name, arguments, reply.content)
        still = await session.call_tool("proposal", {"id": pid})
    assert still.structured_content["proposal"]["state"] == "proposed"
    labels = kjson(sandbox, "get", "configmap", "settings", "-n", scratch)["metadata"]
    assert "team" not in (labels.get("labels") or {})
    # the same capability, straight at the approve route as the MCP face's origin: refused
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url}kubechat/api/proposals/{pid}/approve"
    async with httpx.AsyncClient() as http:
        refused = await http.post(url, json={}, headers={
            "X-Kubechat-Capability": capability, "X-Kubechat-Origin": "mcp"})
        forged = await http.post(url, json={}, headers={
            "X-Kubechat-Capability": capability, "X-Kubechat-Origin": "person"})
    assert refused.status_code == 403 and refused.json()["reason"] == "agent-cannot-approve"
    assert forged.status_code == 400  # an origin the server does not know is refused


async def test_a_forbidden_command_is_refused_with_rule_and_reason(
        api: Api, server_url: str, tmp_path: Path) -> None:
    capability = await mint(api)
    async with agent(server_url, capability, tmp_path) as session:
        refused = await session.call_tool(
            "kubectl", {"command": "kubectl exec -n shop deploy/frontend -- sh"})
        flagged = await session.call_tool(
            "kubectl", {"command": "kubectl get pods --token=abc -n shop"})
    assert refused.is_error and flagged.is_error
    body = refused.structured_content
    assert body["status"] == "refused", body
    assert body.get("rule_ids") or body.get("reason"), body
    assert "exec" in refused.content[0].text
    assert flagged.structured_content["status"] == "refused"
    assert "abc" not in json.dumps(flagged.structured_content)


async def test_every_call_is_audited_with_origin_mcp_and_the_client(
        api: Api, server_url: str, tmp_path: Path, scratch: str) -> None:
    capability = await mint(api)
    other = await mint(api, ["propose"], label="someone else")
    code, theirs = await api.call("POST", "propose",
                                  {"command": f"kubectl get secrets -n {scratch}"},
                                  capability=other, headers={"X-Kubechat-Origin": "mcp"})
    assert code == 201, theirs
    async with agent(server_url, capability, tmp_path) as session:
        await session.call_tool("kubectl", {"command": "kubectl get pods -n shop"})
        await session.call_tool("kubectl", {"command": f"kubectl delete configmap settings "
                                                       f"-n {scratch}"})
        await session.call_tool("kubectl", {"command": "kubectl exec -n shop web -- sh"})
        asked = await session.call_tool("ask", {"question": "which pods are failing in shop?"})
        own = await session.call_tool("audit", {"limit": 50})
        contexts = await session.call_tool("contexts", {})
    # ask: the command with every default explicit, its context and level; a safe read runs
    shown = asked.structured_content
    assert shown["status"] == "executed", shown
    assert "-n shop" in shown["proposal"]["command"] and shown["proposal"]["context"]
    assert shown["proposal"]["level"] == "safe" and shown["proposal"]["reasons"]
    events = [e for e in await _events(api)
              if e.get("capability") and e["capability"]["label"] == "agent"]
    assert events, "no capability events"
    assert all(e.get("origin") == "mcp" for e in events), events
    assert all(e.get("client") == {"name": CLIENT[0], "version": CLIENT[1]} for e in events)
    kinds = {e["type"] for e in events}
    assert {"proposed", "ask", "approved", "executing", "executed"} <= kinds, kinds
    commands = {e.get("command") for e in events if e["type"] == "proposed"}
    assert f"kubectl delete configmaps settings -n {scratch}" in {
        c.split(" --context")[0] for c in commands if c}
    mine = own.structured_content["events"]
    assert mine and all(e.get("client", {}).get("name") == CLIENT[0] for e in mine)
    assert theirs["id"] not in {e.get("proposal") for e in mine}  # only its own capability's
    assert {"proposed", "ask", "executed"} <= {e["type"] for e in mine}
    ctx = contexts.structured_content
    assert ctx["default"] and ctx["contexts"] and ctx["contexts"][0]["ok"] is True


async def test_the_agent_process_holds_no_credential(
        api: Api, server_url: str, tmp_path: Path, audit_db: Any, sandbox: SandboxInfo) -> None:
    import psutil

    capability = await mint(api)
    async with agent(server_url, capability, tmp_path) as session:
        done = await session.call_tool("kubectl", {"command": "kubectl get ns"})
        assert done.structured_content["status"] == "executed"
        me = psutil.Process()
        kids = [p for p in me.children(recursive=True) if "mcp" in " ".join(p.cmdline())]
        assert len(kids) == 1, [p.cmdline() for p in me.children(recursive=True)]
        env = kids[0].environ()
        files = [f.path for f in kids[0].open_files()]
    secretish = [k for k in env if any(w in k.upper() for w in
                                       ("KUBECONFIG", "TOKEN", "PASSWORD", "SECRET", "KEY",
                                        "DSN", "PG"))]
    assert secretish == [], secretish
    values = "\n".join(env.values())
    assert str(sandbox.kubeconfig) not in values and audit_db.app_dsn not in values
    assert api._token not in values  # the Jupyter token
    assert not any("kubeconfig" in f or ".kube" in f for f in files), files
    assert set(env) - {"KUBECHAT_CAPABILITY"} <= {
        "KUBECHAT_URL", "HOME", "PYTHONPATH", "PATH", "SHELL", "TERM", "USER", "LOGNAME"}, env


async def test_a_capability_minted_for_an_agent_is_an_agents_whatever_it_declares(
        api: Api, server_url: str, jp_http_port: int, jp_base_url: str, scratch: str) -> None:
    import httpx

    capability = await mint(api, ["propose", "approve:warning"], agent=True)
    base = f"http://127.0.0.1:{jp_http_port}{jp_base_url}kubechat/api/"
    headers = {"X-Kubechat-Capability": capability}  # no origin header: a raw client
    async with httpx.AsyncClient() as http:
        made = await http.post(base + "propose", headers=headers, json={
            "command": f"kubectl label configmap settings -n {scratch} team=sre"})
        assert made.status_code == 201, made.text
        pid = made.json()["id"]
        approve = await http.post(base + f"proposals/{pid}/approve", headers=headers, json={})
    assert approve.status_code == 403 and approve.json()["reason"] == "agent-cannot-approve"
    proposed = [e for e in await _events(api, type="proposed") if e.get("proposal") == pid]
    assert proposed and proposed[0]["origin"] == "mcp"
    assert proposed[0]["capability"]["origin"] == "mcp"


async def test_a_rejection_is_reported_and_other_proposals_stay_out_of_reach(
        api: Api, server_url: str, tmp_path: Path, sandbox: SandboxInfo, scratch: str) -> None:
    capability = await mint(api)
    code, pages = await api.call("POST", "propose",
                                 {"command": f"kubectl label configmap settings -n {scratch} a=b"})
    assert code == 201, pages  # the person's own proposal, from their page
    async with agent(server_url, capability, tmp_path) as session:
        mine = await session.call_tool(
            "kubectl", {"command": f"kubectl label configmap settings -n {scratch} team=sre"})
        pid = mine.structured_content["proposal"]["id"]
        code, rejected = await api.call("POST", f"proposals/{pid}/reject",
                                        {"reason": "not now"}, signed_in=True)
        assert code == 200 and rejected["state"] == "rejected", rejected
        told = await session.call_tool("wait_for_decision", {"id": pid, "seconds": 5})
        theirs = await session.call_tool("proposal", {"id": pages["id"]})
    assert told.is_error and told.structured_content["status"] == "rejected"
    assert theirs.is_error and theirs.structured_content["http_status"] == 404
    labels = kjson(sandbox, "get", "configmap", "settings", "-n", scratch)["metadata"]
    assert not (labels.get("labels") or {})
