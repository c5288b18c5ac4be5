"""Several real ``jupyter server`` processes serve one hub through one audit database.

Two processes share the database and the cookie secret, behind a proxy that sends each request
to the next process in turn: a proposal made through one is approved through the other and
runs; a capability minted by one is accepted by the other and revoked in both; a process
restarted with a proposal pending still has it; a database that goes away stops every process
(503, nothing runs) and loses no acknowledged audit event; the chain verifies afterwards.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubechat_lab.audit import AuditStore
from tests.plugins.sandbox import kubectl, scratch_namespace
from tests.server._processes import Lab, Page, RoundRobinProxy, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def namespace(sandbox: Any) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-shared") as name:
        yield name


def _labs(tmp_path: Path, dsn: str, kubeconfig: Path, n: int = 2,
          approval: RoundRobinProxy | None = None) -> list[Lab]:
    """``n`` processes of one hub; behind ``approval`` their approval pages are one origin."""
    token = secrets.token_hex(16)
    settings = {"audit_dsn": dsn, "kubeconfig": str(kubeconfig), "audit_connect_timeout": 3.0,
                "request_timeout": 20.0}
    labs = []
    for i in range(n):
        own = dict(settings)
        if approval is not None:
            port = free_port()
            approval.backends.append(f"http://127.0.0.1:{port}/")
            own.update(approval_port=port, approval_url=approval.url)
        labs.append(Lab(tmp_path / f"lab{i}", free_port(), token, own))
    return labs


def _exists(sandbox: Any, namespace: str, name: str) -> bool:
    found = kubectl(sandbox, "get", "configmap", name, "-n", namespace, "-o", "name",
                    check=False)
    return found.returncode == 0


def _chain(dsn: str) -> dict[int, dict[str, Any]]:
    with AuditStore(dsn) as store:
        assert store.verify_stream().ok and store.verify_sql().ok
        return {r.seq: r.event for r in store.records(limit=10_000)}


def test_two_processes_behind_a_proxy_serve_one_hub(
        tmp_path: Path, audit_db: Any, sandbox: Any, namespace: str) -> None:
    approval = RoundRobinProxy([]).start()
    labs = [lab.start() for lab in _labs(tmp_path, audit_db.app_dsn, sandbox.kubeconfig,
                                         approval=approval)]
    proxy = RoundRobinProxy([lab.url for lab in labs]).start()
    hub = Page(proxy.url, labs[0].token)
    try:
        # a proposal made through one process is approved through the other and runs
        name = "kc-" + secrets.token_hex(3)
        code, made = hub.api("POST", "propose", {
            "command": f"kubectl create configmap {name} -n {namespace} --from-literal=a=b"})
        assert code == 201 and made["state"] == "proposed" and made["level"] == "warning", made
        maker = proxy.backend_of("POST", "propose")
        code, waiting = hub.api("GET", "proposals", page=True)
        assert code == 200 and made["id"] in [p["id"] for p in waiting["proposals"]], waiting
        proxy.next = 1 - maker  # the other process approves
        code, approved = hub.api("POST", f"proposals/{made['id']}/approve", {}, page=True)
        assert code == 200 and approved["state"] == "approved", approved
        assert proxy.backend_of("POST", "/approve") != maker
        code, ran = hub.api("POST", f"proposals/{made['id']}/execute")
        assert code == 200 and ran["state"] == "executed", ran
        assert _exists(sandbox, namespace, name)
        code, again = hub.api("POST", f"proposals/{made['id']}/execute")
        assert code == 409  # ran once, whichever process is asked
        # a dangerous one: the approval page's sign-in link of one process signs in on the
        # other's approval page, and the session's form is accepted by either; it runs
        code, doomed = hub.api("POST", "propose",
                               {"command": f"kubectl delete configmap {name} -n {namespace}"})
        assert code == 201 and doomed["level"] == "dangerous", doomed
        link = hub.page.get(f"kubechat/api/proposals/{doomed['id']}/approval-page")
        assert link.status_code == 302, link.text
        assert link.headers["Location"].startswith(approval.url + "login?")
        approval.next = 1 - proxy.backend_of("GET", "/approval-page")
        with httpx.Client(timeout=60) as person:
            signed = person.get(link.headers["Location"])  # the other process signs in
            assert signed.status_code == 200, signed.text
            shown = person.get(approval.url + f"proposals/{doomed['id']}")  # this one shows
            assert shown.status_code == 200, shown.text
            assert {i for _, _, i in approval.served} == {0, 1}  # one session, both pages
            form = re.search(r"name=kubechat_xsrf value='([^']+)'", shown.text)
            assert form is not None, shown.text[:2000]
            decided = person.post(
                approval.url + f"proposals/{doomed['id']}",
                data={"kubechat_xsrf": form.group(1), "action": "approve",
                      "confirm": doomed["confirm"]},
                headers={"Origin": approval.url.rstrip("/")})
            assert decided.status_code == 200, decided.text
        code, ran = hub.api("GET", f"proposals/{doomed['id']}")  # the page ran it
        assert code == 200 and ran["state"] == "executed", ran
        assert not _exists(sandbox, namespace, name)
        # a capability minted by one process is accepted by the other, and revoked in both
        code, minted = hub.api("POST", "capabilities", {"scopes": ["propose"], "label": "ci"})
        assert code == 201, minted
        cap = {"X-Kubechat-Capability": minted["token"]}
        for _ in labs:  # one request to each process
            code, body = hub.api("POST", "propose", {"command": "kubectl get pods -n "
                                                     + namespace}, headers=cap)
            assert code == 201, body
        assert {i for m, p, i in proxy.served[-2:]} == {0, 1}
        code, _ = hub.api("DELETE", f"capabilities/{minted['id']}")
        assert code == 204
        for _ in labs:
            code, body = hub.api("POST", "propose", {"command": "kubectl get pods"},
                                 headers=cap)
            assert code == 403 and body["reason"] == "capability-invalid", body
        # the chain is one chain and verifies, through either process
        for _ in labs:
            code, report = hub.api("GET", "audit/verify")
            assert code == 200 and report["ok"] is True, report
        events = _chain(audit_db.dsn)
        kinds = [e["type"] for e in events.values() if e.get("proposal") == made["id"]]
        assert kinds == ["proposed", "approved", "executing", "executed"]
    finally:
        hub.close()
        proxy.stop()
        approval.stop()
        for lab in labs:
            lab.stop()


def test_a_restart_keeps_a_pending_proposal_and_a_lost_database_stops_every_process(
        tmp_path: Path, dedicated_pg: Any, sandbox: Any, namespace: str) -> None:
    first, second = _labs(tmp_path, dedicated_pg.app_dsn, sandbox.kubeconfig)
    first.start()
    second.start()
    name = "kc-" + secrets.token_hex(3)
    one = Page(first.url, first.token)
    acked: dict[int, str] = {}
    try:
        code, made = one.api("POST", "propose", {
            "command": f"kubectl create configmap {name} -n {namespace} --from-literal=a=b"})
        assert code == 201 and made["state"] == "proposed", made
        acked.update(dict.fromkeys(made["audit_seqs"], "proposed"))
        one.close()
        first.stop()  # restarted with the proposal pending
        first.start()
        one = Page(first.url, first.token)
        code, kept = one.api("GET", f"proposals/{made['id']}")
        assert code == 200 and kept["state"] == "proposed" and kept["command"] == made["command"]

        dedicated_pg.stop(mode="immediate")
        other = Page(second.url, second.token)
        try:
            code, body = other.api("POST", f"proposals/{made['id']}/approve", {}, page=True)
        finally:
            dedicated_pg.start()  # keep the failure below from leaving the database down
            other.close()
        assert code == 503 and body["reason"] == "audit-unavailable", body
        code, kept = one.api("GET", f"proposals/{made['id']}")
        assert code == 200 and kept["state"] == "proposed"  # the unaudited approval did not happen

        other = Page(second.url, second.token)
        try:
            code, approved = other.api("POST", f"proposals/{made['id']}/approve", {}, page=True)
            assert code == 200 and approved["state"] == "approved", approved
            acked[approved["audit_seqs"][-1]] = "approved"
        finally:
            other.close()
        code, ran = one.api("POST", f"proposals/{made['id']}/execute")
        assert code == 200 and ran["state"] == "executed", ran
        acked.update(zip(ran["audit_seqs"][-2:], ["executing", "executed"], strict=True))
        assert _exists(sandbox, namespace, name)
    finally:
        one.close()
        first.stop()
        second.stop()
    events = _chain(dedicated_pg.dsn)
    for seq, kind in acked.items():
        assert events[seq]["type"] == kind and events[seq]["proposal"] == made["id"]
    assert sorted(events) == list(range(1, len(events) + 1))
