"""Real ipykernels started through the server: clean environment, working capability, limits."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import FAKE_API_KEY, Api

pytestmark = pytest.mark.postgres

SECRET_ENV = {
    "KUBECONFIG": "/etc/should-not-leak/kubeconfig",
    "OPENAI_API_KEY": FAKE_API_KEY,
    "AWS_SECRET_ACCESS_KEY": "aws-secret-should-not-leak",
    "MY_SERVICE_PASSWORD": "hunter2-should-not-leak",
    "GITHUB_TOKEN": "ghp_shouldnotleak",
    "KUBECHAT_AUDIT_DSN": "host=db password=should-not-leak",
}

KERNEL_CODE = """
import json, os, urllib.request, urllib.error

def call(method, path, body=None, capability=None):
    url = os.environ.get("KUBECHAT_URL", "") + "kubechat/api/" + path
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    cap = capability if capability is not None else os.environ.get("KUBECHAT_CAPABILITY", "")
    req.add_header("X-Kubechat-Capability", cap)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")

out = {"env": dict(os.environ)}
out["propose_safe"] = call("POST", "propose", {"command": "kubectl get namespaces"})
pid = out["propose_safe"][1].get("id")
out["execute_safe"] = call("POST", "proposals/%s/execute" % pid) if pid else None
out["propose_dangerous"] = call("POST", "propose", {"command": "kubectl delete pod web-1 -n shop"})
did = out["propose_dangerous"][1].get("id")
out["approve_dangerous"] = call("POST", "proposals/%s/approve" % did, {"confirm": "web-1"})
out["execute_dangerous"] = call("POST", "proposals/%s/execute" % did)
out["forged"] = call("POST", "propose", {"command": "kubectl get pods"}, capability="kcap_forged")
out["mint_from_kernel"] = call("POST", "capabilities", {"scopes": ["ask"]})
with open(OUT_PATH, "w") as f:
    json.dump(out, f)
