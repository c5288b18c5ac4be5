"""Tampering: refused for the app role, detected by both verifiers and by signed checkpoints."""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest

from kubechat_lab.audit import (
    AuditStore,
    VerifyReport,
    generate_signing_key,
    load_public_key,
    verify_checkpoints,
    write_checkpoint,
)
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres

Conn = psycopg.Connection[tuple[Any, ...]]


def _hash(seq: int, prev: bytes, payload: bytes) -> bytes:
    material = b"kubechat-audit/v1\x00" + struct.pack(">q", seq) + prev
    return hashlib.sha256(material + hashlib.sha256(payload).digest()).digest()


def _fill(db: AuditDb, n: int = 10) -> None:
    with AuditStore(db.app_dsn) as store:
        for i in range(1, n + 1):
            store.append({"type": "executed", "user": "alice", "i": i})


def _superuser(db: AuditDb) -> Conn:
    """A superuser connection with user triggers disabled (what an attacker with root does)."""
    conn = psycopg.connect(db.dsn, autocommit=True)
    conn.execute("SET session_replication_role = replica")
    return conn


def _both(db: AuditDb) -> tuple[VerifyReport, VerifyReport]:
    with AuditStore(db.app_dsn) as store:
        return store.verify_sql(), store.verify_stream()


def _row(conn: Conn, seq: int) -> tuple[bytes, bytes, bytes]:
    row = conn.execute(
        "SELECT prev_hash, entry_hash, payload FROM kubechat_audit.audit_event WHERE seq = %s",
        [seq],
    ).fetchone()
    assert row is not None
    return row


# -- refused ----------------------------------------------------------------------------------

APP_ROLE_STATEMENTS = [
    "UPDATE kubechat_audit.audit_event SET payload_json = '{}' WHERE seq = 1",
    "DELETE FROM kubechat_audit.audit_event WHERE seq = 1",
    "TRUNCATE kubechat_audit.audit_event",
    "INSERT INTO kubechat_audit.audit_event (seq, prev_hash, entry_hash, payload, payload_json)"
    " VALUES (2, '\\x01', '\\x02', '\\x7b7d', '{}')",
    "UPDATE kubechat_audit.audit_head SET seq = 0",
    "SET session_replication_role = replica",
    "CREATE TRIGGER x BEFORE INSERT ON kubechat_audit.audit_event"
    " FOR EACH ROW EXECUTE FUNCTION kubechat_audit.refuse_change()",
]


@pytest.mark.parametrize("statement", APP_ROLE_STATEMENTS)
def test_app_role_cannot_change_the_chain(audit_db: AuditDb, statement: str) -> None:
    _fill(audit_db, 1)
    with psycopg.connect(audit_db.app_dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
    assert _both(audit_db)[0].ok


SUPERUSER_STATEMENTS = [
    ("UPDATE kubechat_audit.audit_event SET payload_json = '{}' WHERE seq = 1", "append-only"),
    ("DELETE FROM kubechat_audit.audit_event WHERE seq = 1", "append-only"),
    ("TRUNCATE kubechat_audit.audit_event", "append-only"),
    ("DELETE FROM kubechat_audit.audit_head", "append-only"),
    ("UPDATE kubechat_audit.audit_head SET seq = 0", "only advance"),
    (
        "INSERT INTO kubechat_audit.audit_head (id, seq, hash) VALUES (2, 0, '\\x00')",
        "append-only",
    ),
]


@pytest.mark.parametrize(("statement", "message"), SUPERUSER_STATEMENTS)
def test_triggers_refuse_even_the_owner(audit_db: AuditDb, statement: str, message: str) -> None:
    _fill(audit_db, 1)
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=message):
            conn.execute(statement)
    assert _both(audit_db)[0].ok


# -- detected by both verifiers -----------------------------------------------------------------


def _edit_payload(conn: Conn) -> None:
    conn.execute(
        "UPDATE kubechat_audit.audit_event SET payload = convert_to(replace("
        "convert_from(payload, 'UTF8'), 'executed', 'rejected'), 'UTF8'),"
        ' payload_json = payload_json || \'{"type": "rejected"}\' WHERE seq = 4'
    )


def _edit_and_rehash(conn: Conn) -> None:
    prev, _, payload = _row(conn, 4)
    forged = payload.replace(b"alice", b"mallory")
    conn.execute(
        "UPDATE kubechat_audit.audit_event SET payload = %s, entry_hash = %s,"
        " payload_json = %s::jsonb WHERE seq = 4",
        [forged, _hash(4, prev, forged), forged.decode()],
    )


def _delete_middle(conn: Conn) -> None:
    conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq = 6")


def _delete_last(conn: Conn) -> None:
    conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq = 10")


def _swap_pair(conn: Conn) -> None:
    conn.execute("UPDATE kubechat_audit.audit_event SET seq = 1000 WHERE seq = 3")
    conn.execute("UPDATE kubechat_audit.audit_event SET seq = 3 WHERE seq = 4")
    conn.execute("UPDATE kubechat_audit.audit_event SET seq = 4 WHERE seq = 1000")


