"""Several Jupyter users on one server: proposals belong to their proposer (docs/openapi.yaml), a
kernel reads its own user's audit events, and translation grounding is per Kubernetes identity
against the real sandbox's RBAC.

The identity provider here names people, as JupyterHub's does: alice holds the server's token,
bob and carol their own. A kernel acts for the person who started it: bob starts his own.
"""

from __future__ import annotations

import json
import secrets
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User

from tests.plugins.llm_servers import FakeLLMServer
from tests.plugins.sandbox import SandboxInfo, kubectl
from tests.server.conftest import Api
from tests.server.test_kernels import run_in_kernel

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

BOB_TOKEN = "bob-" + secrets.token_hex(16)
CAROL_TOKEN = "carol-" + secrets.token_hex(16)
SUFFIX = uuid.uuid4().hex[:6]
#: bob may list pods cluster-wide and nothing else; alice is a cluster admin
PODS_ONLY_GROUP = f"kc-test-pods-only-{SUFFIX}"


class NamedUsers(IdentityProvider):
    """A provider that names people: the server's token is alice's; bob and carol have theirs."""

    def get_user_token(self, handler: Any) -> User | None:
        token = self.get_token(handler)
        names = {self.token: "alice", BOB_TOKEN: "bob", CAROL_TOKEN: "carol"}
        name = names.get(token or "")
        return User(username=name) if name else None


@pytest.fixture(scope="module")
def pods_only_rbac(sandbox: SandboxInfo) -> Iterator[str]:
    name = f"kc-test-pods-only-{SUFFIX}"
    kubectl(sandbox, "create", "clusterrole", name, "--verb=list,get", "--resource=pods")
    kubectl(sandbox, "create", "clusterrolebinding", name, f"--clusterrole={name}",
            f"--group={PODS_ONLY_GROUP}")
    yield name
    kubectl(sandbox, "delete", "clusterrolebinding", name, check=False)
    kubectl(sandbox, "delete", "clusterrole", name, check=False)


@pytest.fixture
def kubechat_settings(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path,
                      openai_server: FakeLLMServer, pods_only_rbac: str) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "llm_provider": "openai",
        "openai_base_url": openai_server.url,
        "openai_model": "kube-model",
        "llm_timeout": 5.0,
        "kernel_user": "server-owner",  # unused: kernels act for whoever starts them
        "approvers": ["carol"],
        "impersonate": {
            "alice": {"user": "kc-alice", "groups": ["system:masters"]},
            "bob": {"user": "kc-bob", "groups": [PODS_ONLY_GROUP]},
            "carol": {"user": "kc-carol", "groups": ["system:masters"]},
        },
    }


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kubechat_lab": True},
            "identity_provider_class": f"{__name__}.NamedUsers",
        },
        "KubechatApp": dict(kubechat_settings),
    }


async def as_user(api: Api, token: str, method: str, path: str, body: Any = None,
                  params: dict[str, str] | None = None) -> tuple[int, Any]:
    return await api.call(method, path, body, params=params,
                          headers={"Authorization": f"token {token}"})


KERNEL_CODE = textwrap.dedent("""
    import json, os, urllib.request, urllib.error

    def call(method, path, body=None):
        url = os.environ["KUBECHAT_URL"] + "kubechat/api/" + path
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        req.add_header("X-Kubechat-Capability", os.environ["KUBECHAT_CAPABILITY"])
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    out = {}
    out["get"] = call("GET", "proposals/" + PID)
    out["execute"] = call("POST", "proposals/" + PID + "/execute")
    out["reject"] = call("POST", "proposals/" + PID + "/reject", {})
    out["own"] = call("POST", "propose", {"command": "kubectl get pods -n shop"})
    out["own_get"] = call("GET", "proposals/" + out["own"][1]["id"])
    out["audit"] = call("GET", "audit?limit=1000")
    out["audit_alice"] = call("GET", "audit?user=alice")
    with open(OUT_PATH, "w") as f:
        json.dump(out, f)
""")


