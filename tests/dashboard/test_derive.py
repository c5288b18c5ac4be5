"""The dashboard's tiles derived from real results of its reads on the sandbox.

The reads run through the library's own client (no server); the tiles are checked against
what the API server says, read with the real kubectl. Only the seeded demo namespaces are
compared (others' tests create and delete pods elsewhere at the same time).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from kubechat_lab.cluster import ClusterClient, ClusterConfig, Column, Result
from kubechat_lab.command import parse
from kubechat_lab.dashboard import (
    READS,
    AllReadsFailedError,
    Snapshot,
    build_snapshot,
    cell_source,
    derive_tiles,
    phase_of,
)
from kubechat_lab.errors import ClusterError
from tests.plugins.sandbox import SandboxInfo, kjson

DEMO = ("shop", "payments", "data")


@pytest.fixture(scope="module")
def results(sandbox: SandboxInfo) -> Iterator[dict[str, Result]]:
    with ClusterClient(ClusterConfig(kubeconfig=str(sandbox.kubeconfig))) as client:
        yield {r.key: client.execute(parse(r.command)) for r in READS}


@pytest.fixture(scope="module")
def snapshot(results: dict[str, Result]) -> Snapshot:
    shown = {r.key: r.command for r in READS}
    return build_snapshot(shown, results.__getitem__, context="sandbox", shown=shown)


def rows(snapshot: Snapshot, tile: str) -> list[dict[str, Any]]:
    t = snapshot.tile(tile)
    return [dict(zip(t.columns, r, strict=True)) for r in t.rows]


@pytest.mark.sandbox
def test_pods_by_phase_per_namespace_are_the_api_phases(snapshot: Snapshot,
                                                         sandbox: SandboxInfo) -> None:
    pods = kjson(sandbox, "get", "pods", "-A")["items"]
    for ns in DEMO:
        want = Counter(p["status"]["phase"] for p in pods if p["metadata"]["namespace"] == ns)
        got = next(r for r in rows(snapshot, "phases") if r["namespace"] == ns)
        assert {k: got[k] for k in want} == dict(want), ns
        assert got["total"] == sum(want.values())
    assert dict(snapshot.tile("phases").counts)["Pending"] >= 2  # recommendations


@pytest.mark.sandbox
def test_pending_pods_carry_the_schedulers_message(snapshot: Snapshot,
                                                   sandbox: SandboxInfo) -> None:
    api = {p["metadata"]["name"] for p in kjson(sandbox, "get", "pods", "-n", "shop")["items"]
           if p["status"]["phase"] == "Pending"}
    pending = {r["name"]: r for r in rows(snapshot, "pending") if r["namespace"] == "shop"}
    assert set(pending) == api and api
    events = kjson(sandbox, "get", "events", "-n", "shop", "--field-selector",
                   "reason=FailedScheduling")["items"]
    told = {e["involvedObject"]["name"] for e in events}
    for name, row in pending.items():
        if name in told:
            assert "nodes are available" in row["scheduler_message"], row
    assert snapshot.tile("pending").targets[0].startswith("pod/")  # type: ignore[union-attr]


@pytest.mark.sandbox
def test_crash_looping_pod_is_not_running_and_a_top_restarter(snapshot: Snapshot,
                                                              sandbox: SandboxInfo) -> None:
    pods = kjson(sandbox, "get", "pods", "-n", "payments", "-l", "app=fraud-detector")["items"]
    restarts = {p["metadata"]["name"]: sum(c["restartCount"]
                                           for c in p["status"].get("containerStatuses", []))
                for p in pods}
    failing = {r["name"]: r for r in rows(snapshot, "not-running")}
    top = {r["name"]: r for r in rows(snapshot, "restarts")}
    for name, count in restarts.items():
        assert name in failing, failing
        assert failing[name]["reason"] != "Running"
        if count:
            assert top[name]["restarts"] >= 1
    assert snapshot.tile("not-running").alarming


@pytest.mark.sandbox
def test_workloads_below_desired_replicas_match_the_api(snapshot: Snapshot,
                                                        sandbox: SandboxInfo) -> None:
    below = {(r["kind"], r["namespace"], r["name"]): r for r in rows(snapshot, "workloads")}
    for ns in DEMO:
        for d in kjson(sandbox, "get", "deployments", "-n", ns)["items"]:
            want = d["spec"].get("replicas", 1)
            ready = d["status"].get("readyReplicas", 0)
            key = ("deployment", ns, d["metadata"]["name"])
            assert (key in below) == (ready < want), key
            if key in below:
                assert (below[key]["ready"], below[key]["desired"]) == (ready, want)
    assert ("deployment", "shop", "recommendations") in below
    assert "deployment/recommendations -n shop" in snapshot.tile("workloads").targets


@pytest.mark.sandbox
def test_nodes_ready_cordoned_and_use(snapshot: Snapshot, sandbox: SandboxInfo) -> None:
    nodes = kjson(sandbox, "get", "nodes")["items"]
    ready = sum(any(c["type"] == "Ready" and c["status"] == "True"
                    for c in n["status"]["conditions"]) for n in nodes)
    cordoned = sum(bool(n["spec"].get("unschedulable")) for n in nodes)
    counts = dict(snapshot.tile("nodes").counts)
    assert (counts["Ready"], counts["NotReady"], counts["cordoned"]) == (
        ready, len(nodes) - ready, cordoned)
    used = [r for r in rows(snapshot, "nodes") if r["cpu_%"] is not None]
    assert used, "kubectl top nodes gave no usage (metrics-server)"
    assert all(0 <= r["cpu_%"] <= 100 and r["cpu"].endswith("m") for r in used)


@pytest.mark.sandbox
def test_warnings_newest_first_and_every_tile_names_its_reads(snapshot: Snapshot) -> None:
    seen = [r["last_seen"] for r in rows(snapshot, "warnings")]
    assert seen == sorted(seen, reverse=True)
    for tile in snapshot.tiles:
        assert tile.commands and set(tile.commands) <= set(snapshot.commands), tile.id
        assert all(f"%kubectl {c.removeprefix('kubectl ')}" in tile.cell
                   for c in tile.commands), tile.cell


@pytest.mark.sandbox
def test_a_failed_read_leaves_its_tiles_with_the_error(results: dict[str, Result]) -> None:
    shown = {r.key: r.command for r in READS}

    def run(key: str) -> Result:
        if key in ("top-nodes", "events"):
            raise ClusterError("the metrics API is not available", status=503)
        return results[key]

    snap = build_snapshot(shown, run, context="sandbox", shown=shown)
    nodes = snap.tile("nodes")
    assert nodes.rows and all(r[2] is None for r in nodes.rows)
    assert "metrics API" in (nodes.error or "")
    assert snap.tile("warnings").error and not snap.tile("warnings").rows
    assert snap.tile("pending").rows and snap.tile("phases").error is None
    assert ("kubectl top nodes", "the metrics API is not available") in snap.errors


def test_when_every_read_fails_the_refresh_fails() -> None:
    shown = {r.key: r.command for r in READS}
    tried: list[str] = []

    def run(key: str) -> Result:
        tried.append(key)
        raise ClusterError("connection refused", status=0)

    with pytest.raises(AllReadsFailedError, match="could not read the cluster: connection"):
        build_snapshot(shown, run, context="x", shown=shown)
    assert tried == ["nodes"]  # an unreachable cluster is not asked 6 more times


@pytest.mark.sandbox
def test_a_timeout_midway_stops_the_refresh_but_keeps_what_was_read(
        results: dict[str, Result]) -> None:
    shown = {r.key: r.command for r in READS}

    def run(key: str) -> Result:
        if key == "deployments":
            raise ClusterError("timed out after 30s", status=0, reason="Timeout")
        return results[key]

    snap = build_snapshot(shown, run, context="sandbox", shown=shown)
    assert snap.tile("phases").rows and snap.tile("nodes").rows
    assert "timed out" in (snap.tile("workloads").error or "")
    assert "could not reach the cluster" in (snap.tile("warnings").error or "")


def test_phases_from_kubectl_status() -> None:
    assert phase_of("Running") == "Running"
    assert phase_of("CrashLoopBackOff", "n1") == "Running"
    assert phase_of("Completed") == "Succeeded"
    assert phase_of("Init:0/2", "n1") == "Pending"
    assert phase_of("ImagePullBackOff", "n1") == "Pending"
    assert phase_of("Evicted") == "Failed"
    assert phase_of("SomethingNew", None) == "Pending"
    assert phase_of("SomethingNew", "n1") == "Running"


def test_tiles_without_pods_are_empty_not_wrong() -> None:
    pods = Result("pods", (Column("namespace", "str"), Column("name", "str"),
                           Column("ready", "str"), Column("status", "str"),
                           Column("restarts", "int"), Column("node", "str")))
    tiles = {t.id: t for t in derive_tiles({"pods": pods})}
    assert tiles["phases"].total == 0 and not tiles["not-running"].alarming
    assert tiles["nodes"].error  # never read


def test_cell_source_names_each_frame_and_shows_the_first() -> None:
    cell = cell_source((("nodes", "kubectl get nodes --context=a"),
                        ("node_use", "kubectl top nodes --context=a")))
    assert cell.splitlines() == ["nodes = %kubectl get nodes --context=a",
                                 "node_use = %kubectl top nodes --context=a", "nodes"]
