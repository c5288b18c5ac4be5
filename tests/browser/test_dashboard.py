"""The Cluster tab in Chromium: right counts, live updates, "stale" when the API server stops.

Live is the dashboard watch (``GET kubechat/api/dashboard/watch``): the tab says "Live
(watching)" and shows a change without polling; with the watch quota full it polls and says
"refreshing every N s".

The lab reaches the sandbox through a TCP proxy this module owns (tests/browser/_tcp_proxy.py),
so "the API server stops" is the proxy stopping: the shared sandbox keeps serving everyone
else. Counts are checked against the API server itself (the real kubectl), for the seeded
demo namespaces and a scratch namespace made here (others' tests change other namespaces
at the same time). Screenshots: test-artifacts/.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
import yaml

from tests.browser._tcp_proxy import TcpProxy
from tests.browser.test_notebook_widgets import notebook, run_cell, run_first_cell
from tests.browser.test_panel import open_panel
from tests.plugins.browser import LabPage, LabServer
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
#: Seconds between refreshes in this module's lab (the default is 5).
REFRESH = 2
#: How long a change may take to show: a few refreshes (a bound to wait for, not a timing).
SHOWS_WITHIN = 30_000


@pytest.fixture(scope="module")
def proxy(sandbox: SandboxInfo) -> Iterator[TcpProxy]:
    url = urlparse(sandbox.server)
    proxy = TcpProxy(url.hostname or "127.0.0.1", url.port or 443)
    try:
        yield proxy
    finally:
        if not proxy.stopped.is_set():
            proxy.stop()


@pytest.fixture(scope="module")
def lab_kubechat_settings(sandbox: SandboxInfo, lab_database: str, proxy: TcpProxy,
                          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The sandbox's kubeconfig with its server replaced by the proxy."""
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{proxy.port}"
    path = tmp_path_factory.mktemp("proxied") / "kubeconfig"
    path.write_text(yaml.safe_dump(config))
    return {"kubeconfig": str(path), "audit_dsn": lab_database, "request_timeout": 10.0,
            "dashboard_refresh_seconds": float(REFRESH)}


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-dash") as name:
        yield name


def open_cluster_tab(lab: LabPage, widen: int = 0) -> Any:
    panel = open_panel(lab)
    if widen:  # drag the side bar's split handle to the left, as a person widens it
        box = panel.bounding_box()
        x, y = box["x"] - 2, box["y"] + box["height"] / 2
        lab.page.mouse.move(x, y)
        lab.page.mouse.down()
        lab.page.mouse.move(x - widen, y, steps=8)
        lab.page.mouse.up()
    lab.page.locator(".jp-kubechat-tab", has_text="Cluster").click()
    lab.page.locator(".jp-kubechat-tile[data-tile=phases]").wait_for(timeout=60_000)
    return panel


def tile(lab: LabPage, tile_id: str) -> Any:
    """The side panel's tile ``tile_id`` (a notebook may show the widget's too)."""
    return lab.page.locator(f"#kubechat-lab-panel .jp-kubechat-tile[data-tile={tile_id}]")


def open_tile(lab: LabPage, tile_id: str) -> Any:
    """Open a tile (all its rows and its frame); return its locator."""
    t = tile(lab, tile_id)
    head = t.locator(".jp-kubechat-tile-head")
    if head.get_attribute("aria-expanded") != "true":
        head.click()
    t.locator(".jp-kubechat-tile-frame").wait_for()
    return t


def table(t: Any) -> list[dict[str, str]]:
    """The rows of a tile's table as {column: text} (a message line under a row included)."""
    return t.evaluate("""el => {
        const cols = [...el.querySelectorAll('thead th')].map(th => th.innerText);
        const out = [];
        for (const tr of el.querySelectorAll('tbody tr')) {
            if (tr.classList.contains('jp-kubechat-detail')) {
                out[out.length - 1][tr.dataset.column] = tr.innerText;
                continue;
            }
            out.push(Object.fromEntries(
                [...tr.querySelectorAll('td')].map((td, i) => [cols[i], td.innerText])));
        }
        return out;
    }""")


def phase_row(lab: LabPage, namespace: str) -> dict[str, str] | None:
    rows = [r for r in table(open_tile(lab, "phases")) if r.get("namespace") == namespace]
    return rows[0] if rows else None


