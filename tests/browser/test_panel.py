"""The KubeChat side panel in a real JupyterLab, driven through Debian's Chromium.

Real parts only: the jupyter lab subprocess (token and XSRF on) serving the built labextension,
the sandbox control plane, the embedded PostgreSQL audit chain. Writes happen in a scratch
namespace this module creates (others share the cluster). Changes are checked through the
Kubernetes API (kubectl), not the page. Screenshots: test-artifacts/<test>/NN-step.png.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from tests.plugins.browser import LabPage, LabServer
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

PANEL_TAB = "[data-id='kubechat-lab-panel']"
INPUT = ".jp-kubechat-input"
ROWS_PER_PAGE = 5


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-panel") as name:
        yield name


def make_deployment(sandbox: SandboxInfo, namespace: str, name: str) -> None:
    kubectl(sandbox, "create", "deployment", name, "--image=nginx:1.27", "--replicas=1",
            "-n", namespace)


def set_settings(server: LabServer, values: dict[str, Any]) -> None:
    """Write the panel's user settings through JupyterLab's settings REST API."""
    response = httpx.put(
        f"{server.url}lab/api/settings/kubechat-lab:plugin",
        headers={"Authorization": f"token {server.token}"},
        json={"raw": json.dumps(values)},
        timeout=30,
    )
    assert response.status_code == 204, response.text


def saved_turns(server: LabServer) -> list[dict[str, Any]]:
    """The panel's turns as JupyterLab last saved them in its workspaces (state database)."""
    response = httpx.get(f"{server.url}lab/api/workspaces",
                         headers={"Authorization": f"token {server.token}"}, timeout=30)
    response.raise_for_status()
    turns: list[dict[str, Any]] = []
    for workspace in response.json()["workspaces"]["values"]:
        saved = workspace.get("data", {}).get("kubechat-lab:conversation") or {}
        turns += saved.get("turns", [])
    return turns


def open_panel(lab: LabPage) -> Any:
    page = lab.page
    panel = page.locator("#kubechat-lab-panel")
    if not panel.is_visible():  # the sidebar tab toggles: click only to open
        page.click(PANEL_TAB)
    panel.wait_for(state="visible")
    return panel


def ask(lab: LabPage, question: str) -> Any:
    """Type a question, press Enter, and return the new turn once its card or error shows."""
    page = lab.page
    turns = page.locator(".jp-kubechat-turn")
    before = turns.count()
    page.fill(INPUT, question)
    page.press(INPUT, "Enter")
    turn = turns.nth(before)
    turn.locator(".jp-kubechat-card, .jp-kubechat-error, .jp-kubechat-nocommand").first.wait_for()
    return turn


