"""The magics in real kernels (started through a real Jupyter server with kubechat) against the
sandbox cluster. Writes happen only in a scratch namespace made here; the kernel's environment
holds no credential (tests/kernel/test_kernel_errors.py checks that)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.kernel.conftest import Cell, NotebookKernel
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

DEMO = ("shop", "payments", "data", "ci")


@pytest.fixture
def kubechat_settings(sandbox: SandboxInfo, audit_db: Any, api_key_file: Path) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 30.0,
        # docs/configuration.md: kernels get no approve:warning scope by default
        "kernel_scopes": ["ask", "propose", "execute", "audit:read"],
    }


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    """A namespace with one deployment ``web`` (1 replica), deleted at the end."""
    with scratch_namespace(sandbox, "kc-nb") as name:
        manifest = {
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": name, "labels": {"app": "web"}},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app",
                                                           "image": "nginx:1.27"}]}}},
        }
        kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(manifest))
        yield name


def context_of(sandbox: SandboxInfo) -> str:
    return str(yaml.safe_load(sandbox.kubeconfig.read_text())["current-context"])


def replicas(sandbox: SandboxInfo, namespace: str) -> int:
    return int(kjson(sandbox, "get", "deployment", "web", "-n", namespace)["spec"]["replicas"])


async def proposal_for(api: Api, needle: str, kind: str = "proposed",
                       timeout: float = 60) -> dict[str, Any]:
    """The newest audit event of ``kind`` whose command contains ``needle``."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        code, page = await api.call("GET", "audit", params={"type": kind, "limit": "1000"})
        assert code == 200
        found = [r["event"] for r in page["records"] if needle in (r["event"].get("command")
                                                                  or "")]
        if found:
            return found[-1]
        await asyncio.sleep(0.3)
    pytest.fail(f"no {kind} event for {needle!r} within {timeout}s")


