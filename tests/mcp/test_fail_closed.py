"""Fail closed: a server that cannot audit refuses the agent's calls, reads included, and
nothing runs (the cluster is real; the audit database is not there)."""

from __future__ import annotations

import secrets
import socket
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.server._capabilities import TOKEN_PREFIX
from tests.mcp.conftest import agent
from tests.plugins.sandbox import SandboxInfo, kubectl
from tests.server.conftest import Api

pytestmark = [pytest.mark.sandbox]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def kubechat_settings(sandbox: Any) -> dict[str, Any]:
    return {
        "audit_dsn": f"host=127.0.0.1 port={_closed_port()} user=nobody dbname=none",
        "audit_dsn_env": "",
        "audit_connect_timeout": 2.0,
        "kubeconfig": str(sandbox.kubeconfig),
    }


async def test_without_its_audit_database_the_server_refuses_every_call(
        api: Api, server_url: str, tmp_path: Path, sandbox: SandboxInfo, scratch: str,
        kubechat_app: Any) -> None:
    code, minted = await api.call("POST", "capabilities",
                                  {"scopes": ["ask", "propose", "execute"], "label": "agent"})
    assert code == 503, minted  # minting is audited too: refused
    # capabilities live in the audit database too: without it the server cannot tell a valid
    # one from a forged one, so every call is refused as unavailable (never run)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with agent(server_url, token, tmp_path) as session:
        read = await session.call_tool("kubectl", {"command": "kubectl get pods -n shop"})
        delete = await session.call_tool(
            "kubectl", {"command": f"kubectl delete configmap settings -n {scratch}"})
    for reply in (read, delete):
        assert reply.is_error, reply.content
        assert reply.structured_content["status"] == "unavailable", reply.structured_content
        assert "cluster_data" not in reply.structured_content
    assert kubectl(sandbox, "get", "configmap", "settings", "-n", scratch).returncode == 0