def _swap_payloads(conn: Conn) -> None:
    conn.execute(
        "UPDATE kubechat_audit.audit_event AS e SET payload = o.payload,"
        " payload_json = o.payload_json FROM kubechat_audit.audit_event AS o"
        " WHERE (e.seq, o.seq) IN ((7, 8), (8, 7))"
    )


def _forge_replacement(conn: Conn) -> None:
    prev, _, _ = _row(conn, 5)
    forged = b'{"i":5,"time":"2026-01-01T00:00:00Z","type":"executed","user":"mallory"}'
    conn.execute(
        "UPDATE kubechat_audit.audit_event SET payload = %s, entry_hash = %s,"
        " payload_json = %s::jsonb WHERE seq = 5",
        [forged, _hash(5, prev, forged), forged.decode()],
    )


def _forge_garbage_row(conn: Conn) -> None:
    _, last, _ = _row(conn, 10)
    conn.execute(
        "INSERT INTO kubechat_audit.audit_event (seq, prev_hash, entry_hash, payload, payload_json)"
        ' VALUES (11, %s, %s, %s, \'{"type": "approved"}\')',
        [last, b"\x07" * 32, b'{"type":"approved"}'],
    )
    conn.execute("UPDATE kubechat_audit.audit_head SET seq = 11, hash = %s", [b"\x07" * 32])


def _forge_valid_row_without_head(conn: Conn) -> None:
    _, last, _ = _row(conn, 10)
    payload = b'{"type":"approved","user":"mallory"}'
    conn.execute(
        "INSERT INTO kubechat_audit.audit_event (seq, prev_hash, entry_hash, payload, payload_json)"
        " VALUES (11, %s, %s, %s, %s::jsonb)",
        [last, _hash(11, last, payload), payload, payload.decode()],
    )


def _move_head_back(conn: Conn) -> None:
    _, h8, _ = _row(conn, 8)
    conn.execute("UPDATE kubechat_audit.audit_head SET seq = 8, hash = %s", [h8])


TAMPERS: list[tuple[Callable[[Conn], None], int, str]] = [
    (_edit_payload, 4, "entry_hash mismatch at seq 4"),
    (_edit_and_rehash, 5, "prev_hash of seq 5 does not match"),
    (_delete_middle, 6, "seq 6 is missing"),
    (_delete_last, 10, "audit_head says seq 10 but the chain ends at seq 9"),
    (_swap_pair, 3, "entry_hash mismatch at seq 3"),
    (_swap_payloads, 7, "entry_hash mismatch at seq 7"),
    (_forge_replacement, 6, "prev_hash of seq 6 does not match"),
    (_forge_garbage_row, 11, "entry_hash mismatch at seq 11"),
    (_forge_valid_row_without_head, 11, "past audit_head seq 10"),
    (_move_head_back, 9, "past audit_head seq 8"),
]


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "reason"), TAMPERS, ids=[t[0].__name__.strip("_") for t in TAMPERS]
)
def test_tampering_is_detected_by_both_verifiers(
    audit_db: AuditDb, tamper: Callable[[Conn], None], bad_seq: int, reason: str
) -> None:
    _fill(audit_db)
    assert all(report.ok for report in _both(audit_db))
    with _superuser(audit_db) as conn:
        tamper(conn)
    sql_report, stream_report = _both(audit_db)
    with AuditStore(audit_db.app_dsn) as store:  # small pages: chunk boundaries everywhere
        paged = [store.verify_sql(chunk_size=3), store.verify_stream(batch_size=3)]
    for report in (sql_report, stream_report, *paged):
        assert not report.ok, report
        assert report.first_bad_seq == bad_seq, report
        assert reason in report.reason, report
        assert f"first bad seq {bad_seq}:" in report.summary()
        assert (report.reason, report.rows_checked) == (
            sql_report.reason,
            sql_report.rows_checked,
        )


def test_edited_query_copy_is_caught_by_the_sql_verifier(audit_db: AuditDb) -> None:
    _fill(audit_db)
    with _superuser(audit_db) as conn:
        conn.execute(
            "UPDATE kubechat_audit.audit_event SET payload_json = payload_json"
            ' || \'{"user": "mallory"}\' WHERE seq = 2'
        )
    sql_report, stream_report = _both(audit_db)
    assert (sql_report.ok, sql_report.first_bad_seq) == (False, 2)
    assert "payload_json of seq 2" in sql_report.reason
    assert stream_report.ok  # documented: the stream verifier checks the hashed bytes only


