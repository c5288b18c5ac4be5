"""The planner and the analyzers on evidence built here (no cluster): each finding and its rows."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kubechat_lab.investigate import (
    Evidence,
    InvestigateError,
    Investigation,
    Read,
    Subject,
    analyze,
    evidence_from_result,
    investigate,
    plan_more,
    resolve_subject,
    to_notebook,
)


def node(name: str, cpu: str = "4", *, labels: dict[str, str] | None = None,
         unschedulable: bool = False, taints: list[dict[str, str]] | None = None
         ) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": labels or {}},
            "spec": {"unschedulable": unschedulable, "taints": taints or []},
            "status": {"allocatable": {"cpu": cpu, "memory": "8Gi"},
                       "conditions": [{"type": "Ready", "status": "True"}]}}


def pod(name: str, *, ns: str = "shop", cpu: str = "1", node_name: str | None = None,
        phase: str = "Running", selector: dict[str, str] | None = None,
        statuses: list[dict[str, Any]] | None = None, labels: dict[str, str] | None = None
        ) -> dict[str, Any]:
    spec: dict[str, Any] = {"containers": [{"name": "app", "resources": {
        "requests": {"cpu": cpu, "memory": "1Gi"}}}]}
    if node_name:
        spec["nodeName"] = node_name
    if selector:
        spec["nodeSelector"] = selector
    status: dict[str, Any] = {"phase": phase, "containerStatuses": statuses or []}
    if phase == "Pending" and not node_name:
        status["conditions"] = [{"type": "PodScheduled", "status": "False",
                                 "reason": "Unschedulable", "message": "0/3 nodes are available"}]
    return {"metadata": {"name": name, "namespace": ns, "labels": labels or {"app": "x"}},
            "spec": spec, "status": status}


def ev(step: str, *objects: dict[str, Any], rows: tuple[dict[str, Any], ...] = ()) -> Evidence:
    return Evidence(Read(step, f"kubectl get {step}"), objects=objects, rows=rows)


def titles(findings: Any) -> list[str]:
    return [f.title for f in findings]


def test_a_pending_pod_that_no_node_fits_by_cpu() -> None:
    nodes = [node("n1", "4"), node("n2", "2"), node("n3", "8", unschedulable=True)]
    pending = pod("web-1", cpu="3", phase="Pending")
    used = {"n1": [pod("a", cpu="2.5", node_name="n1")], "n2": [pod("b", cpu="500m",
                                                                    node_name="n2")]}
    subject = Subject("pods", "web-1", "shop")
    evidence = [ev("object", pending), ev("nodes", *nodes),
                *[ev(f"node-pods:{n}", *ps) for n, ps in used.items()]]
    (fit, *_) = analyze(subject, evidence)
    # free: n1 4-2.5=1.5, n2 2-0.5=1.5; n3 is cordoned (not read for pods: 8 allocatable)
    assert fit.title.startswith("0 of 3 nodes fit pod web-1: requests 3 CPU, 1Gi")
    assert "largest free" in fit.title and "cordoned nodes refuse it" in fit.title
    rows = dict(r.split(": ", 1) for r in fit.evidence if r.startswith("[nodes]"))
    assert rows["[nodes] n1"] == "insufficient cpu: requests 3 CPU, free 1.5 CPU (free 1.5 CPU)"
    assert rows["[nodes] n3"].startswith("cordoned (unschedulable)")
    assert any("PodScheduled=False Unschedulable" in r for r in fit.evidence)


def test_a_node_selector_no_node_has() -> None:
    pending = pod("ml-1", cpu="2", phase="Pending", selector={"accelerator": "a100"})
    nodes = [node("n1"), node("n2", labels={"accelerator": "t4"})]
    (fit, *_) = analyze(Subject("pods", "ml-1", "shop"),
                        [ev("object", pending), ev("nodes", *nodes)])
    assert "0 of 2 nodes fit" in fit.title
    assert "node selector accelerator=a100 matches 0 node(s)" in fit.title
    assert fit.next_command == "kubectl get nodes -l accelerator"


def test_the_plan_follows_the_state() -> None:
    subject = Subject("deployments", "api", "shop")
    first = plan_more(subject, [])
    assert [r.step for r in first] == ["object", "events"]
    assert first[0].command == "kubectl get deployments api -n shop -o json"
    deploy = {"metadata": {"name": "api"}, "spec": {"replicas": 2, "selector": {
        "matchLabels": {"app": "api", "tier": "web"}}}, "status": {"readyReplicas": 0}}
    evidence = [ev("object", deploy), ev("events")]
    second = plan_more(subject, evidence)
    assert [r.command for r in second] == [
        "kubectl get pods -n shop -l app=api,tier=web -o json"]
    crashed = pod("api-1", node_name="n1", statuses=[{
        "name": "app", "restartCount": 7, "ready": False,
        "lastState": {"terminated": {"exitCode": 1}}, "state": {"waiting": {
            "reason": "CrashLoopBackOff"}}}])
    pending = pod("api-2", phase="Pending")
    evidence.append(ev("pods", crashed, pending, pod("api-3", node_name="n1", statuses=[
        {"name": "app", "restartCount": 0, "ready": True}])))
    third = {r.step: r.command for r in plan_more(subject, evidence)}
    assert third["logs:api-1:app"] == "kubectl logs api-1 -n shop -c app --previous --tail=20"
    assert third["nodes"] == "kubectl get nodes -o json"
    assert "events:api-2" in third and "events:api-3" not in third  # the healthy one is skipped
    evidence.append(ev("nodes", node("n1"), node("n2", unschedulable=True)))
    fourth = [r.command for r in plan_more(subject, evidence)]
    assert "kubectl get pods -A --field-selector spec.nodeName=n1 -o json" in fourth
    assert not any("nodeName=n2" in c for c in fourth)  # cordoned: not a candidate


def test_a_crash_with_its_log_lines() -> None:
    crashed = pod("api-1", node_name="n1", statuses=[{
        "name": "app", "restartCount": 12, "ready": False,
        "lastState": {"terminated": {"exitCode": 1, "reason": "Error",
                                     "startedAt": "2026-01-01T00:00:00Z",
                                     "finishedAt": "2026-01-01T00:00:03Z"}},
        "state": {"waiting": {"reason": "CrashLoopBackOff"}}}])
    lines = ["INFO starting", "ERROR cannot open /models/x.onnx", "INFO bye"]
    logs = Evidence(Read("logs:api-1:app", "kubectl logs api-1 -n shop -c app --previous"),
                    rows=tuple({"message": m} for m in lines))
    (crash,) = [f for f in analyze(Subject("pods", "api-1", "shop"), [ev("object", crashed),
                                                                          logs])
                if "exited" in f.title]
    assert crash.title == ("container app of pod api-1 exited with code 1 (Error) after 3 s, "
                           f"12 restarts; last lines: {lines[1]}")
    assert f"[logs:api-1:app] {lines[1]}" in crash.evidence
    assert crash.next_command == "kubectl logs api-1 -n shop -c app --previous --tail=200"


def test_a_service_selecting_nothing_and_one_without_ready_endpoints() -> None:
    svc = {"metadata": {"name": "checkout"}, "spec": {"selector": {"app": "checkout-v2"}}}
    subject = Subject("services", "checkout", "shop")
    keyed = ev("label-key", pod("c-1", labels={"app": "checkout"}),
               pod("f-1", labels={"app": "frontend"}))
    (found,) = analyze(subject, [ev("object", svc), ev("pods"), keyed])
    assert found.title == "Service checkout selects app=checkout-v2; no pod has that label"
    assert "[label-key] pods in shop with label app: app=checkout, app=frontend" in found.evidence
    assert plan_more(subject, [ev("object", svc), ev("events"), ev("pods")])[0].command == \
        "kubectl get pods -n shop -l app -o json"
    slices = ev("endpointslices", {"endpoints": [{"conditions": {"ready": False}}]})
    (none_ready,) = analyze(subject, [ev("object", svc), ev("pods", pod("c-1")), slices])
    assert none_ready.title.startswith("Service checkout has no ready endpoint: 1 pod(s)")


def test_a_cordoned_node_and_a_failed_job() -> None:
    cordoned = node("n1", unschedulable=True)
    (finding,) = analyze(Subject("nodes", "n1"), [ev("object", cordoned)])
    assert finding.title == "node n1 is cordoned: no new pod is scheduled there"
    assert finding.next_command == "kubectl uncordon n1"
    job = {"metadata": {"name": "migrate"}, "spec": {"backoffLimit": 2},
           "status": {"failed": 3, "conditions": [
               {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                "message": "Job has reached the specified backoff limit"}]}}
    (failed,) = analyze(Subject("jobs", "migrate", "ci"), [ev("object", job)])
    assert failed.title.startswith("job failed: BackoffLimitExceeded")
    assert "[object] job migrate: failed pods 3, backoffLimit 2, activeDeadlineSeconds None" \
        in failed.evidence


def test_warning_events_are_grouped_and_a_missing_object_is_said() -> None:
    rows = tuple({"type": "Warning", "reason": "BackOff", "count": n, "object": "pod/x",
                  "message": f"back-off {n}"} for n in (3, 4))
    warn = analyze(Subject("pods", "x", "shop"), [ev("object", pod("x", node_name="n1")),
                                                  ev("events", rows=rows)])
    assert [(f.title, f.evidence) for f in warn] == [
        ("Warning events: BackOff", ("[events] BackOff x7, latest: back-off 4",))]
    gone = Evidence(Read("object", "kubectl get pods x -n shop -o json"), error="not found")
    (missing,) = analyze(Subject("pods", "x", "shop"), [gone])
    assert missing.title == "could not read pod x in shop: not found"


def test_resolution_and_its_refusals() -> None:
    inventory = {"deployments": (("shop", "checkout"), ("payments", "api")),
                 "services": (("shop", "checkout"), ("payments", "api"), ("shop", "api")),
                 "nodes": (("", "kwok-worker-2"),)}
    namespaces = ("payments", "shop")
    assert resolve_subject("why is checkout failing?", inventory, namespaces) == \
        Subject("deployments", "checkout", "shop")
    assert resolve_subject("why has checkout no endpoints", inventory, namespaces) == \
        Subject("services", "checkout", "shop")
    assert resolve_subject("node/kwok-worker-2", inventory, namespaces) == \
        Subject("nodes", "kwok-worker-2")
    for text in ("svc api -n shop", "service api in shop", "svc/api --namespace=shop"):
        assert resolve_subject(text, inventory, namespaces) == Subject("services", "api", "shop")
    with pytest.raises(InvestigateError, match="ambiguous.*service/api -n payments"):
        resolve_subject("service api", inventory, namespaces)
    with pytest.raises(InvestigateError, match="no deployment that .deployment.nope. names exists"):
        resolve_subject("deployment/nope", inventory, namespaces)


def test_investigate_runs_rounds_and_the_notebook_shows_what_ran() -> None:
    objects = {"kubectl get nodes n1 -o json": [node("n1", unschedulable=True)]}

    def run(read: Read) -> Evidence:
        data = {"columns": [["name", "str"], ["object", "json"]],
                "data": [[o["metadata"]["name"] for o in objects.get(read.command, [])],
                         objects.get(read.command, [])]}
        return evidence_from_result(read, data, proposal="p_" + "0" * 20)

    inv = investigate(Subject("nodes", "n1"), run, question="why n1")
    assert isinstance(inv, Investigation)
    assert [e.read.step for e in inv.evidence] == ["object", "events", "node-pods"]
    assert "node n1 is cordoned" in inv.findings[0].title
    book = to_notebook(inv)
    json.dumps(book)
    code = ["".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code"]
    assert code == ["%load_ext kubechat_lab", *("%" + e.read.command for e in inv.evidence)]
    text = "".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "markdown")
    assert inv.findings[0].title in text and "next: `kubectl uncordon n1`" in text
    assert book["nbformat"] == 4


def test_an_init_container_that_crashes_and_an_image_that_cannot_be_pulled() -> None:
    stuck = pod("db-0", node_name="n1", phase="Pending")
    stuck["status"]["initContainerStatuses"] = [{
        "name": "migrate", "restartCount": 4, "ready": False,
        "lastState": {"terminated": {"exitCode": 3, "reason": "Error"}},
        "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]
    stuck["status"]["containerStatuses"] = [{
        "name": "app", "restartCount": 0, "ready": False,
        "state": {"waiting": {"reason": "PodInitializing"}}}]
    subject = Subject("pods", "db-0", "shop")
    reads = {r.step: r.command for r in plan_more(subject, [ev("object", stuck), ev("events")])}
    assert reads == {"logs:db-0:migrate":
                     "kubectl logs db-0 -n shop -c migrate --previous --tail=20"}
    (crash,) = analyze(subject, [ev("object", stuck)])
    assert crash.title.startswith("init container migrate of pod db-0 exited with code 3")
    pulling = pod("web-1", node_name="n1", phase="Pending", statuses=[{
        "name": "app", "restartCount": 0, "ready": False, "state": {"waiting": {
            "reason": "ImagePullBackOff", "message": "pull access denied for x/y"}}}])
    (pull,) = analyze(Subject("pods", "web-1", "shop"), [ev("object", pulling)])
    assert pull.title == "container app of pod web-1 cannot start: ImagePullBackOff"
    assert "pull access denied for x/y" in pull.evidence[0]
    assert pull.next_command == "kubectl describe pod web-1 -n shop"


def test_a_service_port_no_pod_declares_and_a_stuck_rollout() -> None:
    svc = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [
        {"port": 80, "targetPort": "http"}]}}
    web = pod("web-1", node_name="n1")
    web["spec"]["containers"][0]["ports"] = [{"name": "metrics", "containerPort": 9090}]
    (found,) = analyze(Subject("services", "web", "shop"), [ev("object", svc), ev("pods", web)])
    assert found.title == "Service web port 80 targets 'http', which no selected pod declares"
    assert "[pods] web-1: ports ['9090', 'metrics']" in found.evidence
    numbered = {"metadata": {"name": "web"}, "spec": {"selector": {"app": "web"}, "ports": [
        {"port": 80, "targetPort": 8080}]}}
    bare = pod("web-2", node_name="n1")  # declares no port: a number cannot be checked
    assert titles(analyze(Subject("services", "web", "shop"),
                          [ev("object", numbered), ev("pods", bare)])) == [
        "nothing wrong found for service web in shop"]
    deploy = {"metadata": {"name": "api"}, "spec": {"replicas": 3}, "status": {
        "readyReplicas": 1, "conditions": [
            {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate",
             "message": "pods \"api-x\" is forbidden: exceeded quota: compute"}]}}
    found_titles = titles(analyze(Subject("deployments", "api", "shop"), [ev("object", deploy),
                                                                          ev("pods")]))
    assert found_titles[0].startswith("deployment api: ReplicaFailure=True FailedCreate: pods")
    assert "deployment api: 1 of 3 replicas ready" in found_titles
