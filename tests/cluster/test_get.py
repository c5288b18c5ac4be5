"""``get`` on the real sandbox: Table API frames per kind, typed, compared with real kubectl."""

from __future__ import annotations

import base64
import json

import pandas as pd
import pytest

from kubechat_lab.cluster import ClusterClient, ClusterConfig
from kubechat_lab.command import parse
from kubechat_lab.errors import ClusterError
from tests.cluster.conftest import Runner
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl

pytestmark = pytest.mark.sandbox

STABLE = ("shop", "payments", "data")  # seeded namespaces whose pods do not come and go


def _value(value: object) -> object:
    """None for pandas' missing values, else the value."""
    return None if value is pd.NA or (isinstance(value, float) and value != value) else value


def _pairs(frame: pd.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["namespace"], frame["name"], strict=True))


def test_pods_frame_matches_kubectl(run: Runner, sandbox: SandboxInfo) -> None:
    for namespace in STABLE:
        frame = run(f"get pods -n {namespace}").to_frame()
        items = kjson(sandbox, "get", "pods", "-n", namespace)["items"]
        by_name = {p["metadata"]["name"]: p for p in items}
        assert set(frame["name"]) == set(by_name), namespace
        for row in frame.itertuples():
            pod = by_name[row.name]
            assert row.namespace == namespace
            assert _value(row.node) == pod["spec"].get("nodeName")
            assert _value(row.ip) == pod["status"].get("podIP")
            assert row.restarts == sum(c.get("restartCount", 0)
                                       for c in pod["status"].get("containerStatuses", ()))
            assert row.created == pd.Timestamp(pod["metadata"]["creationTimestamp"])
            assert row.labels == pod["metadata"]["labels"]
        printed = {line.split()[0]: line.split() for line in
                   kubectl(sandbox, "get", "pods", "-n", namespace, "--no-headers").stdout
                   .splitlines()}
        for row in frame.itertuples():  # the same READY and STATUS as kubectl prints
            assert [row.ready, row.status] == printed[row.name][1:3]
    assert frame["restarts"].dtype == "Int64"
    assert str(frame["age"].dtype) == "timedelta64[ns]"
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]"
    assert (frame["age"] > pd.Timedelta(0)).all()


def test_all_namespaces_holds_every_seeded_pod(run: Runner, sandbox: SandboxInfo) -> None:
    everything = _pairs(run("get pods -A").to_frame())
    for namespace in STABLE:
        expected = {(namespace, p["metadata"]["name"])
                    for p in kjson(sandbox, "get", "pods", "-n", namespace)["items"]}
        assert expected <= everything


def test_small_pages_give_the_same_rows(cluster_config: ClusterConfig, run: Runner) -> None:
    from dataclasses import replace

    with ClusterClient(replace(cluster_config, page_size=2)) as paged:
        small = paged.execute(parse("get pods -n shop")).to_frame()
    whole = run("get pods -n shop").to_frame()
    assert len(whole) > 2  # so that several pages were needed
    assert sorted(small["name"]) == sorted(whole["name"])


def test_deployments_statefulsets_replicasets(run: Runner, sandbox: SandboxInfo) -> None:
    deploys = run("get deployments -n shop").to_frame().set_index("name")
    live = {d["metadata"]["name"]: d
            for d in kjson(sandbox, "get", "deploy", "-n", "shop")["items"]}
    assert set(deploys.index) == set(live)
    assert deploys.loc["frontend", "replicas"] == live["frontend"]["spec"]["replicas"]
    assert deploys.loc["frontend", "images"] == "nginx:1.27"
    assert deploys["up_to_date"].dtype == "Int64" and deploys["available"].dtype == "Int64"
    sts = run("get statefulsets -n data").to_frame().set_index("name")
    assert sts.loc["postgres", "replicas"] == 2 and sts["ready_replicas"].dtype == "Int64"
    rs = run("get replicasets -n shop -l app=frontend").to_frame()
    assert rs["desired"].dtype == "Int64" and rs["desired"].sum() == 3


