"""kubechat on a real JupyterHub: the service as its own OS user, hub mode in each server.

A real ``jupyterhub`` (LocalProcessSpawner, configurable-http-proxy, the dummy authenticator,
``subdomain_host`` on ``hub.localhost``) with two OS users the test creates (alice, bob) and the
kubechat service as a third, in two processes behind one balancer (the hub's and a second one
with its own ports and runtime folder), against the sandbox's RBAC and the test PostgreSQL,
driven in Chromium (tests/hub/_hub.py). It shows:

- alice's kernel cannot read the service's kubeconfig, LLM key file, config (audit DSN) or
  either process's environment (permission denied); it holds no credential and no hub token;
- alice's kernel id is hers in both processes; stopping it through the other process than the
  one that minted its capability revokes the capability in both;
- alice's reads run as alice in the cluster, with her hub group carried through: a Role bound
  to that group in ``shop`` lets her list pods there, and listing ``payments`` is a clear 403;
- the red-team attack (kernel JavaScript in alice's JupyterLab page posting the approval with
  the page's cookie and XSRF, reading the approval page's redirect, framing it; and against
  the service's own host, with its OAuth cookie) approves, mints and reads nothing; neither
  cookie is readable from her page; alice approving on the approval page (its own host) does;
- two-person approval with the hub's groups: in a scratch namespace the policy gives to the hub
  group ``sre-leads`` (bob's), alice's delete is refused to her (API and approval page); the
  service, killed and restarted by the hub, still has it pending (PostgreSQL) and still honours
  a capability minted before the restart; bob finds it in his waiting-for-me list, signs in
  on the approval page through the first process, and, the first frozen, approves it through
  the second (his sign-in holds there); it runs, the audit names both, the chain verifies;
- the LLM answer cache with the service's model (the wire-level OpenAI fake): alice's second
  ask is served from the cache; after the restart bob's still is (the cache is in PostgreSQL),
  alice's misses because her inventory changed. The side panel's questions go to the model.

Needs root (CI has it): under ``CI=true`` a missing requirement fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.browser.test_red_team_approval import ATTACK
from tests.hub._hub import (
    Hub,
    loopback_localhost,
    missing_requirements,
    notebook,
    os_users,
    start_hub,
    start_second_service,
    stop_hub,
)
from tests.plugins.browser import ARTIFACTS
from tests.plugins.llm_servers import FakeLLMServer
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl, scratch_namespace
from tests.plugins.services import skip_or_fail

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

#: the hub group of the two-person approvers (bob's; tests/hub/_hub.py's hub config)
APPROVERS = "sre-leads"
#: the hub's OAuth cookie of the service (its OAuth client id, services/auth.py of jupyterhub)
SERVICE_COOKIE = "service-kubechat"
#: a question to the service's model (the fake) whose answer is cached
QUESTION = "Which deployments run in my scratch namespace?"

SHOP_ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: %(name)s, namespace: %(ns)s}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
- {apiGroups: [apps], resources: [deployments], verbs: [get, list, watch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %(name)s, namespace: %(ns)s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: %(name)s}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: %(group)s}
"""

