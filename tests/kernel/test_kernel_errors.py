"""Magics in a real kernel, started by a real Jupyter server with kubechat: each error path
says what failed and what to do. No cluster here (the server's kubeconfig does not exist)."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.kernel.conftest import NotebookKernel, start_kernel
from tests.server.conftest import FAKE_API_KEY, Api

pytestmark = pytest.mark.postgres

CREDENTIAL_NAMES = ("KUBECONFIG", "OPENAI_API_KEY", "KUBECHAT_AUDIT_DSN", "JUPYTER_TOKEN")


async def test_kernel_has_no_credential_and_never_loads_cluster_code(
        kernel: NotebookKernel, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    env = kernel.env
    assert not set(CREDENTIAL_NAMES) & set(env)
    assert FAKE_API_KEY not in repr(env)
    assert jp_serverapp.identity_provider.token not in repr(env)
    cell = await kernel.run("%kubechat status")
    assert cell.status == "ok", cell.error_text
    assert "database" in cell.text and "cluster" in cell.text
    loaded = await kernel.value(
        "[m for m in __import__('sys').modules if m.split('.')[0] == 'kubernetes' or "
        "m.startswith(('kubechat_lab.cluster', 'kubechat_lab.server', 'kubechat_lab.audit'))]")
    assert loaded == []


async def test_cluster_error_reaches_the_kernel_typed_with_the_fix(kernel: NotebookKernel
                                                                   ) -> None:
    cell = await kernel.run("%kubectl get pods -A -o pods")
    assert cell.status == "error"
    assert cell.error is not None and cell.error["ename"] == "ClusterError"
    assert "cannot load" in cell.error_text and "kubeconfig" in cell.error_text
    # the traceback is the message alone (KubechatError._render_traceback_)
    assert len(cell.error["traceback"]) == 1
    [card] = cell.widget_states("card")
    assert card["state"] == "failed"
    assert await kernel.value("'pods' in globals()") is False


async def test_refused_command_line_never_becomes_a_proposal(kernel: NotebookKernel) -> None:
    cell = await kernel.run("%kubectl get pods -n shop; kubectl delete ns shop")
    assert cell.status == "error"
    assert cell.error is not None and cell.error["ename"] == "CommandError"
    assert "shell" in cell.error_text.lower()
    cell = await kernel.run("%kubectl exec web -n shop -- ls")
    assert cell.error is not None and cell.error["ename"] == "CommandError"
    assert "exec" in cell.error_text


async def test_dangerous_cannot_be_approved_from_the_kernel(kernel: NotebookKernel,
                                                            api: Api) -> None:
    cell = await kernel.run("%kubectl delete deploy checkout -n shop --approve")
    assert cell.status == "error"
    assert cell.error is not None and cell.error["ename"] == "PolicyViolation"
    assert "a kernel can never approve it" in cell.error_text
    assert "checkout" in cell.error_text  # the name to type, and where
    [card] = cell.widget_states("card")
    assert card["card"]["level"] == "dangerous" and card["state"] == "proposed"
    # even the raw client call is refused by the server
    pid = card["card"]["id"]
    cell = await kernel.run(
        f"from kubechat_lab.kernel import KubechatClient\nKubechatClient().approve({pid!r})")
    assert cell.error is not None and cell.error["ename"] == "PolicyViolation"
    assert "dangerous" in cell.error_text
    code, proposal = await api.call("GET", f"proposals/{pid}")
    assert code == 200 and proposal["state"] == "proposed"


async def test_warning_not_approved_in_time_says_how_to_approve(kernel: NotebookKernel,
                                                                api: Api) -> None:
    cell = await kernel.run("%kubectl scale deploy frontend -n shop --replicas=3 --wait 1")
    assert cell.status == "error"
    assert cell.error is not None and cell.error["ename"] == "ApprovalRequired"
    assert "approve it on the card" in cell.error_text and "--approve" in cell.error_text
    [card] = cell.widget_states("card")
    assert card["card"]["level"] == "warning"
    code, proposal = await api.call("GET", f"proposals/{card['card']['id']}")
    assert proposal["state"] == "proposed"


async def test_revoked_capability_says_where_a_new_one_comes_from(
        kernel: NotebookKernel, api: Api, kubechat_app: Any) -> None:
    cap = next(c for c in kubechat_app.capabilities.list() if c.kernel_id == kernel.kernel_id)
    code, _ = await api.call("DELETE", f"capabilities/{cap.id}")
    assert code == 204
    cell = await kernel.run("%kubectl get pods -A")
    assert cell.error is not None and cell.error["ename"] == "CapabilityRejected"
    assert "revoked" in cell.error_text and "kubechat token" in cell.error_text


async def test_not_started_by_kubechat_and_server_gone(kernel: NotebookKernel) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: nothing listens
    cell = await kernel.run(
        "from kubechat_lab.kernel import KubechatClient\n"
        f"KubechatClient(url='http://127.0.0.1:{port}/', capability='kcap_x').health()")
    assert cell.error is not None and cell.error["ename"] == "ServerUnreachable"
    assert "still running" in cell.error_text
    cell = await kernel.run(
        "import os\nos.environ.pop('KUBECHAT_URL'); os.environ.pop('KUBECHAT_CAPABILITY')\n"
        "KubechatClient()")
    assert cell.error is not None and cell.error["ename"] == "NotConnected"
    assert "kubechat token" in cell.error_text and "kubechat serve" in cell.error_text


async def test_usage_errors_are_one_line(kernel: NotebookKernel) -> None:
    # IPython prints a UsageError as one line on stderr, no traceback
    cell = await kernel.run("%kubechat sql SELECT * FROM nodes")
    assert cell.status == "error"
    assert "UsageError: no frame named 'nodes'" in cell.text
    assert "%kubectl get nodes" in cell.text and "Traceback" not in cell.text
    cell = await kernel.run("%kubectl get pods -o 9bad")
    assert cell.status == "error" and "Python variable name" in cell.text
    cell = await kernel.run("%kubechat help")
    assert cell.status == "ok" and "%kubechat sql" in cell.text


async def test_second_kernel_gets_its_own_capability(api: Api, jp_serverapp: Any,
                                                     kernel: NotebookKernel) -> None:
    other = await start_kernel(api, jp_serverapp, "other")
    try:
        assert other.env["KUBECHAT_CAPABILITY"] != kernel.env["KUBECHAT_CAPABILITY"]
    finally:
        other.close()