def wait_phase(lab: LabPage, namespace: str, phase: str, count: int) -> float:
    """Wait until the phases tile shows ``count`` pods of ``phase`` in ``namespace``."""
    started = time.monotonic()
    deadline = started + SHOWS_WITHIN / 1000
    row = None
    while time.monotonic() < deadline:
        row = phase_row(lab, namespace)
        if row is not None and row.get(phase) == str(count):
            return time.monotonic() - started
        lab.page.wait_for_timeout(250)
    pytest.fail(f"the phases tile never showed {count} {phase} in {namespace}: {row}")


def deployment(namespace: str, name: str, replicas: int, **spec: Any) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                                       **spec}}}})


def test_counts_are_the_apis_and_follow_changes(lab_page: LabPage, sandbox: SandboxInfo,
                                                scratch: str) -> None:
    lab = lab_page
    kubectl(sandbox, "apply", "-f", "-", stdin=deployment(scratch, "web", 1))
    head = audit_head(lab)
    open_cluster_tab(lab, widen=420)
    status = lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status[data-mode=watch]")
    status.filter(has_text="Live (watching)").wait_for()
    lab.shot("cluster tab")

    # Pods by phase, per demo namespace, as the API server counts them.
    pods = kjson(sandbox, "get", "pods", "-A")["items"]
    for ns in ("shop", "payments", "data"):
        want = Counter(p["status"]["phase"] for p in pods if p["metadata"]["namespace"] == ns)
        row = phase_row(lab, ns)
        assert row is not None, ns
        for phase in ("Running", "Pending", "Succeeded", "Failed"):
            assert row[phase] == str(want.get(phase, 0)), (ns, phase, row, want)

    # The pending recommendations pods, with the scheduler's message.
    pending_api = {p["metadata"]["name"] for p in pods if p["metadata"]["namespace"] == "shop"
                   and p["status"]["phase"] == "Pending"}
    shown = {r["name"]: r for r in table(open_tile(lab, "pending")) if r["namespace"] == "shop"}
    assert set(shown) == pending_api and pending_api
    assert any("nodes are available" in r["scheduler_message"] for r in shown.values())

    # The crash-looping fraud-detector: not running, with its reason, and below replicas.
    fraud = [p["metadata"]["name"] for p in pods if p["metadata"]["namespace"] == "payments"
             and p["metadata"]["name"].startswith("fraud-detector-")]
    failing = {r["name"]: r for r in table(open_tile(lab, "not-running"))}
    assert fraud and all(name in failing and failing[name]["reason"] != "Running"
                         for name in fraud), failing
    below = {(r["namespace"], r["name"]) for r in table(open_tile(lab, "workloads"))}
    assert {("shop", "recommendations"), ("payments", "fraud-detector")} <= below

    # Nodes: Ready / NotReady / cordoned as the API has them.
    nodes = kjson(sandbox, "get", "nodes")["items"]
    ready = sum(any(c["type"] == "Ready" and c["status"] == "True"
                    for c in n["status"]["conditions"]) for n in nodes)
    count = tile(lab, "nodes").locator(".jp-kubechat-tile-count[data-count=Ready] b").inner_text()
    assert count == str(ready)

    # Live: scaling a deployment, and a pod that cannot be scheduled, show within seconds.
    waited = wait_phase(lab, scratch, "Running", 1)
    kubectl(sandbox, "scale", "deployment/web", "-n", scratch, "--replicas=3")
    waited = wait_phase(lab, scratch, "Running", 3)
    print(f"scale to 3 shown after {waited:.1f}s")
    kubectl(sandbox, "apply", "-f", "-", stdin=deployment(
        scratch, "stuck", 1, nodeSelector={"kubechat.test/none": "nowhere"}))
    waited = wait_phase(lab, scratch, "Pending", 1)
    print(f"unschedulable pod shown after {waited:.1f}s")
    stuck = tile(lab, "pending").locator("tr", has_text=scratch)
    stuck.locator("xpath=following-sibling::tr[1]").filter(
        has_text="node affinity/selector").wait_for(timeout=SHOWS_WITHIN)
    lab.shot("scaled and stuck pods shown")
    # Shown by the watch: one watch_started for this tab, not one dashboard_read per change.
    later = lab.server.api("GET", "audit", params={"after": head, "limit": 1000})[1]["records"]
    kinds = Counter(r["event"]["type"] for r in later)
    assert kinds["watch_started"] == 1 and kinds["dashboard_read"] == 0, kinds
    started = next(r["event"] for r in later if r["event"]["type"] == "watch_started")
    assert "kubectl --context=kubechat-sandbox get pods -A" in started["watched"]
    opened = lab.page.locator(".jp-kubechat-tile-head[aria-expanded=true]")
    if opened.count():  # one tile is open at a time: close it, to show them all
        opened.first.click()
    lab.page.locator("#kubechat-lab-panel").screenshot(
        path=str(lab.artifacts / "cluster-tab-panel.png"))

    # Investigate a pending pod from its row: the investigation's findings show below.
    stuck.locator(".jp-kubechat-investigate").click()
    findings = tile(lab, "pending").locator(".jp-kubechat-finding").first
    findings.wait_for(timeout=120_000)
    assert "fit" in findings.inner_text() or "node" in findings.inner_text()
    lab.shot("investigation of the stuck pod")