def test_sql_verifier_reports_undecodable_payloads_instead_of_failing(audit_db: AuditDb) -> None:
    _fill(audit_db, 3)
    with _superuser(audit_db) as conn:
        prev, _, _ = _row(conn, 3)
        conn.execute(
            "UPDATE kubechat_audit.audit_event SET payload = %s, entry_hash = %s WHERE seq = 3",
            [b"\xff\xfe", _hash(3, prev, b"\xff\xfe")],
        )
        conn.execute(
            "UPDATE kubechat_audit.audit_head SET hash = %s", [_hash(3, prev, b"\xff\xfe")]
        )
    sql_report, stream_report = _both(audit_db)
    assert not sql_report.ok and "not UTF-8 JSON" in sql_report.reason
    assert stream_report.ok  # bytes hash correctly; only the checkpoints could tell


# -- checkpoints --------------------------------------------------------------------------------


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Any, Any, Path]:
    key = generate_signing_key(tmp_path / "audit-key.pem")
    assert (tmp_path / "audit-key.pem").stat().st_mode & 0o777 == 0o600
    return key, load_public_key(tmp_path / "audit-key.pem.pub"), tmp_path / "checkpoints.jsonl"


def _checkpointed_chain(db: AuditDb, key: Any, path: Path) -> None:
    with AuditStore(db.app_dsn) as store:
        write_checkpoint(store, key, path)  # size 0
        for i in range(1, 11):
            store.append({"type": "executed", "i": i})
            if i % 5 == 0:
                write_checkpoint(store, key, path)


def _rewrite_from(db: AuditDb, first: int) -> None:
    """Delete the tail from ``first`` and re-append different events with valid hashes."""
    with _superuser(db) as conn:
        prev, _, _ = _row(conn, first)
        conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq >= %s", [first])
        conn.execute("UPDATE kubechat_audit.audit_head SET seq = %s, hash = %s", [first - 1, prev])
        for i in range(first, 11):
            payload = json.dumps({"i": i, "type": "executed", "user": "mallory"}).encode()
            conn.execute("SELECT * FROM kubechat_audit.kubechat_audit_append(%s)", [payload])


def test_checkpoints_pass_on_an_intact_chain(audit_db: AuditDb, keys: Any) -> None:
    key, public, path = keys
    _checkpointed_chain(audit_db, key, path)
    with AuditStore(audit_db.app_dsn) as store:
        report = verify_checkpoints(store, public, path)
    assert report.ok and report.rows_checked == 10
    assert [json.loads(line)["size"] for line in path.read_text().splitlines()] == [0, 5, 10]


def test_rewritten_tail_is_caught_only_by_checkpoints(audit_db: AuditDb, keys: Any) -> None:
    key, public, path = keys
    _checkpointed_chain(audit_db, key, path)
    _rewrite_from(audit_db, 7)
    assert all(report.ok for report in _both(audit_db))  # the chain alone looks fine
    with AuditStore(audit_db.app_dsn) as store:
        report = verify_checkpoints(store, public, path)
    assert not report.ok
    assert report.first_bad_seq == 6
    assert "entry_hash at seq 10 differs" in report.reason
    assert "rows 6..10 were rewritten" in report.reason


def test_truncated_tail_is_caught_only_by_checkpoints(audit_db: AuditDb, keys: Any) -> None:
    key, public, path = keys
    _checkpointed_chain(audit_db, key, path)
    with _superuser(audit_db) as conn:
        _, h8, _ = _row(conn, 8)
        conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq > 8")
        conn.execute("UPDATE kubechat_audit.audit_head SET seq = 8, hash = %s", [h8])
    assert all(report.ok for report in _both(audit_db))
    with AuditStore(audit_db.app_dsn) as store:
        report = verify_checkpoints(store, public, path)
    assert (report.ok, report.first_bad_seq) == (False, 9)
    assert "the chain has 8 rows" in report.reason and "truncated" in report.reason


def test_edited_checkpoint_or_wrong_key_fails_the_signature(
    audit_db: AuditDb, keys: Any, tmp_path: Path
) -> None:
    key, public, path = keys
    _checkpointed_chain(audit_db, key, path)
    lines = path.read_text().splitlines()
    edited = json.loads(lines[2])
    edited["size"] = 9
    forged_path = tmp_path / "forged.jsonl"
    forged_path.write_text("\n".join([*lines[:2], json.dumps(edited)]) + "\n")
    other = generate_signing_key(tmp_path / "other.pem")
    with AuditStore(audit_db.app_dsn) as store:
        forged = verify_checkpoints(store, public, forged_path)
        wrong_key = verify_checkpoints(store, other.public_key(), path)
    assert not forged.ok and "line 3: bad signature" in forged.reason
    assert not wrong_key.ok and "line 1: bad signature" in wrong_key.reason


def test_broken_chain_is_reported_before_checkpoints(audit_db: AuditDb, keys: Any) -> None:
    key, public, path = keys
    _checkpointed_chain(audit_db, key, path)
    with _superuser(audit_db) as conn:
        _edit_payload(conn)
    with AuditStore(audit_db.app_dsn) as store:
        report = verify_checkpoints(store, public, path)
    assert (report.ok, report.first_bad_seq, report.method) == (False, 4, "stream")
