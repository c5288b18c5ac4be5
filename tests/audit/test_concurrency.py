"""16 writers in 4 processes build one linear chain: no gaps, no forks, every ack stored."""

from __future__ import annotations

import multiprocessing

import psycopg
import pytest

from kubechat_lab.audit import AuditStore
from tests.audit._workers import append_many
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres

PROCESSES = 4
THREADS = 4
TOTAL = 20_000


@pytest.mark.timeout(600)
def test_sixteen_writers_in_four_processes_build_one_chain(audit_db: AuditDb) -> None:
    per_thread = TOTAL // (PROCESSES * THREADS)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(PROCESSES) as pool:
        results = pool.starmap(
            append_many, [(audit_db.app_dsn, p, THREADS, per_thread) for p in range(PROCESSES)]
        )
    acked = [item for result in results for item in result]
    assert len(acked) == TOTAL
    assert sorted(seq for seq, _, _ in acked) == list(range(1, TOTAL + 1))

    with psycopg.connect(audit_db.dsn) as conn:
        rows = conn.execute(
            "SELECT seq, prev_hash, entry_hash, payload_json->>'id'"
            " FROM kubechat_audit.audit_event ORDER BY seq"
        ).fetchall()
    assert [row[0] for row in rows] == list(range(1, TOTAL + 1))  # no gaps
    assert len({row[1] for row in rows}) == TOTAL  # no two rows share a parent: no forks
    for (_, _, parent, _), (_, prev, _, _) in zip(rows, rows[1:], strict=False):
        assert prev == parent  # one linear chain
    stored = {seq: (digest.hex(), event_id) for seq, _, digest, event_id in rows}
    assert all(stored[seq] == (digest, event_id) for seq, digest, event_id in acked)
    assert len({event_id for _, _, event_id in acked}) == TOTAL  # each event exactly once

    with AuditStore(audit_db.app_dsn) as store:
        for report in (store.verify_sql(), store.verify_stream()):
            assert report.ok, report
            assert report.rows_checked == TOTAL
            assert report.head_seq == TOTAL