async def widget_reaches(cell: Cell, view: str, ready: Callable[[dict[str, Any]], bool],
                         task: asyncio.Future[Any], timeout: float = 60) -> dict[str, Any]:
    """Wait until one of the cell's ``view`` widgets satisfies ``ready``, while it still runs."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [w for w in cell.widget_states(view) if ready(w)]
        if found:
            return found[-1]
        assert not task.done(), cell.error_text
        assert asyncio.get_running_loop().time() < deadline, cell.widget_states(view)
        await asyncio.sleep(0.1)


async def test_get_pods_gives_the_typed_frame_of_kubechat_run(
        kernel: NotebookKernel, sandbox: SandboxInfo) -> None:
    cell = await kernel.run("%kubectl get pods -A -o pods")
    assert cell.status == "ok", cell.error_text
    [card] = cell.widget_states("card")
    assert card["state"] == "executed" and "arrow" in card["message"]
    # docs/openapi.yaml: the card shows the command with its context ("display")
    assert card["card"]["command"] == f"kubectl --context={context_of(sandbox)} get pods -A"
    got = await kernel.value(
        "sorted(f'{n}/{p}' for n, p in zip(pods.namespace, pods.name) "
        f"if n in {DEMO!r})")
    items = kjson(sandbox, "get", "pods", "-A")["items"]
    expected = sorted(f"{i['metadata']['namespace']}/{i['metadata']['name']}" for i in items
                      if i["metadata"]["namespace"] in DEMO)
    assert got == expected and got
    dtypes = await kernel.value("{c: str(t) for c, t in pods.dtypes.items()}")
    from kubechat_lab.cluster import ClusterClient, ClusterConfig
    from kubechat_lab.command import parse

    with ClusterClient(ClusterConfig(kubeconfig=str(sandbox.kubeconfig))) as client:
        reference = client.execute(parse("get pods -A")).to_frame()  # what `kubechat run` gives
    assert dtypes == {c: str(t) for c, t in reference.dtypes.items()}
    assert dtypes["restarts"] == "Int64" and dtypes["age"] == "timedelta64[ns]"
    assert await kernel.value("_kc is pods and isinstance(pods.labels.dropna().iloc[0], dict)")


async def test_a_paged_list_reports_rows_so_far(kernel: NotebookKernel, api: Api,
                                                sandbox: SandboxInfo) -> None:
    from kubechat_lab.cluster import ClusterClient, ClusterConfig
    from kubechat_lab.cluster._progress import reporting
    from kubechat_lab.command import parse

    seen: list[int] = []
    config = ClusterConfig(kubeconfig=str(sandbox.kubeconfig), page_size=5)
    with ClusterClient(config) as client, reporting(seen.append):
        frame = client.execute(parse("get pods -A")).to_frame()
    assert len(seen) >= 2 and seen == sorted(seen) and seen[-1] == len(frame)
    cell = await kernel.run("%kubectl get pods -A -o pods")
    assert cell.status == "ok", cell.error_text
    [card] = cell.widget_states("card")
    code, proposal = await api.call("GET", f"proposals/{card['card']['id']}")
    assert code == 200
    assert proposal["progress"]["rows"] == await kernel.value("len(pods)")


async def test_question_gives_the_card_and_the_frame(kernel: NotebookKernel,
                                                     sandbox: SandboxInfo) -> None:
    cell = await kernel.run("%kubechat list the pods in namespace shop -o shop_pods")
    assert cell.status == "ok", cell.error_text
    [card] = cell.widget_states("card")
    assert card["card"]["question"] == "list the pods in namespace shop"
    assert card["card"]["command"] == (
        f"kubectl --context={context_of(sandbox)} get pods -n shop")
    assert card["card"]["level"] == "safe" and card["state"] == "executed"
    names = await kernel.value("sorted(shop_pods.name)")
    assert names == sorted(i["metadata"]["name"]
                           for i in kjson(sandbox, "get", "pods", "-n", "shop")["items"])
    cell = await kernel.run("%%kubechat -o deployments_shop\ndeployments in namespace shop")
    assert cell.status == "ok", cell.error_text
    assert "checkout" in await kernel.value("list(deployments_shop.name)")


async def test_warning_waits_until_approved_in_the_browser(
        kernel: NotebookKernel, api: Api, sandbox: SandboxInfo, scratch: str) -> None:
    assert replicas(sandbox, scratch) == 1
    cell = Cell(status="?")
    task = asyncio.ensure_future(kernel.run(
        f"%kubectl scale deploy web -n {scratch} --replicas=2 --wait 120", cell=cell))
    event = await proposal_for(api, f"-n {scratch} --replicas=2")
    assert event["level"] == "warning"
    # the kernel is in its wait for approval (its card says so); nothing has run
    await widget_reaches(cell, "card", lambda w: str(w.get("message", "")).startswith(
        "waiting for approval"), task)
    assert not task.done() and replicas(sandbox, scratch) == 1
    code, approved = await api.call("POST", f"proposals/{event['proposal']}/approve", {})
    assert code == 200 and approved["decided_via"] == "browser"
    await asyncio.wait_for(task, 120)
    assert cell.status == "ok", cell.error_text
    assert replicas(sandbox, scratch) == 2
    [card] = cell.widget_states("card")
    assert card["state"] == "executed"


async def test_cell_magic_sends_its_body_as_the_manifest(
        kernel: NotebookKernel, api: Api, sandbox: SandboxInfo, scratch: str) -> None:
    import hashlib

    manifest = (f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-cell\n"
                f"  namespace: {scratch}\ndata:\n  mode: fast\n")
    cell = Cell(status="?")
    task = asyncio.ensure_future(kernel.run(
        f"%%kubectl apply -f - --wait 120\n{manifest}", cell=cell))
    event = await proposal_for(api, "kubectl apply -f -")
    assert event["level"] == "warning"
    # the chain proves which manifest runs without keeping its text
    assert event["manifest_digest"] == "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    assert "fast" not in json.dumps(event)
    code, approved = await api.call("POST", f"proposals/{event['proposal']}/approve", {})
    assert code == 200, approved
    await asyncio.wait_for(task, 120)
    assert cell.status == "ok", cell.error_text
    [card] = cell.widget_states("card")
    assert card["state"] == "executed" and card["card"]["manifest"] == manifest
    assert kjson(sandbox, "get", "configmap", "from-cell", "-n", scratch)["data"] == {
        "mode": "fast"}
    # a privileged pod in a manifest is judged by what it does: refused, never sent
    pod = json.dumps({"apiVersion": "v1", "kind": "Pod",
                      "metadata": {"name": "root", "namespace": scratch},
                      "spec": {"containers": [{"name": "c", "image": "nginx:1.27",
                                               "securityContext": {"privileged": True}}]}})
    cell = await kernel.run(f"%%kubectl create -f -\n{pod}")
    assert cell.error is not None and cell.error["ename"] == "PolicyViolation"
    assert "privileged" in cell.error_text
    assert kubectl(sandbox, "get", "pod", "root", "-n", scratch, check=False).returncode != 0
    cell = await kernel.run("%%kubectl apply -f -\n   \n")
    assert cell.status == "error" and "needs the manifest" in json.dumps(cell.outputs)


async def test_approve_flag_needs_the_scope(kernel: NotebookKernel, api: Api,
                                            sandbox: SandboxInfo, scratch: str) -> None:
    cell = await kernel.run(f"%kubectl scale deploy web -n {scratch} --replicas=3 --approve")
    assert cell.error is not None and cell.error["ename"] == "CapabilityRejected"
    assert "approve:warning" in cell.error_text
    assert replicas(sandbox, scratch) != 3
    code, minted = await api.call("POST", "capabilities", {
        "scopes": ["propose", "execute", "approve:warning"], "label": "headless runbook"})
    assert code == 201
    cell = await kernel.run(
        "from kubechat_lab.kernel import KubechatClient\n"
        f"kc = KubechatClient(capability={minted['token']!r})\n"
        "%kubectl scale deploy web -n " + scratch + " --replicas=3 --approve")
    # the magic uses the kernel's own capability; a script passes its token to the client
    assert cell.error is not None and cell.error["ename"] == "CapabilityRejected"
    cell = await kernel.run(
        f"p = kc.propose('kubectl scale deploy web -n {scratch} --replicas=3')\n"
        "a = kc.approve(p['id'])\nout = kc.execute(p['id'])\n"
        "print(a['decided_via'], out.status)")
    assert cell.status == "ok", cell.error_text
    assert "capability changed" in cell.text
    assert replicas(sandbox, scratch) == 3
    event = await proposal_for(api, f"-n {scratch} --replicas=3", kind="approved")
    assert event["via"] == "capability" and event["capability"]["label"] == "headless runbook"


async def test_dangerous_and_forbidden_never_run(kernel: NotebookKernel, sandbox: SandboxInfo,
                                                 scratch: str) -> None:
    cell = await kernel.run(f"%kubectl delete deploy web -n {scratch} --approve")
    assert cell.error is not None and cell.error["ename"] == "PolicyViolation"
    assert "never approve" in cell.error_text
    cell = await kernel.run(f"%kubectl delete deploy web -n {scratch} && kubectl delete ns "
                            f"{scratch}")
    assert cell.error is not None and cell.error["ename"] == "CommandError"
    assert kjson(sandbox, "get", "deployment", "web", "-n", scratch)["metadata"]["name"] == "web"
    assert kjson(sandbox, "get", "namespace", scratch)["status"]["phase"] == "Active"


async def test_sql_joins_pods_and_nodes(kernel: NotebookKernel, sandbox: SandboxInfo) -> None:
    for line in ("%kubectl get pods -A -o pods", "%kubectl get nodes"):
        cell = await kernel.run(line)
        assert cell.status == "ok", cell.error_text
    cell = await kernel.run(
        "j = %kubechat sql SELECT p.namespace, p.name, n.name AS node, p.labels->>'app' AS app "
        "FROM pods p JOIN nodes n ON p.node = n.name WHERE p.namespace = 'shop'")
    assert cell.status == "ok", cell.error_text
    rows = await kernel.value("sorted(map(list, j[['name', 'node', 'app']].values.tolist()))")
    pods = kjson(sandbox, "get", "pods", "-n", "shop")["items"]
    expected = sorted([p["metadata"]["name"], p["spec"]["nodeName"],
                       (p["metadata"].get("labels") or {}).get("app")]
                      for p in pods if p["spec"].get("nodeName"))
    assert rows == expected and rows
    cell = await kernel.run("%%kubechat sql -o per_node\n"
                            "SELECT node, count(*) AS n FROM pods GROUP BY node ORDER BY node")
    assert cell.status == "ok", cell.error_text
    assert await kernel.value("int(per_node.n.sum()) == len(pods)")


async def test_watch_sees_a_change_made_while_it_runs(
        kernel: NotebookKernel, api: Api, sandbox: SandboxInfo, scratch: str) -> None:
    cell = Cell(status="?")
    task = asyncio.ensure_future(kernel.run(
        f"%kubechat watch get pods -n {scratch} --for 120s -o w", cell=cell))
    started = await proposal_for(api, f"get pods -n {scratch}", kind="watch_started")
    pod = f"late-{uuid.uuid4().hex[:5]}"
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps({
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": pod, "namespace": scratch},
        "spec": {"containers": [{"name": "c", "image": "busybox"}]}}))
    deadline = asyncio.get_running_loop().time() + 60
    while not any(pod in str(w.get("last", "")) or pod in json.dumps(w.get("rows", []))
                  for w in cell.widget_states("live")):
        assert asyncio.get_running_loop().time() < deadline, cell.widget_states("live")
        assert not task.done(), cell.error_text
        await asyncio.sleep(0.3)
    code, body = await api.call("DELETE", f"proposals/{started['proposal']}/watch")  # Stop
    assert code == 200 and body["stopped"] is True
    await asyncio.wait_for(task, 60)
    assert cell.status == "ok", cell.error_text
    assert pod in await kernel.value("list(w.name)")
    stopped = await proposal_for(api, f"get pods -n {scratch}", kind="watch_stopped")
    assert stopped["reason"] == "stopped" and stopped["events"] >= 1
    assert stopped["proposal"] == started["proposal"]
    cell = await kernel.run(f"%kubechat sql SELECT type FROM watch_events WHERE name = '{pod}'")
    assert cell.status == "ok", cell.error_text
    assert "ADDED" in cell.text


async def test_audit_status_and_context(kernel: NotebookKernel) -> None:
    for line in ("%kubectl get ns", "%kubectl get nodes"):  # 4 audit events each
        cell = await kernel.run(line)
        assert cell.status == "ok", cell.error_text
    cell = await kernel.run("a = %kubechat audit -n 5\n"
                            "print(len(a), a.seq.is_monotonic_increasing, list(a.command)[-1])")
    assert cell.status == "ok", cell.error_text
    assert "5 True kubectl get nodes" in cell.text
    cell = await kernel.run("s = %kubechat status\nprint(s.ok.all())")
    assert cell.status == "ok" and "True" in cell.text, cell.text
    cell = await kernel.run("%kubectl get pods --context elsewhere")
    assert cell.error is not None and cell.error["ename"] == "ServiceError"
    assert "not enabled on this server" in cell.error_text


async def test_watch_ends_on_for_and_on_interrupt(kernel: NotebookKernel, api: Api,
                                                  scratch: str) -> None:
    cell = await kernel.run(f"%kubechat watch get deployments -n {scratch} --for 2s -o d")
    assert cell.status == "ok", cell.error_text
    assert await kernel.value("list(d.name)") == ["web"]
    stopped = await proposal_for(api, f"get deployments -n {scratch}", kind="watch_stopped")
    assert stopped["reason"] == "deadline"
    cell = Cell(status="?")
    task = asyncio.ensure_future(kernel.run(
        f"%kubechat watch get pods -n {scratch} -o p", cell=cell))
    await proposal_for(api, f"get pods -n {scratch}", kind="watch_started")
    # interrupt only once the kernel streams (its table shows the snapshot as watching)
    await widget_reaches(cell, "live", lambda w: w.get("status") == "watching", task)
    await kernel.manager.interrupt_kernel()
    await asyncio.wait_for(task, 60)
    assert cell.status == "ok", cell.error_text  # an interrupt ends the watch, keeps the frame
    assert "interrupted" in json.dumps(cell.widget_states("live"))
    stopped = await proposal_for(api, f"get pods -n {scratch}", kind="watch_stopped")
    assert stopped["reason"] == "client-closed"
