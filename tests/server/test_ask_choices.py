"""A refusal's choices through the server: explicit and judged like proposals, never proposed.

A real Jupyter server with kubechat against the sandbox, and a translator plugin installed
through a real entry point (tests/plugins/choices_translator.py) that refuses "frobnicate the
NAME deployment" with three readings, one of which the policy forbids.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kubechat_lab.command import parse
from tests.plugins.choices_translator import PLUGIN_ID, plugin_path
from tests.plugins.sandbox import SandboxInfo
from tests.server.conftest import Api, sandbox_settings

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
QUESTION = "please frobnicate the checkout deployment"


@pytest.fixture
def choices_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.syspath_prepend(str(plugin_path(tmp_path / "plugin")))
    return PLUGIN_ID


@pytest.fixture
def jp_server_config(sandbox: SandboxInfo, kubechat_settings: dict[str, Any],
                     choices_plugin: str) -> dict[str, Any]:
    settings = sandbox_settings(sandbox, kubechat_settings) | {"llm_provider": choices_plugin}
    return {"ServerApp": {"jpserver_extensions": {"kubechat_lab": True}},
            "KubechatApp": settings}


async def _proposed_events(api: Api) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"type": "proposed"})
    assert code == 200, page
    return [record["event"] for record in page["records"]]


async def test_an_asks_choices_are_explicit_judged_and_not_proposed(api: Api) -> None:
    code, reply = await api.call("POST", "ask", {"question": QUESTION})
    assert code == 200, reply
    assert reply["proposal"] is None and reply["translation"]["command"] is None
    choices = reply["choices"]
    schema = yaml.safe_load(OPENAPI.read_text())["components"]["schemas"]["Choice"]
    assert all(set(choice) == set(schema["required"]) for choice in choices), choices
    # the forbidden reading (deleting kube-system) is not offered; the order is kept
    assert [c["why"] for c in choices] == ["bounce: restart its pods", "look: list its pods"]
    assert [c["level"] for c in choices] == ["warning", "safe"]
    assert all(c["reasons"] for c in choices)
    restart, look = choices
    assert restart["command"] == parse(
        "kubectl rollout restart deployment checkout -n shop").render()
    # the read that named no namespace is shown with the context's namespace, made explicit
    looked = parse(look["command"])
    assert looked.namespace and looked.selector == "app=checkout"
    assert look["assumptions"] and "made explicit" in look["assumptions"][0]
    # nothing was proposed (or audited as proposed) for a choice; the ask itself was audited
    assert await _proposed_events(api) == []
    code, page = await api.call("GET", "audit", params={"type": "ask"})
    assert [r["event"]["outcome"] for r in page["records"]] == ["untranslated"]

    # picking one proposes it like a typed command: the same command, display and judgement
    states = []
    for choice, typed in ((restart, restart["command"]),
                          (look, "kubectl get pods -l app=checkout")):
        code, proposal = await api.call("POST", "propose", {"command": typed})
        assert code == 201, proposal
        for key in ("command", "display", "level", "reasons"):
            assert proposal[key] == choice[key], key
        states.append(proposal["state"])
    # the write waits for a person; the safe read is approved by policy, as any safe read is
    assert states == ["proposed", "approved"]
    events = await _proposed_events(api)
    assert [e["source"] for e in events] == ["propose", "propose"]


async def test_a_translated_question_has_no_choices(api: Api) -> None:
    code, reply = await api.call("POST", "ask", {"question": "list the pods in namespace shop"})
    assert code == 200, reply
    assert reply["proposal"]["command"] == "kubectl get pods -n shop"
    assert reply["choices"] == []