def test_panel_end_to_end(lab_page: LabPage, sandbox: SandboxInfo, scratch: str) -> None:
    lab, page, server = lab_page, lab_page.page, lab_page.server
    deploy = f"web-{os.urandom(2).hex()}"
    make_deployment(sandbox, scratch, deploy)

    # 1. The panel sits in the right sidebar; its header reads the server's health.
    panel = open_panel(lab)
    header = panel.locator(".jp-kubechat-header")
    header.locator("[data-kubechat-health='database']").filter(has_text="audit seq").wait_for()
    status, health = server.api("GET", "health")
    assert status == 200, health
    assert health["identity"]["ok"] and health["identity"]["username"]
    assert header.locator("[data-kubechat-health='context']").inner_text() == health["context"]
    assert header.locator("[data-kubechat-health='identity']").inner_text().startswith(
        health["identity"]["username"])
    assert "rules" in header.locator("[data-kubechat-health='provider']").inner_text()
    assert "Kubernetes v" in header.locator("[data-kubechat-health='cluster']").inner_text()
    lab.shot("panel open with health header")

    # 2. Shift+Enter adds a line, Enter sends; a read runs at once and shows the sandbox's rows.
    page.fill(INPUT, "list pods")
    page.press(INPUT, "Shift+Enter")
    page.keyboard.type("in shop")
    assert page.input_value(INPUT) == "list pods\nin shop"
    assert page.locator(".jp-kubechat-turn").count() == 0  # Shift+Enter did not send
    page.fill(INPUT, "list pods in shop")
    page.press(INPUT, "Enter")
    read = page.locator(".jp-kubechat-turn").first
    card = read.locator(".jp-kubechat-card")
    card.wait_for()
    assert card.locator(".jp-kubechat-badge").inner_text() == "SAFE"
    # C2: the card shows `display`, the command with its context
    assert card.locator(".jp-kubechat-command").inner_text() == (
        f"kubectl --context={health['context']} get pods -n shop")
    assert f"context: {health['context']}" in card.locator(".jp-kubechat-meta").inner_text()
    card.locator(".jp-kubechat-reasons li").first.wait_for()
    table = read.locator(".jp-kubechat-result")
    table.wait_for()
    pods = kjson(sandbox, "get", "pods", "-n", "shop")["items"]
    names = sorted(p["metadata"]["name"] for p in pods)
    assert table.locator(".jp-kubechat-rowcount").inner_text() == f"{len(names)} rows"
    lab.shot("read question: card and the sandbox's pods")

    # Sorting by name (descending) and filtering are client side, over every row.
    table.locator("th button[title='Sort by name']").click()
    table.locator("th button[title='Sort by name']").click()
    assert table.locator("th[aria-sort='descending']").count() == 1
    column = [h.strip() for h in table.locator("th").all_inner_texts()].index("name ▼") + 1
    first_cells = table.locator(f"tbody tr.jp-kubechat-row td:nth-child({column})")
    # the table orders as people read ("pod-9" before "pod-10"): the browser's own collation
    natural = page.evaluate(
        "names => [...names].sort((a, b) => a.localeCompare(b, undefined, {numeric: true}))",
        names)
    assert first_cells.first.inner_text() == natural[-1]
    table.locator(".jp-kubechat-filter").fill(names[0])
    assert first_cells.all_inner_texts() == [names[0]]
    table.locator(".jp-kubechat-filter").fill("")
    # Copy as CSV puts the shown rows on the clipboard.
    table.locator("button", has_text="Copy as CSV").click()
    table.locator(".jp-kubechat-copied", has_text="Copied").wait_for()
    csv = page.evaluate("navigator.clipboard.readText()")
    lines = csv.strip().splitlines()
    header_cols = lines[0].split(",")
    assert header_cols[:2] == ["namespace", "name"] and len(lines) == len(names) + 1
    # shown order (name, descending), one line per pod
    assert [line.split(",")[1] for line in lines[1:]] == natural[::-1]
    lab.shot("sorted, filtered, copied as CSV")

    # 3. A scale in the scratch namespace: WARNING card with the dry run, approved, changed.
    scale = ask(lab, f"scale deployment {deploy} in {scratch} to 3 replicas")
    card = scale.locator(".jp-kubechat-card")
    assert card.locator(".jp-kubechat-badge").inner_text() == "WARNING"
    assert card.locator(".jp-kubechat-command").inner_text() == (
        f"kubectl --context={health['context']} scale deployments/{deploy} -n {scratch} "
        "--replicas=3")
    assert card.locator(".jp-kubechat-preview").is_visible()
    assert kjson(sandbox, "get", "deployment", deploy, "-n", scratch)["spec"]["replicas"] == 1
    lab.shot("warning card with dry run")
    card.locator(".jp-kubechat-approve").click()
    scale.locator(".jp-kubechat-card[data-state='executed']").wait_for()
    assert kjson(sandbox, "get", "deployment", deploy, "-n", scratch)["spec"]["replicas"] == 3
    lab.shot("scale approved and executed")

    # Escape cancels a pending card: rejected, nothing changes.
    pending = ask(lab, f"scale deployment {deploy} in {scratch} to 5 replicas")
    pending.locator(".jp-kubechat-approve").wait_for()
    page.focus(INPUT)
    page.keyboard.press("Escape")
    pending.locator("[data-state='rejected']").wait_for()
    assert kjson(sandbox, "get", "deployment", deploy, "-n", scratch)["spec"]["replicas"] == 3
    lab.shot("escape rejected the pending card")

    # 4. A dangerous delete: the panel links to the approval page (another origin), which
    #    refuses a wrong name (the cluster unchanged) and approves and runs the right one.
    delete = ask(lab, f"delete deployment {deploy} in namespace {scratch}")
    card = delete.locator(".jp-kubechat-card")
    assert card.locator(".jp-kubechat-badge").inner_text() == "DANGEROUS"
    assert card.locator(".jp-kubechat-approve").count() == 0
    assert card.locator(".jp-kubechat-confirm-input").count() == 0
    with page.context.expect_page() as opened:
        card.locator(".jp-kubechat-approval-page").click()
    person = opened.value
    person.wait_for_selector("[data-testid=command]")
    assert not person.url.startswith(lab.server.url), person.url  # another origin
    person.fill("[data-testid=confirm]", deploy + "-nope")
    person.click("[data-testid=approve]")
    assert f"'{deploy}'" in person.inner_text("[data-testid=error]")
    assert kjson(sandbox, "get", "deployment", deploy, "-n", scratch)["metadata"]["name"] == deploy
    person.screenshot(path=str(lab.artifacts / "approval-page-wrong-name.png"))
    person.fill("[data-testid=confirm]", deploy)
    person.click("[data-testid=approve]")
    person.wait_for_selector("[data-testid=done]")
    gone = kubectl(sandbox, "get", "deployment", deploy, "-n", scratch, check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr
    # the panel follows the decision made on the other origin: its card says it ran
    delete.get_by_text("Approved and run on the approval page.").wait_for()
    lab.shot("dangerous delete: approved on the approval page, deleted")

    # 5. The audit tab lists these events; Verify says the chain is intact.
    page.locator(".jp-kubechat-tab", has_text="Audit").click()
    audit = page.locator(".jp-kubechat-audit")
    audit.locator(".jp-kubechat-audit-row").first.wait_for()
    rows = audit.locator(".jp-kubechat-audit-row")
    texts = rows.all_inner_texts()
    joined = "\n".join(texts)
    assert f"kubectl delete deployments {deploy} -n {scratch}" in joined
    assert "rejected" in joined and "executed" in joined
    assert any("DANGEROUS" in t and "approved" in t for t in texts)
    assert audit.locator("[data-type='executed']").count() >= 3  # read, scale, delete
    audit.locator(".jp-kubechat-audit-type").select_option("rejected")
    rejected = server.api("GET", "audit", params={"type": "rejected"})[1]["records"]
    assert len(rejected) >= 1
    expect(audit.locator(".jp-kubechat-audit-row")).to_have_count(len(rejected))
    expect(audit.locator("[data-type='rejected']")).to_have_count(len(rejected))
    audit.locator(".jp-kubechat-verify").click()
    verdict = audit.locator(".jp-kubechat-verify-result")
    # wait for the verdict itself ("Verifying the hash chain…" shows while it runs)
    verdict.filter(has_text="Chain intact").wait_for()
    report = server.api("GET", "audit/verify")[1]
    assert report["ok"] is True
    assert verdict.inner_text() == (
        f"Chain intact: {report['rows_checked']} rows checked, head seq {report['head_seq']}.")
    lab.shot("audit tab: events and verify intact")
    page.locator(".jp-kubechat-tab", has_text="Conversation").click()

    # 6. Insert as cell: the read command lands in the active notebook as %kubectl.
    page.locator(".jp-LauncherCard[data-category='Notebook']").first.click()
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    open_panel(lab)
    read.locator(".jp-kubechat-insert").click()
    magic = f"%kubectl --context {health['context']} get pods -n shop"
    page.locator(".jp-Notebook .jp-Cell .cm-content", has_text=magic).first.wait_for()
    lab.shot("insert as cell")

    # 7. Save as runbook: a notebook file in the root, opened in JupyterLab.
    page.locator(".jp-kubechat-save-runbook").click()
    notice = page.locator(".jp-kubechat-notice", has_text="Saved the runbook as")
    notice.wait_for()
    path = notice.inner_text().split("Saved the runbook as ", 1)[1].rstrip(".")
    model = server.contents(path)
    cells = model["content"]["cells"]
    assert cells[1]["metadata"]["tags"] == ["parameters"]
    sources = [c["source"] for c in cells if c["cell_type"] == "code"]
    assert f'context = "{health["context"]}"' in sources[0]
    runs = [s for s in sources if "%kubectl" in s]
    assert len(runs) == 3, runs  # the read, the scale, the delete (the rejected one did not run)
    assert "get pods -n shop" in runs[0]
    assert "# level: WARNING" in runs[1] and "--approve" in runs[1]
    assert "# level: DANGEROUS" in runs[2]
    assert all(not c.get("outputs") for c in cells if c["cell_type"] == "code")
    lab.shot("runbook saved")
    RUNBOOK.update(path=path, deploy=deploy, namespace=scratch, file=server.root_dir / path)


RUNBOOK: dict[str, Any] = {}


def test_runbook_runs_headless_with_nbval(
    lab_server: LabServer, sandbox: SandboxInfo, tmp_path: Path
) -> None:
    if not RUNBOOK:
        pytest.fail("test_panel_end_to_end did not save a runbook")
    try:
        import kubechat_lab.kernel  # noqa: F401  (the %kubectl magic, notebook engineer's)
    except ImportError:
        pytest.skip("the %kubectl magic (kubechat_lab.kernel) has not landed on main yet")
    # The runbook re-runs its writes: give it the deployment it scales again.
    make_deployment(sandbox, RUNBOOK["namespace"], RUNBOOK["deploy"])
    status, cap = lab_server.api("POST", "capabilities", {
        "scopes": ["ask", "propose", "execute", "approve:warning", "audit:read"],
        "label": "nbval runbook",
    })
    assert status == 201, cap
    notebook = tmp_path / "runbook.ipynb"
    notebook.write_bytes(Path(RUNBOOK["file"]).read_bytes())
    env = {**os.environ, "KUBECHAT_URL": lab_server.url, "KUBECHAT_CAPABILITY": cap["token"]}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
         "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tmp_path), str(notebook)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "passed" in done.stdout
    replicas = eventually(
        lambda: kjson(sandbox, "get", "deployment", RUNBOOK["deploy"], "-n",
                      RUNBOOK["namespace"])["spec"]["replicas"] == 3,
        "the runbook's scale reached the cluster")
    assert replicas


def test_large_results_scroll_without_every_row_in_the_dom(
    lab_page: LabPage, sandbox: SandboxInfo, scratch: str
) -> None:
    lab = lab_page
    # the test makes its own rows: a scratch deployment of four pages of pods
    replicas = 4 * ROWS_PER_PAGE
    kubectl(sandbox, "create", "deployment", "bulk", "--image=nginx:1.27",
            f"--replicas={replicas}", "-n", scratch)
    eventually(lambda: len(kjson(sandbox, "get", "pods", "-n", scratch)["items"]) >= replicas,
               "the scratch deployment's pods exist")
    set_settings(lab.server, {"rowsPerPage": ROWS_PER_PAGE, "runSafeWithoutClick": True})
    lab.goto_lab()
    open_panel(lab)
    turn = ask(lab, f"kubectl get pods -n {scratch}")
    result = turn.locator(".jp-kubechat-result")
    result.wait_for()
    total = int(result.locator(".jp-kubechat-rowcount").inner_text().split()[0])
    assert total > 3 * ROWS_PER_PAGE, "the sandbox has too few pods for this test"
    in_dom = result.locator("tr.jp-kubechat-row").count()
    assert in_dom < total, (in_dom, total)
    first = result.locator("tr.jp-kubechat-row").first.get_attribute("aria-rowindex")
    lab.shot("top of a large result")
    scroller = result.locator(".jp-kubechat-table-scroll")
    scroller.evaluate("el => { el.scrollTop = el.scrollHeight; }")
    result.locator(f"tr.jp-kubechat-row[aria-rowindex='{total + 1}']").wait_for()
    assert result.locator("tr.jp-kubechat-row").count() < total
    assert result.locator("tr.jp-kubechat-row").first.get_attribute("aria-rowindex") != first
    lab.shot("bottom of a large result")


def test_safe_commands_wait_for_a_click_when_the_user_says_so(lab_page: LabPage) -> None:
    lab, page = lab_page, lab_page.page
    set_settings(lab.server, {"runSafeWithoutClick": False})
    lab.goto_lab()
    open_panel(lab)
    turn = ask(lab, "list namespaces")
    card = turn.locator(".jp-kubechat-card")
    run = card.locator(".jp-kubechat-run")
    run.wait_for()
    assert turn.locator(".jp-kubechat-result").count() == 0
    lab.shot("safe card waits for Run")
    run.click()
    turn.locator(".jp-kubechat-result").wait_for()
    assert "shop" in turn.locator(".jp-kubechat-result").inner_text()
    lab.shot("ran after the click")
    # The panel is part of the restored layout: after a reload it is open again by itself.
    # (JupyterLab saves its state database into the workspace a moment after a change: wait
    # for the save that holds the run, not an earlier one.)
    eventually(lambda: any(t["question"] == "list namespaces" and t.get("ran")
                           for t in saved_turns(lab.server)),
               "the conversation, with the run, reached the saved workspace", timeout=60)
    page.reload()
    page.wait_for_selector(".jp-LabShell")
    page.locator("#kubechat-lab-panel .jp-kubechat-header").wait_for()
    assert page.locator("#kubechat-lab-panel").is_visible()
    # ... with its conversation (JupyterLab's state database), result rows left out.
    again = page.locator(".jp-kubechat-turn", has_text="list namespaces").last
    again.locator(".jp-kubechat-card[data-state='executed']").wait_for()
    assert again.locator(".jp-kubechat-result").count() == 0
    assert "not kept across reloads" in again.inner_text()
    lab.shot("restored after reload")
