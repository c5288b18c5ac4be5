"""An agent's proposals, approved by a person in the side panel's Waiting tab, in Chromium.

The agent is the MCP SDK's own client over streamable HTTP (``kubechat/api/mcp``) with an
agent's capability (``kubechat token --agent``), against a real ``jupyter lab`` with kubechat
and the sandbox. It creates a pod in a scratch namespace (a warning: the person approves it in
the Waiting tab), then proposes deleting it (dangerous: the person follows the Waiting tab's
link to the approval page, is signed in there and types the name). Each time the agent's
``wait_for_decision`` sees it run; the pod is checked through the Kubernetes API and the audit
chain holds origin ``mcp``, the agent's declared name and the person's approvals. The tab is
read only while the panel shows. Screenshots: test-artifacts/<test>/.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.test_panel import PANEL_TAB, open_panel
from tests.mcp._clients import AgentThread
from tests.plugins.browser import LabPage, LabServer
from tests.plugins.sandbox import SandboxInfo, eventually, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

#: What the agent declares in its MCP ``clientInfo``.
CLIENT = ("panel-test-agent", "3.1.4")
#: An agent's scopes: no approve scope (it could not approve with one either).
SCOPES = ["ask", "propose", "execute", "audit:read"]

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: {ns}
  labels: {{app: web}}
spec:
  containers:
  - name: web
    image: nginx:1.27
"""


def _events(server: LabServer, pid: str) -> list[dict[str, Any]]:
    code, page = server.api("GET", "audit", params={"proposal": pid, "limit": 100})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


def _pod(sandbox: SandboxInfo, namespace: str) -> str:
    found = kubectl(sandbox, "get", "pod", "web", "-n", namespace, "--ignore-not-found",
                    "-o", "name", check=False)
    return found.stdout.strip()


def _waiting_item(page: Any, pid: str) -> Any:
    item = page.locator(f"[data-testid=kc-waiting-item][data-proposal='{pid}']")
    item.wait_for(timeout=60_000)
    return item


