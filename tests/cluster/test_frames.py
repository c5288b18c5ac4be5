"""Frame building on API responses captured from the real sandbox (tests/cluster/data/).

The files are regenerated with ``tests/cluster/data/capture.py``; the integration tests in
this folder check the same frames against the live server.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._errors import RequestInfo, status_error

DATA = Path(__file__).parent / "data"


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text())


def table(kind: str, namespaced: bool = True, now: datetime | None = None) -> pd.DataFrame:
    doc = load(f"table-{kind}.json")
    result = frames.table_result(kind, [doc], namespaced=namespaced, now=now)
    assert result.kind == kind
    return result.to_frame()


def test_pods_frame_types_and_values() -> None:
    doc = load("table-pods.json")
    first = doc["rows"][0]
    created = datetime.fromisoformat(first["object"]["metadata"]["creationTimestamp"])
    frame = table("pods", now=created + timedelta(minutes=5))
    assert list(frame.columns) == ["namespace", "name", "ready", "status", "restarts", "age",
                                   "ip", "node", "nominated_node", "readiness_gates",
                                   "created", "labels"]
    assert len(frame) == len(doc["rows"])
    row = frame.iloc[0]
    assert row["name"] == first["cells"][0] and row["namespace"] == "shop"
    assert row["restarts"] == int(first["cells"][3].split()[0])
    assert row["age"] == pd.Timedelta(minutes=5)
    assert row["created"] == pd.Timestamp(created)
    assert pd.isna(row["nominated_node"])  # "<none>" becomes a missing value
    assert row["labels"] == first["object"]["metadata"]["labels"]
    assert frame["restarts"].dtype == "Int64"


def test_restarts_with_last_restart_time() -> None:
    doc = load("table-pods.json")
    doc["rows"][0]["cells"][3] = "7 (2m ago)"
    frame = frames.table_result("pods", [doc], namespaced=True).to_frame()
    assert frame["restarts"].iloc[0] == 7


def test_deployments_statefulsets_replicasets() -> None:
    deploys = table("deployments").set_index("name")
    assert deploys["up_to_date"].dtype == "Int64" and deploys["replicas"].dtype == "Int64"
    assert (deploys["ready_replicas"] <= deploys["replicas"]).all()
    assert deploys.loc["frontend", "images"] == "nginx:1.27"
    columns = list(deploys.columns)
    assert columns.index("ready_replicas") == columns.index("ready") + 1
    sts = table("statefulsets").set_index("name")
    assert sts.loc["postgres", "replicas"] == 2
    rs = table("replicasets")
    assert rs["desired"].dtype == "Int64" and rs["ready"].dtype == "Int64"


def test_cronjobs_jobs_services_nodes_namespaces_configmaps_secrets() -> None:
    cron = table("cronjobs").set_index("name")
    assert cron["suspend"].dtype == "boolean" and not cron.loc["nightly-report", "suspend"]
    assert cron["active"].dtype == "Int64"
    jobs = table("jobs")
    assert str(jobs["duration"].dtype) == "timedelta64[ns]"
    services = table("services").set_index("name")
    assert services.loc["frontend", "ports"] == "80/TCP"
    assert pd.isna(services.loc["frontend", "external_ip"])
    nodes = table("nodes", namespaced=False)
    assert "namespace" not in nodes.columns
    assert {"internal_ip", "os_image", "kernel_version", "container_runtime"} <= set(nodes)
    namespaces = table("namespaces", namespaced=False).set_index("name")
    assert namespaces.loc["shop", "labels"]["team"] == "storefront"
    assert table("configmaps")["data"].dtype == "Int64"
    secrets = table("secrets").set_index("name")
    assert secrets.loc["api-credentials", "data"] >= 1


def test_unknown_kinds_get_the_generic_frame() -> None:
    doc = load("table-deployments.json")
    result = frames.table_result("widgets.example.com", [doc], namespaced=True)
    assert result.kind == "table"
    frame = result.to_frame()
    assert "ready_replicas" not in frame.columns  # no deployment-specific columns
    assert frame["available"].dtype == "Int64"  # typed from the column definitions


def test_pages_accumulate_and_reset() -> None:
    doc = load("table-pods.json")
    builder = frames.TableBuilder("pods", namespaced=True)
    builder.add(doc)
    builder.add(doc)
    assert len(builder.result()) == 2 * len(doc["rows"])
    builder.reset()
    builder.add(doc)
    assert len(builder.result()) == len(doc["rows"])


def test_events_frame() -> None:
    items = load("list-events.json")["items"]
    result = frames.events_result(items)
    frame = result.to_frame()
    assert len(frame) == len(items)
    assert list(frame["last_seen"]) == sorted(frame["last_seen"])
    assert frame["count"].dtype == "Int64" and (frame["count"] >= 1).all()
    assert frame["object"].str.contains("/").all()
    assert str(frame["first_seen"].dtype) == "datetime64[ns, UTC]"


def test_top_frames() -> None:
    pods = [{"metadata": {"name": "web-1", "namespace": "shop"},
             "containers": [{"name": "a", "usage": {"cpu": "120512345n", "memory": "180Mi"}},
                            {"name": "b", "usage": {"cpu": "5m", "memory": "10Mi"}}]}]
    frame = frames.top_pods_result(pods).to_frame()
    assert frame.loc[0, "cpu_m"] == 126 and frame.loc[0, "memory_bytes"] == 190 * 2**20
    per = frames.top_pods_result(pods, containers=True).to_frame()
    assert list(per["container"]) == ["a", "b"]
    nodes = load("list-nodes-objects.json")["items"]
    name = nodes[0]["metadata"]["name"]
    metrics = [{"metadata": {"name": name}, "usage": {"cpu": "2", "memory": "4Gi"}}]
    top = frames.top_nodes_result(metrics, nodes).to_frame()
    assert top.loc[0, "cpu_m"] == 2000 and top["cpu_percent"].dtype == "Float64"
    assert top.loc[0, "cpu_percent"] == pytest.approx(25.0)  # of 8 allocatable CPUs


def test_logs_and_changes_frames() -> None:
    logs = frames.logs_result([("shop", "web-1", "app", "2026-01-01T00:00:00.123456789Z", "hi"),
                               ("shop", "web-1", "app", None, "no time")]).to_frame()
    assert logs["timestamp"].iloc[0] == pd.Timestamp("2026-01-01T00:00:00.123456789Z")
    assert pd.isna(logs["timestamp"].iloc[1])
    changes = frames.changes_result(
        [{"action": "scaled", "resource": "deployments", "namespace": "shop", "name": "web",
          "field": "spec.replicas", "before": 2, "after": 3}], status="dry-run", diff="x")
    assert changes.status == "dry-run" and changes.to_frame()["after"][0] == 3


def test_status_errors_from_real_bodies() -> None:
    info = RequestInfo("GET", "/api/v1/namespaces/shop/pods", "https://127.0.0.1:6443")
    forbidden = status_error(403, (DATA / "status-403.json").read_bytes(), info)
    assert forbidden.status == 403 and forbidden.reason == "Forbidden"
    assert str(forbidden).startswith(
        "user kc-capture-stranger cannot list pods in namespace shop (RBAC)")
    info404 = RequestInfo("GET", "/api/v1/namespaces/shop/pods/no-such-pod", info.host)
    missing = status_error(404, (DATA / "status-404.json").read_bytes(), info404)
    assert missing.reason == "NotFound"
    assert "'no-such-pod' not found in namespace shop" in str(missing)
    garbage = status_error(502, b"<html>bad gateway</html>", info)
    assert garbage.status == 502 and "bad gateway" in str(garbage)


def test_msgspec_decoder_gives_the_same_frame_as_orjson() -> None:
    from kubechat_lab.cluster._fastdecode import table_decoder

    decode = table_decoder()
    if decode is None:
        pytest.skip("msgspec is not installed: the orjson path is the one in use")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    for kind in ("pods", "deployments", "cronjobs", "nodes"):
        raw = (DATA / f"table-{kind}.json").read_bytes()
        fast = frames.TableBuilder(kind, namespaced=kind != "nodes", now=now)
        fast.add(decode(raw))
        slow = frames.TableBuilder(kind, namespaced=kind != "nodes", now=now)
        slow.add(json.loads(raw))
        assert fast.result() == slow.result(), kind
    listed = decode(b'{"kind": "PodList", "items": []}')
    assert listed == {"kind": "PodList", "items": []}


def test_top_pods_from_captured_metrics() -> None:
    items = load("list-metrics-pods.json")["items"]
    frame = frames.top_pods_result(items).to_frame()
    assert len(frame) == len(items) > 0
    assert (frame["cpu_m"] > 0).all() and (frame["memory_bytes"] > 0).all()
    nodes = frames.top_nodes_result(load("list-metrics-nodes.json")["items"],
                                    load("list-nodes-objects.json")["items"]).to_frame()
    assert nodes["cpu_percent"].notna().all()