#: alice's group lists deployments everywhere, so her grounding (inventory) shows them
LIST_DEPLOYMENTS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: %(name)s}
rules:
- {apiGroups: [apps], resources: [deployments], verbs: [list]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: %(name)s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %(name)s}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: Group, name: %(group)s}
"""


@pytest.fixture(scope="module")
def two_person(sandbox: SandboxInfo) -> Iterator[str]:
    """A scratch namespace whose dangerous commands need a second person of ``sre-leads``."""
    with scratch_namespace(sandbox, "kc-hub-2p") as name:
        yield name


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLMServer]:
    """The service's model: a wire-level OpenAI fake on 127.0.0.1 (scripted by each test)."""
    server = FakeLLMServer("openai").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def hub(sandbox: SandboxInfo, lab_database: str, two_person: str, llm: FakeLLMServer,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """A real JupyterHub with alice, bob and the kubechat service as three OS users.

    The service's policy sends dangerous commands in ``two_person`` to the hub group
    ``sre-leads`` (bob's) (docs/policy.md, "Two-person approval").
    """
    why = missing_requirements()
    if why:
        skip_or_fail(why)
    suffix = secrets.token_hex(3)
    group = f"kc-hub-{suffix}"
    base = tmp_path_factory.mktemp("hub")
    kubeconfig = Path(sandbox.kubeconfig).read_text()
    policy = yaml.safe_dump({"version": 1, "two_person": [
        {"levels": ["dangerous"], "contexts": [yaml.safe_load(kubeconfig)["current-context"]],
         "namespaces": [two_person], "approvers": APPROVERS}]})
    with os_users(f"kca{suffix}", f"kcb{suffix}", f"kcs{suffix}") as users, \
            loopback_localhost():
        hub = start_hub(base, users, group=group, kubeconfig_text=kubeconfig,
                        audit_dsn=lab_database, policy_text=policy, llm_url=llm.url)
        try:
            start_second_service(hub, base)
            yield hub
        finally:
            stop_hub(hub)
            (ARTIFACTS / "hub").mkdir(parents=True, exist_ok=True)
            shutil.copy(hub.log_path, ARTIFACTS / "hub" / "hub.log")
            if (base / "service-1.log").exists():
                shutil.copy(base / "service-1.log", ARTIFACTS / "hub" / "service-1.log")


@pytest.fixture(scope="module")
def grants(hub: Hub, sandbox: SandboxInfo, two_person: str) -> Iterator[str]:
    """alice's hub group may read pods in ``shop`` and delete deployments in scratch ones."""
    with scratch_namespace(sandbox, "kc-hub") as scratch:
        name = f"kc-hub-{hub.group}"
        for ns in ("shop", scratch, two_person):
            kubectl(sandbox, "apply", "-f", "-",
                    stdin=SHOP_ROLE % {"name": name, "ns": ns, "group": hub.group})
        kubectl(sandbox, "apply", "-f", "-", stdin=LIST_DEPLOYMENTS % {
            "name": name, "group": hub.group})
        try:
            yield scratch
        finally:
            kubectl(sandbox, "delete", "rolebinding,role", name, "-n", "shop",
                    "--ignore-not-found", check=False)
            kubectl(sandbox, "delete", "clusterrolebinding,clusterrole", name,
                    "--ignore-not-found", check=False)


@pytest.fixture
def alice_page(hub: Hub, chromium: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """alice signed in to the hub in a fresh Chromium context, her server started."""
    hub.start_server("alice")
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{hub.url}hub/login")
    page.fill("#username_input", hub.users["alice"])
    page.fill("#password_input", hub.password)
    page.click("#login_submit")
    page.wait_for_url("**/user/**", timeout=120_000)
    artifacts = ARTIFACTS / request.node.name
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        yield page
    finally:
        try:
            page.screenshot(path=str(artifacts / "last.png"))
        finally:
            context.close()


def _open_and_run(page: Any, hub: Hub, name: str, marker: str, cell: int = 0) -> str:
    """Open alice's notebook ``name`` in JupyterLab, run cell ``cell``, return its output."""
    page.goto(f"{hub.server_url('alice')}lab/tree/{name}?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=120_000)
    return _run(page, marker, cell)


def _run(page: Any, marker: str, cell: int) -> str:
    """Run cell ``cell`` of the open notebook until its output shows ``marker`` (or an error)."""
    output = page.locator(".jp-Notebook:visible .jp-Cell").nth(cell).locator(
        ".jp-OutputArea-output")
    for _ in range(12):  # a Shift+Enter sent while the kernel connects is dropped: resend
        dialog = page.locator(".jp-Dialog:has-text('Kernel') .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        try:
            page.locator(".jp-Notebook:visible .jp-Cell").nth(cell).locator(
                ".jp-InputArea-editor").click(timeout=15_000)
            page.keyboard.press("Shift+Enter")
            page.wait_for_function(
                "([i, m]) => ([...document.querySelectorAll('.jp-Notebook .jp-Cell')][i]"
                "?.querySelector('.jp-OutputArea')?.innerText || '').match(m + '|Error')",
                arg=[cell, marker], timeout=40_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: not run yet
            continue
    text: str = output.first.inner_text(timeout=5_000)
    return text


PROBE = """\
import json, os, httpx
from ipykernel.connect import get_connection_file
out = {"env": dict(os.environ), "files": {},
       "kernel": os.path.basename(get_connection_file())[len("kernel-"):-len(".json")]}
for path in %(paths)r:
    try:
        open(path, "rb").read()
        out["files"][path] = "READ"
    except PermissionError as exc:
        out["files"][path] = "denied"
    except OSError as exc:
        out["files"][path] = type(exc).__name__
url = os.environ["KUBECHAT_URL"].rstrip("/") + "/kubechat/api/"
headers = {"X-Kubechat-Capability": os.environ.get("KUBECHAT_CAPABILITY", "")}
for ns in ("shop", "payments"):
    p = httpx.post(url + "propose", headers=headers, timeout=60,
                   json={"command": "kubectl get pods -n " + ns})
    if p.status_code != 201:
        out[ns] = {"status": p.status_code, "body": p.json(), "step": "propose"}
        continue
    p = p.json()
    r = httpx.post(url + "proposals/%%s/execute" %% p["id"], headers=headers, timeout=60)
    out[ns] = {"status": r.status_code, "body": r.json()}
print("PROBE", json.dumps(out))
"""


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(e.decode(errors="replace").partition("=")[::2] for e in raw if e)


def _alice_server_pid(hub: Hub) -> int:
    uid = os.stat(Path("/home") / hub.users["alice"]).st_uid
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc.stat().st_uid == uid
                        and b"jupyterhub-singleuser" in (proc / "cmdline").read_bytes()):
                    return int(proc.name)
            except OSError:
                continue
    raise AssertionError("alice's single-user server is not running")


def test_alice_kernel_holds_no_credential_and_reads_as_alice(
        hub: Hub, grants: str, alice_page: Any) -> None:
    alice = hub.users["alice"]
    home = Path("/home") / alice
    service_pid = hub.service_pid()
    paths = [str(hub.service_files[k]) for k in ("kubeconfig", "key", "config")]
    paths += [f"/proc/{service_pid}/environ", f"/proc/{hub.service_pid(1)}/environ"]
    import pwd

    notebook(home / "probe.ipynb", pwd.getpwnam(alice), PROBE % {"paths": paths})
    text = _open_and_run(alice_page, hub, "probe.ipynb", "PROBE")
    assert "PROBE {" in text, text
    out = json.loads(text.split("PROBE ", 1)[1].strip().splitlines()[0])

    # the service's files and environment: permission denied
    assert out["files"] == dict.fromkeys(paths, "denied"), out["files"]
    # no credential and no hub token in the kernel's environment, by name or by value
    env: dict[str, str] = out["env"]
    secrets_held = [Path(p).read_text().strip() for p in paths[:2]]
    secrets_held += [_environ(service_pid)["JUPYTERHUB_API_TOKEN"],
                     _environ(_alice_server_pid(hub))["JUPYTERHUB_API_TOKEN"]]
    assert not {"JUPYTERHUB_API_TOKEN", "JPY_API_TOKEN", "KUBECONFIG"} & set(env), sorted(env)
    for value in env.values():
        assert not any(s in value for s in secrets_held if s), "a secret reached the kernel"
    assert env["KUBECHAT_CAPABILITY"].startswith("kcap_")
    assert env["KUBECHAT_URL"] == hub.service_url
    # reads run as alice, with her hub group: shop yes, payments a clear 403
    assert out["shop"]["status"] == 200, out["shop"]
    assert out["payments"]["status"] == 403, out["payments"]
    assert out["payments"]["body"]["reason"] == "cluster-forbidden", out["payments"]
    assert alice in out["payments"]["body"]["message"], out["payments"]

    # the kernel's id is alice's at the service: bob can neither take it over nor revoke it,
    # through either process (the first registered it; the second shares its PostgreSQL)
    kernel, capability = out["kernel"], env["KUBECHAT_CAPABILITY"]
    bob = {"Authorization": f"token {hub.token_for('bob')}"}
    for replica in (0, 1):
        at = f"{hub.replica_url(replica)}kubechat/api/"
        taken = httpx.post(at + "hub/kernels", json={"kernel_id": kernel}, headers=bob)
        assert taken.status_code == 409, (replica, taken.text)
        assert httpx.delete(at + f"hub/kernels/{kernel}", headers=bob).status_code == 404

    # the side panel's requests go through alice's server to the service, as alice
    own = hub.token_for("alice", f"access:servers!user={alice}")
    panel = f"{hub.server_url('alice')}kubechat/api/"
    health = httpx.get(panel + "health", headers={"Authorization": f"token {own}"}, timeout=60)
    assert health.status_code == 200, health.text
    made = httpx.post(panel + "propose", json={"command": "kubectl get pods -n shop"},
                      headers={"Authorization": f"token {own}"}, timeout=60)
    assert made.status_code == 201 and made.json()["user"] == alice, made.text
    with httpx.stream("POST", panel + f"proposals/{made.json()['id']}/watch",
                      json={"seconds": 2}, headers={"Authorization": f"token {own}"},
                      timeout=60) as stream:  # a watch streams through the forwarder
        assert stream.status_code == 200
        kinds = [json.loads(line)["type"] for line in stream.iter_lines() if line]
    assert kinds[0] == "start" and "snapshot" in kinds and kinds[-1] == "end", kinds

    # a watch streams from the process its reader reached (the first); a stop sent through the
    # other process ends it there
    person = {"Authorization": f"token {hub.token_for('alice')}"}
    first, second = (f"{hub.replica_url(i)}kubechat/api/" for i in (0, 1))
    watched = httpx.post(first + "propose", json={"command": "kubectl get pods -n shop"},
                         headers=person, timeout=60)
    assert watched.status_code == 201, watched.text
    route = f"proposals/{watched.json()['id']}/watch"
    with httpx.stream("POST", first + route, json={"seconds": 300}, headers=person,
                      timeout=60) as stream:
        lines = (json.loads(line) for line in stream.iter_lines() if line)
        assert next(lines)["type"] == "start"
        stop = httpx.delete(second + route, headers=person, timeout=60)
        assert stop.status_code == 200 and stop.json()["stopped"] is True, stop.text
        end = [event for event in lines if event["type"] != "heartbeat"][-1]
    assert end["type"] == "end" and end["reason"] == "stopped", end
    assert httpx.delete(second + route, headers=person, timeout=60).status_code == 404

    # the capability is revoked when alice's kernel stops, though her server tells the other
    # process (the balancer now sends to the second) than the one that minted it
    def propose(replica: int) -> httpx.Response:
        return httpx.post(f"{hub.replica_url(replica)}kubechat/api/propose",
                          json={"command": "kubectl get pods -n shop"},
                          headers={"X-Kubechat-Capability": capability}, timeout=60)

    assert propose(0).status_code == 201 and propose(1).status_code == 201
    assert hub.balancer is not None
    hub.balancer.use(1)
    try:
        stopped = httpx.delete(f"{hub.server_url('alice')}api/kernels/{kernel}", timeout=60,
                               headers={"Authorization": f"token {own}"})
        assert stopped.status_code == 204, stopped.text
        refused = eventually(lambda: (r := propose(0)).status_code == 403 and r,
                             "the stopped kernel's capability is refused")
        assert refused.json()["reason"] == "capability-invalid", refused.text
        assert propose(1).status_code == 403
        assert hub.balancer.connections[(hub.ports["service"], 1)] > 0
    finally:
        hub.balancer.use(0)


PROPOSE = """\
import json, os, httpx
from IPython.display import Javascript, display
url = os.environ["KUBECHAT_URL"].rstrip("/") + "/kubechat/api/"
headers = {"X-Kubechat-Capability": os.environ["KUBECHAT_CAPABILITY"]}
command = "kubectl delete deployment recommendations -n %(ns)s"
proposal = httpx.post(url + "propose", headers=headers, timeout=60,
                      json={"command": command}).json()
print("PROPOSED", proposal["id"], proposal["level"])
display(Javascript(%(attack)r %% {"pid": json.dumps(proposal["id"]),
                                 "name": json.dumps(proposal["confirm"]),
                                 "approval": json.dumps(%(approval)r)}))
display(Javascript(%(service_attack)r %% {"pid": json.dumps(proposal["id"]),
                                         "name": json.dumps(proposal["confirm"]),
                                         "service": json.dumps(%(service)r)}))
"""

#: kernel JavaScript in alice's page (her server's host) against the service's own host, where
#: her browser holds the service's OAuth cookie: read a proposal, mint a capability (a simple
#: request: no preflight), approve. The cookie goes along (a sibling host is the same site);
#: the service's XSRF check refuses it, and no reply can be read.
SERVICE_ATTACK = r"""
(async () => {
  const pid = %(pid)s, name = %(name)s, S = %(service)s + 'kubechat/api/';
  const out = {cookies: document.cookie};
  const attempt = async (key, fn) => {
    try { out[key] = await fn(); } catch (e) { out[key] = {error: String(e)}; }
  };
  await attempt('read', async () => {
    const r = await fetch(S + 'proposals/' + pid, {credentials: 'include'});
    return {status: r.status, body: await r.text()};
  });
  await attempt('mint', async () => {
    const r = await fetch(S + 'capabilities', {method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'text/plain'},
      body: JSON.stringify({scopes: ['propose', 'approve:warning'], label: 'service-attack'})});
    return {status: r.status, body: await r.text()};
  });
  await attempt('approve', async () => {
    const r = await fetch(S + 'proposals/' + pid + '/approve', {method: 'POST',
      credentials: 'include', mode: 'no-cors', headers: {'Content-Type': 'text/plain'},
      body: JSON.stringify({confirm: name})});
    return {type: r.type};
  });
  document.body.setAttribute('data-service-attack', JSON.stringify(out));
})();
"""

EXECUTE = """\
done = httpx.post(url + "proposals/%s/execute" % proposal["id"], headers=headers, timeout=120)
print("EXECUTED", done.status_code, done.json()["state"])
"""


def _approval_cookie(hub: Hub) -> str:
    """The approval page's session cookie (it names the approval origin's port)."""
    return f"kubechat-approval-{urllib.parse.urlsplit(hub.approval_url).port}"


def _exists(sandbox: SandboxInfo, namespace: str) -> bool:
    found = kubectl(sandbox, "get", "deployment", "recommendations", "-n", namespace,
                    "--ignore-not-found", "-o", "name", check=False)
    return bool(found.stdout.strip())


def test_red_team_from_alice_kernel_approves_nothing_alice_on_the_page_does(
        hub: Hub, grants: str, alice_page: Any, sandbox: SandboxInfo) -> None:
    import pwd

    alice = hub.users["alice"]
    scratch = grants
    kubectl(sandbox, "create", "deployment", "recommendations", "-n", scratch,
            "--image=nginx:1.27")
    token = hub.token_for("alice")

    def api(method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, f"{hub.service_url}kubechat/api/{path}", timeout=60,
                             headers={"Authorization": f"token {token}"}, **kw)

    # alice already holds a live approval-page session in this browser (worst case)
    decoy = api("POST", "propose", json={
        "command": f"kubectl delete deployment nothing-here -n {scratch}"}).json()
    person = alice_page.context.new_page()
    person.goto(f"{hub.server_url('alice')}kubechat/api/proposals/{decoy['id']}/approval-page")
    person.wait_for_selector("[data-testid=command]", timeout=60_000)
    assert person.url.startswith(hub.approval_url), person.url
    person.close()

    notebook(Path("/home") / alice / "redteam.ipynb", pwd.getpwnam(alice),
             PROPOSE % {"ns": scratch, "attack": ATTACK, "approval": hub.approval_url,
                        "service_attack": SERVICE_ATTACK, "service": hub.service_public_url},
             EXECUTE)
    text = _open_and_run(alice_page, hub, "redteam.ipynb", "PROPOSED")
    alice_page.wait_for_selector("body[data-redteam][data-service-attack]", timeout=90_000)
    out = json.loads(alice_page.get_attribute("body", "data-redteam") or "{}")
    on_service = json.loads(alice_page.get_attribute("body", "data-service-attack") or "{}")
    artifacts = ARTIFACTS / "hub-red-team"
    artifacts.mkdir(parents=True, exist_ok=True)
    (artifacts / "red-team.json").write_text(json.dumps(out, indent=1))
    (artifacts / "service-attack.json").write_text(json.dumps(on_service, indent=1))
    pid = text.split("PROPOSED ", 1)[1].split()[0]

    # three hosts (subdomain_host): alice's server, the service, the approval page. Her browser
    # holds the service's OAuth cookie and an approval-page session, each bound to its own host
    # (no Domain: no sibling gets them) and HttpOnly: her page's JavaScript reads neither
    hosts = {name: urllib.parse.urlsplit(url).hostname for name, url in (
        ("server", hub.server_url("alice")), ("service", hub.service_public_url),
        ("approval", hub.approval_url))}
    assert len(set(hosts.values())) == 3, hosts
    jar = {c["name"]: c for c in alice_page.context.cookies()}
    service_cookie, approval_cookie = jar[SERVICE_COOKIE], jar[_approval_cookie(hub)]
    assert service_cookie["domain"] == hosts["service"] and service_cookie["httpOnly"], jar
    assert approval_cookie["domain"] == hosts["approval"] and approval_cookie["httpOnly"]
    assert approval_cookie["sameSite"] == "Strict", approval_cookie
    for cookies in (out["cookies"], on_service["cookies"]):
        assert SERVICE_COOKIE not in cookies and "kubechat-approval" not in cookies, cookies
    # against the service's host: nothing read, nothing minted, nothing approved
    assert "error" in on_service["read"], on_service["read"]
    assert on_service["mint"].get("status") in (None, 403), on_service["mint"]
    assert "token" not in json.dumps(on_service["mint"]), on_service["mint"]
    labels = {c["label"] for c in api("GET", "capabilities").json()["capabilities"]}
    assert "service-attack" not in labels, labels

    # the in-page approval (page cookie, _xsrf, typed name), through alice's server: refused
    assert out["inpage"]["status"] == 403, out["inpage"]
    assert "approve-on-approval-page" in out["inpage"]["body"], out["inpage"]
    assert "kubechat-approval" not in out["cookies"], out["cookies"]
    assert out["link_manual"].get("type") == "opaqueredirect", out["link_manual"]
    assert "error" in out["link_follow"], out["link_follow"]
    assert "error" in out["page_cors"], out["page_cors"]
    assert out["page_nocors"].get("body", "") == "", out["page_nocors"]
    for key in ("frame_page", "frame_link", "popup"):
        seen = json.dumps(out[key])
        assert "kubechat_xsrf" not in seen and "SCRIPTED" not in seen, (key, seen)
    proposal = api("GET", f"proposals/{pid}").json()
    assert proposal["state"] == "proposed", proposal
    assert _exists(sandbox, scratch)

    # alice approves on the approval page (the link of the card, through her server)
    person = alice_page.context.new_page()
    person.goto(f"{hub.server_url('alice')}kubechat/api/proposals/{pid}/approval-page")
    person.wait_for_selector("[data-testid=command]", timeout=60_000)
    assert person.url.startswith(hub.approval_url), person.url
    person.fill("[data-testid=confirm]", proposal["confirm"])
    person.click("[data-testid=approve]")
    person.wait_for_selector("[data-testid=done]")
    person.screenshot(path=str(artifacts / "approved.png"))
    audit = api("GET", "audit", params={"proposal": pid, "limit": 100}).json()
    approved = [r["event"] for r in audit["records"] if r["event"]["type"] == "approved"]
    assert len(approved) == 1 and approved[0]["via"] == "approval-page", approved

    # alice's kernel runs what she approved, as alice
    text = _run(alice_page, "EXECUTED", 1)
    assert "EXECUTED 200 executed" in text, text
    assert not _exists(sandbox, scratch) or kjson(
        sandbox, "get", "deployment", "recommendations", "-n", scratch
    )["metadata"].get("deletionTimestamp")

    # when alice's server stops, its kernels' capabilities end with it
    capabilities = _kernel_capabilities(hub)
    assert capabilities
    stopped = hub.hub_api("DELETE", f"users/{alice}/server")
    assert stopped.status_code in (202, 204), stopped.text
    eventually(lambda: not (hub.hub_api("GET", f"users/{alice}").json().get("servers") or {}),
               "alice's server stopped")
    for capability in capabilities:
        refused = httpx.post(f"{hub.service_url}kubechat/api/propose", timeout=60,
                             json={"command": "kubectl get pods -n shop"},
                             headers={"X-Kubechat-Capability": capability})
        assert refused.status_code == 403, refused.text
        assert refused.json()["reason"] == "capability-invalid", refused.text


def _kernel_capabilities(hub: Hub) -> list[str]:
    """The capabilities in the environments of alice's running kernels (read as root)."""
    uid = os.stat(Path("/home") / hub.users["alice"]).st_uid
    found = []
    for proc in Path("/proc").iterdir():
        try:
            if (proc.name.isdigit() and proc.stat().st_uid == uid
                    and b"ipykernel" in (proc / "cmdline").read_bytes()):
                capability = _environ(int(proc.name)).get("KUBECHAT_CAPABILITY")
                if capability:
                    found.append(capability)
        except OSError:
            continue
    return found


def test_the_hub_service_serves_its_documented_routes() -> None:
    """docs/openapi.yaml's /hub/ paths are exactly the hub service's own routes."""
    import re

    import yaml

    from kubechat_lab.server.hub._service_side import default_handlers

    doc = yaml.safe_load((Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml")
                         .read_text())
    documented = {p for p in doc["paths"] if p.startswith("/hub/")}
    served = {re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", pattern[len("/kubechat/api"):])
              for pattern, _ in default_handlers}
    assert documented == served


def test_alice_side_panel_talks_to_the_service_as_alice(
        hub: Hub, grants: str, alice_page: Any, llm: FakeLLMServer) -> None:
    from tests.browser.test_panel import INPUT, PANEL_TAB

    page = alice_page
    page.goto(f"{hub.server_url('alice')}lab")
    page.wait_for_selector(".jp-LabShell", timeout=120_000)
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=120_000)
    panel = page.locator("#kubechat-lab-panel")
    if not panel.is_visible():
        page.click(PANEL_TAB)
    panel.wait_for(state="visible")
    turns = page.locator(".jp-kubechat-turn")
    shop, payments = turns.nth(0), turns.nth(1)
    for ns, turn in (("shop", shop), ("payments", payments)):  # one at a time: one script
        llm.answer(f"kubectl get pods -n {ns}", f"Lists the pods in {ns}.")
        page.fill(INPUT, f"list pods in {ns}")
        page.press(INPUT, "Enter")
        turn.locator(".jp-kubechat-card, .jp-kubechat-error").first.wait_for(timeout=60_000)
    shop.locator(".jp-kubechat-result").wait_for(timeout=60_000)
    rows = shop.locator(".jp-kubechat-rowcount").inner_text()
    assert rows.endswith("rows") and not rows.startswith("0 "), rows
    payments.locator(".jp-kubechat-card .jp-kubechat-badge").wait_for(timeout=60_000)
    payments.get_by_text("403").or_(payments.get_by_text("forbidden")).first.wait_for(
        timeout=60_000)
    assert hub.users["alice"] in payments.inner_text()
    page.screenshot(path=str(ARTIFACTS / "hub" / "side-panel.png"))


def _person_page(chromium: Any, hub: Hub, role: str, url: str) -> tuple[Any, Any]:
    """A fresh Chromium context of ``role`` opening ``url`` (the hub's login on the way)."""
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.goto(url)
    if page.locator("#username_input").count():
        page.fill("#username_input", hub.users[role])
        page.fill("#password_input", hub.password)
        page.click("#login_submit")
    page.wait_for_selector("[data-testid=command]", timeout=90_000)
    assert page.url.startswith(hub.approval_url), page.url
    return context, page


def _restart_service(hub: Hub) -> None:
    """Kill the kubechat service; the hub starts it again (it polls its services)."""
    old = hub.service_pid()
    os.kill(old, signal.SIGKILL)
    health = f"{hub.service_url}kubechat/api/health"

    def up() -> bool:
        try:
            pid = hub.service_pid()
        except AssertionError:
            return False
        if pid == old:
            return False
        try:
            return httpx.get(health, timeout=5, headers={
                "Authorization": f"token {hub.admin_token}"}).status_code == 200
        except httpx.HTTPError:
            return False

    eventually(up, "the hub restarted the kubechat service", timeout=120)


def test_two_person_and_the_answer_cache_survive_a_service_restart(
        hub: Hub, grants: str, two_person: str, chromium: Any, sandbox: SandboxInfo,
        llm: FakeLLMServer) -> None:
    """alice proposes a delete that needs ``sre-leads``; she cannot approve it; the service
    restarts with it pending; bob (in the hub group) finds it, approves it, it runs.

    Around the restart, an LLM answer: the second ask is served from the cache (the model
    hears one request); after the restart bob's (unchanged grounding) still hits, alice's
    misses because her inventory changed (a deployment appeared that her group lists)."""
    alice, bob = hub.users["alice"], hub.users["bob"]
    kubectl(sandbox, "create", "deployment", "recommendations", "-n", two_person,
            "--image=nginx:1.27")
    service = f"{hub.service_url}kubechat/api/"
    tokens = {role: {"Authorization": f"token {hub.token_for(role)}"} for role in ("alice", "bob")}

    def api(role: str, method: str, path: str, **kw: Any) -> httpx.Response:
        return httpx.request(method, service + path, headers=tokens[role], timeout=60, **kw)

    def ask(role: str) -> dict[str, Any]:
        done = api(role, "POST", "ask", json={"question": QUESTION})
        assert done.status_code == 200, done.text
        return dict(done.json())

    for _ in range(3):
        llm.answer(f"kubectl get deployments -n {grants}", "Lists the deployments.")
    heard = len(llm.received)
    first = ask("alice")
    assert first["translation"]["cached"] is False and len(llm.received) == heard + 1, first
    again = ask("alice")
    assert again["translation"]["cached"] is True and len(llm.received) == heard + 1, again
    assert again["proposal"]["cached"] is True and again["proposal"]["user"] == alice
    assert ask("bob")["translation"]["cached"] is False  # another grounding: his own answer
    assert len(llm.received) == heard + 2
    kubectl(sandbox, "create", "deployment", "cache-probe", "-n", grants, "--image=nginx:1.27")

    made = api("alice", "POST", "propose", json={
        "command": f"kubectl delete deployment recommendations -n {two_person}"})
    assert made.status_code == 201, made.text
    proposal = made.json()
    pid = proposal["id"]
    assert proposal["user"] == alice and proposal["level"] == "dangerous", proposal
    assert proposal["approvers"] == APPROVERS, proposal

    # alice cannot approve her own: not through the API, not on the approval page
    refused = api("alice", "POST", f"proposals/{pid}/approve",
                  json={"confirm": proposal["confirm"]})
    assert refused.status_code == 403, refused.text
    assert refused.json()["reason"] == "two-person-self", refused.text
    artifacts = ARTIFACTS / "hub-two-person"
    artifacts.mkdir(parents=True, exist_ok=True)
    link = f"{hub.service_public_url}kubechat/api/proposals/{pid}/approval-page"
    context, page = _person_page(chromium, hub, "alice", link)
    try:
        assert APPROVERS in page.inner_text("[data-testid=two-person]")
        page.fill("[data-testid=confirm]", proposal["confirm"])
        page.click("[data-testid=approve]")
        refusal = page.inner_text("[data-testid=error]")
        assert "you cannot approve your own proposal" in refusal, refusal
        page.screenshot(path=str(artifacts / "alice-refused.png"))
    finally:
        context.close()
    assert api("alice", "GET", f"proposals/{pid}").json()["state"] == "proposed"
    assert _exists(sandbox, two_person)
    assert pid not in {p["id"] for p in api("alice", "GET", "proposals",
                                            params={"for": "me"}).json()["proposals"]}

    # the service restarts with it pending (its state is in PostgreSQL): still there, and a
    # capability minted before the restart still works after it
    minted = api("alice", "POST", "capabilities", json={"scopes": ["propose"], "label": "t"})
    assert minted.status_code == 201, minted.text
    _restart_service(hub)
    kept = httpx.post(service + "propose", json={"command": "kubectl get pods -n shop"},
                      headers={"X-Kubechat-Capability": minted.json()["token"]}, timeout=60)
    assert kept.status_code == 201 and kept.json()["user"] == alice, kept.text
    still = api("alice", "GET", f"proposals/{pid}")
    assert still.status_code == 200 and still.json()["state"] == "proposed", still.text
    # the answer cache is in PostgreSQL too: bob's grounding is as it was, his ask hits;
    # alice's inventory changed (cache-probe), hers misses and the model hears of it
    assert ask("bob")["translation"]["cached"] is True and len(llm.received) == heard + 2
    changed = ask("alice")
    assert changed["translation"]["cached"] is False and len(llm.received) == heard + 3
    assert "cache-probe" in llm.received[-1].prompt

    # bob (hub group sre-leads) finds it waiting for him, as himself through the service
    waiting = api("bob", "GET", "proposals", params={"for": "me"})
    assert waiting.status_code == 200, waiting.text
    item = {p["id"]: p for p in waiting.json()["proposals"]}[pid]
    assert item["waiting_for_me"] is True and item["user"] == alice, item

    # bob signs in on the approval page through the first process (the balancer sends there)
    context, page = _person_page(chromium, hub, "bob", link)
    first = hub.service_pid(0)
    assert hub.balancer is not None
    try:
        # the first process stops answering (frozen: a request to it would hang) and the
        # balancer sends everything to the second, with its own ports and runtime folder. bob's
        # hub sign-in, a cookie the first process set, holds there (no new OAuth round); the
        # second signs him in on the approval page; he approves there, and it runs
        os.kill(first, signal.SIGSTOP)
        hub.balancer.use(1)
        authorize: list[str] = []
        page.on("request", lambda r: authorize.append(r.url) if "oauth2/authorize" in r.url
                else None)
        page.goto(link)
        page.wait_for_selector("[data-testid=command]", timeout=90_000)
        assert page.url.startswith(hub.approval_url) and not authorize, (page.url, authorize)
        page.fill("[data-testid=confirm]", proposal["confirm"])
        page.click("[data-testid=approve]")
        page.wait_for_selector("[data-testid=done]", timeout=60_000)
        page.screenshot(path=str(artifacts / "bob-approved.png"))
        assert hub.balancer.connections[(hub.ports["approval"], 1)] > 0
        assert hub.balancer.connections[(hub.ports["service"], 1)] > 0

        final = api("alice", "GET", f"proposals/{pid}").json()
        assert final["state"] == "executed" and final["approver"] == bob, final
        assert not _exists(sandbox, two_person) or kjson(
            sandbox, "get", "deployment", "recommendations", "-n", two_person
        )["metadata"].get("deletionTimestamp")

        # the audit names both, and the chain verifies (through the second process, after
        # the first's restart)
        records = api("alice", "GET", "audit", params={"proposal": pid, "limit": 100}).json()
        events = {r["event"]["type"]: r["event"] for r in records["records"]}
        assert list(events) == ["proposed", "approved", "executing", "executed"], list(events)
        assert events["proposed"]["user"] == alice
        approved = events["approved"]
        assert approved["approver"] == bob and approved["proposer"] == alice, approved
        assert approved["approvers"] == APPROVERS and approved["via"] == "approval-page"
        verified = api("bob", "GET", "audit/verify")
        assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    finally:
        context.close()
        os.kill(first, signal.SIGCONT)
        hub.balancer.use(0)
