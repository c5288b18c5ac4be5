"""Chain verification: the streaming Python verifier and the set-based SQL verifier.

Both apply the same checks in the same order to each row (by ascending ``seq``) and stop at
the first failure, so they name the same ``first_bad_seq``:

1. gap: ``seq`` must be the previous row's ``seq + 1`` (seq 1 first);
2. hash: ``entry_hash`` must equal the recomputed hash of (seq, prev_hash, payload);
3. link: ``prev_hash`` must equal the previous row's ``entry_hash`` (``GENESIS_HASH`` first);
4. (SQL only) ``payload_json`` must equal the jsonb parse of ``payload``.

Then the head row (read first) must name the last row up to it, and no row may lie past the
head. The Python verifier shares no code with the SQL function that wrote the chain: it
recomputes every hash with :mod:`hashlib`.

Both read in keyset pages, each its own short statement, rather than in one long snapshot: rows
up to the head are immutable, and a long snapshot would keep every dead version of the
constantly updated head row alive, slowing every append while a big chain is verified.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Final

from kubechat_lab.audit._canonical import GENESIS_HASH, HASH_DOMAIN
from kubechat_lab.audit._records import VerifyReport

__all__ = [
    "SQL_CHUNK",
    "SQL_HEAD",
    "SQL_PAST_HEAD",
    "SQL_ROWS",
    "head_report",
    "past_head_report",
    "reason_for",
    "verify_rows",
]

_PREFIX: Final = HASH_DOMAIN + b"\x00"

SQL_CHUNK: Final = """
WITH chunk AS (
    SELECT e.seq, e.prev_hash, e.entry_hash, h.ok AS hash_ok,
           CASE WHEN h.ok THEN e.payload_json = convert_from(e.payload, 'UTF8')::jsonb
           END AS json_ok
      FROM kubechat_audit.audit_event AS e
     CROSS JOIN LATERAL (
           SELECT e.entry_hash = sha256(%(prefix)s || int8send(e.seq) || e.prev_hash
                                        || sha256(e.payload)) AS ok
           OFFSET 0) AS h
     WHERE e.seq > %(after)s AND e.seq <= %(upto)s
     ORDER BY e.seq
     LIMIT %(size)s
), chain AS (
    SELECT c.*,
           coalesce(lag(c.seq) OVER w, %(carry_seq)s) AS prev_seq,
           coalesce(lag(c.entry_hash) OVER w, %(carry_hash)s) AS prev_entry,
           row_number() OVER w AS pos
      FROM chunk AS c
    WINDOW w AS (ORDER BY c.seq)
), judged AS (
    SELECT seq, prev_seq, entry_hash, pos,
           CASE
             WHEN seq <> prev_seq + 1 THEN 'gap'
             WHEN NOT hash_ok THEN 'hash'
             WHEN prev_hash <> prev_entry THEN 'link'
             WHEN NOT json_ok THEN 'json'
           END AS problem
      FROM chain
)
SELECT seq, prev_seq, entry_hash, problem, pos
  FROM judged
 ORDER BY problem IS NULL, CASE WHEN problem IS NULL THEN -seq ELSE seq END
 LIMIT 1
"""
"""Check up to ``size`` rows after ``after``, continuing from the previous chunk's last row.

Returns the first failing row, else the chunk's last row, as
``(seq, prev_seq, entry_hash, problem, position in chunk)``; no row when the range is empty.
The hash is computed once per row in the scan (``OFFSET 0`` keeps the planner from inlining
it twice) and only small columns go through the window; the jsonb parse runs only on rows
whose hash is right, so a forged payload that is not UTF-8 cannot abort the check.
"""

SQL_HEAD: Final = "SELECT seq, hash FROM kubechat_audit.audit_head WHERE id = 1"

SQL_PAST_HEAD: Final = """
SELECT h.seq, (SELECT max(e.seq) FROM kubechat_audit.audit_event AS e)
  FROM kubechat_audit.audit_head AS h WHERE h.id = 1
"""
"""Head seq and the largest stored seq, in one snapshot: rows past the head are forged."""

SQL_ROWS: Final = """
SELECT seq, prev_hash, entry_hash, payload FROM kubechat_audit.audit_event
 WHERE seq > %s AND seq <= %s ORDER BY seq LIMIT %s
