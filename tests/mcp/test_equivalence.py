"""Property: an agent's call gets the same canonical command (every default explicit), level and
reasons as the same command from a kernel, for every command of the server/CLI equivalence cases
(tests/server/test_equivalence.py) that does not block, under the default context and a context
whose namespace is the protected kube-system.

The kernel side is a capability holder calling ``POST propose``; the agent side is the MCP SDK's
client calling the ``kubectl`` tool of ``kubechat mcp`` (which also runs the safe reads).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.mcp.conftest import agent, mint
from tests.server.conftest import Api, api_key_file  # noqa: F401
from tests.server.test_equivalence import (  # noqa: F401  (its kubeconfig and server config)
    IMPLICIT,
    PROTECTED,
    _commands,
    kubechat_settings,
    kubeconfig,
)

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

#: Verbs that wait for a condition: judged the same, but running them here would only wait.
_BLOCKING = ("kubectl wait", "rollout status", " -w", "--watch", " -f ", "--follow")


def _cases() -> list[tuple[str, str | None]]:
    commands = [c for c in _commands() if not any(b in c + " " for b in _BLOCKING)]
    implicit = [c for c in IMPLICIT if not any(b in c + " " for b in _BLOCKING)]
    return [(c, None) for c in commands] + [(c, PROTECTED) for c in implicit]


async def _kernel(api: Api, capability: str, command: str, context: str | None
                  ) -> tuple[str, Any, Any]:
    body = {"command": command, **({"context": context} if context else {})}
    code, reply = await api.call("POST", "propose", body, capability=capability)
    if code == 400:
        return ("refused", reply["reason"], reply["message"])
    assert code == 201, (command, code, reply)
    return (reply["command"], reply["level"], reply["reasons"])


def _agent(reply: Any) -> tuple[str, Any, Any]:
    body = reply.structured_content
    proposal = body.get("proposal")  # judged; a read may then fail on the cluster (not found)
    if proposal is None:  # refused before any proposal: the grammar's refusal
        return ("refused", body["reason"], body["message"])
    return (proposal["command"], proposal["level"], proposal.get("reasons", []))


async def test_an_agent_call_is_judged_as_the_same_command_from_a_kernel(
        api: Api, server_url: str, tmp_path: Path) -> None:
    cases = _cases()
    assert len(cases) >= 250
    kernel_cap = await mint(api, ["propose"], label="kernel-side")
    agent_cap = await mint(api)
    differ = []
    refused = judged = 0
    async with agent(server_url, agent_cap, tmp_path) as session:
        for command, context in cases:
            kernel = await _kernel(api, kernel_cap, command, context)
            arguments = {"command": command, "limit": 1, **({"context": context}
                                                            if context else {})}
            mine = _agent(await session.call_tool("kubectl", arguments))
            if kernel != mine:
                differ.append((command, context, kernel, mine))
            refused += kernel[0] == "refused"
            judged += kernel[0] != "refused"
    assert not differ, "\n".join(map(repr, differ[:10]))
    assert judged > 200 and refused > 10
