"""``AuditStore``: append to, read and verify the hash-chained audit log in PostgreSQL.

Durability (``group_commit=True``, the default): ``append`` is one
``CALL kubechat_audit_append_durable(payload)``. The procedure runs the append function (head
row locked ``FOR UPDATE``), commits with ``synchronous_commit = off``, which releases the head
lock without waiting for the WAL flush, then commits a tiny WAL record synchronously. That
flush covers the append's commit record, and concurrent writers' flushes share one fsync
(PostgreSQL group commit). The CALL returns only after the second commit, so a returned record
is on disk exactly as with a plain synchronous commit; what changes is that the head lock is no
longer held across an fsync, which caps a chain at one append per fsync
(tests/benchmarks/bench_audit.py measures both). A crash between the two commits can lose an
append that was never acknowledged; it cannot fork or gap the chain, because WAL is replayed
as a prefix. ``group_commit=False`` calls the append function alone and commits synchronously
under the lock.

Each append is a single statement outside any client-side transaction (not
``with conn.transaction():``): the implicit transaction commits inside the server, so the head
lock is never held across a client round trip.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import orjson
import psycopg
import tenacity
from psycopg import errors, sql
from psycopg.types.json import Jsonb

from kubechat_lab.audit._canonical import JSONValue, canonical_payload
from kubechat_lab.audit._connection import AuditConnection, AuditStoreStateError, redact_dsn
from kubechat_lab.audit._records import AuditRecord, VerifyReport
from kubechat_lab.audit._schema import APP_ROLE, MAX_PAYLOAD_BYTES, apply_migrations
from kubechat_lab.audit._verify_db import verify_in_sql, verify_streamed
from kubechat_lab.errors import AuditError

__all__ = ["AuditStore", "AuditStoreStateError", "redact_dsn"]

logger = logging.getLogger(__name__)

_APPEND_SQL: Final = (
    "SELECT seq, prev_hash, entry_hash, at FROM kubechat_audit.kubechat_audit_append(%s)"
)
_APPEND_DURABLE_SQL: Final = "CALL kubechat_audit.kubechat_audit_append_durable(%s)"
_ROW_COLUMNS: Final = "seq, at, prev_hash, entry_hash, payload"
_RETRYABLE: Final = (errors.SerializationFailure, errors.DeadlockDetected)
_MAX_LIMIT: Final = 10_000


class AuditStore(AuditConnection):
    """The audit chain in one PostgreSQL database, through one connection.

    Parameters
    ----------
    dsn
        libpq connection string. The owner (superuser) DSN for :meth:`migrate`; the app-role
        DSN for everything else.
    connect_timeout
        Seconds to wait for a connection (libpq rounds up to whole seconds, minimum 2).
    statement_timeout
        Seconds any statement (including the wait for the head-row lock) may take before it
        fails with an ``AuditError``.
    group_commit
        Commit each append asynchronously and then wait on the durability barrier (see the
        module docstring). ``False`` commits synchronously while holding the head lock.
    retries
        Attempts for an append that hits a serialization failure or deadlock.

    Notes
    -----
    Not for concurrent use: calls are serialised by an internal lock. Give each thread its own
    store for throughput. A broken connection is replaced on the next call (the connection's
    lifecycle and error translation live in :class:`AuditConnection`).
    """

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout: float = 5,
        statement_timeout: float = 30,
        group_commit: bool = True,
        retries: int = 5,
    ) -> None:
        super().__init__(
            dsn, connect_timeout=connect_timeout, statement_timeout=statement_timeout
        )
        self._group_commit = group_commit
        self._retries = max(1, retries)
        self._in_transaction = False

    # -- schema ----------------------------------------------------------------------------

    def migrate(self, *, app_role: str = APP_ROLE, app_password: str | None = None) -> list[int]:
        """Create or upgrade the audit schema and grant the application role; idempotent.

        Parameters
        ----------
        app_role
            The least-privilege role the application connects as.
        app_password
            If given, the role can log in with it (set again on each call).

        Returns
        -------
        list of int
            Migration versions applied now (empty when up to date).

        Raises
        ------
        AuditError
            The DSN's role may not create the schema or the role, or the database failed.
        """
        with self._lock, self._translated("migrate"):
            return apply_migrations(
                self._connection(), app_role=app_role, app_password=app_password
            )

    # -- writing ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[tuple[Any, ...]]]:
        """Hold the connection in one transaction; appends of this thread join it.

        The shared state (``kubechat_lab/pipeline/_pg_proposals.py``) changes a row and
        appends the change's audit event in one transaction: both become visible, and
        durable, at the synchronous commit when the block ends, or neither does. Inside the
        block :meth:`append` calls the append function itself (the durable procedure commits
        and cannot run inside a transaction), and is not retried.

        Yields
        ------
        psycopg.Connection
            The connection, inside the transaction (other threads wait for the block).

        Raises
        ------
        AuditError
            The database failed (the transaction is rolled back; nothing was appended).
        """
        with self._lock, self._translated("transaction"), contextlib.ExitStack() as stack:
            conn = self._connection()
            outer = self._in_transaction
            try:
                stack.enter_context(conn.transaction())
            except psycopg.OperationalError:
                if outer:
                    raise
                # The connection died while idle (a database restart): BEGIN failed, so
                # nothing was sent; begin once more on a new connection.
                logger.info("audit connection lost while idle; reconnecting")
                conn.close()
                conn = self._connection()
                stack.enter_context(conn.transaction())
            self._in_transaction = True
            try:
                yield conn
            finally:
                self._in_transaction = outer

    def append(self, event: Mapping[str, JSONValue]) -> AuditRecord:
        """Append one event to the chain and return it once it is durable.

        Parameters
        ----------
        event
            A JSON object with a string ``type`` (``ask``, ``proposed``, ``approved``,
            ``rejected``, ``executed``, ...). A ``time`` (UTC ISO 8601) is added when absent.
            Never put secret values in it.

        Returns
        -------
        AuditRecord
            The stored record (its ``seq`` and ``entry_hash`` come from the database).

        Raises
        ------
        AuditError
            The event is not JSON (nothing was sent), or the database refused or failed.
            Fail closed: when this raises, the caller must treat the event as not audited.
            Serialization failures and deadlocks are retried first.
        """
        if isinstance(event, Mapping) and "time" not in event:
            event = {**event, "time": _utc_now()}
        payload = canonical_payload(event)
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise AuditError(
                f"audit event of type {event.get('type')!r} is {len(payload)} bytes, over the "
                f"{MAX_PAYLOAD_BYTES}-byte limit; store a digest of large results instead"
            )
        with self._lock, self._translated("append"):
            joined = self._in_transaction  # commits with the caller's transaction
            statement = _APPEND_DURABLE_SQL if self._group_commit and not joined else _APPEND_SQL
            conn = self._connection()
            row = None
            for attempt in tenacity.Retrying(
                retry=tenacity.retry_if_exception_type(_RETRYABLE),
                stop=tenacity.stop_after_attempt(1 if joined else self._retries),
                wait=tenacity.wait_random_exponential(multiplier=0.005, max=0.2),
                before_sleep=_log_retry,
                reraise=True,
            ):
                with attempt:
                    # One statement outside any client transaction: the head lock is released
                    # at the server's commit, never held across a client round trip.
                    row = conn.execute(statement, [payload]).fetchone()
            if row is None:  # pragma: no cover - the function always returns one row
                raise AuditError("audit append returned no row; the append function is broken")
            seq, prev_hash, digest, at = row
        logger.info("audit append seq=%d type=%s bytes=%d", seq, event.get("type"), len(payload))
        return AuditRecord(
            seq=seq,
            at=at,
            prev_hash=bytes(prev_hash),
            entry_hash=bytes(digest),
            payload=payload,
            event=orjson.loads(payload),
        )

    # -- reading ---------------------------------------------------------------------------

    def head(self) -> tuple[int, bytes]:
        """Return ``(seq, hash)`` of the chain head (``(0, GENESIS_HASH)`` when empty).

        Returns
        -------
        tuple of (int, bytes)
            The head row.

        Raises
        ------
        AuditError
            The database failed or the schema is missing.
        """
        with self._lock, self._translated("head"):
            row = (
                self._connection()
                .execute("SELECT seq, hash FROM kubechat_audit.audit_head WHERE id = 1")
                .fetchone()
            )
        if row is None:
            raise AuditError("audit_head has no row: the audit schema was tampered with")
        return int(row[0]), bytes(row[1])

    def records(
        self, *, after_seq: int = 0, limit: int = 100, **filters: JSONValue
    ) -> list[AuditRecord]:
        """Return records with ``seq > after_seq`` in seq order.

        Parameters
        ----------
        after_seq
            Keyset cursor: pass the last seq you saw to page forward.
        limit
            At most this many records (1 to 10,000).
        **filters
            Top-level event fields that must match (jsonb containment), e.g.
            ``type="executed", user="alice"``.

        Returns
        -------
        list of AuditRecord
            Oldest first.

        Raises
        ------
        ValueError
            ``limit`` out of range.
        AuditError
            The database failed.
        """
        if not 1 <= limit <= _MAX_LIMIT:
            raise ValueError(f"limit must be between 1 and {_MAX_LIMIT}, got {limit}")
        query = sql.SQL("SELECT {} FROM kubechat_audit.audit_event WHERE seq > %s").format(
            sql.SQL(_ROW_COLUMNS)
        )
        params: list[object] = [after_seq]
        if filters:
            query += sql.SQL(" AND payload_json @> %s")
            params.append(Jsonb(filters))
        query += sql.SQL(" ORDER BY seq LIMIT %s")
        params.append(limit)
        with self._lock, self._translated("read"):
            rows = self._connection().execute(query, params).fetchall()
        return [_record(row) for row in rows]

    def tail(self, n: int = 20) -> list[AuditRecord]:
        """Return the last ``n`` records, oldest first.

        Parameters
        ----------
        n
            How many (1 to 10,000).

        Returns
        -------
        list of AuditRecord
            The newest records in seq order.
        """
        if not 1 <= n <= _MAX_LIMIT:
            raise ValueError(f"n must be between 1 and {_MAX_LIMIT}, got {n}")
        query = sql.SQL(
            "SELECT {} FROM kubechat_audit.audit_event ORDER BY seq DESC LIMIT %s"
        ).format(sql.SQL(_ROW_COLUMNS))
        with self._lock, self._translated("read"):
            rows = self._connection().execute(query, [n]).fetchall()
        return [_record(row) for row in reversed(rows)]

    def iter_records(self, *, after_seq: int = 0, batch_size: int = 5_000) -> Iterator[AuditRecord]:
        """Yield every record after ``after_seq`` up to the head seen at the start.

        Parameters
        ----------
        after_seq
            Start after this seq.
        batch_size
            Rows per query (keyset pages; no long transaction is held).

        Yields
        ------
        AuditRecord
            Oldest first.
        """
        stop, _ = self.head()
        last = after_seq
        while last < stop:
            batch = self.records(after_seq=last, limit=min(batch_size, _MAX_LIMIT))
            if not batch:
                return
            for record in batch:
                if record.seq > stop:
                    return
                yield record
            last = batch[-1].seq

    def hashes_at(self, seqs: Sequence[int]) -> dict[int, bytes]:
        """Return ``{seq: entry_hash}`` for the given seqs that exist.

        Parameters
        ----------
        seqs
            Chain positions to look up.

        Returns
        -------
        dict of int to bytes
            Only seqs present in the chain appear.
        """
        with self._lock, self._translated("read"):
            rows = (
                self._connection()
                .execute(
                    "SELECT seq, entry_hash FROM kubechat_audit.audit_event WHERE seq = ANY(%s)",
                    [list(seqs)],
                )
                .fetchall()
            )
        return {int(seq): bytes(digest) for seq, digest in rows}

    # -- verification ----------------------------------------------------------------------

    def verify_sql(self, *, chunk_size: int = 100_000) -> VerifyReport:
        """Verify the chain with set-based queries inside PostgreSQL.

        Parameters
        ----------
        chunk_size
            Rows per statement (each chunk continues from the previous one's last row).

        Returns
        -------
        VerifyReport
            ``ok``, or the first bad seq and why (see :mod:`kubechat_lab.audit._verify`).

        Raises
        ------
        AuditError
            The database failed (a broken chain is a report, not an error).
        """
        with self._lock, self._translated("verify"):
            return verify_in_sql(self._connection(), chunk_size=chunk_size)

    def verify_stream(self, *, batch_size: int = 10_000) -> VerifyReport:
        """Verify the chain in Python, recomputing every hash with :mod:`hashlib`.

        Rows come in keyset pages of ``batch_size`` (binary protocol), so memory stays flat
        and no long snapshot is held.

        Parameters
        ----------
        batch_size
            Rows fetched per round trip.

        Returns
        -------
        VerifyReport
            ``ok``, or the first bad seq and why.
        """
        with self._lock, self._translated("verify"):
            return verify_streamed(self._connection(), batch_size=batch_size)


def _record(row: tuple[Any, ...]) -> AuditRecord:
    seq, at, prev_hash, digest, payload = row
    payload = bytes(payload)
    return AuditRecord(
        seq=int(seq),
        at=at,
        prev_hash=bytes(prev_hash),
        entry_hash=bytes(digest),
        payload=payload,
        event=orjson.loads(payload),
    )


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _log_retry(state: tenacity.RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    logger.debug(
        "audit append retry attempt=%d error=%s: %s",
        state.attempt_number, type(exc).__name__, exc,
    )  # fmt: skip
