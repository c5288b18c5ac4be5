"""``kubechat token --agent`` mints a capability whose every use is an agent's (origin mcp)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from tests.server.test_cli import live_server  # noqa: F401  (a real server in a subprocess)

pytestmark = pytest.mark.postgres


def test_token_for_an_agent(live_server: Any) -> None:  # noqa: F811
    base, token, _ = live_server
    result = CliRunner().invoke(main, ["token", "--url", base, "--token", token, "--agent",
                                       "--scope", "propose", "--label", "claude",
                                       "--format", "json"])
    assert result.exit_code == 0, result.output
    minted = json.loads(result.stdout)
    assert minted["origin"] == "mcp" and minted["scopes"] == ["propose"]
    audit = httpx.get(base + "kubechat/api/audit", headers={"Authorization": f"token {token}"},
                      timeout=30).json()["records"]
    event = [r["event"] for r in audit if r["event"]["type"] == "capability_minted"][-1]
    assert event["origin"] == "mcp" and event["label"] == "claude"
