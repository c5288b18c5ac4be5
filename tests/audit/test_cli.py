"""``kubechat audit`` through click's CliRunner against a real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from click.testing import CliRunner

from kubechat_lab.audit import AuditStore, entry_hash, to_frame
from kubechat_lab.cli import main
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres


def _fill(db: AuditDb, n: int = 6) -> None:
    with AuditStore(db.app_dsn) as store:
        for i in range(1, n + 1):
            store.append(
                {"type": "executed" if i % 2 else "proposed", "user": "alice", "i": i,
                 "reasons": ["read-only"], "command": f"kubectl get pods -n ns{i}"}
            )  # fmt: skip


def test_verify_exit_0_when_intact(audit_db: AuditDb) -> None:
    _fill(audit_db)
    result = CliRunner().invoke(main, ["audit", "verify", "--dsn", audit_db.app_dsn])
    assert result.exit_code == 0, result.output
    assert "[sql] audit chain intact: 6 rows checked, head seq 6" in result.output
    assert "[stream] audit chain intact: 6 rows checked" in result.output


def test_verify_exit_1_names_the_first_bad_seq(audit_db: AuditDb) -> None:
    _fill(audit_db)
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq = 3")
    result = CliRunner().invoke(main, ["audit", "verify", "--dsn", audit_db.app_dsn])
    assert result.exit_code == 1, result.output
    assert "[sql] first bad seq 3: seq 3 is missing" in result.output
    assert "[stream] first bad seq 3: seq 3 is missing" in result.output
    assert "audit log is NOT intact: first bad seq 3" in result.output


def test_verify_with_checkpoints(audit_db: AuditDb, tmp_path: Path) -> None:
    _fill(audit_db)
    key, log = tmp_path / "key.pem", tmp_path / "cp.jsonl"
    runner = CliRunner()
    made = runner.invoke(
        main, ["audit", "checkpoint", "--key", str(key), "--checkpoints", str(log),
               "--dsn", audit_db.app_dsn],
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    assert "checkpoint size=6" in made.output
    args = ["audit", "verify", "--dsn", audit_db.app_dsn, "--method", "sql",
            "--checkpoints", str(log), "--public-key", f"{key}.pub"]  # fmt: skip
    assert runner.invoke(main, args).exit_code == 0
    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:  # truncate the tail
        conn.execute("SET session_replication_role = replica")
        conn.execute("DELETE FROM kubechat_audit.audit_event WHERE seq > 4")
        conn.execute(
            "UPDATE kubechat_audit.audit_head SET seq = 4, hash ="
            " (SELECT entry_hash FROM kubechat_audit.audit_event WHERE seq = 4)"
        )
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "[sql] audit chain intact" in result.output
    assert "[checkpoints] first bad seq 5: the chain has 4 rows" in result.output


def test_verify_checkpoint_options_go_together(audit_db: AuditDb, tmp_path: Path) -> None:
    (tmp_path / "cp.jsonl").write_text("")
    result = CliRunner().invoke(
        main, ["audit", "verify", "--dsn", audit_db.app_dsn,
               "--checkpoints", str(tmp_path / "cp.jsonl")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "go together" in result.output


def test_verify_unreachable_database_exits_1() -> None:
    result = CliRunner().invoke(
        main, ["audit", "verify", "--dsn", "host=127.0.0.1 port=1 dbname=x connect_timeout=2"]
    )
    assert result.exit_code == 1
    assert "cannot connect to the audit database" in result.output


def test_tail_prints_the_newest_records(audit_db: AuditDb) -> None:
    _fill(audit_db)
    runner = CliRunner()
    result = runner.invoke(main, ["audit", "tail", "-n", "2", "--dsn", audit_db.app_dsn])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 2
    assert lines[0].split()[:1] == ["5"] and "executed" in lines[0] and "alice" in lines[0]
    assert '"command":"kubectl get pods -n ns6"' in lines[1]
    as_json = runner.invoke(main, ["audit", "tail", "-n", "1", "--json", "--dsn", audit_db.app_dsn])
    record = json.loads(as_json.output)
    assert record["seq"] == 6 and record["event"]["i"] == 6 and len(record["entry_hash"]) == 64


def test_tail_uses_env_dsn(audit_db: AuditDb, monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(audit_db, 1)
    monkeypatch.setenv("KUBECHAT_AUDIT_DSN", audit_db.app_dsn)
    result = CliRunner().invoke(main, ["audit", "tail"])
    assert result.exit_code == 0, result.output
    assert result.output.split()[0] == "1"


def test_export_parquet_round_trip(audit_db: AuditDb, tmp_path: Path) -> None:
    _fill(audit_db)
    target = tmp_path / "audit.parquet"
    result = CliRunner().invoke(main, ["audit", "export", str(target), "--dsn", audit_db.app_dsn])
    assert result.exit_code == 0, result.output
    assert "wrote 6 audit records" in result.output
    frame = pd.read_parquet(target)
    assert list(frame.columns) == [
        "seq", "at", "type", "user", "prev_hash", "entry_hash", "payload", "event_json",
    ]  # fmt: skip
    assert frame["seq"].tolist() == [1, 2, 3, 4, 5, 6]
    assert frame["type"].tolist()[:2] == ["executed", "proposed"]
    assert str(frame["at"].dtype) == "datetime64[us, UTC]"
    # The export alone re-verifies: every hash recomputes from its payload and links.
    prev = bytes(32)
    for row in frame.itertuples():
        assert row.prev_hash == prev
        assert entry_hash(row.seq, row.prev_hash, row.payload) == row.entry_hash
        assert json.loads(row.event_json)["i"] == row.seq
        prev = row.entry_hash
    with AuditStore(audit_db.app_dsn) as store:
        assert store.head() == (6, prev)


def test_export_of_an_empty_chain_and_bad_suffix(audit_db: AuditDb, tmp_path: Path) -> None:
    runner = CliRunner()
    target = tmp_path / "empty.parquet"
    result = runner.invoke(main, ["audit", "export", str(target), "--dsn", audit_db.app_dsn])
    assert result.exit_code == 0 and "wrote 0 audit records" in result.output
    assert len(pd.read_parquet(target)) == 0
    bad = runner.invoke(main, ["audit", "export", str(tmp_path / "x.csv"), "--dsn", "x"])
    assert bad.exit_code == 2 and ".parquet" in bad.output


def test_to_frame_flattens_events(audit_db: AuditDb) -> None:
    _fill(audit_db, 3)
    with AuditStore(audit_db.app_dsn) as store:
        frame = to_frame(store.records())
    assert frame.columns[:6].tolist() == ["seq", "at", "type", "user", "prev_hash", "entry_hash"]
    assert {"command", "i", "reasons", "time"} <= set(frame.columns)
    assert frame["seq"].dtype == "int64"
    assert str(frame["at"].dtype).startswith("datetime64")
    assert frame.loc[0, "reasons"] == ["read-only"]
    assert frame.loc[2, "command"] == "kubectl get pods -n ns3"
    assert to_frame([]).empty
