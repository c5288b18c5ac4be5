"""The red-team attack on approvals, in a real JupyterLab page in Chromium: it approves nothing.

Kernel code proposes a dangerous delete through its capability and displays JavaScript that,
in the person's signed-in JupyterLab page (which also holds a live approval-page session), tries
(a) the old in-page approve with the page's cookie, its ``_xsrf`` and the typed name, (b) to
read the approval-page link's redirect, (c) fetches, no-cors posts and iframes of the approval
origin. None approves; then a person approving on the approval page does, and the kernel runs
it (docs/security.md, "The approval page").
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.plugins.browser import LabPage, LabServer
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module", params=["another-port", "another-host"])
def lab_kubechat_settings(request: pytest.FixtureRequest, sandbox: SandboxInfo,
                          lab_database: str) -> dict[str, Any]:
    """The sandbox, the test database, and the approval page where the attacker knows it is:
    another port of 127.0.0.1 (the default), or a host of its own (``approve.localhost``,
    which Chromium resolves to the loopback address), as docs/security.md advises."""
    port = _free_port()
    settings = {"kubeconfig": str(sandbox.kubeconfig), "audit_dsn": lab_database,
                "request_timeout": 30.0, "approval_port": port}
    if request.param == "another-host":
        settings["approval_url"] = f"http://approve.localhost:{port}/"
    return settings


@pytest.fixture(scope="module")
def approval_url(lab_kubechat_settings: dict[str, Any]) -> str:
    """The approval page's base URL, as the browser reaches it."""
    return str(lab_kubechat_settings.get("approval_url")
               or f"http://127.0.0.1:{lab_kubechat_settings['approval_port']}/")


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-redteam") as name:
        kubectl(sandbox, "create", "deployment", "recommendations", "-n", name,
                "--image=nginx:1.27")
        yield name


