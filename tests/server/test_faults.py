"""Faults: PostgreSQL stopped mid-run, and the Jupyter server killed with SIGKILL mid-stream.

Invariants checked after each fault: nothing ran without its audit event, the chain verifies,
and every event the server acknowledged (``audit_seqs`` in a 2xx reply) is in the chain.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kubechat_lab.audit import AuditStore
from tests.server.conftest import Api

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]


def _check_chain(pg: Any, acked: dict[int, tuple[str, str]]) -> list[Any]:
    """Verify the chain and that every acknowledged (seq -> (type, proposal)) is there."""
    with AuditStore(pg.dsn) as store:
        report = store.verify_stream()
        assert report.ok, report
        assert store.verify_sql().ok
        records = []
        after = 0
        while True:
            page = store.records(after_seq=after, limit=1000)
            if not page:
                break
            records += page
            after = page[-1].seq
    by_seq = {r.seq: r.event for r in records}
    for seq, (kind, proposal) in acked.items():
        assert seq in by_seq, f"acknowledged event seq {seq} is missing"
        assert by_seq[seq]["type"] == kind
        assert by_seq[seq].get("proposal") == proposal
    # Nothing ran unaudited: every 'executed' follows an 'executing' for the same proposal.
    started: set[str] = set()
    for r in records:
        if r.event["type"] == "executing":
            started.add(str(r.event["proposal"]))
        if r.event["type"] == "executed":
            assert r.event["proposal"] in started
    return records


def _ack(acked: dict[int, tuple[str, str]], proposal: dict[str, Any], types: list[str]) -> None:
    seqs = proposal["audit_seqs"][-len(types) :]
    for seq, kind in zip(seqs, types, strict=True):
        acked[seq] = (kind, proposal["id"])


# -- PostgreSQL stopped mid-run (in-process server, real sandbox) ---------------------------


@pytest.fixture
def kubechat_settings(
    request: pytest.FixtureRequest, dedicated_pg: Any, api_key_file: Path, tmp_path: Path
) -> dict[str, Any]:
    kubeconfig = tmp_path / "missing.kubeconfig"
    if "sandbox" in request.fixturenames:
        kubeconfig = request.getfixturevalue("sandbox").kubeconfig
    return {
        "audit_dsn": dedicated_pg.app_dsn,
        "audit_dsn_env": "",
        "audit_connect_timeout": 3.0,
        "kubeconfig": str(kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 20.0,
    }


@pytest.mark.sandbox
async def test_postgres_stopped_mid_run(api: Api, dedicated_pg: Any, sandbox: Any) -> None:
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    admin_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    core = client.CoreV1Api(admin_client)
    name = "kc-fault-" + secrets.token_hex(4)
    acked: dict[int, tuple[str, str]] = {}

    def exists() -> bool:
        try:
            core.read_namespaced_config_map(name, "shop")
        except ApiException as exc:
            if exc.status == 404:
                return False
            raise
        return True

    try:
        code, read = await api.call("POST", "propose", {"command": "kubectl get namespaces"})
        assert code == 201
        _ack(acked, read, ["proposed", "approved"])
        code, done = await api.call("POST", f"proposals/{read['id']}/execute")
        assert code == 200
        _ack(acked, done, ["executing", "executed"])

        command = f"kubectl create configmap {name} -n shop --from-literal=a=b"
        code, write = await api.call("POST", "propose", {"command": command})
        assert code == 201, write
        _ack(acked, write, ["proposed"])
        code, write = await api.call("POST", f"proposals/{write['id']}/approve")
        assert code == 200
        _ack(acked, write, ["approved"])
        code, other = await api.call("POST", "propose", {"command": "kubectl get pods -n shop"})
        assert code == 201
        _ack(acked, other, ["proposed", "approved"])
        code, pending = await api.call(
            "POST", "propose", {"command": f"kubectl delete configmap {name}-x -n shop"})
        assert code == 201 and pending["state"] == "proposed", pending
        _ack(acked, pending, ["proposed"])

        dedicated_pg.stop(mode="immediate")

        code, body = await api.call("POST", f"proposals/{write['id']}/execute")
        assert code == 503, body
        assert body["reason"] == "audit-unavailable"
        assert "nothing was done" in body["message"]
        assert not exists(), "the command ran although its audit event could not be written"
        code, body = await api.call("POST", f"proposals/{other['id']}/execute")
        assert code == 503
        code, body = await api.call("POST", "propose", {"command": "kubectl get pods"})
        assert code == 503 and body["reason"] == "audit-unavailable"
        code, body = await api.call("POST", "ask", {"question": "list pods in shop"})
        assert code == 503
        code, body = await api.call("POST", f"proposals/{pending['id']}/reject")
        assert code == 503 and body["reason"] == "audit-unavailable", body
        code, body = await api.call("POST", f"proposals/{write['id']}/reject")
        assert code == 503 and body["reason"] == "audit-unavailable"  # its state is there too
        code, body = await api.call("GET", "health")
        assert code == 503 and body["database"]["ok"] is False
        code, body = await api.call("GET", f"proposals/{write['id']}")
        assert code == 503  # proposals live in the database: no answer without it

        dedicated_pg.start()

        code, state = await api.call("GET", f"proposals/{write['id']}")
        assert state["state"] == "approved"  # nothing happened to it
        code, state = await api.call("GET", f"proposals/{pending['id']}")
        assert state["state"] == "proposed"  # the unaudited rejection did not happen
        code, body = await api.call("POST", f"proposals/{write['id']}/reject")
        assert code == 409 and body["reason"] == "proposal-conflict"  # decided once, approved

        code, done = await api.call("POST", f"proposals/{write['id']}/execute")
        assert code == 200, done
        _ack(acked, done, ["executing", "executed"])
        assert exists()
        records = _check_chain(dedicated_pg, acked)
        assert [r.seq for r in records] == list(range(1, len(records) + 1))
    finally:
        try:
            core.delete_namespaced_config_map(name, "shop")
        except ApiException as exc:
            if exc.status != 404:
                raise
        admin_client.close()


# -- SIGKILL of a real `jupyter server` subprocess during appends ----------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _start_server(
    tmp_path: Path, dsn: str, port: int, token: str, log: Path
) -> subprocess.Popen[bytes]:
    config_dir = tmp_path / "config"
    config_dir.mkdir(exist_ok=True)
    (config_dir / "jupyter_server_config.json").write_text(
        json.dumps(
            {
                "ServerApp": {
                    "jpserver_extensions": {"kubechat_lab": True},
                    "ip": "127.0.0.1",
                    "port": port,
                    "port_retries": 0,
                    "open_browser": False,
                    "allow_root": True,
                    "root_dir": str(tmp_path),
                },
                "KubechatApp": {
                    "audit_dsn": dsn,
                    "audit_dsn_env": "",
                    "kubeconfig": str(tmp_path / "missing.kubeconfig"),
                },
            }
        )
    )
    env = {
        **os.environ,
        "JUPYTER_TOKEN": token,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server"],
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 90
    url = f"http://127.0.0.1:{port}/api/status"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"jupyter server exited ({proc.returncode}): {log.read_text()[-3000:]}")
        try:
            if httpx.get(url, headers={"Authorization": f"token {token}"}, timeout=2).is_success:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"jupyter server did not start: {log.read_text()[-3000:]}")


def _drive(
    base: str,
    token: str,
    acked: dict[int, tuple[str, str]],
    stop: threading.Event,
    lock: threading.Lock,
    worker: int,
) -> None:
    headers = {"Authorization": f"token {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as client, httpx.Client(
        base_url=base, timeout=10
    ) as page:
        # dangerous approvals come from a signed-in page (login cookie + XSRF)
        page.get("login")
        page.post("login", data={"_xsrf": page.cookies["_xsrf"], "password": token})
        xsrf = {"X-XSRFToken": page.cookies["_xsrf"]}
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = client.post(
                    "kubechat/api/propose", json={"command": f"kubectl get pods -n w{worker}-{i}"}
                )
                if r.status_code == 201:
                    with lock:
                        _ack(acked, r.json(), ["proposed", "approved"])
                r = client.post(
                    "kubechat/api/propose",
                    json={"command": f"kubectl delete pod p{worker}-{i} -n shop"},
                )
                if r.status_code != 201:
                    continue
                p = r.json()
                with lock:
                    _ack(acked, p, ["proposed"])
                r = page.post(
                    f"kubechat/api/proposals/{p['id']}/approve",
                    json={"confirm": p["confirm"]},
                    headers=xsrf,
                )
                if r.status_code == 200:
                    with lock:
                        _ack(acked, r.json(), ["approved"])
            except httpx.HTTPError:
                return  # the server is gone


def test_sigkill_during_appends(dedicated_pg: Any, tmp_path: Path) -> None:
    token = secrets.token_hex(16)
    port = _free_port()
    log = tmp_path / "server.log"
    proc = _start_server(tmp_path, dedicated_pg.app_dsn, port, token, log)
    base = f"http://127.0.0.1:{port}/"
    acked: dict[int, tuple[str, str]] = {}
    lock = threading.Lock()
    stop = threading.Event()
    workers = [
        threading.Thread(target=_drive, args=(base, token, acked, stop, lock, n)) for n in range(4)
    ]
    try:
        for t in workers:
            t.start()
        deadline = time.monotonic() + 60
        while len(acked) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(acked) >= 60, f"too few events acknowledged; log: {log.read_text()[-2000:]}"
        os.killpg(proc.pid, signal.SIGKILL)  # mid-stream: the workers are still sending
        proc.wait(timeout=30)
    finally:
        stop.set()
        for t in workers:
            t.join(timeout=30)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    records = _check_chain(dedicated_pg, acked)
    assert len(records) >= len(acked)

    # A fresh server continues the same chain.
    proc = _start_server(tmp_path, dedicated_pg.app_dsn, port, token, log)
    try:
        r = httpx.post(
            base + "kubechat/api/propose",
            json={"command": "kubectl get nodes"},
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert r.status_code == 201, r.text
        assert min(r.json()["audit_seqs"]) == records[-1].seq + 1
        r = httpx.get(
            base + "kubechat/api/audit/verify",
            headers={"Authorization": f"token {token}"},
            timeout=30,
        )
        assert r.json()["ok"] is True
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
