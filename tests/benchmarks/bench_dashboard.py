"""Benchmark: what the live dashboard costs with 10,000 pods, against the obvious alternatives.

Run (the sandbox must be up; 10,000 pods are made in namespace ``bench`` as
tests/benchmarks/bench_list_pods.py makes them, and removed afterwards unless ``--keep``)::

    .venv/bin/python tests/benchmarks/bench_dashboard.py [--pods 10000] [--refreshes 5]
        [--keep] [--skip-setup] [--no-paint]

One refresh, measured in-process on the server's own code (``KubechatService`` with the real
policy and cluster clients; Kubernetes requests counted from the client's one log line per
request; audit rows counted at the sink), interleaved in the same run:

(a) the dashboard: ``dashboard_snapshot`` (7 fixed safe reads, one ``dashboard_read`` event),
    and the JSON reply the panel gets
(b) the same 7 reads each proposed and executed like a typed ``%kubectl`` line (what an
    investigation does per read): one proposal and its events per read, and the 7 results a
    page would have to fetch to derive the tiles itself
(c) real ``kubectl`` running the same 7 reads (``-o json``; requests counted from ``-v=6``)

Each round runs all three, in a rotated order.

Then the live dashboard against polling, in the same run, for ``--live-seconds`` each (default
60), while a deployment in a scratch namespace is scaled every ``--churn`` seconds (default 10;
0: no change of ours, only what else happens on the cluster): (p) polling, ``dashboard_snapshot``
every 5 s, as the page does when it cannot watch; (w) ``GET dashboard/watch``'s server side
(``DashboardWatches``: reads once, then watches, re-reading what changed). Kubernetes requests
(lists; watches opened counted apart), audit rows and dashboards sent are reported per minute,
with the ratio polling / watching.

Per minute is at the server's default interval (``dashboard_refresh_seconds`` = 5 s, 12
refreshes a minute) while the tab is shown; a hidden tab costs nothing. Then, unless
``--no-paint``: the time from clicking the Cluster tab to its first tiles in Chromium, against
a real JupyterLab with kubechat (embedded PostgreSQL). Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_list_pods import (  # noqa: E402 - the repo root goes on the path first
    KUBECTL,
    cleanup,
    setup,
)

REFRESH = 5.0


class _Requests(logging.Handler):
    """Counts the cluster client's one INFO line per Kubernetes request."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.count = 0

        self.watches = 0

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("kubernetes request "):
            self.count += 1
        elif message.startswith("kubernetes watch opened "):
            self.watches += 1


def service(kubeconfig: str) -> tuple[Any, list[Any]]:
    """The server's service on the real policy and clients; its audit sink keeps events."""
    from kubechat_lab.pipeline import Pipeline
    from kubechat_lab.policy import load_policy
    from kubechat_lab.server._clusters import ClusterPool
    from kubechat_lab.server._conversations import ConversationStore
    from kubechat_lab.server._metrics import Metrics
    from kubechat_lab.server._proposals import MemoryProposalStore
    from kubechat_lab.server._service import KubechatService

    events: list[Any] = []

    def sink(event: Any) -> int:
        events.append(event.to_dict())
        return len(events)

    def identity(user: str) -> tuple[None, tuple[str, ...]]:
        return (None, ())

    pool = ClusterPool(kubeconfig=kubeconfig, default_context=None, contexts=[],
                       identity_for=identity, request_timeout=120.0)
    pipeline = Pipeline(policy=load_policy(None), clients=pool, sink=sink)
    return KubechatService(pipeline=pipeline, proposals=MemoryProposalStore(ttl=900),
                           clusters=pool, metrics=Metrics(), conversations=ConversationStore(),
                           identity_for=identity), events


def measure(name: str, fn: Any, requests: _Requests, events: list[Any]) -> dict[str, Any]:
    r0, e0 = requests.count, len(events)
    t0 = time.perf_counter()
    size = fn()
    return {"name": name, "seconds": time.perf_counter() - t0,
            "requests": requests.count - r0, "audit_rows": len(events) - e0, "bytes": size}


def in_process(kubeconfig: str, refreshes: int) -> dict[str, list[dict[str, Any]]]:
    import orjson

    from kubechat_lab.dashboard import READS
    from kubechat_lab.server._dashboards import dashboard_snapshot
    from kubechat_lab.server._proposals import Principal

    svc, events = service(kubeconfig)
    principal = Principal(user="bench", via="browser", auth="cookie")
    requests = _Requests()
    logging.getLogger("kubechat_lab").addHandler(requests)
    logging.getLogger("kubechat_lab").setLevel(logging.INFO)

    def dashboard() -> int:
        return len(orjson.dumps(dashboard_snapshot(svc, principal).to_dict()))

    def proposals() -> int:
        size = 0
        for read in READS:
            done = svc.execute(principal, svc.propose(principal, read.command).id)
            size += len(orjson.dumps(done.result.to_columnar())) if done.result else 0
        return size

    def kubectl() -> int:
        sent = 0
        size = 0
        for read in READS:
            out = subprocess.run([KUBECTL, f"--kubeconfig={kubeconfig}", "-v=6",
                                  *read.command.split()[1:], *(
                                      ["-o", "json"] if read.key != "top-nodes" else [])],
                                 capture_output=True, text=True, timeout=600, check=False)
            sent += sum(1 for line in out.stderr.splitlines() if " GET https://" in line)
            size += len(out.stdout)
        requests.count += sent
        return size

    dashboard()  # warm: discovery, connections, the policy's first load
    out: dict[str, list[dict[str, Any]]] = {"a": [], "b": [], "c": []}
    runs = [("a", "dashboard", dashboard), ("b", "7 proposals", proposals),
            ("c", "kubectl", kubectl)]
    for i in range(refreshes):  # interleaved, the order rotated: none always follows kubectl
        for key, name, fn in runs[i % 3:] + runs[:i % 3]:
            out[key].append(measure(name, fn, requests, events))
    return out