def test_each_refresh_is_one_audit_event_with_its_commands(lab_server: LabServer) -> None:
    code, snap = lab_server.api("GET", "dashboard")
    assert code == 200, snap
    assert snap["refresh_seconds"] == REFRESH
    events = lab_server.api("GET", "audit", params={"type": "dashboard_read",
                                                    "limit": 1000})[1]["records"]
    mine = [r for r in events if r["seq"] == snap["audit_seq"]]
    assert len(mine) == 1 and mine[0]["event"]["commands"] == snap["commands"]
    assert mine[0]["event"]["level"] == "safe"
    assert "kubectl --context=kubechat-sandbox get pods -A" in snap["commands"]
    # Nothing but the one event: no proposal of its own for any read.
    head = snap["audit_seq"]
    code, again = lab_server.api("GET", "dashboard")
    later = lab_server.api("GET", "audit", params={"after": head, "limit": 1000})[1]["records"]
    assert [r["event"]["type"] for r in later if r["seq"] <= again["audit_seq"]].count(
        "dashboard_read") == 1
    assert not [r for r in later if r["seq"] <= again["audit_seq"]
                and r["event"]["type"] in ("proposed", "executing", "executed")
                and r["event"].get("command") in again["commands"]]
    # Each tile's cell reads its frames with the same commands, through %kubectl.
    for t in again["tiles"]:
        for command in t["commands"]:
            assert f"%kubectl {command.removeprefix('kubectl ')}" in t["cell"]


def test_widget_and_insert_as_cell_in_a_notebook(lab_page: LabPage) -> None:
    """``%kubechat dashboard`` shows the same tiles; a tile's cell reads its frames."""
    lab = lab_page
    notebook(lab.server.root_dir / "dash.ipynb", "%load_ext kubechat_lab",
             "%kubechat dashboard")
    lab.goto_lab("lab/tree/dash.ipynb?reset")
    lab.page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    run_first_cell(lab)
    run_cell(lab, 1)
    widget = lab.page.locator(".jp-OutputArea .jp-kubechat-dash-widget")
    widget.locator(".jp-kubechat-tile[data-tile=pending] tbody tr").first.wait_for(
        timeout=120_000)
    assert widget.locator(".jp-kubechat-tile").count() == 7
    widget.locator(".jp-kubechat-dash-status", has_text="Live (watching)").wait_for()
    lab.shot("dashboard widget in a cell")
    # A cell whose output is collapsed (off screen) does not refresh; shown again, it does.
    head = audit_head(lab)
    cell = lab.page.locator(".jp-Notebook:visible .jp-Cell").nth(1)
    cell.locator(".jp-Cell-outputCollapser").click()
    widget.wait_for(state="hidden")
    assert_no_refresh(lab, head)
    head = audit_head(lab)
    cell.locator(".jp-Cell-outputCollapser, .jp-OutputPlaceholder").first.click()
    widget.wait_for(state="visible")
    wait_refresh(lab, head)

    open_cluster_tab(lab)
    t = open_tile(lab, "nodes")
    commands = t.locator(".jp-kubechat-tile-commands").inner_text()
    assert " get nodes" in commands and " top nodes" in commands
    assert "--context=kubechat-sandbox" in commands  # what runs: the context explicit
    t.locator(".jp-kubechat-insert-tile").click()
    lab.page.locator(".jp-kubechat-notice", has_text="Inserted").wait_for()
    inserted = lab.page.locator(".jp-Notebook:visible .jp-Cell",
                                has_text="nodes = %kubectl --context=kubechat-sandbox get nodes")
    inserted.wait_for()
    assert "node_use = %kubectl --context=kubechat-sandbox top nodes" in inserted.inner_text()
    inserted.locator(".jp-InputArea-editor").click()
    lab.page.keyboard.press("Shift+Enter")
    frame = inserted.locator(".jp-OutputArea-output table")
    frame.wait_for(timeout=120_000)
    assert "kwok-worker-1" in frame.inner_text()
    lab.shot("nodes tile inserted as a cell and run")


