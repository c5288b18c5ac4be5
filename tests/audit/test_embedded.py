"""The embedded PostgreSQL helper and the default DSN the server and CLI share."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import psycopg
import pytest

from kubechat_lab.audit import (
    AuditStore,
    EmbeddedPostgres,
    default_data_dir,
    default_dsn,
)

pytestmark = pytest.mark.postgres


def _postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.pgdata / "postmaster.pid").read_text().splitlines()[0])


def test_start_is_idempotent_and_shared_across_handles(dedicated_pg: EmbeddedPostgres) -> None:
    pid = _postmaster_pid(dedicated_pg)
    other = EmbeddedPostgres(dedicated_pg.data_dir).start()
    assert (other.port, _postmaster_pid(other)) == (dedicated_pg.port, pid)
    assert other.app_dsn == dedicated_pg.app_dsn
    with psycopg.connect(dedicated_pg.dsn) as conn:
        row = conn.execute("SHOW listen_addresses").fetchone()
        fsync = conn.execute("SHOW fsync").fetchone()
    assert row == ("127.0.0.1",)
    assert fsync == ("on",)


def test_app_role_logs_in_with_a_password_over_tcp(dedicated_pg: EmbeddedPostgres) -> None:
    assert (dedicated_pg.data_dir / "app_password").stat().st_mode & 0o777 == 0o600
    assert "host=127.0.0.1" in dedicated_pg.app_dsn
    wrong = dedicated_pg.app_dsn.replace(dedicated_pg.app_password, "wrong")
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(wrong, connect_timeout=5)
    with psycopg.connect(dedicated_pg.app_dsn) as conn:
        user = conn.execute(
            "SELECT current_user, usesuper FROM pg_user WHERE usename = current_user"
        )
        assert user.fetchone() == ("kubechat_app", False)


@pytest.mark.skipif(os.geteuid() != 0, reason="only meaningful when running as root")
def test_as_root_postgres_runs_unprivileged(dedicated_pg: EmbeddedPostgres) -> None:
    status = Path(f"/proc/{_postmaster_pid(dedicated_pg)}/status").read_text()
    uid = next(line.split()[1] for line in status.splitlines() if line.startswith("Uid:"))
    assert int(uid) != 0
    assert dedicated_pg.pgdata.stat().st_uid == int(uid)
    assert dedicated_pg.pgdata.stat().st_mode & 0o777 == 0o700


def test_stop_and_restart_keep_the_chain(dedicated_pg: EmbeddedPostgres) -> None:
    with AuditStore(dedicated_pg.app_dsn) as store:
        record = store.append({"type": "ask"})
    dedicated_pg.stop()
    assert not dedicated_pg.running
    dedicated_pg.stop()  # stopping a stopped server is a no-op
    dedicated_pg.start()
    with AuditStore(dedicated_pg.app_dsn) as store:
        assert store.head() == (1, record.entry_hash)


def test_default_dsn_prefers_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECHAT_AUDIT_DSN", "host=db.example port=5432 dbname=audit")
    assert default_dsn() == "host=db.example port=5432 dbname=audit"


def test_default_dsn_starts_a_migrated_embedded_server(monkeypatch: pytest.MonkeyPatch) -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="kubechat-test-jupyter-"))  # see tests.plugins.postgres
    monkeypatch.delenv("KUBECHAT_AUDIT_DSN", raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "jupyter"))
    assert default_data_dir() == tmp_path / "jupyter" / "kubechat" / "postgres"
    try:
        dsn = default_dsn()
        with AuditStore(dsn) as store:
            assert store.append({"type": "ask"}).seq == 1
        # A second call (e.g. the CLI after the server) reuses the same server and chain.
        assert default_dsn() == dsn
        with AuditStore(dsn) as store:
            assert store.head()[0] == 1
    finally:
        EmbeddedPostgres(default_data_dir()).stop()
        shutil.rmtree(tmp_path, ignore_errors=True)