class _Churn:
    """Scale a deployment in a scratch namespace between 1 and 2 replicas every ``every`` s."""

    def __init__(self, kubeconfig: str, every: float) -> None:
        import secrets
        import threading

        self.kubeconfig = kubeconfig
        self.every = every
        self.namespace = "kc-bench-live-" + secrets.token_hex(3)
        self.changes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _kubectl(self, *args: str, stdin: str | None = None) -> None:
        subprocess.run([KUBECTL, f"--kubeconfig={self.kubeconfig}", *args], input=stdin,
                       capture_output=True, text=True, timeout=120, check=True)

    def __enter__(self) -> _Churn:
        import json

        self._kubectl("create", "namespace", self.namespace)
        self._kubectl("apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "churn", "namespace": self.namespace},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "churn"}},
                     "template": {"metadata": {"labels": {"app": "churn"}},
                                  "spec": {"containers": [{"name": "c",
                                                           "image": "nginx:1.27"}]}}}}))
        if self.every > 0:
            self._thread.start()
        return self

    def _run(self) -> None:
        replicas = 1
        while not self._stop.wait(self.every):
            replicas = 3 - replicas
            self._kubectl("scale", "deployment/churn", "-n", self.namespace,
                          f"--replicas={replicas}")
            self.changes += 1

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=130)
        self._kubectl("delete", "namespace", self.namespace, "--wait=false")


def live_vs_polling(kubeconfig: str, seconds: float, churn: float) -> dict[str, dict[str, Any]]:
    """Polling every 5 s, then the live dashboard, ``seconds`` each, with the same churn."""
    import threading

    from kubechat_lab.server._dashboard_watch import DashboardWatches
    from kubechat_lab.server._dashboards import dashboard_snapshot
    from kubechat_lab.server._proposals import Principal
    from kubechat_lab.server._quotas import Slots

    svc, events = service(kubeconfig)
    principal = Principal(user="bench", via="browser", auth="cookie")
    requests = _Requests()
    logging.getLogger("kubechat_lab").addHandler(requests)
    logging.getLogger("kubechat_lab").setLevel(logging.INFO)
    dashboard_snapshot(svc, principal)  # warm: discovery, connections
    out: dict[str, dict[str, Any]] = {}

    def counted(name: str, run: Any) -> None:
        r0, w0, e0 = requests.count, requests.watches, len(events)
        with _Churn(kubeconfig, churn) as changes:
            t0 = time.monotonic()
            sent = run()
            took = time.monotonic() - t0
        out[name] = {"seconds": took, "requests": requests.count - r0,
                     "watches": requests.watches - w0, "audit_rows": len(events) - e0,
                     "dashboards": sent, "changes": changes.changes}

    def polling() -> int:
        sent = 0
        due = time.monotonic()
        end = due + seconds
        while due < end:
            dashboard_snapshot(svc, principal)
            sent += 1
            due += REFRESH
            time.sleep(max(0.0, due - time.monotonic()))
        return sent

    def watching() -> int:
        live = DashboardWatches(svc, slots=Slots("watches", per_owner=4),
                                refresh_seconds=REFRESH).start(principal, None)
        lines: list[str] = []
        thread = threading.Thread(target=live.run, args=(lambda e: lines.append(e["type"]),),
                                  daemon=True)
        thread.start()
        time.sleep(seconds)
        live.stop("stopped")
        live.done.wait(60)
        return lines.count("dashboard")

    counted("polling", polling)
    counted("watching", watching)
    return out


def report_live(out: dict[str, dict[str, Any]], churn: float) -> None:
    print(f"\nLive dashboard vs polling every {REFRESH:.0f} s, per minute (same run; a scale "
          f"every {churn:.0f} s in a scratch namespace{'' if churn else ': none'}):")
    print(f"{'':10} {'seconds':>8} {'changes':>8} {'req/min':>8} {'watches':>8} "
          f"{'audit/min':>9} {'dash/min':>9}")
    rate: dict[str, dict[str, float]] = {}
    for name, row in out.items():
        per = 60.0 / row["seconds"]
        rate[name] = {k: row[k] * per for k in ("requests", "audit_rows", "dashboards")}
        print(f"{name:10} {row['seconds']:8.1f} {row['changes']:8d} "
              f"{rate[name]['requests']:8.1f} {row['watches']:8d} "
              f"{rate[name]['audit_rows']:9.1f} {rate[name]['dashboards']:9.1f}")
    p, w = rate["polling"], rate["watching"]
    print(f"polling / watching: requests x{p['requests'] / max(w['requests'], 1e-9):.1f}, "
          f"audit rows x{p['audit_rows'] / max(w['audit_rows'], 1e-9):.1f} (the watch's rows "
          "are its start and its stop)", flush=True)


