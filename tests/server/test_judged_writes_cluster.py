"""What the server judged is what runs, end to end on the real sandbox.

A dry run judged safe runs at once and persists nothing; a ``replace --force`` judged as a
delete asks for the object's name and then deletes and creates it; a JSON patch runs its
operations in the order the policy composed them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace
from tests.server._cluster import cluster_settings  # noqa: F401 (kubechat_settings)
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-judged") as name:
        kubectl(sandbox, "create", "configmap", "settings", "-n", name, "--from-literal=a=b")
        kubectl(sandbox, "label", "configmap", "settings", "-n", name, "team=shop")
        yield name


def _settings(sandbox: SandboxInfo, namespace: str) -> Any:
    return kjson(sandbox, "get", "configmap", "settings", "-n", namespace)["metadata"]


async def _propose(api: Api, command: str, manifest: str | None = None) -> dict[str, Any]:
    body = {"command": command} if manifest is None else {"command": command,
                                                          "manifest": manifest}
    code, proposal = await api.call("POST", "propose", body)
    assert code == 201, (command, proposal)
    assert isinstance(proposal, dict)
    return proposal


async def test_a_dry_run_is_approved_like_its_write_and_persists_nothing(
        api: Api, sandbox: SandboxInfo, scratch: str) -> None:
    proposal = await _propose(
        api, f"kubectl label configmap settings -n {scratch} team- tier=web --dry-run=server")
    assert proposal["level"] == "warning" and proposal["state"] == "proposed", proposal
    code, body = await api.call("POST", f"proposals/{proposal['id']}/approve")
    assert code == 200, body
    code, done = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 200 and done["state"] == "executed", done
    assert "dry-run" in json.dumps(done["result"])
    assert _settings(sandbox, scratch)["labels"] == {"team": "shop"}


async def test_json_patch_operations_run_as_they_were_judged(
        api: Api, sandbox: SandboxInfo, scratch: str) -> None:
    patch = json.dumps([{"op": "replace", "path": "/metadata/labels", "value": {}},
                        {"op": "add", "path": "/metadata/labels/tier", "value": "web"}])
    proposal = await _propose(
        api, f"kubectl patch configmap settings -n {scratch} --type=json -p '{patch}'")
    assert proposal["level"] == "warning", proposal
    diff = proposal["preview"]["diff"]
    assert "-    team: shop" in diff and "+    tier: web" in diff, diff
    code, body = await api.call("POST", f"proposals/{proposal['id']}/approve")
    assert code == 200, body
    code, done = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 200, done
    assert _settings(sandbox, scratch)["labels"] == {"tier": "web"}


async def test_replace_force_is_approved_as_a_delete_and_runs_as_one(
        api: Api, approval: ApprovalBrowser, sandbox: SandboxInfo, scratch: str) -> None:
    uid = _settings(sandbox, scratch)["uid"]
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "settings", "namespace": scratch},
                           "data": {"a": "c"}})
    proposal = await _propose(api, "kubectl replace --force -f -", manifest)
    assert proposal["level"] == "dangerous" and "delete" in proposal["rule_ids"], proposal
    assert proposal["confirm"] == f"configmap/settings in {scratch}"
    done = await approval.decide(proposal["id"], confirm=proposal["confirm"])
    assert done.status_code == 200 and "Approved and run." in done.text, done.text
    after = _settings(sandbox, scratch)
    assert after["uid"] != uid and not after.get("labels")  # deleted, then created anew
