"""Two people on one server, each with real kernels started through the REST API: each kernel
acts as its person in the cluster (the sandbox's RBAC decides), and a kernel is an owner of its
own, apart from its person's page and other kernels (proposals, conversations, watch and
blocking slots). Quotas hold exactly under racing starts.

The identity provider names people, as a collaborative server's does: alice holds the server's
token, bob his own. Every person is impersonated as ``kc-id-<name>-<suffix>``; only alice's
identity has a Role, in one scratch namespace.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User
from tornado.httpclient import HTTPRequest
from tornado.simple_httpclient import SimpleAsyncHTTPClient

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import Api
from tests.server.test_kernel_starter import kernel_env, kernel_output

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

BOB_TOKEN = "bob-" + secrets.token_hex(16)
SUFFIX = uuid.uuid4().hex[:6]
NOT_FOUND = 404


class AliceAndBob(IdentityProvider):
    """Names people: the server's token is alice's, ``BOB_TOKEN`` is bob's."""

    def get_user_token(self, handler: Any) -> User | None:
        token = self.get_token(handler)
        name = {self.token: "alice", BOB_TOKEN: "bob"}.get(token or "")
        return User(username=name) if name else None


def k8s_user(person: str) -> str:
    return f"kc-id-{person}-{SUFFIX}"


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    """A namespace where alice's identity may read pods and config maps; nobody else may."""
    with scratch_namespace(sandbox, "kc-ident") as name:
        kubectl(sandbox, "create", "configmap", "hold", "-n", name, "--from-literal=a=1")
        kubectl(sandbox, "create", "role", "reader", "-n", name, "--verb=get,list,watch",
                "--resource=pods,configmaps")
        kubectl(sandbox, "create", "rolebinding", "reader", "-n", name, "--role=reader",
                f"--user={k8s_user('alice')}")
        yield name


@pytest.fixture
def jp_server_config(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path,
                     scratch: str) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"kubechat_lab": True},
                      "identity_provider_class": f"{__name__}.AliceAndBob"},
        "KubechatApp": {
            "audit_dsn": audit_db.app_dsn,
            "audit_dsn_env": "",
            "kubeconfig": str(sandbox.kubeconfig),
            "openai_api_key_file": str(api_key_file),
            "request_timeout": 20.0,
            "kernel_user": "server-owner",  # a kernel acting for the server's owner shows
            "impersonate": {"*": {"user": f"kc-id-{{username}}-{SUFFIX}", "groups": []}},
            "max_watches": 16,
            "max_watches_per_owner": 4,
            "max_blocking_per_user": 1,
        },
    }


async def start_kernel(api: Api, token: str | None, name: str, tmp_path: Path,
                       jp_serverapp: Any) -> tuple[str, str]:
    """Start a session as the person of ``token`` (None: alice); return (kernel id, capability)."""
    body = {"path": f"{name}.ipynb", "type": "notebook", "name": name,
            "kernel": {"name": "python3"}}
    headers = {"Authorization": f"token {token}"} if token else {}
    response = await api._fetch("api", "sessions", method="POST", body=json.dumps(body),
                                headers=headers)
    kernel_id = json.loads(response.body)["kernel"]["id"]
    env = await kernel_env(jp_serverapp, kernel_id, tmp_path)
    return kernel_id, env["KUBECHAT_CAPABILITY"]