"""
"""One keyset page for the streaming verifier."""


def past_head_report(head_seq: int, max_seq: int | None, base: VerifyReport) -> VerifyReport:
    """Fail ``base`` when rows exist past the head (checked after the chain up to the head).

    Parameters
    ----------
    head_seq
        The head seq, read in the same statement as ``max_seq``.
    max_seq
        The largest stored seq.
    base
        The report for the chain up to the head seen at the start.

    Returns
    -------
    VerifyReport
        ``base`` unless rows beyond the head exist.
    """
    if base.ok and max_seq is not None and max_seq > head_seq:
        return VerifyReport(
            False, base.rows_checked, head_seq + 1,
            f"the chain continues to seq {max_seq} past audit_head seq {head_seq} "
            "(rows were inserted outside the append function)",
            base.head_seq, base.head_hash, base.method,
        )  # fmt: skip
    return base


def reason_for(problem: str, seq: int, prev_seq: int | None) -> tuple[int, str]:
    """Turn a failed check into ``(first_bad_seq, reason)``.

    Parameters
    ----------
    problem
        ``"gap"``, ``"hash"``, ``"link"`` or ``"json"``.
    seq
        The row at which the check failed.
    prev_seq
        The seq of the row before it (``None`` for the first row).

    Returns
    -------
    tuple of (int, str)
        The seq to report and a sentence saying what is wrong.
    """
    if problem == "gap":
        expected = (prev_seq or 0) + 1
        if seq < expected:
            return seq, f"seq {seq} is out of order or duplicated (expected {expected})"
        return expected, (
            f"seq {expected} is missing: the row after seq {prev_seq or 0} is seq {seq} "
            "(a row was deleted or renumbered)"
        )
    if problem == "hash":
        return seq, (
            f"entry_hash mismatch at seq {seq}: the stored hash is not the hash of this row's "
            "seq, prev_hash and payload (the row was edited, moved or forged)"
        )
    if problem == "link":
        return seq, (
            f"prev_hash of seq {seq} does not match the entry_hash of seq {seq - 1} "
            f"(seq {seq - 1} or seq {seq} was rewritten)"
        )
    if problem == "json":
        return seq, f"payload_json of seq {seq} does not match its hashed payload (edited copy)"
    raise ValueError(f"unknown verification problem {problem!r}")


def head_report(
    rows: int, last_seq: int, last_hash: bytes, head_seq: int, head_hash: bytes, method: str
) -> VerifyReport:
    """Check that the head row names the last chain row, after every row passed.

    Parameters
    ----------
    rows
        Rows checked.
    last_seq, last_hash
        The last row's seq and entry_hash (0 and ``GENESIS_HASH`` for an empty chain).
    head_seq, head_hash
        What ``audit_head`` says.
    method
        ``"sql"`` or ``"stream"``.

    Returns
    -------
    VerifyReport
        ``ok`` when they agree; otherwise the first seq that one of them lacks.
    """
    if head_seq == last_seq and head_hash == last_hash:
        return VerifyReport(True, rows, None, "", head_seq, head_hash, method)
    if head_seq == last_seq:
        bad, why = last_seq, f"audit_head hash does not match the entry_hash of seq {last_seq}"
    elif head_seq > last_seq:
        bad, why = (
            last_seq + 1,
            (
                f"audit_head says seq {head_seq} but the chain ends at seq {last_seq} "
                "(tail rows were deleted)"
            ),
        )
    else:
        bad, why = (
            head_seq + 1,
            (
                f"the chain continues to seq {last_seq} past audit_head seq {head_seq} "
                "(rows were inserted outside the append function)"
            ),
        )
    return VerifyReport(False, rows, bad, why, head_seq, head_hash, method)


def verify_rows(
    rows: Iterable[tuple[int, bytes, bytes, bytes]], head: tuple[int, bytes]
) -> VerifyReport:
    """Recompute the chain from ``(seq, prev_hash, entry_hash, payload)`` rows in seq order.

    Parameters
    ----------
    rows
        Every chain row, ascending by ``seq`` (a server-side cursor is fine: one pass).
    head
        ``(seq, hash)`` of ``audit_head`` read in the same snapshot as the rows.

    Returns
    -------
    VerifyReport
        The first failing row, or ``ok`` with the number of rows checked.
    """
    sha256 = hashlib.sha256
    prefix = _PREFIX
    expected = 1
    prev_seq: int | None = None
    prev_entry = GENESIS_HASH
    count = 0
    for seq, prev_hash, stored, payload in rows:
        count += 1
        problem = None
        if seq != expected:
            problem = "gap"
        elif (
            sha256(
                prefix + seq.to_bytes(8, "big", signed=True) + prev_hash + sha256(payload).digest()
            ).digest()
            != stored
        ):
            problem = "hash"
        elif prev_hash != prev_entry:
            problem = "link"
        if problem is not None:
            bad, why = reason_for(problem, seq, prev_seq)
            return VerifyReport(False, count, bad, why, head[0], head[1], "stream")
        prev_seq = seq
        prev_entry = bytes(stored)
        expected = seq + 1
    return head_report(count, expected - 1, prev_entry, head[0], head[1], "stream")
