"""The two chain verifiers run against a live connection, in keyset pages.

``verify_in_sql`` lets PostgreSQL recompute the hashes chunk by chunk (``SQL_CHUNK``);
``verify_streamed`` fetches the rows (binary protocol) and recomputes them in Python
(``verify_rows``). Both read the head first and then check that no row lies past it. The
caller holds the connection and turns psycopg errors into ``AuditError``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from psycopg import errors

from kubechat_lab.audit._canonical import GENESIS_HASH, HASH_DOMAIN
from kubechat_lab.audit._connection import first_line
from kubechat_lab.audit._records import VerifyReport
from kubechat_lab.audit._verify import (
    SQL_CHUNK,
    SQL_HEAD,
    SQL_PAST_HEAD,
    SQL_ROWS,
    head_report,
    past_head_report,
    reason_for,
    verify_rows,
)
from kubechat_lab.errors import AuditError

__all__ = ["verify_in_sql", "verify_streamed"]

Connection = psycopg.Connection[tuple[Any, ...]]


def verify_in_sql(conn: Connection, *, chunk_size: int) -> VerifyReport:
    """Verify the chain with set-based queries inside PostgreSQL (``AuditStore.verify_sql``).

    Parameters
    ----------
    conn
        An open connection (autocommit).
    chunk_size
        Rows per statement (each chunk continues from the previous one's last row).

    Returns
    -------
    VerifyReport
        ``ok``, or the first bad seq and why.
    """
    prefix = HASH_DOMAIN + b"\x00"
    head_seq, head_hash = _read_head(conn)
    carry_seq, carry_hash, checked = 0, GENESIS_HASH, 0
    while True:
        params = {
            "after": carry_seq, "upto": head_seq, "size": chunk_size,
            "carry_seq": carry_seq, "carry_hash": carry_hash, "prefix": prefix,
        }  # fmt: skip
        try:
            row = conn.execute(SQL_CHUNK, params).fetchone()
        except errors.DataError as exc:
            return VerifyReport(
                False, checked, None,
                f"a payload with a valid hash after seq {carry_seq} is not UTF-8 JSON "
                f"({first_line(exc)}); run verify_stream() to locate it",
                head_seq, head_hash, "sql",
            )  # fmt: skip
        if row is None:
            break
        seq, prev_seq, digest, problem, position = row
        if problem is not None:
            first, why = reason_for(problem, int(seq), prev_seq or None)
            return VerifyReport(
                False, checked + int(position), first, why, head_seq, head_hash, "sql"
            )
        checked += int(position)  # the chunk's last row: its position is its size
        carry_seq, carry_hash = int(seq), bytes(digest)
        if position < chunk_size:
            break
    report = head_report(checked, carry_seq, carry_hash, head_seq, head_hash, "sql")
    return _check_past_head(conn, report)


def verify_streamed(conn: Connection, *, batch_size: int) -> VerifyReport:
    """Verify the chain in Python, recomputing every hash (``AuditStore.verify_stream``).

    Parameters
    ----------
    conn
        An open connection (autocommit).
    batch_size
        Rows fetched per round trip.

    Returns
    -------
    VerifyReport
        ``ok``, or the first bad seq and why.
    """
    head = _read_head(conn)

    def rows() -> Iterator[tuple[int, bytes, bytes, bytes]]:
        after = 0
        with conn.cursor(binary=True) as cur:
            while True:
                page = cur.execute(SQL_ROWS, [after, head[0], batch_size]).fetchall()
                yield from page
                if len(page) < batch_size:
                    return
                after = page[-1][0]

    return _check_past_head(conn, verify_rows(rows(), head))


def _read_head(conn: Connection) -> tuple[int, bytes]:
    row = conn.execute(SQL_HEAD).fetchone()
    if row is None:
        raise AuditError("audit_head has no row: the audit schema was tampered with")
    return int(row[0]), bytes(row[1])


def _check_past_head(conn: Connection, report: VerifyReport) -> VerifyReport:
    if not report.ok:
        return report
    row = conn.execute(SQL_PAST_HEAD).fetchone()
    if row is None:
        raise AuditError("audit_head has no row: the audit schema was tampered with")
    return past_head_report(int(row[0]), row[1], report)