def test_cronjobs_jobs_services_nodes_namespaces(run: Runner) -> None:
    cron = run("get cronjobs -n ci").to_frame().set_index("name")
    assert cron.loc["nightly-report", "schedule"] == "*/5 * * * *"
    assert cron["suspend"].dtype == "boolean" and not cron.loc["nightly-report", "suspend"]
    jobs = run("get jobs -n ci")
    assert {"completions", "duration", "status"} <= set(jobs.column_names)
    assert dict((c.name, c.dtype) for c in jobs.columns)["duration"] == "timedelta"
    svc = run("get services -n shop").to_frame().set_index("name")
    assert svc.loc["frontend", "type"] == "ClusterIP"
    assert svc.loc["frontend", "ports"] == "80/TCP"
    nodes = run("get nodes").to_frame().set_index("name")
    assert {"kwok-worker-1", "kwok-worker-2", "kwok-worker-3"} <= set(nodes.index)
    assert nodes.loc["kwok-worker-1", "status"] == "Ready"
    assert "namespace" not in nodes.columns  # cluster-scoped
    namespaces = run("get namespaces").to_frame().set_index("name")
    assert namespaces.loc["shop", "labels"]["team"] == "storefront"


def test_configmaps_and_secrets_never_carry_secret_values(run: Runner, sandbox: SandboxInfo,
                                                          scratch: str) -> None:
    cms = run("get configmaps -n shop").to_frame().set_index("name")
    assert cms.loc["frontend-config", "data"] >= 1
    values = ["s3cr3t-value-one", "another-hidden-value"]
    kubectl(sandbox, "create", "secret", "generic", "creds", "-n", scratch,
            f"--from-literal=password={values[0]}", f"--from-literal=token={values[1]}")
    encoded = [base64.b64encode(v.encode()).decode() for v in values]
    for text in (f"get secrets -n {scratch}", f"get secret creds -n {scratch} -o yaml",
                 f"get secret creds -n {scratch} -o json", "get secrets -A -o json",
                 f"describe secret creds -n {scratch}",
                 f"get secret creds -n {scratch} -o jsonpath={{.data}}"):
        result = run(text)
        dumped = result.to_json().decode()
        for value in values + encoded:
            assert value not in dumped, text
    frame = run(f"get secrets -n {scratch}").to_frame().set_index("name")
    assert frame.loc["creds", "data"] == 2 and frame.loc["creds", "type"] == "Opaque"
    assert "<redacted>" in (run(f"get secret creds -n {scratch} -o yaml").text or "")


def test_pvcs_ingresses_daemonsets_and_events(run: Runner, sandbox: SandboxInfo,
                                              scratch: str) -> None:
    manifest = f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: data-1, namespace: {scratch}}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 1Gi}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {{name: web, namespace: {scratch}}}
spec:
  rules:
  - host: shop.example.test
    http:
      paths:
      - {{path: /, pathType: Prefix, backend: {{service: {{name: web, port: {{number: 80}}}}}}}}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent, namespace: {scratch}}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers: [{{name: agent, image: busybox:1.36}}]
"""
    kubectl(sandbox, "apply", "-f", "-", stdin=manifest)
    pvc = run(f"get pvc -n {scratch}").to_frame().set_index("name")
    assert pvc.loc["data-1", "status"] == "Pending"
    assert "capacity_bytes" in pvc.columns and "access_modes" in pvc.columns
    ing = run(f"get ingresses -n {scratch}").to_frame().set_index("name")
    assert ing.loc["web", "hosts"] == "shop.example.test"
    nodes = len(kjson(sandbox, "get", "nodes")["items"])
    ds = eventually(lambda: (lambda f: f if f.loc["agent", "ready"] == nodes else None)(
        run(f"get daemonsets -n {scratch}").to_frame().set_index("name")), "daemonset ready")
    assert ds["desired"].dtype == "Int64" and ds.loc["agent", "desired"] == nodes
    events = run(f"get events -n {scratch}")
    assert events.kind == "events"
    frame = events.to_frame()
    assert {"last_seen", "reason", "object", "message", "count"} <= set(frame.columns)
    assert str(frame["last_seen"].dtype) == "datetime64[ns, UTC]"
    assert (frame["object"] == "daemonset/agent").any()


CRD = """
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.kubechat.test}
spec:
  group: kubechat.test
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
    - {name: Color, type: string, jsonPath: .spec.color}
    - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
