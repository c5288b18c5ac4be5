"""Impersonation and multiple contexts, against the real sandbox's RBAC."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def two_context_kubeconfig(sandbox: Any, tmp_path: Path) -> Path:
    """The sandbox kubeconfig plus a second context ('second') on the same cluster."""
    cfg = yaml.safe_load(Path(sandbox.kubeconfig).read_text())
    first = cfg["contexts"][0]
    cfg["contexts"].append({"name": "second", "context": {**first["context"], "namespace": "shop"}})
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    return path


@pytest.fixture
def kubechat_settings(
    audit_db: Any, api_key_file: Path, two_context_kubeconfig: Path
) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(two_context_kubeconfig),
        "contexts": ["second"],
        "openai_api_key_file": str(api_key_file),
        # Every Jupyter user runs as an identity with no RBAC bindings in the sandbox.
        "impersonate": {"*": {"user": "kc-nobody-{username}", "groups": ["kc-test-nobody"]}},
    }


async def test_commands_run_as_the_impersonated_identity(api: Api) -> None:
    code, proposal = await api.call("POST", "propose", {"command": "kubectl get namespaces"})
    assert code == 201
    code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
    # The admin kubeconfig could list namespaces; the impersonated identity cannot.
    assert code == 403, body
    assert body["reason"] == "cluster-forbidden"
    assert "kc-nobody-" in body["message"]
    code, page = await api.call("GET", "audit", params={"proposal": proposal["id"]})
    executed = page["records"][-1]["event"]
    assert executed["type"] == "executed" and executed["status"] == "error"
    assert executed["error_code"] == 403


async def test_a_request_may_name_an_enabled_context(
    api: Api, kubechat_app: Any, audit_db: Any
) -> None:
    kubechat_app.impersonate = {}  # run as the kubeconfig identity for this test
    code, proposal = await api.call(
        "POST", "propose", {"command": "kubectl get pods -n shop", "context": "second"}
    )
    assert code == 201, proposal
    assert proposal["context"] == "second"
    code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 200, body
    code, page = await api.call("GET", "audit", params={"proposal": proposal["id"]})
    assert {r["event"]["context"] for r in page["records"]} == {"second"}
    code, body = await api.call(
        "POST", "propose", {"command": "kubectl get pods", "context": "kubechat-sandbox-x"}
    )
    assert code == 400 and "second" in body["message"]


async def test_health_names_the_context_and_who_the_cluster_sees(
    api: Api, kubechat_app: Any, two_context_kubeconfig: Path
) -> None:
    current = yaml.safe_load(two_context_kubeconfig.read_text())["current-context"]
    code, report = await api.call("GET", "health")
    assert code == 200, report
    assert report["context"] == current
    assert report["cluster"]["contexts"]["(current)"]["context"] == current
    identity = report["identity"]
    # Impersonated: the cluster sees the mapped identity, with the mapped group.
    assert identity["ok"] is True and identity["impersonated"] is True
    assert identity["username"] == f"kc-nobody-{report['user']}"
    assert "kc-test-nobody" in identity["groups"]
    kubechat_app.impersonate = {}
    code, report = await api.call("GET", "health")
    identity = report["identity"]
    assert identity["impersonated"] is False
    assert identity["username"] and not identity["username"].startswith("kc-nobody-")
    assert "system:masters" in identity["groups"]  # the sandbox's admin certificate
    # docs/openapi.yaml documents every field of the report
    doc = yaml.safe_load((Path(__file__).parents[2] / "docs" / "openapi.yaml").read_text())
    schema = doc["components"]["schemas"]["Health"]["properties"]
    assert set(report) <= set(schema), set(report) - set(schema)
    assert set(identity) <= set(schema["identity"]["properties"])


async def test_the_default_context_may_be_named(
    api: Api, kubechat_app: Any, two_context_kubeconfig: Path
) -> None:
    # What a card shows ("context: NAME") can be typed back (the panel's %kubectl cells do).
    current = yaml.safe_load(two_context_kubeconfig.read_text())["current-context"]
    code, proposal = await api.call(
        "POST", "propose", {"command": "kubectl get pods -n shop", "context": current})
    assert code == 201, proposal
    code, body = await api.call(
        "POST", "propose", {"command": "kubectl get pods -n shop", "context": "nope"})
    assert code == 400 and body["reason"] == "invalid-context"
