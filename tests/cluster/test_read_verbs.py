"""describe, logs, top, events and the cluster-information verbs on the real sandbox."""

from __future__ import annotations

import pandas as pd
import pytest

from kubechat_lab.cluster import ClusterClient
from kubechat_lab.errors import ClusterError
from tests.cluster.conftest import Runner, deployment_manifest
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl

pytestmark = pytest.mark.sandbox


def _frontend_pods(sandbox: SandboxInfo) -> list[str]:
    items = kjson(sandbox, "get", "pods", "-n", "shop", "-l", "app=frontend")["items"]
    return sorted(p["metadata"]["name"] for p in items
                  if p["status"].get("phase") == "Running")


def test_describe_pod_deployment_node(run: Runner, sandbox: SandboxInfo) -> None:
    pod = _frontend_pods(sandbox)[0]
    result = run(f"describe pod {pod} -n shop")
    text = result.text or ""
    for needle in (f"Name:           {pod}", "Namespace:      shop", "Node:", "Containers:",
                   "nginx:1.27", "Conditions:", "Events:"):
        assert needle in text, needle
    assert result.kind == "describe" and "reason" in result.column_names
    deploy = run("describe deployment frontend -n shop").text or ""
    assert "Replicas:       3 desired" in deploy and "Pod Template:" in deploy
    node = run("describe node kwok-worker-1").text or ""
    assert "Non-terminated Pods:" in node and "Allocatable:" in node
    several = run("describe pods -n shop -l app=frontend").text or ""
    assert several.count("Name:           frontend-") == 3


def test_logs_of_a_pod_a_workload_and_a_selector(run: Runner, sandbox: SandboxInfo) -> None:
    pod = _frontend_pods(sandbox)[0]
    real = kubectl(sandbox, "logs", pod, "-n", "shop", "--tail=3").stdout.splitlines()
    result = run(f"logs {pod} -n shop --tail=3")
    frame = result.to_frame()
    assert list(frame.columns) == ["namespace", "pod", "container", "timestamp", "message"]
    assert list(frame["message"]) == real
    assert set(frame["container"]) == {"frontend"} and set(frame["pod"]) == {pod}
    assert str(frame["timestamp"].dtype) == "datetime64[ns, UTC]"
    assert frame["timestamp"].notna().all()
    by_workload = run("logs deploy/frontend -n shop --tail=2 -c frontend").to_frame()
    assert len(by_workload) == 2
    by_selector = run("logs -l app=frontend -n shop --tail=1").to_frame()
    assert len(by_selector) == 3 and by_selector["pod"].nunique() == 3
    recent = run(f"logs {pod} -n shop --since=24h").to_frame()
    assert len(recent) >= 3
    previous = run(f"logs {pod} -n shop --previous --tail=1")  # kwok serves previous logs too
    assert previous.kind == "logs"
    with pytest.raises(ClusterError, match="container 'nope' is not in pod"):
        run(f"logs {pod} -n shop -c nope")


def test_top_pods_and_nodes(run: Runner) -> None:
    def ready() -> pd.DataFrame | None:
        frame = run("top pods -n shop -l app=frontend").to_frame()
        return frame if len(frame) == 3 and (frame["cpu_m"] > 0).all() else None

    pods = eventually(ready, "metrics for the frontend pods", timeout=180)
    assert list(pods.columns) == ["namespace", "name", "cpu_m", "memory_bytes"]
    assert pods["cpu_m"].dtype == "Int64" and pods["memory_bytes"].dtype == "Int64"
    # kwok reports the usage annotated on the pods: 120m CPU, 180Mi memory
    assert pods["cpu_m"].between(100, 140).all()
    assert pods["memory_bytes"].between(170 * 2**20, 190 * 2**20).all()
    per_container = run("top pods -n shop -l app=frontend --containers").to_frame()
    assert set(per_container["container"]) == {"frontend"}
    everywhere = run("top pods -A --sort-by=cpu").to_frame()
    assert list(everywhere["cpu_m"]) == sorted(everywhere["cpu_m"], reverse=True)
    nodes = eventually(lambda: (lambda f: f if len(f) >= 3 else None)(
        run("top nodes").to_frame()), "node metrics", timeout=180)
    assert {"cpu_m", "cpu_percent", "memory_bytes", "memory_percent"} <= set(nodes.columns)
    assert nodes["cpu_percent"].dtype == "Float64"


def test_events_verb(run: Runner, sandbox: SandboxInfo, scratch: str) -> None:
    # The test makes its own history: a deployment's controller records ScalingReplicaSet
    # events now, whatever the seeded workload's events did since the sandbox started.
    kubectl(sandbox, "apply", "-f", "-", stdin=deployment_manifest(scratch, "evented", 1))
    kubectl(sandbox, "create", "configmap", "quiet", "-n", scratch)
    only = eventually(lambda: (lambda f: f if len(f) else None)(
        run(f"events -n {scratch} --for deployment/evented").to_frame()),
        "the deployment controller's events", timeout=120)
    assert set(only["object"]) == {"deployment/evented"}
    assert set(only["reason"]) == {"ScalingReplicaSet"}
    frame = run(f"events -n {scratch}").to_frame()
    assert len(frame) >= len(only)
    assert list(frame["last_seen"]) == sorted(frame["last_seen"])
    assert len(run(f"events -n {scratch} --for configmap/quiet").to_frame()) == 0
    normal = run(f"events -n {scratch} --types=Normal").to_frame()
    assert len(normal) > 0 and set(normal["type"]) == {"Normal"}
    assert len(run(f"events -n {scratch} --types=Warning").to_frame()) == 0
    everywhere = run("events -A").to_frame()
    assert {scratch} <= set(everywhere["namespace"])


def test_cluster_information(run: Runner, client: ClusterClient) -> None:
    assert client.server_version() == "v1.36.3"
    assert "v1.36.3" in (run("version").text or "")
    assert client.host in (run("cluster-info").text or "")
    resources = run("api-resources").to_frame().set_index("name")
    assert resources.loc["deployments", "apiversion"] == "apps/v1"
    assert "apps/v1" in (run("api-versions").text or "")
    assert run("auth can-i create pods -n shop").text == "yes\n"
    explain = run("explain deployments.spec.replicas")
    assert "FIELD: replicas <integer>" in (explain.text or "")
    env = run("set env deployment/api -n payments --list")
    assert env.kind == "env"


def test_inventory(client: ClusterClient) -> None:
    inventory = client.inventory()
    assert {"shop", "payments", "data", "ci"} <= set(inventory.namespaces)
    assert ("shop", "frontend") in inventory.objects["deployments"]
    assert inventory.namespaces_of("deployments", "api") == ("payments",)
    assert "kwok-worker-1" in inventory.names("nodes")
    again = type(inventory).from_dict(inventory.to_dict())
    assert again == inventory
