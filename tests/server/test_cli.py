"""``kubechat token`` against a real `jupyter server` subprocess; ``kubechat serve --help``."""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from tests.server.test_faults import _free_port, _start_server

pytestmark = pytest.mark.postgres


@pytest.fixture
def live_server(dedicated_pg: Any, tmp_path: Path) -> Any:
    token = secrets.token_hex(16)
    port = _free_port()
    proc = _start_server(tmp_path, dedicated_pg.app_dsn, port, token, tmp_path / "server.log")
    yield f"http://127.0.0.1:{port}/", token, tmp_path / "runtime"
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def test_token_mints_a_working_audited_capability(live_server: Any) -> None:
    base, token, runtime = live_server
    runner = CliRunner()
    # Found through the server's runtime file (the operator's own files), no flags needed.
    result = runner.invoke(
        main,
        ["token", "--label", "nbval nightly", "--scope", "propose", "--format", "token"],
        env={"JUPYTER_RUNTIME_DIR": str(runtime), "JUPYTER_TOKEN": None},
    )
    assert result.exit_code == 0, result.output
    capability = result.stdout.strip().splitlines()[0]
    assert capability.startswith("kcap_")

    headers = {"X-Kubechat-Capability": capability}
    r = httpx.post(base + "kubechat/api/propose", json={"command": "get pods"}, headers=headers)
    assert r.status_code == 201, r.text
    # Scope respected: no ask scope.
    r = httpx.post(base + "kubechat/api/ask", json={"question": "pods?"}, headers=headers)
    assert r.status_code == 403

    audit = httpx.get(
        base + "kubechat/api/audit", headers={"Authorization": f"token {token}"}, timeout=30
    ).json()["records"]
    minted = [r["event"] for r in audit if r["event"]["type"] == "capability_minted"]
    assert minted and minted[0]["label"] == "nbval nightly"
    used = [r["event"] for r in audit if r["event"].get("capability")]
    assert used[0]["capability"] == {
        "id": minted[0]["capability_id"],
        "origin": "token",
        "label": "nbval nightly",
        "scopes": ["propose"],  # what it may do is audited with each use
    }


def test_token_env_format_and_explicit_url(live_server: Any) -> None:
    base, token, _ = live_server
    result = CliRunner().invoke(main, ["token", "--url", base, "--token", token])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"export KUBECHAT_URL={base}"
    assert lines[1].startswith("export KUBECHAT_CAPABILITY=kcap_")


def test_token_with_a_wrong_jupyter_token_fails_clearly(live_server: Any) -> None:
    base, _, _ = live_server
    result = CliRunner().invoke(main, ["token", "--url", base, "--token", "wrong"])
    assert result.exit_code == 1
    assert "refused" in result.output and "403" in result.output


def test_token_without_a_server(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["token"], env={"JUPYTER_RUNTIME_DIR": str(tmp_path), "JUPYTER_TOKEN": None}
    )
    assert result.exit_code == 2
    assert "no running Jupyter server" in result.output


def test_serve_help() -> None:
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert "--no-sandbox" in result.output and "127.0.0.1" in result.output


def test_serve_runs_jupyterlab_with_kubechat_on_localhost(
    dedicated_pg: Any, tmp_path: Path
) -> None:
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {
        **os.environ,
        "KUBECHAT_AUDIT_DSN": dedicated_pg.app_dsn,
        "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
    }
    argv = [
        sys.executable,
        "-c",
        "from kubechat_lab.cli import main; main()",
        "serve",
        "--no-sandbox",
        "--kubeconfig",
        str(tmp_path / "missing.kubeconfig"),
        "--port",
        str(port),
        "--no-browser",
        "--",
        f"--ServerApp.root_dir={tmp_path}",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            argv,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        match = None
        while time.monotonic() < deadline and proc.poll() is None:
            match = re.search(
                rb"Open: (http://127\.0\.0\.1:\d+/)lab\?token=(\S+)", log.read_bytes()
            )
            if match:
                break
            time.sleep(0.3)
        assert match, log.read_text(errors="replace")[-3000:]
        base, token = match.group(1).decode(), match.group(2).decode()
        assert base == f"http://127.0.0.1:{port}/"
        r = httpx.get(
            base + "kubechat/api/health", headers={"Authorization": f"token {token}"}, timeout=30
        )
        assert r.json()["database"]["ok"] is True
        r = httpx.get(base + "lab", headers={"Authorization": f"token {token}"}, timeout=30)
        assert r.status_code == 200
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