#: Runs in the JupyterLab page, as any kernel's display(Javascript(...)) does.
ATTACK = r"""
(async () => {
  const pid = %(pid)s, name = %(name)s, A = %(approval)s;
  const cfg = document.getElementById('jupyter-config-data');
  const base = cfg ? JSON.parse(cfg.textContent).baseUrl : '/';
  const found = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
  const xsrf = decodeURIComponent(found ? found[1] : '');
  const link = base + 'kubechat/api/proposals/' + pid + '/approval-page';
  const out = {cookies: document.cookie};
  const attempt = async (key, fn) => {
    try { out[key] = await fn(); } catch (e) { out[key] = {error: String(e)}; }
  };
  await attempt('inpage', async () => {
    const r = await fetch(base + 'kubechat/api/proposals/' + pid + '/approve', {
      method: 'POST', credentials: 'include',
      headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'},
      body: JSON.stringify({confirm: name})});
    return {status: r.status, body: await r.text()};
  });
  await attempt('link_manual', async () => {
    const r = await fetch(link, {credentials: 'include', redirect: 'manual'});
    return {type: r.type, status: r.status, location: r.headers.get('Location')};
  });
  await attempt('link_follow', async () => {
    const r = await fetch(link, {credentials: 'include'});
    return {type: r.type, url: r.url, body: await r.text()};
  });
  await attempt('page_cors', async () => {
    const r = await fetch(A + 'proposals/' + pid, {credentials: 'include'});
    return {status: r.status, body: await r.text()};
  });
  await attempt('page_nocors', async () => {
    const r = await fetch(A + 'proposals/' + pid, {credentials: 'include', mode: 'no-cors'});
    return {type: r.type, status: r.status, body: await r.text()};
  });
  await attempt('post_nocors', async () => {
    const r = await fetch(A + 'proposals/' + pid, {method: 'POST', credentials: 'include',
      mode: 'no-cors', body: new URLSearchParams({action: 'approve', confirm: name,
      kubechat_xsrf: xsrf})});
    return {type: r.type};
  });
  const frame = (src) => new Promise((resolve) => {
    const f = document.createElement('iframe');
    let done = false;
    const finish = (v) => { if (!done) { done = true; resolve(v); } };
    f.onload = () => {
      let read = null;
      try {
        const doc = f.contentDocument;
        read = doc ? doc.documentElement.outerHTML : null;
        const form = doc && doc.querySelector('form');
        if (form) {
          doc.querySelector('[name=confirm]').value = name;
          doc.querySelector('[value=approve]').click();
          read = 'SCRIPTED ' + read;
        }
      } catch (e) { read = 'blocked: ' + e.name; }
      finish({read});
    };
    setTimeout(() => finish({read: 'no load event'}), 8000);
    f.src = src;
    document.body.appendChild(f);
  });
  out.frame_page = await frame(A + 'proposals/' + pid);
  out.frame_link = await frame(link);
  await attempt('popup', async () => {
    const w = window.open(A + 'proposals/' + pid, '_blank');
    if (!w) return {opened: false};
    await new Promise((r) => setTimeout(r, 3000));
    let read;
    try { read = w.document.body.innerHTML; } catch (e) { read = 'blocked: ' + e.name; }
    return {opened: true, closed: w.closed, read};
  });
  document.body.setAttribute('data-redteam', JSON.stringify(out));
})();
"""

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
"""

EXECUTE = """\
done = httpx.post(url + "proposals/%s/execute" % proposal["id"], headers=headers, timeout=120)
print("EXECUTED", done.status_code, done.json()["state"])
"""


def _notebook(server: LabServer, name: str, *sources: str) -> None:
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for s in sources]
    (server.root_dir / f"{name}.ipynb").write_text(json.dumps({"cells": cells, "metadata": {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))


def _run_cell(lab: LabPage, index: int) -> None:
    cell = lab.page.locator(".jp-Notebook:visible .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click(timeout=15_000)
    lab.page.keyboard.press("Shift+Enter")


def _exists(sandbox: SandboxInfo, namespace: str) -> bool:
    found = kubectl(sandbox, "get", "deployment", "recommendations", "-n", namespace,
                    "--ignore-not-found", "-o", "name", check=False)
    return bool(found.stdout.strip())


def _approvals(server: LabServer, pid: str) -> list[dict[str, Any]]:
    code, page = server.api("GET", "audit", params={"proposal": pid, "limit": 100})
    assert code == 200, page
    return [r["event"] for r in page["records"] if r["event"]["type"] == "approved"]


def test_kernel_javascript_cannot_approve_but_a_person_on_the_approval_page_can(
        lab_page: LabPage, sandbox: SandboxInfo, scratch: str, approval_url: str) -> None:
    server, page = lab_page.server, lab_page.page
    APPROVAL = approval_url  # noqa: N806 - read as the constant it is
    # The person already has a live approval-page session in this browser (worst case).
    code, decoy = server.api("POST", "propose", {
        "command": f"kubectl delete deployment nothing-here -n {scratch}"})
    assert code == 201, decoy
    person = page.context.new_page()
    person.goto(f"{server.url}kubechat/api/proposals/{decoy['id']}/approval-page")
    person.wait_for_selector("[data-testid=command]")
    assert person.url.startswith(APPROVAL), person.url
    person.close()

    _notebook(server, "redteam", PROPOSE % {"ns": scratch, "attack": ATTACK,
                                            "approval": APPROVAL}, EXECUTE)
    lab_page.goto_lab("lab/tree/redteam.ipynb?reset")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    for _ in range(12):  # a Shift+Enter sent while the kernel connects is dropped: resend
        # JupyterLab may ask which kernel to start, at any moment while the notebook opens:
        # take the notebook's own, preselected
        dialog = page.locator(".jp-Dialog:has-text('Kernel') .jp-mod-accept")
        if dialog.count():
            dialog.first.click()
        try:
            _run_cell(lab_page, 0)  # a dialog that opens meanwhile blocks the click: retry
            page.wait_for_selector("body[data-redteam]", timeout=30_000)
            break
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: not run yet
            continue
    out = json.loads(page.get_attribute("body", "data-redteam") or "{}")
    lab_page.shot("red-team javascript ran")
    (lab_page.artifacts / "red-team.json").write_text(json.dumps(out, indent=1))
    text = page.locator(".jp-Notebook:visible .jp-Cell").nth(0).inner_text()
    pid = text.split("PROPOSED ", 1)[1].split()[0]

    # (a) the old in-page approval, with the cookie, _xsrf and the typed name: refused
    assert out["inpage"]["status"] == 403, out["inpage"]
    assert "approve-on-approval-page" in out["inpage"]["body"], out["inpage"]
    # the approval origin's session cookie is HttpOnly: page JS never sees it
    assert "kubechat-approval" not in out["cookies"], out["cookies"]
    # (b) the sign-in link's redirect cannot be read, and following it reads nothing
    assert out["link_manual"].get("type") == "opaqueredirect", out["link_manual"]
    assert not out["link_manual"].get("location"), out["link_manual"]
    assert "error" in out["link_follow"], out["link_follow"]
    # (c) the approval origin cannot be read, posted to or framed from the JupyterLab page
    assert "error" in out["page_cors"], out["page_cors"]
    assert out["page_nocors"].get("body", "") == "", out["page_nocors"]
    for key in ("frame_page", "frame_link", "popup"):
        seen = json.dumps(out[key])
        assert "kubechat_xsrf" not in seen and "SCRIPTED" not in seen, (key, seen)
    code, proposal = server.api("GET", f"proposals/{pid}")
    assert proposal["state"] == "proposed", proposal
    assert _approvals(server, pid) == [] and _exists(sandbox, scratch)

    # A person opens the approval page (the card's or side panel's link) and types the name.
    person = page.context.new_page()
    person.goto(f"{server.url}kubechat/api/proposals/{pid}/approval-page")
    person.wait_for_selector("[data-testid=command]")
    assert person.url.startswith(APPROVAL), person.url
    assert "recommendations" in person.inner_text("[data-testid=command]")
    person.fill("[data-testid=confirm]", "recommendations-typo")
    person.click("[data-testid=approve]")
    person.wait_for_selector("[data-testid=error]")
    assert "confirm" in person.inner_text("[data-testid=error]")  # refused for the name only
    assert _exists(sandbox, scratch)
    person.goto(f"{APPROVAL}proposals/{pid}")
    person.fill("[data-testid=confirm]", proposal["confirm"])
    person.screenshot(path=str(lab_page.artifacts / "approval-page.png"))
    person.click("[data-testid=approve]")
    person.wait_for_selector("[data-testid=done]")
    lab_page.shot("approved on the approval page")
    approved = _approvals(server, pid)
    assert len(approved) == 1 and approved[0]["via"] == "approval-page", approved
    assert approved[0]["auth"] == "approval-login", approved

    # The kernel runs what the person approved.
    _run_cell(lab_page, 1)
    output = page.locator(".jp-Notebook:visible .jp-Cell").nth(1).locator(
        ".jp-OutputArea-output")
    output.first.wait_for(timeout=120_000)
    assert "EXECUTED 200 executed" in output.first.inner_text(), output.first.inner_text()
    assert not _exists(sandbox, scratch) or kjson(
        sandbox, "get", "deployment", "recommendations", "-n", scratch
    )["metadata"].get("deletionTimestamp")