async def as_bob(api: Api, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    return await api.call(method, path, body, headers={"Authorization": f"token {BOB_TOKEN}"})


KERNEL_READS = textwrap.dedent("""
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
    for command in COMMANDS:
        code, proposal = call("POST", "propose", {"command": command})
        out[command] = call("POST", "proposals/%s/execute" % proposal["id"])
    with open(OUT_PATH, "w") as f:
        json.dump(out, f)
""")


async def test_each_kernel_acts_as_its_person_in_the_cluster(
    api: Api, jp_serverapp: Any, scratch: str, tmp_path: Path
) -> None:
    commands = [f"kubectl get pods -n {scratch}", "kubectl get secrets -A",
                "kubectl get pods -n kube-system"]
    seen: dict[str, dict[str, tuple[int, Any]]] = {}
    for person, token in (("alice", None), ("bob", BOB_TOKEN)):
        kernel_id, _ = await start_kernel(api, token, f"{person}-rbac", tmp_path, jp_serverapp)
        out_path = tmp_path / f"{person}.json"
        await kernel_output(jp_serverapp, kernel_id, f"COMMANDS = {commands!r}\n"
                            f"OUT_PATH = {str(out_path)!r}\n" + KERNEL_READS)
        seen[person] = json.loads(out_path.read_text())
    assert seen["alice"][commands[0]][1]["user"] == "alice"
    # alice's Role is in her namespace only; bob has none; the admin kubeconfig could do all
    expected = {"alice": [200, 403, 403], "bob": [403, 403, 403]}
    for person, out in seen.items():
        assert [out[c][0] for c in commands] == expected[person], out
        for command in commands:
            code, body = out[command]
            if code == 403:  # the API server refused the person's identity, not the admin's
                assert body["reason"] == "cluster-forbidden", body
                assert k8s_user(person) in body["message"], body
    # exactly as each person's browser requests do
    for person, call in (("alice", api.call), ("bob", None)):
        for command in commands:
            if call is None:
                code, proposal = await as_bob(api, "POST", "propose", {"command": command})
                code, body = await as_bob(api, "POST", f"proposals/{proposal['id']}/execute")
            else:
                code, proposal = await call("POST", "propose", {"command": command})
                code, body = await call("POST", f"proposals/{proposal['id']}/execute")
            assert code == seen[person][command][0], (person, command, body)


async def test_a_kernel_cannot_touch_the_page_another_kernel_or_another_person(
    api: Api, jp_serverapp: Any, kubechat_app: Any, scratch: str, tmp_path: Path
) -> None:
    _, alice_k1 = await start_kernel(api, None, "alice-1", tmp_path, jp_serverapp)
    _, alice_k2 = await start_kernel(api, None, "alice-2", tmp_path, jp_serverapp)
    _, bob_k = await start_kernel(api, BOB_TOKEN, "bob-1", tmp_path, jp_serverapp)
    read = f"kubectl get pods -n {scratch}"
    write = f"kubectl label configmap hold -n {scratch} seen=yes"
    code, page_read = await api.call("POST", "propose", {"command": read})
    assert code == 201 and page_read["state"] == "approved"  # safe: runnable at once
    code, page_write = await api.call("POST", "propose", {"command": write})
    assert code == 201 and page_write["state"] == "proposed"
    code, k1_write = await api.call("POST", "propose", {"command": write}, capability=alice_k1)
    assert code == 201 and k1_write["user"] == "alice"
    code, bob_read = await as_bob(api, "POST", "propose", {"command": read})
    assert code == 201

    async def untouchable(capability: str, pid: str) -> None:
        for method, path in [("GET", ""), ("POST", "/approve"), ("POST", "/reject"),
                             ("POST", "/execute"), ("POST", "/watch"), ("DELETE", "/watch")]:
            code, body = await api.call(method, f"proposals/{pid}{path}", {},
                                        capability=capability)
            assert code == NOT_FOUND, (method, path, body)

    for pid in (page_read["id"], page_write["id"], bob_read["id"]):
        await untouchable(alice_k1, pid)  # the page's, and another person's
    await untouchable(alice_k2, k1_write["id"])  # another kernel of the same person
    await untouchable(bob_k, k1_write["id"])
    code, _ = await as_bob(api, "GET", f"proposals/{k1_write['id']}")
    assert code == NOT_FOUND
    # nothing any kernel tried changed the page's proposals
    for proposal in (page_read, page_write):
        code, now = await api.call("GET", f"proposals/{proposal['id']}")
        assert code == 200 and now["state"] == proposal["state"] and now["audit_seqs"] == \
            proposal["audit_seqs"]
    # the person's page sees what their kernel proposed (and decides it)
    code, seen = await api.call("GET", f"proposals/{k1_write['id']}")
    assert code == 200 and seen["user"] == "alice"
    code, rejected = await api.call("POST", f"proposals/{k1_write['id']}/reject", {})
    assert code == 200 and rejected["state"] == "rejected"
    # the kernel's own proposal stays its own
    code, own = await api.call("GET", f"proposals/{k1_write['id']}", capability=alice_k1)
    assert code == 200 and own["state"] == "rejected"

    # conversations: a kernel naming the panel's conversation writes into one of its own
    question = f"list the configmaps in namespace {scratch}"
    code, first = await api.call("POST", "ask", {"question": question, "conversation": "panel"})
    assert code == 200 and first["proposal"]["command"] == f"kubectl get configmaps -n {scratch}"
    code, _ = await api.call("POST", "ask", {"question": "delete configmap hold in default",
                                             "conversation": "panel"}, capability=alice_k1)
    assert code == 200
    turn = kubechat_app.conversations.previous("page:alice", "panel")
    assert turn.question == question
    code, follow = await api.call("POST", "ask", {"question": "and in default?",
                                                  "conversation": "panel"})
    assert code == 200 and follow["proposal"]["command"] == "kubectl get configmaps -n default"


async def watch_requests(port: int, base_url: str, starts: list[tuple[dict[str, str], str]]
                         ) -> list[int]:
    """Start watches all at once; return each one's status once all have one, then stop all."""
    client = SimpleAsyncHTTPClient(force_instance=True, max_clients=len(starts) + 1)
    base = f"http://127.0.0.1:{port}{base_url}kubechat/api/"
    loop = asyncio.get_running_loop()
    statuses: list[asyncio.Future[int]] = [loop.create_future() for _ in starts]

    def on_header(i: int) -> Any:
        def header(line: str) -> None:
            if line.startswith("HTTP/") and not statuses[i].done():
                statuses[i].set_result(int(line.split()[1]))
        return header

    fetches = [client.fetch(HTTPRequest(
        base + f"proposals/{pid}/watch", method="POST", body=json.dumps({"seconds": 600}),
        headers={**headers, "Content-Type": "application/json"}, request_timeout=300,
        header_callback=on_header(i), streaming_callback=lambda chunk: None),
        raise_error=False) for i, (headers, pid) in enumerate(starts)]
    codes = list(await asyncio.gather(*statuses))
    for (headers, pid), code in zip(starts, codes, strict=True):
        if code == 200:
            await client.fetch(HTTPRequest(base + f"proposals/{pid}/watch", method="DELETE",
                                           headers=headers), raise_error=False)
    await asyncio.gather(*fetches)
    client.close()
    return codes


async def until(probe: Callable[[], bool], what: str) -> None:
    """Poll the server's state until ``probe`` holds (waiting for it, not timing it)."""
    for _ in range(1200):
        if probe():
            return
        await asyncio.sleep(0.05)
    pytest.fail(f"never true: {what}")


async def proposals_of(api: Api, headers: dict[str, str], command: str, n: int) -> list[str]:
    capability = headers.get("X-Kubechat-Capability")
    out = []
    for _ in range(n):
        code, proposal = await api.call("POST", "propose", {"command": command},
                                        capability=capability,
                                        headers=None if capability else headers)
        assert code == 201 and proposal["state"] == "approved", proposal
        out.append(proposal["id"])
    return out


async def test_racing_watch_starts_get_exactly_the_servers_cap(
    api: Api, jp_serverapp: Any, kubechat_app: Any, scratch: str, jp_http_port: int,
    jp_base_url: str
) -> None:
    page = {"Authorization": f"token {jp_serverapp.identity_provider.token}"}
    owners = [page]
    for i in range(9):  # nine more owners of alice's: capabilities minted for scripts
        code, minted = await api.call("POST", "capabilities", {
            "scopes": ["propose", "execute"], "label": f"watcher {i}"})
        assert code == 201, minted
        owners.append({"X-Kubechat-Capability": minted["token"]})
    starts = []
    for headers in owners:  # 4 each (the per-owner cap): 40 racing for 16
        starts += [(headers, pid) for pid in
                   await proposals_of(api, headers, f"kubectl get pods -n {scratch}", 4)]
    codes = await watch_requests(jp_http_port, jp_base_url, starts)
    assert codes.count(200) == 16 and codes.count(429) == 24, codes
    assert kubechat_app.watches.slots.held() == 0  # every slot came back


async def test_a_kernel_cannot_use_up_the_pages_watches_or_blocking_slots(
    api: Api, jp_serverapp: Any, kubechat_app: Any, sandbox: SandboxInfo, scratch: str,
    tmp_path: Path, jp_http_port: int, jp_base_url: str
) -> None:
    kernel_id, kernel_cap = await start_kernel(api, None, "alice-quota", tmp_path, jp_serverapp)
    page = {"Authorization": f"token {jp_serverapp.identity_provider.token}"}
    kernel = {"X-Kubechat-Capability": kernel_cap}
    read = f"kubectl get pods -n {scratch}"
    starts = [(h, pid) for h in (kernel, page) for pid in await proposals_of(api, h, read, 10)]
    codes = await watch_requests(jp_http_port, jp_base_url, starts)
    assert codes[:10].count(200) == 4 and codes[10:].count(200) == 4, codes

    # blocking slots (max_blocking_per_user = 1): the kernel holds its one, the page runs its own
    wait = f"kubectl wait --for=delete configmap/hold -n {scratch} --timeout=240s"
    k_wait, k_again = await proposals_of(api, kernel, wait, 2)
    (p_wait,) = await proposals_of(api, page, wait, 1)
    kernel_waits = asyncio.ensure_future(
        api.call("POST", f"proposals/{k_wait}/execute", capability=kernel_cap))
    await until(lambda: kubechat_app.blocking_slots.held(f"kernel:{kernel_id}") == 1,
                "the kernel's wait took its own slot")
    code, busy = await api.call("POST", f"proposals/{k_again}/execute", capability=kernel_cap)
    assert code == 429 and busy["reason"] == "busy", busy
    page_waits = asyncio.ensure_future(api.call("POST", f"proposals/{p_wait}/execute"))
    await until(lambda: kubechat_app.blocking_slots.held("page:alice") == 1
                or page_waits.done(), "the page's wait started or ended")
    assert not page_waits.done(), page_waits.result()  # running, not refused
    kubectl(sandbox, "delete", "configmap", "hold", "-n", scratch)
    for done in await asyncio.gather(kernel_waits, page_waits):
        assert done[0] == 200 and done[1]["state"] == "executed", done
    assert kubechat_app.blocking_slots.held() == 0
