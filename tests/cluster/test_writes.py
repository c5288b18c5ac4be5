"""Writes on the real sandbox: each one first as a server-side dry run, then for real."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from kubechat_lab.errors import ClusterError
from tests.cluster.conftest import Runner, deployment_manifest, wait_rollout
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def web(run: Runner, sandbox: SandboxInfo, scratch: str) -> str:
    """A two-replica deployment ``web`` in the scratch namespace, created by ``apply``."""
    manifest = deployment_manifest(scratch, "web", replicas=2)
    preview = run("apply -f -", manifest=manifest, dry_run=True)
    assert preview.status == "dry-run" and list(preview.to_frame()["action"]) == ["created"]
    assert kubectl(sandbox, "get", "deploy", "web", "-n", scratch, check=False).returncode != 0
    result = run("apply -f -", manifest=manifest)
    assert result.status == "changed"
    wait_rollout(sandbox, scratch, "web")
    return "web"


def deploy(sandbox: SandboxInfo, namespace: str, name: str = "web") -> Any:
    return kjson(sandbox, "get", "deployment", name, "-n", namespace)


def test_scale_dry_run_then_real(run: Runner, sandbox: SandboxInfo, scratch: str,
                                 web: str) -> None:
    preview = run(f"scale deployment {web} -n {scratch} --replicas=3", dry_run=True)
    assert preview.status == "dry-run"
    rows = preview.records()
    assert rows == [{"action": "scaled", "resource": "deployments", "namespace": scratch,
                     "name": web, "field": "spec.replicas", "before": 2, "after": 3}]
    assert "-  replicas: 2" in (preview.diff or "") and "+  replicas: 3" in (preview.diff or "")
    assert deploy(sandbox, scratch)["spec"]["replicas"] == 2  # nothing persisted
    done = run(f"scale deployment {web} -n {scratch} --replicas=3")
    assert done.status == "changed" and done.records()[0]["after"] == 3
    assert deploy(sandbox, scratch)["spec"]["replicas"] == 3
    with pytest.raises(ClusterError, match="not --current-replicas=1") as info:
        run(f"scale deployment {web} -n {scratch} --replicas=2 --current-replicas=1")
    assert info.value.status == 409
    flagged = run(f"scale deployment {web} -n {scratch} --replicas=1 --dry-run=server")
    assert flagged.status == "dry-run" and deploy(sandbox, scratch)["spec"]["replicas"] == 3
    run(f"scale deployment {web} -n {scratch} --replicas=2")


def test_label_and_annotate(run: Runner, sandbox: SandboxInfo, scratch: str, web: str) -> None:
    run(f"label deployment {web} -n {scratch} tier=web owner=kc")
    labels = deploy(sandbox, scratch)["metadata"]["labels"]
    assert labels["tier"] == "web" and labels["owner"] == "kc"
    with pytest.raises(ClusterError, match="--overwrite"):
        run(f"label deployment {web} -n {scratch} tier=db")
    changed = run(f"label deployment {web} -n {scratch} tier=db owner- --overwrite")
    assert {(r["field"], r["before"], r["after"]) for r in changed.records()} == {
        ("metadata.labels.tier", "web", "db"), ("metadata.labels.owner", "kc", None)}
    assert "owner" not in deploy(sandbox, scratch)["metadata"]["labels"]
    run(f"annotate deployment {web} -n {scratch} note=hello")
    assert deploy(sandbox, scratch)["metadata"]["annotations"]["note"] == "hello"
    listed = run(f"label deployment {web} -n {scratch} --list").to_frame()
    assert ("tier", "db") in set(zip(listed["key"], listed["value"], strict=True))


def test_set_image_env_resources(run: Runner, sandbox: SandboxInfo, scratch: str,
                                 web: str) -> None:
    preview = run(f"set image deployment/{web} -n {scratch} app=nginx:1.28", dry_run=True)
    assert preview.records()[0]["field"] == "spec.template.spec.containers[app].image"
    run(f"set image deployment/{web} -n {scratch} app=nginx:1.28")
    container = deploy(sandbox, scratch)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:1.28"
    run(f"set env deployment/{web} -n {scratch} MODE=fast LEVEL=3")
    run(f"set env deployment/{web} -n {scratch} LEVEL-")
    container = deploy(sandbox, scratch)["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "MODE", "value": "fast"}]
    run(f"set resources deployment/{web} -n {scratch} -c app "
        "--limits=cpu=200m,memory=256Mi --requests=cpu=100m")
    container = deploy(sandbox, scratch)["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["limits"] == {"cpu": "200m", "memory": "256Mi"}
    assert container["resources"]["requests"]["cpu"] == "100m"
    with pytest.raises(ClusterError, match="no container"):
        run(f"set image deployment/{web} -n {scratch} nope=busybox")
    wait_rollout(sandbox, scratch, web)


def test_set_env_from_a_secret_references_its_keys(run: Runner, sandbox: SandboxInfo,
                                                   scratch: str, web: str) -> None:
    kubectl(sandbox, "create", "secret", "generic", "db-creds", "-n", scratch,
            "--from-literal=db-user=app", "--from-literal=password=hunter2")
    preview = run(f"set env deployment/{web} -n {scratch} --from=secret/db-creds", dry_run=True)
    assert "hunter2" not in json.dumps(preview.records()) + (preview.diff or "")
    run(f"set env deployment/{web} -n {scratch} --from=secret/db-creds --keys=password")
    env = deploy(sandbox, scratch)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {
        "name": "db-creds", "key": "password"}}} in env
    assert not any(e["name"] == "DB_USER" for e in env)  # --keys picked one
    with pytest.raises(ClusterError, match="no key nope"):
        run(f"set env deployment/{web} -n {scratch} --from=secret/db-creds --keys=nope")
    wait_rollout(sandbox, scratch, web)


def test_rollout_restart_history_undo_pause_resume(run: Runner, sandbox: SandboxInfo,
                                                   scratch: str, web: str) -> None:
    run(f"set image deployment/{web} -n {scratch} app=nginx:1.29")
    wait_rollout(sandbox, scratch, web)
    status = run(f"rollout status deployment/{web} -n {scratch} --timeout=120s")
    assert "successfully rolled out" in (status.text or "")
    history = run(f"rollout history deployment/{web} -n {scratch}").to_frame()
    assert len(history) >= 2 and history["revision"].is_monotonic_increasing
    run(f"rollout undo deployment/{web} -n {scratch}")
    image = deploy(sandbox, scratch)["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image != "nginx:1.29"
    wait_rollout(sandbox, scratch, web)
    restarted = run(f"rollout restart deployment/{web} -n {scratch}")
    assert restarted.records()[0]["field"].endswith("kubectl.kubernetes.io/restartedAt")
    annotations = deploy(sandbox, scratch)["spec"]["template"]["metadata"]["annotations"]
    assert "kubectl.kubernetes.io/restartedAt" in annotations
    run(f"rollout pause deployment/{web} -n {scratch}")
    assert deploy(sandbox, scratch)["spec"].get("paused") is True
    run(f"rollout resume deployment/{web} -n {scratch}")
    assert not deploy(sandbox, scratch)["spec"].get("paused")
    wait_rollout(sandbox, scratch, web)


def test_patch_three_ways(run: Runner, sandbox: SandboxInfo, scratch: str, web: str) -> None:
    merge = '{"metadata":{"labels":{"p":"merge"}}}'
    run(f"patch deployment {web} -n {scratch} --type merge -p '{merge}'")
    ops = '[{"op":"add","path":"/metadata/labels/q","value":"json"}]'
    run(f"patch deployment {web} -n {scratch} --type json -p '{ops}'")
    run(f"""patch deployment {web} -n {scratch} -p '{{"spec":{{"minReadySeconds":1}}}}'""")
    live = deploy(sandbox, scratch)
    assert live["metadata"]["labels"]["p"] == "merge" and live["metadata"]["labels"]["q"] == "json"
    assert live["spec"]["minReadySeconds"] == 1


def test_manifest_create_replace_delete_and_secret_redaction(
    run: Runner, sandbox: SandboxInfo, scratch: str
) -> None:
    cm = {"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "settings", "namespace": scratch}, "data": {"a": "1"}}
    created = run("create -f -", manifest=json.dumps(cm))
    assert created.records()[0]["action"] == "created"
    with pytest.raises(ClusterError) as info:
        run("create -f -", manifest=json.dumps(cm))
    assert info.value.status == 409 and info.value.reason == "AlreadyExists"
    cm["data"] = {"a": "2", "b": "3"}
    replaced = run("replace -f -", manifest=json.dumps(cm))
    assert {r["field"] for r in replaced.records()} == {"data.a", "data.b"}
    assert kjson(sandbox, "get", "cm", "settings", "-n", scratch)["data"] == {"a": "2", "b": "3"}
    applied = run("apply -f -", manifest=json.dumps(cm))
    assert applied.records()[0]["action"] == "unchanged"
    secret = {"apiVersion": "v1", "kind": "Secret",
              "metadata": {"name": "token", "namespace": scratch},
              "stringData": {"password": "hunter2-sekrit"}}
    for result in (run("apply -f -", manifest=json.dumps(secret), dry_run=True),
                   run("apply -f -", manifest=json.dumps(secret))):
        text = result.to_json().decode() + (result.diff or "")
        assert "hunter2-sekrit" not in text
        assert base64.b64encode(b"hunter2-sekrit").decode() not in text
    secret["stringData"] = {"password": "second-sekrit"}
    changed = run("apply -f -", manifest=json.dumps(secret))
    assert "second-sekrit" not in changed.to_json().decode() + (changed.diff or "")
    gone = run("delete -f -", manifest=json.dumps(cm), dry_run=True)
    assert gone.records()[0]["action"] == "deleted"
    assert kubectl(sandbox, "get", "cm", "settings", "-n", scratch, check=False).returncode == 0
    run("delete -f -", manifest=json.dumps(cm))
    assert kubectl(sandbox, "get", "cm", "settings", "-n", scratch, check=False).returncode != 0


def test_create_generators_autoscale_and_delete(run: Runner, sandbox: SandboxInfo,
                                                scratch: str) -> None:
    run(f"create configmap gen-cm -n {scratch} --from-literal=k=v")
    assert kjson(sandbox, "get", "cm", "gen-cm", "-n", scratch)["data"] == {"k": "v"}
    secret = run(f"create secret generic gen-secret -n {scratch} --from-literal=pw=topsecret")
    assert "topsecret" not in secret.to_json().decode() + (secret.diff or "")
    live = kjson(sandbox, "get", "secret", "gen-secret", "-n", scratch)
    assert base64.b64decode(live["data"]["pw"]) == b"topsecret"
    run(f"create deployment gen-web -n {scratch} --image=nginx:1.27 --replicas=1")
    run(f"create job gen-job -n {scratch} --image=busybox:1.36 -- echo hi")
    job = kjson(sandbox, "get", "job", "gen-job", "-n", scratch)
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    run(f"autoscale deployment gen-web -n {scratch} --min=1 --max=4 --cpu-percent=70")
    hpa = kjson(sandbox, "get", "hpa", "gen-web", "-n", scratch)
    assert hpa["spec"]["maxReplicas"] == 4
    run(f"label configmap gen-cm -n {scratch} sweep=yes")
    run(f"create configmap gen-cm2 -n {scratch} --from-literal=x=y")
    run(f"label configmap gen-cm2 -n {scratch} sweep=yes")
    swept = run(f"delete configmaps -n {scratch} -l sweep=yes")
    assert sorted(r["name"] for r in swept.records()) == ["gen-cm", "gen-cm2"]
    deleted = run(f"delete deployment gen-web -n {scratch}")
    assert deleted.records()[0]["action"] == "deleted"
    eventually(lambda: kubectl(sandbox, "get", "deploy", "gen-web", "-n", scratch,
                               check=False).returncode != 0, "deployment deleted")
    with pytest.raises(ClusterError) as info:
        run(f"delete deployment gen-web -n {scratch}")
    assert info.value.status == 404
    quiet = run(f"delete deployment gen-web -n {scratch} --ignore-not-found")
    assert len(quiet) == 0


# -- nodes: cordon, taint, drain on nodes made for the test ---------------------------------------


def _node(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"},
                         "labels": {"type": "kwok", "kubernetes.io/hostname": name,
                                    "kubechat-test": "yes"}},
            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "50"},
                       "capacity": {"cpu": "4", "memory": "8Gi", "pods": "50"}}}


@pytest.fixture
def node(sandbox: SandboxInfo) -> Iterator[str]:
    name = f"kc-node-{uuid.uuid4().hex[:6]}"
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(_node(name)))
    eventually(lambda: any(c["type"] == "Ready" and c["status"] == "True" for c in
                           kjson(sandbox, "get", "node", name)["status"].get("conditions", ())),
               "test node ready")
    yield name
    kubectl(sandbox, "delete", "node", name, "--wait=false", check=False)


def test_cordon_uncordon_taint(run: Runner, sandbox: SandboxInfo, node: str) -> None:
    preview = run(f"cordon {node}", dry_run=True)
    assert preview.records()[0]["field"] == "spec.unschedulable"
    assert not kjson(sandbox, "get", "node", node)["spec"].get("unschedulable")
    run(f"cordon {node}")
    assert kjson(sandbox, "get", "node", node)["spec"]["unschedulable"] is True
    run(f"uncordon {node}")
    assert not kjson(sandbox, "get", "node", node)["spec"].get("unschedulable")
    run(f"taint nodes {node} dedicated=db:NoSchedule")
    taints = kjson(sandbox, "get", "node", node)["spec"]["taints"]
    assert {"key": "dedicated", "value": "db", "effect": "NoSchedule"} in taints
    with pytest.raises(ClusterError, match="--overwrite"):
        run(f"taint nodes {node} dedicated=web:NoSchedule")
    run(f"taint nodes {node} dedicated:NoSchedule-")
    taints = kjson(sandbox, "get", "node", node)["spec"].get("taints") or []
    assert not [t for t in taints if t["key"] == "dedicated"]


def test_drain_evicts_pods(run: Runner, sandbox: SandboxInfo, scratch: str, node: str) -> None:
    spec = json.loads(deployment_manifest(scratch, "pinned", replicas=2))
    spec["spec"]["template"]["spec"]["nodeSelector"] = {"kubernetes.io/hostname": node}
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(spec))
    wait_rollout(sandbox, scratch, "pinned")
    pods = {p["metadata"]["name"] for p in
            kjson(sandbox, "get", "pods", "-n", scratch, "-l", "app=pinned")["items"]}
    loose = {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "loose", "namespace": scratch},
             "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(loose))
    with pytest.raises(ClusterError, match="not managed by a controller") as info:
        run(f"drain {node} --ignore-daemonsets", dry_run=True)
    assert info.value.status == 400
    kubectl(sandbox, "delete", "pod", "loose", "-n", scratch, "--wait=false")
    eventually(lambda: kubectl(sandbox, "get", "pod", "loose", "-n", scratch,
                               check=False).returncode != 0, "loose pod gone")
    preview = run(f"drain {node} --ignore-daemonsets", dry_run=True)
    assert {r["name"] for r in preview.records() if r["action"] == "evicted"} == pods
    assert not kjson(sandbox, "get", "node", node)["spec"].get("unschedulable")
    done = run(f"drain {node} --ignore-daemonsets --timeout=90s")
    assert {r["name"] for r in done.records() if r["action"] == "evicted"} == pods
    assert not [r for r in done.records() if r["action"] == "still-terminating"]
    assert kjson(sandbox, "get", "node", node)["spec"]["unschedulable"] is True
    left = {p["metadata"]["name"] for p in
            kjson(sandbox, "get", "pods", "-n", scratch, "-l", "app=pinned")["items"]}
    assert not left & pods