def audit_head(lab: LabPage) -> int:
    return int(lab.server.api("GET", "health")[1]["database"]["head_seq"])


def events_after(lab: LabPage, head: int, *kinds: str) -> list[dict[str, Any]]:
    records = lab.server.api("GET", "audit", params={"after": head, "limit": 1000})[1]
    return [r["event"] for r in records["records"] if r["event"]["type"] in kinds]


def assert_no_refresh(lab: LabPage, since: int) -> None:
    """The watch opened before ``since`` was closed, then nothing reads for three intervals."""
    for _ in range(120):  # hidden, the page closes its stream: the server audits the stop
        if any(e.get("reason") == "client-closed"
               for e in events_after(lab, since, "watch_stopped")):
            break
        lab.page.wait_for_timeout(250)
    else:
        pytest.fail("a hidden dashboard kept its watch open")
    lab.page.wait_for_timeout(1000)  # a refresh already on its way may still land
    head = audit_head(lab)
    lab.page.wait_for_timeout(3 * REFRESH * 1000)
    assert events_after(lab, head, "dashboard_read", "watch_started") == [], \
        "a hidden dashboard went on refreshing"


def wait_refresh(lab: LabPage, head: int) -> None:
    """Wait for a watch to start (or a refresh) after ``head`` (taken before it was shown)."""
    for _ in range(60):
        if events_after(lab, head, "dashboard_read", "watch_started"):
            return
        lab.page.wait_for_timeout(500)
    pytest.fail("the dashboard shown again did not refresh")


def test_a_hidden_tab_does_not_refresh(lab_page: LabPage) -> None:
    lab = lab_page
    open_cluster_tab(lab)
    lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status",
                     has_text="Live (watching)").wait_for()
    head = audit_head(lab)
    lab.page.locator(".jp-kubechat-tab", has_text="Conversation").click()
    assert_no_refresh(lab, head)
    head = audit_head(lab)
    lab.page.locator(".jp-kubechat-tab", has_text="Cluster").click()
    wait_refresh(lab, head)


@contextlib.contextmanager
def watch_quota_full(lab: LabServer) -> Iterator[int]:
    """Hold every dashboard watch the page's owner may run (opened until one gets 429)."""
    client = httpx.Client(timeout=60)
    held: list[httpx.Response] = []
    try:
        for _ in range(16):
            response = client.send(client.build_request(
                "GET", f"{lab.url}kubechat/api/dashboard/watch",
                headers={"Authorization": f"token {lab.token}"}), stream=True)
            if response.status_code == 429:
                response.read()
                response.close()
                break
            assert response.status_code == 200, response.status_code
            held.append(response)
        else:
            pytest.fail("the watch quota never filled")
        yield len(held)
    finally:
        for response in held:
            response.close()
        client.close()


def test_polls_on_an_interval_while_the_watch_quota_is_full(lab_page: LabPage) -> None:
    lab = lab_page
    with watch_quota_full(lab.server) as held:
        assert held >= 1
        open_cluster_tab(lab)
        status = lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status[data-mode=poll]")
        status.filter(has_text=f"refreshing every {REFRESH} s (watch quota full)").wait_for()
        lab.shot("refreshing on an interval: watch quota full")
        wait_refresh(lab, audit_head(lab))  # it polls: dashboard_read events go on
    # The quota frees: after ten refreshes the page tries the watch again, and gets it.
    lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status[data-mode=watch]",
                     has_text="Live (watching)").wait_for(timeout=20 * REFRESH * 1000)


def test_stale_when_the_api_server_stops(lab_page: LabPage, proxy: TcpProxy) -> None:
    lab = lab_page
    open_cluster_tab(lab)
    status = lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status")
    status.locator("text=Updated").wait_for()
    proxy.stop()
    stale = lab.page.locator("#kubechat-lab-panel .jp-kubechat-dash-status[data-stale=true]")
    stale.wait_for(timeout=60_000)
    text = stale.inner_text()
    assert text.startswith("Stale since ") and "could not read the cluster" in text, text
    assert tile(lab, "phases").locator("tbody tr").count() > 0  # the last tiles stay
    lab.shot("stale when the API server stopped")