"""


async def run_in_kernel(jp_serverapp: Any, kernel_id: str, code: str) -> None:
    km = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    client = km.client()
    client.start_channels()
    try:
        await client.wait_for_ready(timeout=60)
        reply = await client.execute_interactive(code, timeout=120, output_hook=lambda m: None)
        assert reply["content"]["status"] == "ok", reply["content"]
    finally:
        client.stop_channels()


async def start_session(api: Api, name: str) -> tuple[str, str]:
    code, data = await api_sessions(api, name)
    assert code == 201, data
    return data["id"], data["kernel"]["id"]


async def api_sessions(api: Api, name: str) -> tuple[int, Any]:
    body = json.dumps(
        {"path": f"{name}.ipynb", "type": "notebook", "name": name, "kernel": {"name": "python3"}}
    )
    response = await api._fetch("api", "sessions", method="POST", body=body, raise_error=False)
    return response.code, json.loads(response.body)


@pytest.fixture
def secret_environ(monkeypatch: pytest.MonkeyPatch, jp_serverapp: Any) -> dict[str, str]:
    """Secrets in the server's environment (as an operator's shell would have them)."""
    for name, value in SECRET_ENV.items():
        monkeypatch.setenv(name, value)
    # A harmless-looking name holding the Jupyter token: stripped by value.
    monkeypatch.setenv("INNOCENT_LOOKING", jp_serverapp.identity_provider.token)
    return SECRET_ENV


async def test_kernel_env_is_clean_and_capability_is_narrow(
    api: Api, jp_serverapp: Any, kubechat_app: Any, secret_environ: dict[str, str], tmp_path: Path
) -> None:
    _, kernel_id = await start_session(api, "envcheck")
    out_path = tmp_path / "kernel-out.json"
    await run_in_kernel(jp_serverapp, kernel_id, f"OUT_PATH = {str(out_path)!r}\n" + KERNEL_CODE)
    out = json.loads(out_path.read_text())
    env: dict[str, str] = out["env"]

    # No credential variable, no Jupyter token, no API key, under any name.
    for name in secret_environ:
        assert name not in env, name
    assert "INNOCENT_LOOKING" not in env
    token = jp_serverapp.identity_provider.token
    blob = json.dumps(env)
    assert token not in blob
    assert FAKE_API_KEY not in blob
    for value in secret_environ.values():
        assert value not in blob
    assert "JUPYTER_TOKEN" not in env
    assert env["KUBECHAT_URL"].startswith("http://127.0.0.1:")
    assert env["KUBECHAT_CAPABILITY"].startswith("kcap_")

    # The server stores only sha256 of the capability, bound to this kernel.
    caps = kubechat_app.capabilities.list()
    mine = [c for c in caps if c.kernel_id == kernel_id]
    assert len(mine) == 1
    assert env["KUBECHAT_CAPABILITY"] not in repr(vars(kubechat_app.capabilities))
    assert mine[0].digest != env["KUBECHAT_CAPABILITY"]

    # The capability may propose; a safe read is approved by policy.
    code, proposal = out["propose_safe"]
    assert code == 201, proposal
    assert proposal["level"] == "safe" and proposal["state"] == "approved"

    # Dangerous: a capability can never approve it, even with the name typed back,
    # and execution of the unapproved proposal is refused.
    code, proposal = out["propose_dangerous"]
    assert code == 201 and proposal["level"] == "dangerous", proposal
    code, body = out["approve_dangerous"]
    assert code == 403, body
    assert body["reason"] == "dangerous-needs-browser"
    code, body = out["execute_dangerous"]
    assert code == 403, body

    # Forged capability; admin routes refuse capabilities.
    assert out["forged"][0] == 403
    assert out["forged"][1]["reason"] == "capability-invalid"
    assert out["mint_from_kernel"][0] == 403

    # Audit: the kernel's events carry its kernel id and capability id.
    code, page = await api.call("GET", "audit", params={"via": "capability"})
    assert code == 200
    events = [r["event"] for r in page["records"]]
    assert events and all(e["kernel_id"] == kernel_id for e in events)
    assert {e["type"] for e in events} >= {"proposed", "approved"}


async def test_capability_revoked_on_kernel_shutdown(
    api: Api, jp_serverapp: Any, kubechat_app: Any
) -> None:
    _, kernel_id = await start_session(api, "revoke")
    cap = next(c for c in kubechat_app.capabilities.list() if c.kernel_id == kernel_id)
    # The test cannot read the token back from the server (only its hash is kept), so take it
    # from the kernel's launch environment the way the kernel itself sees it.
    km = jp_serverapp.kernel_manager.get_kernel(kernel_id)
    token = km._launch_args["env"]["KUBECHAT_CAPABILITY"]
    code, _ = await api.call("POST", "propose", {"command": "get pods"}, capability=token)
    assert code == 201

    response = await api._fetch("api", "kernels", kernel_id, method="DELETE")
    assert response.code == 204
    assert all(c.id != cap.id for c in kubechat_app.capabilities.list())
    code, body = await api.call("POST", "propose", {"command": "get pods"}, capability=token)
    assert code == 403 and body["reason"] == "capability-invalid"


async def test_admin_revokes_a_minted_token(api: Api, kubechat_app: Any) -> None:
    code, minted = await api.call(
        "POST", "capabilities", {"scopes": ["propose"], "label": "nbval run"}
    )
    assert code == 201, minted
    token = minted["token"]
    code, _ = await api.call("POST", "propose", {"command": "get pods"}, capability=token)
    assert code == 201
    # The minting and the use are both on the audit chain, tied by capability id.
    code, page = await api.call("GET", "audit")
    events = [r["event"] for r in page["records"]]
    minted_events = [e for e in events if e["type"] == "capability_minted"]
    assert minted_events[-1]["capability_id"] == minted["id"]
    assert minted_events[-1]["label"] == "nbval run"
    used = [e for e in events if e.get("capability", {}).get("id") == minted["id"]]
    assert used and used[0]["capability"]["origin"] == "token"

    code, _ = await api.call("DELETE", f"capabilities/{minted['id']}")
    assert code == 204
    code, body = await api.call("POST", "propose", {"command": "get pods"}, capability=token)
    assert code == 403 and body["reason"] == "capability-invalid"
    # Scope limits hold: no ask scope was granted.
    code, minted2 = await api.call("POST", "capabilities", {"scopes": ["ask"]})
    code, body = await api.call(
        "POST", "propose", {"command": "get pods"}, capability=minted2["token"]
    )
    assert code == 403 and body["reason"] == "capability-scope"


def test_kernel_code_is_plain_python() -> None:
    compile(textwrap.dedent(KERNEL_CODE), "<kernel>", "exec")


async def test_kernels_started_directly_are_cleaned_too(
    api: Api, jp_serverapp: Any, kubechat_app: Any, secret_environ: dict[str, str]
) -> None:
    # POST /api/kernels does not go through the session manager's get_kernel_env.
    response = await api._fetch(
        "api", "kernels", method="POST", body=json.dumps({"name": "python3"})
    )
    assert response.code == 201
    kernel_id = json.loads(response.body)["id"]
    env = jp_serverapp.kernel_manager.get_kernel(kernel_id)._launch_args["env"]
    assert not set(secret_environ) & set(env)
    assert env["KUBECHAT_CAPABILITY"].startswith("kcap_")
    assert any(c.kernel_id == kernel_id for c in kubechat_app.capabilities.list())
