"""The real sandbox, seen through kubectl: nodes, pods, metrics, logs, RBAC, version, down."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.sandbox import KUBERNETES_VERSION, Ports, SandboxLayout, SandboxManager
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl

pytestmark = pytest.mark.sandbox

def _pods(info: SandboxInfo, namespace: str, selector: str) -> list[dict[str, Any]]:
    found = kjson(info, "get", "pods", "-n", namespace, "-l", selector)
    items: list[dict[str, Any]] = found["items"]
    return items


def test_nodes_are_ready(sandbox: SandboxInfo) -> None:
    nodes = kjson(sandbox, "get", "nodes")["items"]
    names = {n["metadata"]["name"] for n in nodes}
    assert {"kwok-worker-1", "kwok-worker-2", "kwok-worker-3"} <= names
    for node in nodes:
        ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
        assert ready and ready[0]["status"] == "True", node["metadata"]["name"]


def test_seeded_pods_are_running(sandbox: SandboxInfo) -> None:
    out = kubectl(sandbox, "get", "nodes,pods", "-A").stdout
    assert "kwok-worker-1" in out and "Running" in out
    for namespace, app, replicas in (
        ("shop", "frontend", 3),
        ("shop", "checkout", 2),
        ("payments", "api", 2),
        ("data", "postgres", 2),
    ):
        pods = _pods(sandbox, namespace, f"app={app}")
        running = [p for p in pods if p["status"].get("phase") == "Running"]
        assert len(running) >= replicas, (namespace, app, [p["status"] for p in pods])
        assert all(p["spec"].get("nodeName", "").startswith("kwok-worker-") for p in running)


def test_cronjob_has_a_completed_job(sandbox: SandboxInfo) -> None:
    def done() -> bool:
        jobs = kjson(sandbox, "get", "jobs", "-n", "ci")["items"]
        return any(j["status"].get("succeeded", 0) >= 1 for j in jobs)

    eventually(done, "a Job of ci/nightly-report succeeded")
    assert kjson(sandbox, "get", "cronjob", "nightly-report", "-n", "ci")["spec"]["schedule"]


def test_pending_deployment_stays_unschedulable(sandbox: SandboxInfo) -> None:
    pods = eventually(lambda: _pods(sandbox, "shop", "app=recommendations"), "pods exist")
    for pod in pods:
        assert pod["status"]["phase"] == "Pending"
        scheduled = [c for c in pod["status"].get("conditions", []) if c["type"] == "PodScheduled"]
        assert scheduled and scheduled[0]["reason"] == "Unschedulable"
    events = kjson(sandbox, "get", "events", "-n", "shop", "--field-selector", "type=Warning")
    assert any(e["reason"] == "FailedScheduling" for e in events["items"])


def test_crashloop_pod_restarts_rise(sandbox: SandboxInfo) -> None:
    def status() -> dict[str, Any] | None:
        pods = _pods(sandbox, "payments", "app=fraud-detector")
        statuses = pods[0]["status"].get("containerStatuses") if pods else None
        return statuses[0] if statuses else None

    first = eventually(status, "fraud-detector has a container status")
    assert first["state"]["waiting"]["reason"] == "CrashLoopBackOff"
    eventually(
        lambda: (status() or {}).get("restartCount", 0) > first["restartCount"],
        "restartCount rises",
        timeout=90,
    )
    out = kubectl(sandbox, "get", "pods", "-n", "payments").stdout
    assert "CrashLoopBackOff" in out


def test_kubectl_top_pods_and_nodes(sandbox: SandboxInfo) -> None:
    def top(*what: str) -> str:
        done = kubectl(sandbox, "top", *what, check=False)
        return done.stdout if done.returncode == 0 else ""

    pods = eventually(lambda: "checkout" in (out := top("pods", "-A")) and out, "top pods -A")
    line = next(ln for ln in pods.splitlines() if ln.startswith("shop") and "checkout" in ln)
    assert line.split()[2].endswith("m") and line.split()[3].endswith("Mi")
    nodes = eventually(lambda: "kwok-worker-1" in (out := top("nodes")) and out, "top nodes")
    assert "CPU(cores)" in nodes


def test_pod_logs(sandbox: SandboxInfo) -> None:
    out = kubectl(sandbox, "logs", "-n", "shop", "deploy/checkout").stdout
    assert "order placed" in out
    tail = kubectl(sandbox, "logs", "-n", "data", "postgres-0", "--tail=1").stdout
    assert tail.strip().endswith("(0.7%)") or "checkpoint complete" in tail
    previous = kubectl(sandbox, "logs", "-n", "payments", "deploy/fraud-detector", "--previous")
    assert "no such file or directory" in previous.stdout


def test_rbac_is_enforced(sandbox: SandboxInfo) -> None:
    denied = kubectl(sandbox, "--as=nobody@example.com", "get", "pods", "-n", "shop", check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    assert kubectl(sandbox, "auth", "can-i", "delete", "nodes").stdout.strip() == "yes"
    answer = kubectl(
        sandbox, "--as=nobody@example.com", "auth", "can-i", "get", "pods", check=False
    )
    assert answer.stdout.strip() == "no"


def test_server_version(sandbox: SandboxInfo) -> None:
    version = kjson(sandbox, "version")
    assert version["serverVersion"]["gitVersion"] == KUBERNETES_VERSION


def test_up_then_down_leaves_no_process(sandbox: SandboxInfo, tmp_path: Path) -> None:
    """A second, unseeded sandbox on other ports: up, then down leaves none of its processes."""
    layout = SandboxLayout(state_dir=tmp_path / "second", cache_dir=sandbox.bin_dir.parents[1])
    base = Ports()
    ports = Ports(**{f: getattr(base, f) + 1000 for f in base.__dataclass_fields__})
    manager = SandboxManager(layout, ports)
    try:
        manager.up(seed=False)
        pids = [c.pid for c in manager.status().components]
        assert all(pids) and manager.status().running
    finally:
        manager.down()
    assert manager.status().stopped
    assert not list(layout.pids_dir.glob("*.pid"))
    marker = str(layout.state_dir)
    leftovers = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                leftovers.append((entry.name, cmdline.replace("\0", " ")[:120]))
    assert leftovers == []
    for pid in pids:
        assert pid is not None and not os.path.exists(f"/proc/{pid}/exe")
