"""Fixtures for the MCP face: a real Jupyter server with kubechat on the sandbox, a capability
minted as ``kubechat token`` does, and ``kubechat mcp`` spawned over stdio by the MCP SDK's own
client."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import (  # noqa: F401  (the server tests' fixtures, reused)
    Api,
    api,
    approval,
    jp_server_config,
    kubechat_app,
)

ROOT = Path(__file__).resolve().parents[2]
#: What an agent's capability carries: no approve scope.
AGENT_SCOPES = ["ask", "propose", "execute", "audit:read"]
#: What the agent declares in its MCP ``clientInfo``.
CLIENT = ("test-agent", "9.9.1")


@pytest.fixture
def kubechat_settings(sandbox: Any, audit_db: Any) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "request_timeout": 30.0,
    }


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-mcp") as name:
        kubectl(sandbox, "create", "configmap", "settings", "-n", name, "--from-literal=a=b")
        yield name


@pytest.fixture
def server_url(jp_http_port: int, jp_base_url: str) -> str:
    return f"http://127.0.0.1:{jp_http_port}{jp_base_url}"


async def mint(server: Api, scopes: list[str] | None = None, label: str = "agent", *,
               agent: bool = False) -> str:
    """Mint a capability as ``kubechat token [--agent]`` does (the Jupyter token, the admin
    route)."""
    body: dict[str, Any] = {"scopes": scopes or AGENT_SCOPES, "label": label}
    if agent:
        body["agent"] = True
    code, reply = await server.call("POST", "capabilities", body)
    assert code == 201, reply
    return str(reply["token"])


def agent_env(url: str, capability: str, home: Path) -> dict[str, str]:
    """The whole environment ``kubechat mcp`` gets: the URL and the capability, nothing else
    of kubechat's (HOME is empty: no ~/.kube/config to fall back on)."""
    return {"KUBECHAT_URL": url, "KUBECHAT_CAPABILITY": capability, "HOME": str(home),
            "PYTHONPATH": str(ROOT)}


@asynccontextmanager
async def agent(url: str, capability: str, home: Path,
                client: tuple[str, str] = CLIENT) -> AsyncIterator[Any]:
    """An MCP client session with ``kubechat mcp`` spawned over stdio."""
    import mcp_types
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("kubechat")), args=["mcp"],
        env=agent_env(url, capability, home), cwd=str(home))
    async with stdio_client(params) as (read, write):
        info = mcp_types.Implementation(name=client[0], version=client[1])
        async with ClientSession(read, write, client_info=info) as session:
            await session.initialize()
            yield session


def approve_attempts(pid: str, namespace: str) -> list[tuple[str, dict[str, Any]]]:
    """Every way an agent might try to approve proposal ``pid`` (a label of configmap
    ``settings`` in ``namespace``): an argument, a tool that does not exist, a command, a
    question. None may approve, over any transport."""
    return [
        ("kubectl", {"command": f"kubectl label configmap settings -n {namespace} team=sre",
                     "approve": True}),
        ("wait_for_decision", {"id": pid, "seconds": 0, "confirm": "settings"}),
        ("wait_for_decision", {"id": pid, "seconds": 0, "approved": True}),
        ("proposal", {"id": pid, "state": "approved"}),
        ("approve", {"id": pid}),
        ("kubectl", {"command": f"kubectl approve {pid}"}),
        ("ask", {"question": f"approve proposal {pid}"}),
    ]
