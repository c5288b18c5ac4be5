"""Two-person approval on a real server with two people, against the real sandbox.

The operator's policy sends dangerous commands in one scratch namespace of the sandbox's
context to ``sre-leads`` (docs/policy.md, "Two-person approval"); ``c.KubechatApp.groups`` puts
bob in it, and the identity provider (as JupyterHub's does) puts dave in it. alice proposes a
delete there: she cannot approve it (in JupyterLab or on the approval page), carol (no group)
cannot see it, bob finds it in his waiting-for-me list and approves it on the approval page,
where it runs. The audit names both people, and a webhook receiver hears of it.

The identity provider maps tokens to people (configuration of the real server, as
``tests/server/test_users.py`` does): the server's token is alice's.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from jupyter_server.auth.identity import IdentityProvider, User

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

BOB_TOKEN = "bob-" + secrets.token_hex(16)
CAROL_TOKEN = "carol-" + secrets.token_hex(16)
DAVE_TOKEN = "dave-" + secrets.token_hex(16)
#: groups the identity provider gives (as JupyterHub's user model carries ``groups``)
HUB_GROUPS = {"dave": ["sre-leads"], "carol": ["payments"]}


class TwoPeople(IdentityProvider):
    """Names people by token: the server's token is alice's; bob, carol and dave have theirs.

    Signing in at the login page with one's token names that person in the login cookie, and
    the user carries ``hub_user`` with the person's hub groups, as JupyterHub's does.
    """

    def _person(self, name: str) -> User:
        user = User(username=name)
        user.hub_user = {"name": name, "groups": HUB_GROUPS.get(name, [])}  # type: ignore[attr-defined]
        return user

    def _name(self, token: str | None) -> str | None:
        names = {self.token: "alice", BOB_TOKEN: "bob", CAROL_TOKEN: "carol",
                 DAVE_TOKEN: "dave"}
        return names.get(token or "")

    def get_user_token(self, handler: Any) -> User | None:
        name = self._name(self.get_token(handler))
        return self._person(name) if name else None

    def user_from_cookie(self, cookie_value: str) -> User | None:
        name = json.loads(cookie_value).get("username")
        return self._person(name) if name else None

    def process_login_form(self, handler: Any) -> User | None:
        name = self._name(handler.get_argument("password", default=""))
        return self._person(name) if name else None


class Receiver:
    """A local HTTP server that keeps every JSON body POSTed to it (a webhook endpoint)."""

    def __init__(self) -> None:
        received = self.received = []  # type: list[dict[str, Any]]

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(json.loads(body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, what: str, probe: Any, timeout: float = 30.0) -> dict[str, Any]:
        """Poll until an event the probe accepts arrives (waiting for delivery, not timing)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in list(self.received):
                if probe(event):
                    return event
            time.sleep(0.1)
        raise AssertionError(f"no webhook {what}; received {self.received!r}")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-two-person") as name:
        kubectl(sandbox, "create", "configmap", "doomed", "-n", name, "--from-literal=a=b")
        yield name


@pytest.fixture
def kubechat_settings(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path, tmp_path: Path,
                      scratch: str, receiver: Receiver) -> dict[str, Any]:
    context = yaml.safe_load(Path(sandbox.kubeconfig).read_text())["current-context"]
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump({"version": 1, "two_person": [
        {"levels": ["dangerous"], "contexts": [context], "namespaces": [scratch],
         "approvers": "sre-leads"}]}))
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 20.0,
        "policy_file": str(policy),
        "groups": {"sre-leads": ["bob"]},
        "event_webhooks": [receiver.url],
        "webhook_attempts": 2,
    }


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"kubechat_lab": True},
            "identity_provider_class": f"{__name__}.TwoPeople",
        },
        "KubechatApp": dict(kubechat_settings),
    }


def _exists(sandbox: SandboxInfo, namespace: str) -> bool:
    done = kubectl(sandbox, "get", "configmap", "doomed", "-n", namespace, "--ignore-not-found",
                   "-o", "name", check=False)
    return bool(done.stdout.strip())


async def as_person(api: Api, token: str, method: str, path: str, body: Any = None,
                    params: dict[str, str] | None = None) -> tuple[int, Any]:
    return await api.call(method, path, body, params=params,
                          headers={"Authorization": f"token {token}"})


async def _events(api: Api, pid: str) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"proposal": pid, "limit": "100"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


def _ids(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in listing["proposals"]}


