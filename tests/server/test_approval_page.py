"""The approval page: another origin with its own sign-in, where dangerous commands are approved.

The JupyterLab origin's approve route refuses them (any kernel can run JavaScript in its page);
the approval origin refuses framing, needs its own sign-in and its own form token from its own
origin, and approves with the target's name typed back, after which the command runs, audited
``via=approval-page`` (docs/security.md, "The approval page").
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server._cluster import cluster_settings  # noqa: F401 (kubechat_settings)
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-approve") as name:
        kubectl(sandbox, "create", "configmap", "doomed", "-n", name, "--from-literal=a=b")
        yield name


def _exists(sandbox: SandboxInfo, namespace: str) -> bool:
    done = kubectl(sandbox, "get", "configmap", "doomed", "-n", namespace, "--ignore-not-found",
                   "-o", "name", check=False)
    return bool(done.stdout.strip())


async def _propose(api: Api, command: str) -> dict[str, Any]:
    code, proposal = await api.call("POST", "propose", {"command": command})
    assert code == 201, proposal
    assert isinstance(proposal, dict)
    return proposal


async def _events(api: Api, pid: str) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"proposal": pid, "limit": "100"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


async def test_the_jupyterlab_route_refuses_dangerous_approvals_with_a_link(
        api: Api, sandbox: SandboxInfo, scratch: str, jp_base_url: str) -> None:
    proposal = await _propose(api, f"kubectl delete configmap doomed -n {scratch}")
    pid = proposal["id"]
    assert proposal["level"] == "dangerous" and proposal["state"] == "proposed", proposal
    assert proposal["approval_page"] == f"{jp_base_url}kubechat/api/proposals/{pid}/approval-page"
    # the red-team request: the signed-in page's cookie, its XSRF token, the typed name
    for signed_in in (True, False):
        code, body = await api.call("POST", f"proposals/{pid}/approve",
                                    {"confirm": proposal["confirm"]}, signed_in=signed_in)
        assert code == 403 and body["reason"] == "approve-on-approval-page", body
        assert f"kubechat/api/proposals/{pid}/approval-page" in body["message"], body
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["state"] == "proposed" and _exists(sandbox, scratch)
    assert [e["type"] for e in await _events(api, pid)] == ["proposed"]


async def test_the_approval_origin_refuses_framing_and_needs_its_own_sign_in(
        api: Api, approval: ApprovalBrowser, scratch: str) -> None:
    pid = (await _propose(api, f"kubectl delete configmap doomed -n {scratch}"))["id"]
    page = await approval.get(f"proposals/{pid}")
    assert page.status_code == 401 and "sign-in" in page.text
    for response in (page, await approval.get("")):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    # The JupyterLab page's cookies (login and _xsrf) sign no one in here.
    jupyter = await api.page()
    approval.jar.update(jupyter.jar)
    assert (await approval.get(f"proposals/{pid}")).status_code == 401
    # The signed-in page opens a sign-in link, good once.
    signed = await approval.sign_in(pid)
    assert signed.status_code == 200 and "data-testid=command" in signed.text
    cookie = signed.request.headers.get("cookie", "")
    assert f"kubechat-approval-{approval.url.rsplit(':', 1)[1].strip('/')}=" in cookie
    opened = await jupyter.fetch(f"kubechat/api/proposals/{pid}/approval-page")
    code_url = opened.headers["Location"][len(approval.url):]
    other = ApprovalBrowser(api, approval.url)
    assert (await other.get(code_url)).status_code == 200
    assert (await other.get(code_url)).status_code == 403  # a code works once


async def test_the_jupyter_token_alone_gets_no_sign_in_link(
        api: Api, jp_fetch: Any, scratch: str) -> None:
    pid = (await _propose(api, f"kubectl delete configmap doomed -n {scratch}"))["id"]
    response = await jp_fetch("kubechat", "api", "proposals", pid, "approval-page",
                              raise_error=False, follow_redirects=False)
    assert response.code == 403, response.body
    assert b"approval-needs-browser" in response.body


async def test_the_approval_page_needs_its_own_form_token_from_its_own_origin(
        api: Api, approval: ApprovalBrowser, sandbox: SandboxInfo, scratch: str,
        jp_http_port: int) -> None:
    proposal = await _propose(api, f"kubectl delete configmap doomed -n {scratch}")
    pid, name = proposal["id"], proposal["confirm"]
    page = await approval.sign_in(pid)
    token = approval.form_token(page.text)
    jupyter = await api.page()
    lab_origin = f"http://127.0.0.1:{jp_http_port}"
    attempts = [
        ({"action": "approve", "confirm": name}, None),  # no form token
        ({"action": "approve", "confirm": name, "kubechat_xsrf": jupyter.jar["_xsrf"]}, None),
        ({"action": "approve", "confirm": name, "kubechat_xsrf": token}, lab_origin),
        ({"action": "approve", "confirm": name, "kubechat_xsrf": token}, "null"),
    ]
    for form, origin in attempts:
        refused = await approval.post(f"proposals/{pid}", form, origin=origin)
        assert refused.status_code == 403, (form, origin, refused.text)
    same_site = await approval.post(
        f"proposals/{pid}", {"action": "approve", "confirm": name, "kubechat_xsrf": token},
        headers={"Sec-Fetch-Site": "same-site"})
    assert same_site.status_code == 403, same_site.text
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["state"] == "proposed" and _exists(sandbox, scratch)


async def test_a_person_approves_with_the_typed_name_and_it_runs(
        api: Api, approval: ApprovalBrowser, sandbox: SandboxInfo, scratch: str) -> None:
    proposal = await _propose(api, f"kubectl delete configmap doomed -n {scratch}")
    pid, name = proposal["id"], proposal["confirm"]
    wrong = await approval.decide(pid, confirm="not-" + name)
    assert wrong.status_code == 400 and "confirm" in wrong.text, wrong.text
    assert _exists(sandbox, scratch)
    page = await approval.get(f"proposals/{pid}")
    assert html.escape(proposal["command"], quote=True) in page.text
    assert "dangerous" in page.text and "data-testid=reasons" in page.text
    done = await approval.decide(pid, confirm=name)
    assert done.status_code == 200, done.text
    assert "Approved and run." in done.text
    assert not _exists(sandbox, scratch)
    events = await _events(api, pid)
    approved = [e for e in events if e["type"] == "approved"]
    assert len(approved) == 1, events
    assert approved[0]["via"] == "approval-page" and approved[0]["auth"] == "approval-login"
    assert [e["type"] for e in events][-1] == "executed", events
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["state"] == "executed" and body["decided_via"] == "approval-page", body
    assert body["approval_page"] is None
    code, report = await api.call("GET", "audit/verify")
    assert code == 200 and report["ok"], report


async def test_a_rejection_on_the_page_runs_nothing(
        api: Api, approval: ApprovalBrowser, sandbox: SandboxInfo, scratch: str) -> None:
    pid = (await _propose(api, f"kubectl delete configmap doomed -n {scratch}"))["id"]
    done = await approval.decide(pid, action="reject")
    assert done.status_code == 200 and "Rejected" in done.text, done.text
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["state"] == "rejected" and _exists(sandbox, scratch)
