"""End to end against the real sandbox cluster: execute, kernels, and no secret in any response."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.server._cluster import cluster_settings  # noqa: F401 (kubechat_settings)
from tests.server.conftest import FAKE_API_KEY, Api
from tests.server.test_kernels import KERNEL_CODE, run_in_kernel, start_session

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def admin(sandbox: Any) -> Any:
    """The kubernetes client as the sandbox admin, to check what really happened."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    yield client.CoreV1Api(api_client)
    api_client.close()


def _secret_needles(kubeconfig: Path, extra: list[str]) -> list[bytes]:
    """Every credential in the kubeconfig, raw and base64, plus extra secrets."""
    cfg = yaml.safe_load(kubeconfig.read_text())
    needles: list[bytes] = []
    for entry in cfg.get("users", []):
        user = entry.get("user", {})
        for key in ("client-key-data", "client-certificate-data", "token", "password"):
            value = user.get(key)
            if not value:
                continue
            needles.append(value.encode())
            if key.endswith("-data"):
                decoded = base64.b64decode(value)
                # the PEM body lines are what would leak in a response
                needles += [line for line in decoded.splitlines() if len(line) >= 40]
        for key in ("client-key", "client-certificate"):
            path = user.get(key)
            if path and Path(path).exists():
                body = Path(path).read_bytes()
                needles += [line for line in body.splitlines() if len(line) >= 40]
    assert needles, "the sandbox kubeconfig holds no credentials to look for?"
    return needles + [s.encode() for s in extra if s]


async def test_browser_executes_safe_read(api: Api) -> None:
    code, health = await api.call("GET", "health")
    assert code == 200 and health["ok"], health
    assert health["cluster"]["contexts"]["(current)"]["version"].startswith("v1.")
    code, proposal = await api.call("POST", "propose", {"command": "kubectl get namespaces"})
    assert code == 201 and proposal["state"] == "approved"
    code, done = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 200, done
    assert done["state"] == "executed"
    result = done["result"]
    text = json.dumps(result)
    assert "kube-system" in text and "shop" in text
    code, again = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 409
    code, page = await api.call("GET", "audit", params={"proposal": proposal["id"]})
    types = [r["event"]["type"] for r in page["records"]]
    assert types == ["proposed", "approved", "executing", "executed"]
    executed = page["records"][-1]["event"]
    assert executed["status"] in ("ok", "changed")
    assert executed["result_digest"].startswith("sha256:")
    assert executed["rows"] == len(result["data"][0]) >= 5  # default + the seeded namespaces


async def test_warning_write_previewed_approved_and_run(api: Api, admin: Any) -> None:
    name = "kc-test-" + secrets.token_hex(4)
    command = f"kubectl create configmap {name} -n shop --from-literal=a=b"
    try:
        code, proposal = await api.call("POST", "propose", {"command": command})
        assert code == 201, proposal
        assert proposal["level"] == "warning" and proposal["state"] == "proposed"
        assert proposal["preview"]["status"] == "dry-run", proposal["preview"]
        names = [c.metadata.name for c in admin.list_namespaced_config_map("shop").items]
        assert name not in names  # the dry run changed nothing
        code, body = await api.call("POST", f"proposals/{proposal['id']}/approve")
        assert code == 200, body
        code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
        assert code == 200, body
        assert admin.read_namespaced_config_map(name, "shop").data == {"a": "b"}
    finally:
        _delete_in_shop(admin.delete_namespaced_config_map, name)


async def test_secret_values_never_reach_the_audit_log(
    api: Api, admin: Any, audit_db: Any
) -> None:
    """The cluster gets the value; the audit chain and its API keep the key, never the value."""
    import psycopg

    name, value = "kc-test-" + secrets.token_hex(4), "v-" + secrets.token_hex(8)
    try:
        code, asked = await api.call(
            "POST", "ask",
            {"question": f"create a secret called {name} in shop with password={value}"})
        assert code == 200, asked
        proposal = asked["proposal"]
        assert proposal is not None and proposal["level"] == "warning", asked
        assert value in proposal["command"]  # what is shown to its author is what runs
        code, body = await api.call("POST", f"proposals/{proposal['id']}/approve")
        assert code == 200, body
        code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
        assert code == 200, body
        written = admin.read_namespaced_secret(name, "shop").data
        assert base64.b64decode(written["password"]).decode() == value
        code, page = await api.call("GET", "audit", params={"limit": "1000"})
        assert code == 200, page
        events = [r["event"] for r in page["records"]]
        mine = [e for e in events if e.get("proposal") == proposal["id"]]
        assert {e["type"] for e in mine} >= {"proposed", "approved", "executing", "executed"}
        assert all("password=<redacted>" in e["command"] for e in mine), mine
        asks = [e for e in events if e["type"] == "ask"]
        assert asks and "password=<redacted>" in asks[-1]["question"], asks
        with psycopg.connect(audit_db.dsn) as conn:
            rows = conn.execute(
                "SELECT convert_from(payload, 'UTF8') || payload_json::text"
                " FROM kubechat_audit.audit_event").fetchall()
        assert len(rows) >= 5
        assert not [r for r in rows if value in r[0]], "a secret value reached the audit log"
        code, verified = await api.call("GET", "audit/verify")
        assert code == 200 and verified["ok"], verified
    finally:
        _delete_in_shop(admin.delete_namespaced_secret, name)


