"""AuditStore against a real PostgreSQL: append, read, migrate, privileges, fail closed."""

from __future__ import annotations

import hashlib
import logging
import struct
import threading

import psycopg
import pytest

from kubechat_lab.audit import (
    GENESIS_HASH,
    AuditError,
    AuditStore,
    AuditStoreStateError,
    redact_dsn,
)
from kubechat_lab.audit._schema import MIGRATIONS
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres


def _hash(seq: int, prev: bytes, payload: bytes) -> bytes:
    material = b"kubechat-audit/v1\x00" + struct.pack(">q", seq) + prev
    return hashlib.sha256(material + hashlib.sha256(payload).digest()).digest()


def test_append_returns_the_stored_record_and_sql_hash_matches_python(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        assert store.head() == (0, GENESIS_HASH)
        first = store.append({"type": "ask", "user": "alice", "question": "why?"})
        second = store.append({"type": "proposed", "user": "alice", "command": "kubectl get pods"})
        assert (first.seq, second.seq) == (1, 2)
        assert first.prev_hash == GENESIS_HASH
        assert second.prev_hash == first.entry_hash
        assert first.entry_hash == _hash(1, GENESIS_HASH, first.payload)
        assert second.entry_hash == _hash(2, first.entry_hash, second.payload)
        assert store.head() == (2, second.entry_hash)
        assert first.event["question"] == "why?"
        assert first.event["time"].endswith("Z")  # added because the event had none
        assert first.at.tzinfo is not None
        stored = store.records()
        assert [r.seq for r in stored] == [1, 2]
        assert stored[0] == first
        assert stored[1].payload == second.payload
    with psycopg.connect(audit_db.dsn) as conn:
        row = conn.execute(
            "SELECT payload, payload_json->>'user' FROM kubechat_audit.audit_event WHERE seq = 2"
        ).fetchone()
    assert row == (second.payload, "alice")


def test_caller_time_is_kept(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        rec = store.append({"type": "ask", "time": "2026-01-01T00:00:00Z"})
    assert rec.event["time"] == "2026-01-01T00:00:00Z"


def test_records_filters_paging_and_tail(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        for i in range(12):
            store.append({"type": "executed" if i % 3 == 0 else "ask", "user": f"u{i % 2}", "i": i})
        assert [r.seq for r in store.records(after_seq=5, limit=3)] == [6, 7, 8]
        executed = store.records(type="executed")
        assert [r.event["i"] for r in executed] == [0, 3, 6, 9]
        assert [r.event["i"] for r in store.records(type="executed", user="u1")] == [3, 9]
        assert [r.seq for r in store.tail(3)] == [10, 11, 12]
        assert [r.seq for r in store.iter_records(after_seq=9, batch_size=2)] == [10, 11, 12]
        assert store.hashes_at([1, 12, 99]).keys() == {1, 12}
        with pytest.raises(ValueError, match="limit must be between"):
            store.records(limit=0)


def test_migrate_is_idempotent(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.dsn) as store:
        assert store.migrate() == []  # the template was migrated already
        assert store.migrate(app_password=audit_db.server.app_password) == []
    with psycopg.connect(audit_db.dsn) as conn:
        versions = conn.execute(
            "SELECT version FROM kubechat_audit.schema_migrations ORDER BY version"
        ).fetchall()
    assert versions == [(version,) for version, _, _ in MIGRATIONS]


def test_migrate_on_an_empty_database_creates_everything(audit_db: AuditDb) -> None:
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA kubechat_audit CASCADE")
    with AuditStore(audit_db.dsn) as store:
        assert store.migrate() == [version for version, _, _ in MIGRATIONS]
    with AuditStore(audit_db.app_dsn) as store:
        assert store.append({"type": "ask"}).seq == 1


def test_migrate_upgrades_an_older_schema_in_place(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        kept = store.append({"type": "ask"})
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:  # back to schema version 2
        conn.execute("DROP PROCEDURE kubechat_audit.kubechat_audit_append_durable")
        conn.execute("DELETE FROM kubechat_audit.schema_migrations WHERE version = 3")
    with AuditStore(audit_db.dsn) as store:
        assert store.migrate() == [3]
    with AuditStore(audit_db.app_dsn) as store:
        assert store.append({"type": "ask"}).prev_hash == kept.entry_hash


def test_app_role_privileges_are_exactly_select_and_execute(audit_db: AuditDb) -> None:
    with psycopg.connect(audit_db.dsn) as conn:
        privileges = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = 'kubechat_app' AND table_schema = 'kubechat_audit'"
            " ORDER BY 1, 2"
        ).fetchall()
        functions = conn.execute(
            "SELECT routine_name FROM information_schema.role_routine_grants"
            " WHERE grantee = 'kubechat_app' ORDER BY 1"
        ).fetchall()
        public_exec = conn.execute(
            "SELECT has_function_privilege('public',"
            " 'kubechat_audit.kubechat_audit_append(bytea)', 'EXECUTE')"
        ).fetchone()
    assert privileges == [
        # the LLM answer cache is outside the chain: its rows are read, stored and evicted
        ("answer_cache", "DELETE"),
        ("answer_cache", "INSERT"),
        ("answer_cache", "SELECT"),
        ("answer_cache", "UPDATE"),
        ("audit_event", "SELECT"),
        ("audit_head", "SELECT"),
        ("schema_migrations", "SELECT"),
    ]
    assert functions == [
        ("kubechat_audit_append",),
        ("kubechat_audit_append_durable",),
        ("kubechat_audit_sync",),
    ]
    assert public_exec == (False,)


def test_invalid_event_appends_nothing(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        store.append({"type": "ask"})
        with pytest.raises(AuditError, match=r"\$\.x is a set"):
            store.append({"type": "ask", "x": {1}})
        with pytest.raises(AuditError, match="over the 1048576-byte limit"):
            store.append({"type": "ask", "blob": "x" * (1 << 20)})
        assert store.head()[0] == 1
        assert store.verify_sql().ok


def test_append_function_refuses_non_object_payloads(audit_db: AuditDb) -> None:
    with psycopg.connect(audit_db.app_dsn, autocommit=True) as conn:
        for payload, sqlstate in [
            (b"[1,2]", "22023"),
            (b'{"no_type":1}', "22023"),
            (b"not json", "22P02"),
            (b"\xff\xfe", "22021"),
        ]:
            with pytest.raises(psycopg.Error) as info:
                conn.execute("SELECT * FROM kubechat_audit.kubechat_audit_append(%s)", [payload])
            assert info.value.sqlstate == sqlstate
        head = conn.execute("SELECT seq FROM kubechat_audit.audit_head").fetchone()
    assert head == (0,)


@pytest.mark.parametrize("group_commit", [True, False])
def test_both_commit_modes_build_the_same_chain(audit_db: AuditDb, group_commit: bool) -> None:
    with AuditStore(audit_db.app_dsn, group_commit=group_commit) as store:
        records = [store.append({"type": "ask", "i": i}) for i in range(5)]
        assert [r.seq for r in records] == [1, 2, 3, 4, 5]
        assert store.verify_sql().ok and store.verify_stream().ok
        for size in (1, 2, 5, 6):  # page boundaries on, around and past the end
            sql_report = store.verify_sql(chunk_size=size)
            stream_report = store.verify_stream(batch_size=size)
            assert sql_report.ok and stream_report.ok
            assert sql_report.rows_checked == stream_report.rows_checked == 5


def test_empty_chain_verifies(audit_db: AuditDb) -> None:
    with AuditStore(audit_db.app_dsn) as store:
        for report in (store.verify_sql(), store.verify_stream()):
            assert (report.ok, report.rows_checked, report.head_seq) == (True, 0, 0)


def test_serialization_failures_are_retried(
    audit_db: AuditDb, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="kubechat_lab.audit._store")
    # The store forces READ COMMITTED; a session switched to SERIALIZABLE behind its back
    # (as a server default would) gets 40001 on head-lock conflicts, which append retries.
    with psycopg.connect(audit_db.dsn, autocommit=True) as admin:
        admin.execute(
            f"ALTER DATABASE {audit_db.name} SET default_transaction_isolation = serializable"
        )
    stores = [AuditStore(audit_db.app_dsn, retries=30).open() for _ in range(3)]
    for store in stores:
        assert store._connection().execute("SHOW default_transaction_isolation").fetchone() == (
            "read committed",
        )
        store._connection().execute("SET default_transaction_isolation = serializable")
    errors: list[BaseException] = []

    def run(store: AuditStore) -> None:
        try:
            for i in range(40):
                store.append({"type": "ask", "i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for store in stores:
        store.close()
    assert not errors
    retried = [r for r in caplog.records if "retry" in r.getMessage()]
    assert retried and "SerializationFailure" in retried[0].getMessage()
    with AuditStore(audit_db.app_dsn) as store:
        assert store.head()[0] == 120
        assert store.verify_sql().ok


def test_missing_schema_error_says_to_migrate(audit_db: AuditDb) -> None:
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:
        conn.execute("DROP SCHEMA kubechat_audit CASCADE")
    with AuditStore(audit_db.dsn) as store, pytest.raises(AuditError, match="migrate") as info:
        store.append({"type": "ask"})
    assert info.value.sqlstate == "3F000" or info.value.sqlstate == "42883"


def test_unreachable_database_is_an_audit_error_without_the_password() -> None:
    dsn = "host=127.0.0.1 port=1 user=kubechat_app password=s3cret dbname=x"
    with pytest.raises(AuditError, match="cannot connect to the audit database") as info:
        AuditStore(dsn, connect_timeout=2).open()
    assert "s3cret" not in str(info.value)
    assert "password=***" in redact_dsn(dsn)


def test_store_lifecycle_misuse(audit_db: AuditDb) -> None:
    store = AuditStore(audit_db.app_dsn)
    with pytest.raises(AuditStoreStateError, match="not open"):
        store.head()
    with store:
        store.head()
    with pytest.raises(AuditStoreStateError, match="not open"):
        store.append({"type": "ask"})
    with pytest.raises(AuditStoreStateError, match="create a new AuditStore"):
        store.open()


def test_audit_error_pickles_with_sqlstate() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(AuditError("boom", sqlstate="40001")))
    assert (str(err), err.sqlstate) == ("boom", "40001")