async def test_a_second_person_of_the_group_approves_and_the_audit_names_both(
        api: Api, jp_fetch: Any, http_server_client: Any, jp_base_url: str,
        kubechat_app: Any, approval: ApprovalBrowser, sandbox: SandboxInfo, scratch: str,
        receiver: Receiver) -> None:
    command = f"kubectl delete configmap doomed -n {scratch}"
    code, proposal = await api.call("POST", "propose", {"command": command})
    assert code == 201, proposal
    pid = proposal["id"]
    assert proposal["user"] == "alice" and proposal["level"] == "dangerous"
    assert proposal["approvers"] == "sre-leads" and proposal["waiting_for_me"] is False

    # the webhook hears that it waits for sre-leads
    announced = receiver.wait_for("announcing the proposal", lambda e: (
        e.get("event", e).get("type") == "proposed" and e.get("event", e).get("proposal") == pid))
    assert announced.get("event", announced)["approvers"] == "sre-leads"

    # alice cannot approve her own: not in JupyterLab ...
    for signed_in in (False, True):
        code, body = await api.call("POST", f"proposals/{pid}/approve",
                                    {"confirm": "doomed"}, signed_in=signed_in)
        assert code == 403 and body["reason"] == "two-person-self", body
        assert "a member of sre-leads other than its proposer (alice)" in body["message"]
    # ... nor on the approval page, with the typed text
    page = await approval.sign_in(pid)
    assert page.status_code == 200 and "data-testid=two-person" in page.text
    refused = await approval.decide(pid, confirm="doomed")
    assert refused.status_code == 403, refused.text
    assert "other than its proposer (alice)" in refused.text
    code, still = await api.call("GET", f"proposals/{pid}")
    assert code == 200 and still["state"] == "proposed" and still["approver"] is None
    assert _exists(sandbox, scratch)
    assert [e["type"] for e in await _events(api, pid)] == ["proposed"]

    # carol is in no approving group: she cannot even see it
    code, body = await as_person(api, CAROL_TOKEN, "GET", f"proposals/{pid}")
    assert code == 404, body
    code, body = await as_person(api, CAROL_TOKEN, "POST", f"proposals/{pid}/approve", {})
    assert code == 404, body
    code, listing = await as_person(api, CAROL_TOKEN, "GET", "proposals")
    assert pid not in _ids(listing)

    # it waits for bob (c.KubechatApp.groups) and dave (the provider's groups), not for alice
    code, mine = await api.call("GET", "proposals", params={"for": "me"})
    assert code == 200 and pid not in _ids(mine), mine
    code, alices = await api.call("GET", "proposals")
    assert _ids(alices)[pid]["waiting_for_me"] is False
    for token in (BOB_TOKEN, DAVE_TOKEN):
        code, theirs = await as_person(api, token, "GET", "proposals", params={"for": "me"})
        assert code == 200, theirs
        item = _ids(theirs)[pid]
        assert item["waiting_for_me"] is True and item["approvers"] == "sre-leads"
        assert item["user"] == "alice" and item["owner"] == "page:alice"
    code, bad = await as_person(api, BOB_TOKEN, "GET", "proposals", params={"for": "you"})
    assert code == 400 and "'for'" in bad["message"]
    # bob's kernel is not a person: a capability never approves it
    code, minted = await as_person(api, BOB_TOKEN, "POST", "capabilities",
                                   {"scopes": ["propose", "approve:warning"], "label": "t"})
    assert code == 201, minted
    code, body = await api.call("POST", f"proposals/{pid}/approve", {"confirm": "doomed"},
                                capability=minted["token"])
    assert code == 404, body  # a capability sees only what it made

    # bob signs in on the approval page from his JupyterLab page and approves: it runs
    bob = ApprovalBrowser(Api(jp_fetch, http_server_client, jp_base_url, BOB_TOKEN),
                          kubechat_app.approval.url)
    done = await bob.decide(pid, confirm="doomed")
    assert done.status_code == 200, done.text
    assert "Approved and run." in done.text
    assert not _exists(sandbox, scratch)
    code, final = await api.call("GET", f"proposals/{pid}")
    assert final["state"] == "executed" and final["approver"] == "bob"
    assert final["decided_via"] == "approval-page"

    # the audit names both people
    events = {e["type"]: e for e in await _events(api, pid)}
    assert list(events) == ["proposed", "approved", "executing", "executed"]
    assert events["proposed"]["user"] == "alice"
    assert events["proposed"]["approvers"] == "sre-leads"
    approved = events["approved"]
    assert approved["user"] == "bob" and approved["approver"] == "bob"
    assert approved["proposer"] == "alice" and approved["approvers"] == "sre-leads"
    assert approved["via"] == "approval-page"
    assert events["executed"]["status"] == "changed", events["executed"]
    heard = receiver.wait_for("of the approval", lambda e: (
        e.get("event", e).get("type") == "approved"
        and e.get("event", e).get("proposal") == pid))
    assert heard.get("event", heard)["proposer"] == "alice"


async def test_a_member_outside_the_group_is_refused_by_name(
        api: Api, kubechat_app: Any, scratch: str, sandbox: SandboxInfo) -> None:
    """An operator approver (``approvers``) sees it, but two-person needs the group."""
    kubechat_app.service.approvers = frozenset({"carol"})
    code, proposal = await api.call(
        "POST", "propose", {"command": f"kubectl delete configmap doomed -n {scratch}"})
    assert code == 201 and proposal["approvers"] == "sre-leads", proposal
    pid = proposal["id"]
    code, seen = await as_person(api, CAROL_TOKEN, "GET", f"proposals/{pid}")
    assert code == 200 and seen["waiting_for_me"] is False
    code, body = await as_person(api, CAROL_TOKEN, "POST", f"proposals/{pid}/approve",
                                 {"confirm": "doomed"})
    assert code == 403 and body["reason"] == "two-person-group", body
    assert "carol is not in sre-leads" in body["message"]
    assert _exists(sandbox, scratch)
    # outside the named namespace nothing needs two people: alice's own warning is hers
    code, other = await api.call(
        "POST", "propose", {"command": "kubectl label configmap doomed team=x -n "
                                       f"{scratch}-elsewhere"})
    assert code == 201 and other["approvers"] is None, other
