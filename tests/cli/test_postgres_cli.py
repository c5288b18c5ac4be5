"""``kubechat postgres start|stop|status`` manage an embedded server in its data directory."""

from __future__ import annotations

import re
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubechat_lab.audit import AuditStore, EmbeddedPostgres
from tests.cli._kubechat import kubechat, warnings_in

pytestmark = pytest.mark.postgres


@pytest.fixture
def data_dir() -> Iterator[Path]:
    # Not under pytest's basetemp, which each run resets to 0700 (see tests/plugins/postgres).
    root = Path(tempfile.mkdtemp(prefix="kubechat-test-pgcli-"))
    yield root / "pg"
    server = EmbeddedPostgres(root / "pg")
    if server.running:
        server.stop(mode="immediate")
    shutil.rmtree(root, ignore_errors=True)


def accepts(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_start_status_stop(data_dir: Path) -> None:
    where = ("--data-dir", str(data_dir))
    before = kubechat("postgres", "status", *where)
    assert before.returncode == 1
    assert "state      stopped" in before.stdout
    assert "is not running; start it with `kubechat postgres start`" in before.stderr
    assert not data_dir.exists()  # looking does not create anything

    started = kubechat("postgres", "start", *where)
    assert started.returncode == 0, started.stderr
    assert warnings_in(started.stderr) == []
    match = re.search(r"running \(pid (\d+)\)", started.stdout)
    assert match, started.stdout
    pid = int(match[1])
    password = (data_dir / "app_password").read_text().strip()
    assert "password=***" in started.stdout and password not in started.stdout
    server = EmbeddedPostgres(data_dir)
    assert server.pid == pid and f"127.0.0.1:{server.port}" in started.stdout
    with AuditStore(server.app_dsn) as store:  # started and migrated: the app role can read
        assert store.head()[0] == 0

    port = server.port
    status = kubechat("postgres", "status", *where)
    assert status.returncode == 0 and f"running (pid {pid})" in status.stdout
    assert kubechat("postgres", "start", *where).returncode == 0  # idempotent
    assert EmbeddedPostgres(data_dir).pid == pid

    stopped = kubechat("postgres", "stop", *where)
    assert stopped.returncode == 0 and f"stopped: {data_dir}" in stopped.stdout
    assert EmbeddedPostgres(data_dir).pid is None and not accepts(port)
    assert kubechat("postgres", "status", *where).returncode == 1
    again = kubechat("postgres", "stop", *where)
    assert again.returncode == 0 and f"not running: {data_dir}" in again.stdout
