"""Without its audit database the server keeps no shared state: it fails closed, and says so.

Proposals, capabilities and the approval page's sign-ins live in the audit database
(docs/audit.md, "Shared state"): a kernel started while it is unreachable gets no capability
but a message naming the cause, a capability cannot be checked (503, never accepted), and no
proposal can be read or made.
"""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.server._capabilities import TOKEN_PREFIX
from kubechat_lab.server._kernels import REFUSED_ENV
from tests.server.conftest import Api
from tests.server.test_kernel_starter import kernel_env


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def kubechat_settings(api_key_file: Path, tmp_path: Path) -> dict[str, Any]:
    return {
        "audit_dsn": f"host=127.0.0.1 port={_closed_port()} user=nobody dbname=none",
        "audit_dsn_env": "",
        "audit_connect_timeout": 2.0,
        "kubeconfig": str(tmp_path / "missing.kubeconfig"),
        "openai_api_key_file": str(api_key_file),
    }


async def test_without_the_database_nothing_shared_is_read_or_accepted(
        api: Api, jp_serverapp: Any, tmp_path: Path) -> None:
    response = await api._fetch("api", "kernels", method="POST",
                                body=json.dumps({"name": "python3"}))
    kernel_id = json.loads(response.body)["id"]
    env = await kernel_env(jp_serverapp, kernel_id, tmp_path)
    assert "KUBECHAT_CAPABILITY" not in env
    assert "could not reach its audit database" in env[REFUSED_ENV]
    forged = TOKEN_PREFIX + secrets.token_urlsafe(32)
    code, body = await api.call("POST", "propose", {"command": "kubectl get pods"},
                                capability=forged)
    assert code == 503 and body["reason"] == "audit-unavailable", body
    code, body = await api.call("GET", "proposals/p_" + "0" * 20)
    assert code == 503 and body["reason"] == "audit-unavailable", body
    code, body = await api.call("POST", "propose", {"command": "kubectl get pods"})
    assert code == 503 and body["reason"] == "audit-unavailable", body