def test_a_person_approves_an_agents_proposals_in_the_waiting_tab(
        lab_page: LabPage, sandbox: SandboxInfo) -> None:
    lab, page, server = lab_page, lab_page.page, lab_page.server
    reads: list[str] = []
    page.on("request", lambda r: reads.append(r.url) if r.method == "GET" and urlsplit(
        r.url).path.endswith("/kubechat/api/proposals") else None)
    code, minted = server.api("POST", "capabilities", {
        "scopes": SCOPES, "label": "panel agent", "agent": True})
    assert code == 201, minted

    with scratch_namespace(sandbox, "kc-mcp-panel") as ns, \
            AgentThread(server.url, minted["token"], CLIENT) as agent:
        # 1. The agent creates a pod: a warning, approved in the Waiting tab itself, which
        #    the link the agent is given opens.
        created = agent.call("kubectl", {"command": "kubectl apply -f -",
                                         "manifest": POD.format(ns=ns)})
        body = created.structured_content
        assert body["status"] == "waiting_for_approval", body
        create_id = body["proposal"]["id"]
        assert body["proposal"]["level"] == "warning", body
        assert body["approve_at"] == f"{server.url}lab?kubechat=waiting", body
        assert "Waiting tab" in created.content[0].text, created.content
        lab.goto_lab(body["approve_at"].removeprefix(server.url))
        panel = page.locator("#kubechat-lab-panel")
        panel.wait_for(state="visible")
        tab = panel.locator(".jp-kubechat-tab[data-tab=waiting]")
        expect(tab).to_have_attribute("aria-selected", "true")
        item = _waiting_item(page, create_id)
        by = item.locator("[data-testid=kc-waiting-by]").inner_text()
        assert f"agent {CLIENT[0]} {CLIENT[1]} over MCP" in by, by
        assert "panel agent" in by, by
        assert item.locator("[data-testid=kc-waiting-age]").inner_text().endswith("ago")
        assert item.locator("[data-testid=kc-level]").inner_text() == "WARNING"
        assert panel.locator("[data-testid=kc-waiting-count]").inner_text() == "1"
        lab.shot("the agent's create waits in the Waiting tab")
        item.locator("[data-testid=kc-approve]").click()
        panel.locator(f"[data-testid=kc-waiting-decided][data-proposal='{create_id}']"
                      ).wait_for()
        item.wait_for(state="detached")
        ran = agent.call("wait_for_decision", {"id": create_id, "seconds": 60})
        assert ran.structured_content["status"] == "executed", ran.content
        eventually(lambda: _pod(sandbox, ns), "the agent's pod exists")

        # 2. While the panel is hidden the list is not read; shown again, it is.
        page.click(PANEL_TAB)
        panel.wait_for(state="hidden")
        time.sleep(1.0)  # a read already on its way when the panel closed
        reads.clear()
        deleted = agent.call("kubectl", {"command": f"kubectl delete pod web -n {ns}"})
        body = deleted.structured_content
        assert body["status"] == "waiting_for_approval", body
        proposal = body["proposal"]
        delete_id = proposal["id"]
        assert proposal["level"] == "dangerous" and proposal["approval_page"], proposal
        time.sleep(7.0)  # more than two of the tab's read intervals
        assert reads == [], reads
        open_panel(lab)
        item = _waiting_item(page, delete_id)
        assert reads, "the Waiting tab was not read again once the panel showed"
        assert panel.locator("[data-testid=kc-waiting-count]").inner_text() == "1"
        assert item.locator("[data-testid=kc-approve]").count() == 0  # approved elsewhere
        link = item.locator("[data-testid=kc-approval-page]")
        assert link.get_attribute("href") == proposal["approval_page"]
        lab.shot("the agent's delete links to the approval page")

        # 3. The person follows the link: signed in on the approval origin, types the name.
        with page.context.expect_page() as opened:
            link.click()
        person = opened.value
        person.wait_for_selector("[data-testid=command]")
        assert urlsplit(person.url).netloc != urlsplit(server.url).netloc, person.url
        assert f"delete pods web -n {ns}" in person.inner_text("[data-testid=command]")
        person.fill("[data-testid=confirm]", proposal["confirm"])
        person.screenshot(path=str(lab.artifacts / "approval-page.png"))
        person.click("[data-testid=approve]")
        person.wait_for_selector("[data-testid=done]")
        person.screenshot(path=str(lab.artifacts / "approval-page-done.png"))
        done = agent.call("wait_for_decision", {"id": delete_id, "seconds": 60})
        assert done.structured_content["status"] == "executed", done.content
        assert done.structured_content["proposal"]["approver"], done.structured_content
        item.wait_for(state="detached")
        page.bring_to_front()
        panel.locator(f"[data-testid=kc-waiting-decided][data-proposal='{delete_id}']"
                      ).wait_for()
        lab.shot("decided: nothing waits")

    # 4. The pod is gone in the API, and the audit holds the agent's calls and the approvals.
    eventually(lambda: not _pod(sandbox, ns), "the pod is gone")
    person_name = server.api("GET", "health")[1]["user"]
    for pid, via in ((create_id, "browser"), (delete_id, "approval-page")):
        events = _events(server, pid)
        kinds = [e["type"] for e in events]
        assert kinds[0] == "proposed" and "executed" in kinds, kinds
        for event in events:
            if event["type"] != "approved":
                assert event["origin"] == "mcp", event
                assert event["client"] == {"name": CLIENT[0], "version": CLIENT[1]}, event
                assert event["capability"]["id"] == minted["id"], event
        approved = [e for e in events if e["type"] == "approved"]
        assert len(approved) == 1, approved
        assert approved[0]["via"] == via and approved[0]["user"] == person_name, approved
        assert approved[0].get("origin") != "mcp" and "capability" not in approved[0]