async def test_another_users_proposal_is_404_for_them_and_their_kernel(
    api: Api, jp_serverapp: Any, kubechat_app: Any, tmp_path: Path
) -> None:
    code, mine = await api.call("POST", "propose", {"command": "kubectl get pods -n shop"})
    assert code == 201 and mine["user"] == "alice", mine
    code, write = await api.call(
        "POST", "propose", {"command": "kubectl scale deployment checkout -n shop --replicas=2"})
    assert code == 201 and write["level"] == "warning", write
    unknown = "p_" + "0" * 20
    code, missing = await as_user(api, BOB_TOKEN, "GET", f"proposals/{unknown}")
    assert code == 404
    for pid in (mine["id"], write["id"]):
        for method, path in [("GET", ""), ("POST", "/approve"), ("POST", "/reject"),
                             ("POST", "/execute"), ("POST", "/watch")]:
            code, body = await as_user(api, BOB_TOKEN, method, f"proposals/{pid}{path}", {})
            assert code == 404, (method, path, body)
            # the same answer as for an id that never existed: nothing is given away
            assert body["message"] == missing["message"].replace(unknown, pid)
    # bob's kernel (bob started it): its capability acts for bob
    body = {"path": "bob-kernel.ipynb", "type": "notebook", "name": "bob-kernel",
            "kernel": {"name": "python3"}}
    response = await api._fetch("api", "sessions", method="POST", body=json.dumps(body),
                                headers={"Authorization": f"token {BOB_TOKEN}"})
    kernel_id = json.loads(response.body)["kernel"]["id"]
    out_path = tmp_path / "out.json"
    await run_in_kernel(jp_serverapp, kernel_id,
                        f"PID = {mine['id']!r}\nOUT_PATH = {str(out_path)!r}\n" + KERNEL_CODE)
    out = json.loads(out_path.read_text())
    assert [out[k][0] for k in ("get", "execute", "reject")] == [404, 404, 404], out
    assert out["own"][0] == 201 and out["own"][1]["user"] == "bob"
    assert out["own_get"][0] == 200
    # a kernel's audit:read shows its own user's events, unless the operator widens it
    code, events = out["audit"]
    assert code == 200 and events["records"]
    assert {r["event"]["user"] for r in events["records"]} == {"bob"}
    assert out["audit_alice"][0] == 403
    assert out["audit_alice"][1]["reason"] == "audit-own-user"
    code, alice_view = await api.call("GET", "proposals/" + out["own"][1]["id"])
    assert code == 404  # and the other way round
    # the proposal is alice's still: nothing bob tried changed it
    code, still = await api.call("GET", f"proposals/{write['id']}")
    assert code == 200 and still["state"] == "proposed"
    # an approver named by the operator sees and approves it; alice runs it
    code, seen = await as_user(api, CAROL_TOKEN, "GET", f"proposals/{write['id']}")
    assert code == 200 and seen["user"] == "alice"
    code, approved = await as_user(api, CAROL_TOKEN, "POST", f"proposals/{write['id']}/approve",
                                   {})
    assert code == 200 and approved["approver"] == "carol"
    # a proposal is decided once: its proposer cannot reject what carol approved
    code, rejected = await api.call("POST", f"proposals/{write['id']}/reject", {"reason": "no"})
    assert code == 409 and rejected["reason"] == "proposal-conflict", rejected
    code, still = await api.call("GET", f"proposals/{write['id']}")
    assert code == 200 and still["state"] == "approved" and still["approver"] == "carol"


async def test_widened_audit_read(api: Api, kubechat_app: Any) -> None:
    code, minted = await as_user(api, BOB_TOKEN, "POST", "capabilities",
                                 {"scopes": ["audit:read", "propose"], "label": "bob's runbook"})
    assert code == 201 and minted["user"] == "bob"
    await api.call("POST", "propose", {"command": "kubectl get pods -n shop"})  # alice's
    code, page = await api.call("GET", "audit", capability=minted["token"])
    assert {r["event"]["user"] for r in page["records"]} == {"bob"}  # the minting only
    kubechat_app.capability_audit_all_users = True
    code, page = await api.call("GET", "audit", capability=minted["token"])
    assert code == 200 and {"alice", "bob"} <= {r["event"]["user"] for r in page["records"]}


async def test_grounding_is_per_identity_and_never_shows_what_it_cannot_list(
    api: Api, openai_server: FakeLLMServer, kubechat_app: Any
) -> None:
    openai_server.answer("kubectl get pods -n shop").answer("kubectl get pods -n shop")
    # alice first: her inventory (a cluster admin's) is cached for her identity
    code, alice = await api.call("POST", "ask", {"question": "which pods run in shop?"})
    assert code == 200, alice
    code, bob = await as_user(api, BOB_TOKEN, "POST", "ask",
                              {"question": "which pods run in shop?"})
    assert code == 200, bob
    alice_prompt, bob_prompt = (r.prompt for r in openai_server.received[-2:])
    assert "Namespaces:" in alice_prompt and "deployments/checkout" in alice_prompt
    assert "pods/" in bob_prompt  # bob may list pods
    for kind in ("deployments/", "secrets/", "configmaps/", "services/", "Namespaces:"):
        assert kind not in bob_prompt, kind  # kinds bob cannot list never reach the prompt
    # the cache is keyed by (context, Kubernetes identity): two entries, never shared
    grounding = kubechat_app.pipeline.grounding
    keys = {identity[0] for _context, identity in grounding._entries}
    assert {"kc-alice", "kc-bob"} <= keys
    admin_view = [e for (_, i), e in grounding._entries.items() if i[0] == "kc-alice"][0][1]
    assert "api-credentials" in {n for _, n in admin_view.inventory.get("secrets", ())}
