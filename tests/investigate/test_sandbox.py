"""Investigations end to end: a real JupyterLab with kubechat, the sandbox, a real audit chain.

Each case sets up (or finds) a real failure, asks ``POST investigate`` and checks the finding
and its evidence against what the API server itself says (read with the real kubectl). A
saved notebook is then run headless under nbval in a kernel that holds only a capability.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins.browser import LabServer
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
KUBECHAT = Path(sys.executable).parent / "kubechat"


def investigate(lab: LabServer, target: str) -> dict[str, Any]:
    code, out = lab.api("POST", "investigate", {"target": target})
    assert code == 200, (code, out)
    return dict(out)


def finding(out: dict[str, Any], *words: str) -> dict[str, Any]:
    """The one finding whose title holds every word."""
    found = [f for f in out["findings"] if all(w in f["title"] for w in words)]
    assert len(found) == 1, (words, [f["title"] for f in out["findings"]])
    return dict(found[0])


def test_pending_pods_of_recommendations(lab_server: LabServer, sandbox: SandboxInfo) -> None:
    deployment = kjson(sandbox, "get", "deployment", "recommendations", "-n", "shop")
    selector = deployment["spec"]["template"]["spec"]["nodeSelector"]
    nodes = kjson(sandbox, "get", "nodes")["items"]
    matching = [n for n in nodes if all((n["metadata"].get("labels") or {}).get(k) == v
                                        for k, v in selector.items())]
    key, value = next(iter(selector.items()))
    out = investigate(lab_server, "why is recommendations pending in shop?")
    print(f"recommendations: {len(out['reads'])} reads in {out['seconds']} s")
    assert out["subject"] == {"kind": "deployments", "name": "recommendations",
                              "namespace": "shop"}
    fit = finding(out, "nodes fit pod recommendations-")
    assert fit["title"].startswith(f"{len(matching)} of {len(nodes)} nodes fit")
    assert f"node selector {key}={value} matches {len(matching)} node(s)" in fit["title"]
    cpu = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"]
    assert f"requests {cpu} CPU" in fit["title"]
    node_rows = [r for r in fit["evidence"] if r.startswith("[nodes] ")]
    assert len(node_rows) == len(nodes)
    assert any("PodScheduled=False Unschedulable" in r for r in fit["evidence"])
    assert fit["next_command"] == f"kubectl get nodes -l {key}"
    # what is shown is what ran: each read is a proposal, audited as executed
    code, page = lab_server.api("GET", "audit", params={"limit": "1000", "after": "0"})
    assert code == 200
    executed = {e["event"]["proposal"]: e["event"] for e in page["records"]
                if e["event"]["type"] == "executed"}
    for read in out["reads"]:
        assert read["error"] is None, read
        assert executed[read["proposal"]]["command"] == read["command"]
    commands = [r["command"] for r in out["reads"]]
    assert any(c.startswith("kubectl get nodes") for c in commands), commands

    # the pending pod itself, named directly
    pod = kjson(sandbox, "get", "pods", "-n", "shop", "-l", "app=recommendations")["items"][0]
    direct = investigate(lab_server, f"pod/{pod['metadata']['name']} -n shop")
    assert finding(direct, "nodes fit pod " + pod["metadata"]["name"])


def test_crash_looping_fraud_detector(lab_server: LabServer, sandbox: SandboxInfo) -> None:
    out = investigate(lab_server, "why does fraud-detector keep crashing")
    assert out["subject"]["kind"] == "deployments"
    crash = finding(out, "container fraud-detector", "exited with code")
    pod = kjson(sandbox, "get", "pods", "-n", "payments", "-l", "app=fraud-detector")["items"][0]
    status = pod["status"]["containerStatuses"][0]
    assert f"exited with code {status['lastState']['terminated']['exitCode']}" in crash["title"]
    assert "restarts" in crash["title"]
    logs = kubectl(sandbox, "logs", pod["metadata"]["name"], "-n", "payments", "--previous",
                   "--tail=20").stdout.splitlines()
    error_line = next(line for line in logs if "ERROR" in line)
    assert error_line.split(" ", 1)[1].strip() in crash["title"]
    assert any(r.startswith("[logs:") for r in crash["evidence"])
    assert any("--previous --tail=20" in r["command"] for r in out["reads"])
    assert crash["next_command"].startswith(f"kubectl logs {pod['metadata']['name']}")


@pytest.mark.parametrize("target", ["deployment/checkout -n shop", "svc frontend in shop",
                                    "statefulset/postgres -n data", "service postgres -n data"])
def test_healthy_objects_have_no_error_finding(lab_server: LabServer, sandbox: SandboxInfo,
                                               target: str) -> None:
    kind, name, *_, namespace = target.replace("/", " ").split()
    obj = kjson(sandbox, "get", kind, name, "-n", namespace)
    if "replicas" in obj["spec"]:  # the demo's healthy workloads are all ready
        assert obj["status"].get("readyReplicas") == obj["spec"]["replicas"], obj["status"]
    out = investigate(lab_server, target)
    errors = [f["title"] for f in out["findings"] if f["severity"] == "error"]
    assert errors == [], errors
    assert all(r["error"] is None for r in out["reads"]), out["reads"]


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-why") as namespace:
        yield namespace


def test_service_whose_selector_matches_nothing(lab_server: LabServer, sandbox: SandboxInfo,
                                                 scratch: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "checkout-1", "namespace": scratch,
                        "labels": {"app": "checkout"}},
           "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
    svc = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": "checkout", "namespace": scratch},
           "spec": {"selector": {"app": "checkout-v2"}, "ports": [{"port": 80}]}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List",
                                                            "items": [pod, svc]}))
    out = investigate(lab_server, f"why has checkout no endpoints in {scratch}")
    assert out["subject"]["kind"] == "services"  # "endpoints" points at the Service
    found = finding(out, "Service checkout selects app=checkout-v2; no pod has that label")
    assert f"[pods] 0 pods in {scratch} match app=checkout-v2" in found["evidence"]
    assert f"[label-key] pods in {scratch} with label app: app=checkout" in found["evidence"]


def test_cordoned_node(lab_server: LabServer, sandbox: SandboxInfo) -> None:
    name = f"kc-why-node-{uuid.uuid4().hex[:6]}"
    node = {"apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name, "annotations": {"kwok.x-k8s.io/node": "fake"}},
            "spec": {"unschedulable": True}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(node))
    try:
        assert kjson(sandbox, "get", "node", name)["spec"]["unschedulable"] is True
        out = investigate(lab_server, f"node/{name}")
        cordoned = finding(out, f"node {name} is cordoned")
        assert cordoned["next_command"] == f"kubectl uncordon {name}"  # offered, never run
        offered = {c["command"]: c for c in out["next"]}
        uncordon = next(c for c in offered if c.startswith(f"kubectl uncordon {name}"))
        assert offered[uncordon]["level"] == "warning", offered[uncordon]
        assert offered[uncordon]["why"] == cordoned["title"]
        assert kjson(sandbox, "get", "node", name)["spec"]["unschedulable"] is True
        assert not any("uncordon" in r["command"] for r in out["reads"])
        code, page = lab_server.api("GET", "audit", params={"limit": "1000", "after": "0"})
        assert code == 200
        assert not [e for e in page["records"] if "uncordon" in (e["event"].get("command") or "")]
    finally:
        kubectl(sandbox, "delete", "node", name, "--wait=false", check=False)


def test_failed_job(lab_server: LabServer, sandbox: SandboxInfo, scratch: str) -> None:
    job = {"apiVersion": "batch/v1", "kind": "Job",
           "metadata": {"name": "migrate", "namespace": scratch},
           "spec": {"backoffLimit": 0, "template": {"spec": {
               "restartPolicy": "Never", "nodeSelector": {"kubechat.dev/none": "true"},
               "containers": [{"name": "migrate", "image": "busybox"}]}}}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(job))
    pod = eventually(lambda: kjson(sandbox, "get", "pods", "-n", scratch,
                                   "-l", "job-name=migrate")["items"], "the job's pod")[0]
    failed = {"status": {"phase": "Failed", "containerStatuses": [{
        "name": "migrate", "image": "busybox", "imageID": "", "ready": False,
        "restartCount": 0, "state": {"terminated": {
            "exitCode": 2, "reason": "Error", "startedAt": "2026-01-01T00:00:00Z",
            "finishedAt": "2026-01-01T00:00:03Z"}}}]}}
    kubectl(sandbox, "patch", "pod", pod["metadata"]["name"], "-n", scratch,
            "--subresource=status", "--type=merge", "-p", json.dumps(failed))
    condition = eventually(lambda: [c for c in kjson(sandbox, "get", "job", "migrate", "-n",
                                                     scratch)["status"].get("conditions") or ()
                                    if c["type"] == "Failed"], "the job to fail")[0]
    out = investigate(lab_server, f"job migrate -n {scratch}")
    job_finding = finding(out, "job failed:")
    assert job_finding["title"].startswith(f"job failed: {condition['reason']}")
    assert any("backoffLimit 0" in r for r in job_finding["evidence"])
    container = finding(out, "container migrate", "exited with code 2")
    assert "after 3 s" in container["title"]


def test_a_pod_no_node_has_room_for(lab_server: LabServer, sandbox: SandboxInfo,
                                    scratch: str) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "huge", "namespace": scratch},
           "spec": {"containers": [{"name": "app", "image": "nginx", "resources": {
               "requests": {"cpu": "1000", "memory": "1Gi"}}}]}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(pod))
    out = investigate(lab_server, f"pod/huge -n {scratch}")
    fit = finding(out, "nodes fit pod huge")
    nodes = kjson(sandbox, "get", "nodes")["items"]
    assert fit["title"].startswith(f"0 of {len(nodes)} nodes fit pod huge: requests 1000 CPU")
    assert "largest free" in fit["title"]
    open_nodes = [n["metadata"]["name"] for n in nodes
                  if not n["spec"].get("unschedulable") and not n["spec"].get("taints")]
    assert open_nodes, "the sandbox has no untainted schedulable node"
    rows = {r.split(": ", 1)[0]: r for r in fit["evidence"] if r.startswith("[nodes] ")}
    for name in open_nodes:
        assert "insufficient cpu: requests 1000 CPU, free" in rows[f"[nodes] {name}"], rows
    reads = {r["step"] for r in out["reads"]}
    assert {f"node-pods:{name}" for name in open_nodes[:5]} <= reads


def test_pending_pvc(lab_server: LabServer, sandbox: SandboxInfo, scratch: str) -> None:
    pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
           "metadata": {"name": "data", "namespace": scratch},
           "spec": {"storageClassName": "kc-none-such", "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(pvc))
    phase = kjson(sandbox, "get", "pvc", "data", "-n", scratch)["status"]["phase"]
    out = investigate(lab_server, f"pvc/data -n {scratch}")
    assert out["subject"]["kind"] == "persistentvolumeclaims"
    found = finding(out, "PVC data is")
    assert found["title"] == f"PVC data is {phase}: storage class kc-none-such"


def test_unknown_and_ambiguous_objects_are_refused(lab_server: LabServer,
                                                   sandbox: SandboxInfo) -> None:
    code, out = lab_server.api("POST", "investigate", {"target": "deployment/no-such-thing"})
    assert code == 400 and out["reason"] == "invalid-target", out
    assert "KIND/NAME -n NAMESPACE" in out["message"]
    with scratch_namespace(sandbox, "kc-why-a") as one, \
            scratch_namespace(sandbox, "kc-why-b") as two:
        name = f"twin-{uuid.uuid4().hex[:6]}"
        for namespace in (one, two):
            kubectl(sandbox, "create", "service", "clusterip", name, "--tcp=80", "-n",
                    namespace)
        code, out = lab_server.api("POST", "investigate", {"target": f"service {name}"})
        assert code == 400 and out["reason"] == "invalid-target", out
        assert "ambiguous" in out["message"] and one in out["message"] and two in out["message"]


def test_a_capability_needs_the_execute_scope(lab_server: LabServer) -> None:
    minted = subprocess.run(
        [str(KUBECHAT), "token", "--url", lab_server.url, "--label", "why-no-execute",
         "--format", "json", "--scope", "propose"],
        env={**os.environ, "JUPYTER_TOKEN": lab_server.token}, capture_output=True, text=True,
        timeout=60, check=False)
    assert minted.returncode == 0, minted.stderr
    capability = json.loads(minted.stdout)
    response = httpx.post(f"{lab_server.url}kubechat/api/investigate",
                          json={"target": "deployment/fraud-detector -n payments"},
                          headers={"X-Kubechat-Capability": capability["token"]}, timeout=60)
    assert response.status_code == 403, response.text
    assert response.json()["reason"] == "capability-scope"
    assert "'execute'" in response.json()["message"]


def nbval(path: Path, capability: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Run one notebook headless under nbval in a kernel that holds only ``capability``."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("JUPYTER_TOKEN", "KUBECONFIG", "KUBECHAT_AUDIT_DSN")}
    env.update({"KUBECHAT_URL": capability["url"], "KUBECHAT_CAPABILITY": capability["token"]})
    return subprocess.run([sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
                           "-p", "no:cacheprovider", "-q", str(path)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=500,
                          check=False, stdin=subprocess.DEVNULL)


def notebook(*sources: str) -> dict[str, Any]:
    return {"cells": [{"cell_type": "code", "id": f"c{i}", "metadata": {},
                       "execution_count": None, "outputs": [], "source": src}
                      for i, src in enumerate(sources)],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                        "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.timeout(600)
def test_why_in_a_kernel_and_the_saved_notebook_passes_nbval(lab_server: LabServer,
                                                             tmp_path: Path) -> None:
    minted = subprocess.run(
        [str(KUBECHAT), "token", "--url", lab_server.url, "--label", "why-nbval", "--format",
         "json", "--scope", "ask", "--scope", "propose", "--scope", "execute"],
        env={**os.environ, "JUPYTER_TOKEN": lab_server.token}, capture_output=True, text=True,
        timeout=60, check=False)
    assert minted.returncode == 0, minted.stderr
    capability = json.loads(minted.stdout)
    saved = tmp_path / "why-fraud-detector.ipynb"
    driver = tmp_path / "driver.ipynb"
    driver.write_text(json.dumps(notebook(
        "%load_ext kubechat_lab",
        f"report = %kubechat why deployment/fraud-detector -n payments --save {saved}",
        "assert any('exited with code' in t for t in report.findings['title']), "
        "report.findings\n"
        "assert all(c.startswith('kubectl ') for c in report.commands), report.commands\n"
        "assert 'exited with code' in report.to_markdown()\n"
        "assert any(c['command'].startswith('kubectl logs ') and c['level'] == 'safe'\n"
        "           for c in report.reply['next']), report.reply['next']\n"
        "assert _kc.attrs['kind'] == 'findings'",
        # the incident runbook's phrasing (notebooks/03-incident-runbook.ipynb) investigates
        "pending = %kubechat why is the recommendations deployment pending in shop\n"
        "assert pending.reply['subject']['name'] == 'recommendations', pending\n"
        "assert any('nodes fit' in t for t in pending.findings['title'])",
        # a question about many objects names none: it is asked like any question
        "frame = %kubechat why are pods pending in shop\n"
        "assert frame is not None and frame.attrs['kind'] == 'pods', frame",
    )))
    run = nbval(driver, capability)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert "5 passed" in run.stdout, run.stdout[-2000:]

    book = json.loads(saved.read_text())
    code = ["".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code"]
    assert code[0] == "%load_ext kubechat_lab"
    assert all(line.startswith("%kubectl ") for line in code[1:]) and len(code) >= 4
    assert any("--previous" in line for line in code)
    assert any("exited with code" in "".join(c["source"]) for c in book["cells"]
               if c["cell_type"] == "markdown")
    run = nbval(saved, capability)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    assert f"{len(code)} passed" in run.stdout, run.stdout[-2000:]
    # every read of both runs went through the capability, audited
    code_, page = lab_server.api("GET", "audit", params={"limit": "1000", "after": "0"})
    assert code_ == 200
    ran = [e["event"] for e in page["records"] if e["event"]["type"] == "executed"
           and (e["event"].get("capability") or {}).get("id") == capability["id"]]
    assert len(ran) >= 2 * (len(code) - 1), len(ran)