"""


def test_generic_frame_for_a_crd(run: Runner, client: ClusterClient, sandbox: SandboxInfo,
                                 scratch: str) -> None:
    kubectl(sandbox, "apply", "-f", "-", stdin=CRD)
    try:
        kubectl(sandbox, "wait", "--for=condition=Established",
                "crd/widgets.kubechat.test", "--timeout=60s")
        widget = {"apiVersion": "kubechat.test/v1", "kind": "Widget",
                  "metadata": {"name": "w1", "namespace": scratch},
                  "spec": {"size": 3, "color": "blue"}}
        eventually(lambda: kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(widget),
                                   check=False).returncode == 0, "widget created")
        result = eventually(lambda: run(f"get widgets.kubechat.test -n {scratch}"), "crd served")
        assert result.kind == "table"
        frame = result.to_frame()
        assert frame["size"].dtype == "Int64" and frame.loc[0, "size"] == 3
        assert frame.loc[0, "color"] == "blue"
        assert str(frame["age"].dtype) == "timedelta64[ns]"
        assert list(run(f"get wdg -n {scratch}").to_frame()["name"]) == ["w1"]
    finally:
        kubectl(sandbox, "delete", "crd", "widgets.kubechat.test", "--wait=false", check=False)


def test_output_formats(run: Runner, sandbox: SandboxInfo) -> None:
    pods = kjson(sandbox, "get", "pods", "-n", "shop", "-l", "app=frontend")["items"]
    names = sorted(p["metadata"]["name"] for p in pods)
    by_name = run("get pods -n shop -l app=frontend -o name")
    assert sorted(by_name.text.split()) == [f"pod/{n}" for n in names]
    as_json = json.loads(run("get pods -n shop -l app=frontend -o json").text or "")
    assert as_json["kind"] == "List"
    assert sorted(i["metadata"]["name"] for i in as_json["items"]) == names
    assert all("managedFields" not in i["metadata"] for i in as_json["items"])
    path = run("get pods -n shop -l app=frontend -o jsonpath={.items[*].metadata.name}")
    assert sorted((path.text or "").split()) == names
    custom = run("get pods -n shop -l app=frontend "
                 "-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName").to_frame()
    assert sorted(custom["NAME"]) == names
    one = run(f"get pod {names[0]} -n shop -o yaml")
    assert (one.text or "").startswith("kind: Pod") or "kind: Pod" in (one.text or "")


def test_sort_by_and_several_kinds(run: Runner) -> None:
    frame = run("get pods -n shop --sort-by=.metadata.creationTimestamp").to_frame()
    assert list(frame["created"]) == sorted(frame["created"])
    by_name = run("get pods -n shop --sort-by=.metadata.name").to_frame()
    assert list(by_name["name"]) == sorted(by_name["name"])
    by_node = run("get pods -n shop --sort-by=.spec.nodeName").to_frame()
    placed = list(by_node["node"].dropna())
    assert placed == sorted(placed)
    assert by_node["node"].isna().tolist() == sorted(by_node["node"].isna())  # unscheduled last
    mixed = run("get deployments,services -n shop")
    assert mixed.kind == "table"
    frame = mixed.to_frame()
    assert {("deployments", "frontend"), ("services", "frontend")} <= set(
        zip(frame["resource"], frame["name"], strict=True))


def test_names_and_type_name_pairs(run: Runner) -> None:
    one = run("get deploy/frontend svc/frontend -n shop").to_frame()
    assert sorted(one["resource"]) == ["deployments", "services"]
    two = run("get deployments frontend checkout -n shop").to_frame()
    assert sorted(two["name"]) == ["checkout", "frontend"]
    with pytest.raises(ClusterError) as info:
        run("get deployment no-such-thing -n shop")
    assert info.value.status == 404
    assert "no-such-thing" in str(info.value) and "namespace shop" in str(info.value)