def first_paint(kubeconfig: str, repeat: int) -> list[float]:
    """Seconds from clicking the Cluster tab to its first tiles, in Chromium."""
    from playwright.sync_api import sync_playwright

    from kubechat_lab.audit import embedded_for_data_dir
    from tests.plugins.browser import CHROMIUM, CHROMIUM_ARGS, start_lab, stop_lab

    base = Path(tempfile.mkdtemp(prefix="kc-bench-dash-"))
    pg = embedded_for_data_dir(base / "postgres")
    lab = start_lab(base / "lab", {"kubeconfig": kubeconfig, "audit_dsn": pg.app_dsn,
                                   "request_timeout": 120.0})
    times: list[float] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=CHROMIUM_ARGS)
            for _ in range(repeat):
                context = browser.new_context(viewport={"width": 1500, "height": 950})
                page = context.new_page()
                page.set_default_timeout(300_000)
                page.goto(lab.lab_url("lab"))
                page.wait_for_selector(".jp-LabShell")
                page.wait_for_selector("#jupyterlab-splash", state="detached")
                panel = page.locator("#kubechat-lab-panel")
                if not panel.is_visible():
                    page.click("[data-id='kubechat-lab-panel']")
                panel.wait_for(state="visible")
                t0 = time.perf_counter()
                page.locator(".jp-kubechat-tab", has_text="Cluster").click()
                page.locator(".jp-kubechat-tile[data-tile=phases] .jp-kubechat-tile-count").first \
                    .wait_for()
                times.append(time.perf_counter() - t0)
                context.close()
            browser.close()
    finally:
        stop_lab(lab)
        pg.stop()
    return times


def report(out: dict[str, list[dict[str, Any]]], pods: int) -> None:
    def med(rows: list[dict[str, Any]], key: str) -> float:
        return float(statistics.median(r[key] for r in rows))

    per_min = 60.0 / REFRESH
    a = out["a"]
    print(f"\n{pods} bench pods; one refresh (median of {len(a)}), and per minute at "
          f"{REFRESH:.0f} s (x{per_min:.0f}) while shown:")
    print(f"{'':14} {'seconds':>8} {'x (a)':>7} {'requests':>9} {'req/min':>8} "
          f"{'audit rows':>10} {'rows/min':>9} {'bytes':>11}")
    for key in ("a", "b", "c"):
        rows = out[key]
        s = med(rows, "seconds")
        print(f"({key}) {rows[0]['name']:<10} {s:8.3f} {s / med(a, 'seconds'):7.2f} "
              f"{med(rows, 'requests'):9.0f} {med(rows, 'requests') * per_min:8.0f} "
              f"{med(rows, 'audit_rows'):10.0f} {med(rows, 'audit_rows') * per_min:9.0f} "
              f"{med(rows, 'bytes'):11.0f}")
    print(flush=True)


def report_paint(paint: list[float]) -> None:
    shown = ", ".join(f"{t:.2f}" for t in paint)
    print(f"Cluster tab, click to first tiles in Chromium: median "
          f"{statistics.median(paint):.2f} s of {len(paint)} ({shown})", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--refreshes", type=int, default=5)
    parser.add_argument("--paint", type=int, default=3, help="first-paint repeats")
    parser.add_argument("--no-paint", action="store_true")
    parser.add_argument("--keep", action="store_true", help="leave the bench pods in place")
    parser.add_argument("--skip-setup", action="store_true", help="the pods already exist")
    parser.add_argument("--live-seconds", type=float, default=60.0,
                        help="seconds of polling, then of the live dashboard")
    parser.add_argument("--churn", type=float, default=10.0,
                        help="seconds between scales of the churn deployment (0: none)")
    parser.add_argument("--live-only", action="store_true",
                        help="only the live dashboard against polling")
    args = parser.parse_args()
    from kubechat_lab.sandbox import SandboxManager

    state = SandboxManager().status()
    if not state.running:
        print("the sandbox is not running: `kubechat sandbox up` first")
        return 2
    kubeconfig = str(state.kubeconfig)
    try:
        if not args.skip_setup:
            print(f"making {args.pods} pods in namespace bench ...", flush=True)
            setup(kubeconfig, args.pods)
        if not args.live_only:
            report(in_process(kubeconfig, args.refreshes), args.pods)
        report_live(live_vs_polling(kubeconfig, args.live_seconds, args.churn), args.churn)
        if not args.no_paint and not args.live_only:
            report_paint(first_paint(kubeconfig, args.paint))
    finally:
        if not args.keep:
            cleanup(kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
