"""Faults: PostgreSQL stopped mid-run, a writer SIGKILLed, durability of acknowledged appends."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from pathlib import Path

import psycopg
import pytest

from kubechat_lab.audit import AuditError, AuditRecord, AuditStore, EmbeddedPostgres
from tests.audit._workers import append_until_killed
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not reached in time")
        time.sleep(0.02)


def _backends(db: AuditDb) -> int:
    """Return how many sessions other than this one are open on ``db``."""
    with psycopg.connect(db.dsn) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                           "AND pid <> pg_backend_pid()", (db.name,)).fetchone()
    return int(row[0]) if row else 0


def _stored(dsn: str) -> dict[int, bytes]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT seq, entry_hash FROM kubechat_audit.audit_event").fetchall()
    return {seq: bytes(digest) for seq, digest in rows}


@pytest.mark.timeout(300)
def test_immediate_stop_mid_run_fails_closed_and_keeps_every_ack(
    dedicated_pg: EmbeddedPostgres,
) -> None:
    acked: list[AuditRecord] = []
    failures: list[AuditError] = []
    store = AuditStore(dedicated_pg.app_dsn, connect_timeout=2).open()

    def writer() -> None:
        i = 0
        while True:
            try:
                acked.append(store.append({"type": "execute", "i": i}))
            except AuditError as exc:
                failures.append(exc)
                return
            i += 1

    thread = threading.Thread(target=writer)
    thread.start()
    _wait_for(lambda: len(acked) >= 200)
    dedicated_pg.stop(mode="immediate")  # pg_ctl stop -m immediate: no checkpoint, crash-like
    thread.join(timeout=60)
    assert not thread.is_alive()

    assert len(failures) == 1
    message = str(failures[0])
    # Depending on where the stop lands: in the append, in the durability barrier, or in the
    # reconnect. Each message tells the caller not to run the command.
    assert "not audited" in message or "cannot connect to the audit database" in message, message

    # While the server is down, appends fail with a clear error and nothing is written.
    with pytest.raises(AuditError, match="cannot connect to the audit database"):
        store.append({"type": "execute", "i": -1})

    dedicated_pg.start()  # crash recovery replays the WAL
    stored = _stored(dedicated_pg.dsn)
    assert all(stored.get(r.seq) == r.entry_hash for r in acked), "an acknowledged append was lost"
    assert len(stored) in (len(acked), len(acked) + 1)  # at most the one unacknowledged append
    with AuditStore(dedicated_pg.app_dsn) as checker:
        assert checker.verify_sql().ok and checker.verify_stream().ok
    # The same store reconnects and continues the chain.
    record = store.append({"type": "execute", "i": "after-restart"})
    assert record.seq == len(stored) + 1
    store.close()


@pytest.mark.timeout(300)
def test_durability_barrier_flushes_acknowledged_appends(dedicated_pg: EmbeddedPostgres) -> None:
    with psycopg.connect(dedicated_pg.dsn, autocommit=True) as admin:
        # Make the WAL writer lazy so only an explicit flush puts WAL on disk.
        admin.execute("ALTER SYSTEM SET wal_writer_delay = '10s'")
        admin.execute("ALTER SYSTEM SET wal_writer_flush_after = 0")
        admin.execute("SELECT pg_reload_conf()")
    lagged = False
    with (
        psycopg.connect(dedicated_pg.app_dsn, autocommit=True) as raw,
        AuditStore(dedicated_pg.app_dsn) as store,
    ):
        raw.execute("SET synchronous_commit = off")
        # An async commit is usually, not always, still behind the flush when we look (the WAL
        # writer also wakes on page boundaries): go on until the lag has been seen 3 times.
        lags = 0
        for _ in range(200):
            if lags >= 3:
                break
            raw.execute(
                "SELECT * FROM kubechat_audit.kubechat_audit_append(%s)", [b'{"type":"raw"}']
            )
            row = raw.execute(
                "SELECT pg_current_wal_insert_lsn(), pg_current_wal_flush_lsn()"
            ).fetchone()
            assert row is not None
            inserted, flushed = row
            lags += flushed < inserted  # the async commit is not on disk yet
            lagged = lags > 0
            store.append({"type": "execute"})
            after = raw.execute("SELECT pg_current_wal_flush_lsn()").fetchone()
            assert after is not None and after[0] >= inserted  # the barrier flushed it
        acked = [store.append({"type": "execute", "n": n}) for n in range(20)]
    assert lagged, "asynchronous commits were never behind the flush: the check proves nothing"
    dedicated_pg.stop(mode="immediate")
    dedicated_pg.start()
    stored = _stored(dedicated_pg.dsn)
    assert all(stored.get(r.seq) == r.entry_hash for r in acked)
    with AuditStore(dedicated_pg.app_dsn) as checker:
        assert checker.verify_stream().ok


@pytest.mark.timeout(300)
def test_sigkilled_writer_leaves_a_sound_chain_with_every_ack(
    audit_db: AuditDb, tmp_path: Path
) -> None:
    ack_path = tmp_path / "acks.txt"
    ctx = multiprocessing.get_context("spawn")
    process = ctx.Process(target=append_until_killed, args=(audit_db.app_dsn, str(ack_path), 4))
    process.start()
    try:
        _wait_for(lambda: ack_path.exists() and ack_path.read_text().count("\n") >= 300)
        assert process.pid is not None
        os.kill(process.pid, signal.SIGKILL)
        process.join(timeout=30)
    finally:
        if process.is_alive():
            process.kill()
    assert process.exitcode == -signal.SIGKILL
    # A COMMIT the killed client had already sent still completes on the server: read the
    # chain only once the killed writers' backends are gone.
    _wait_for(lambda: _backends(audit_db) == 0)

    acks = [line.split() for line in ack_path.read_text().splitlines()]
    stored = _stored(audit_db.dsn)
    assert all(stored.get(int(seq)) == bytes.fromhex(digest) for seq, digest in acks)
    assert sorted(stored) == list(range(1, len(stored) + 1))
    with AuditStore(audit_db.app_dsn) as store:
        assert store.verify_sql().ok and store.verify_stream().ok
        # The killed sessions' locks are gone: the next append continues the chain at once.
        assert store.append({"type": "execute", "after": "kill"}).seq == len(stored) + 1