async def test_kernel_capability_runs_a_safe_read(
    api: Api, jp_serverapp: Any, tmp_path: Path
) -> None:
    _, kernel_id = await start_session(api, "safe-read")
    out_path = tmp_path / "out.json"
    await run_in_kernel(jp_serverapp, kernel_id, f"OUT_PATH = {str(out_path)!r}\n" + KERNEL_CODE)
    out = json.loads(out_path.read_text())
    code, done = out["execute_safe"]
    assert code == 200, done
    assert "kube-system" in json.dumps(done["result"])
    assert out["approve_dangerous"][0] == 403
    assert out["execute_dangerous"][0] == 403


async def test_no_response_contains_a_credential(
    api: Api, sandbox: Any, jp_serverapp: Any, kubechat_app: Any, audit_db: Any, admin: Any
) -> None:
    name = "kc-test-" + secrets.token_hex(4)
    # Exercise every route, successes and failures, browser and capability.
    await api.call("GET", "health")
    await api.call("GET", "metrics")
    await api.call("POST", "ask", {"question": "which pods are failing in shop?"})
    await api.call("POST", "ask", {"question": "show me the secrets in payments"})
    code, p = await api.call("POST", "propose", {"command": "kubectl get secrets -A"})
    await api.call("POST", f"proposals/{p['id']}/execute")
    code, p = await api.call(
        "POST", "propose", {"command": "kubectl get secret -n payments -o yaml"}
    )
    if code == 201:
        await api.call("POST", f"proposals/{p['id']}/approve")
        await api.call("POST", f"proposals/{p['id']}/execute")
    await api.call("POST", "propose", {"command": "kubectl config view --raw"})
    await api.call("POST", "propose", {"command": "kubectl get pods --kubeconfig=/etc/x"})
    code, p = await api.call(
        "POST",
        "propose",
        {"command": f"kubectl create configmap {name} -n shop --from-literal=a=b"},
    )
    await api.call("GET", f"proposals/{p['id']}")
    await api.call("POST", f"proposals/{p['id']}/reject", {"reason": "test"})
    code, p = await api.call("POST", "propose", {"command": "kubectl delete pod nope-0 -n shop"})
    await api.call("POST", f"proposals/{p['id']}/approve", {"confirm": "nope-0"})
    await api.call("POST", f"proposals/{p['id']}/execute")
    await api.call("GET", "audit", params={"limit": "1000"})
    await api.call("GET", "audit/verify")
    code, minted = await api.call("POST", "capabilities", {"scopes": ["propose", "audit:read"]})
    await api.call("GET", "capabilities")
    await api.call("GET", "audit", capability=minted["token"])
    await api.call("POST", "propose", {"command": "get pods -A"}, capability=minted["token"])
    await api.call("GET", "health", capability=minted["token"])
    await api.call("DELETE", f"capabilities/{minted['id']}")
    await api.call("POST", "propose", {"command": "get pods"}, capability="kcap_forged")

    needles = _secret_needles(
        Path(sandbox.kubeconfig),
        [FAKE_API_KEY, jp_serverapp.identity_provider.token, audit_db.server.app_password],
    )
    assert len(api.bodies) >= 25
    for body in api.bodies:
        for needle in needles:
            assert needle not in body, f"credential bytes found in a response: {body[:200]!r}"
    _delete_in_shop(admin.delete_namespaced_config_map, name)


def _delete_in_shop(delete: Any, name: str) -> None:
    """Delete ``name`` in shop with ``admin.delete_namespaced_*``; gone already is fine."""
    from kubernetes.client.exceptions import ApiException

    try:
        delete(name, "shop")
    except ApiException as exc:
        if exc.status != 404:
            raise
