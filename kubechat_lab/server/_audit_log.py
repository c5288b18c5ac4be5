"""The server's handle on the audit chain: one lock-guarded store that reconnects after failures."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    import psycopg

    from kubechat_lab.audit import AuditRecord, AuditStore, VerifyReport

__all__ = ["AuditLog", "embedded_audit_dsn"]

logger = logging.getLogger(__name__)


class AuditLog:
    """Append events to the hash-chained audit store, failing closed.

    ``AuditStore`` holds one connection and is not thread-safe, so every call takes a lock. When
    a call fails (PostgreSQL stopped, connection dropped) the store is closed and the next call
    opens a fresh connection, so the server recovers by itself once the database is back.

    Parameters
    ----------
    dsn : str
        libpq connection string of the application role.
    connect_timeout : float
        Seconds to wait for a connection.
    on_append : callable, optional
        Called with ``record.to_dict()`` after each durable append (webhooks).
    """

    def __init__(
        self,
        dsn: str,
        *,
        connect_timeout: float = 5.0,
        on_append: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self._dsn = dsn
        self._connect_timeout = connect_timeout
        self._on_append = on_append
        self._lock = threading.RLock()
        self._store: AuditStore | None = None
        #: Records appended inside the open transaction, notified once it commits.
        self._pending: list[AuditRecord] | None = None

    def _open(self) -> AuditStore:
        from kubechat_lab.audit import AuditStore

        if self._store is None:
            store = AuditStore(self._dsn, connect_timeout=self._connect_timeout)
            try:
                store.open()
            except AuditError:
                raise
            except Exception as exc:  # the store maps psycopg errors; be safe on anything else
                msg = f"could not connect to the audit database: {exc}"
                raise AuditError(msg) from exc
            self._store = store
        return self._store

    def _reset(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            try:
                store.close()
            except Exception:  # closing a broken connection may fail again; it is gone anyway
                logger.debug("closing the broken audit connection failed", exc_info=True)

    def _call(self, fn: Callable[[AuditStore], Any]) -> Any:
        with self._lock:
            joined = self._pending is not None  # the transaction's owner resets on failure
            try:
                return fn(self._open())
            except AuditError:
                if not joined:
                    self._reset()
                raise
            except Exception as exc:
                if not joined:
                    self._reset()
                msg = f"the audit database failed: {type(exc).__name__}: {exc}"
                raise AuditError(msg) from exc

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """Hold the audit connection in one transaction that this thread's appends join.

        The shared state (proposals, capabilities, conversations) lives in the audit database;
        a state change and its audit event commit together (``AuditStore.transaction``).
        Webhooks hear of the appended events once the transaction has committed.

        Raises
        ------
        AuditError
            The database failed: the transaction rolled back, nothing was appended.
        """
        with self._lock:
            outer = self._pending
            pending: list[AuditRecord] = [] if outer is None else outer
            self._pending = pending
            try:
                with self._open().transaction() as conn:
                    yield conn
            except AuditError:
                if outer is None:
                    self._reset()
                raise
            finally:
                self._pending = outer
        if outer is None:
            for record in pending:
                self._notify(record)

    def _notify(self, record: AuditRecord) -> None:
        if self._on_append is not None:
            try:
                self._on_append(record.to_dict())
            except Exception:  # notifications never break the audited action
                logger.warning("audit notification hook failed", exc_info=True)

    def append(self, event: Mapping[str, Any]) -> AuditRecord:
        """Append one event; return the durable record.

        Raises
        ------
        AuditError
            When the event was not (or not certainly) appended: the caller must not act.
        """
        record: AuditRecord = self._call(lambda s: s.append(dict(event)))
        logger.info(
            "audit append type=%s seq=%d user=%s", event.get("type"), record.seq, event.get("user")
        )
        with self._lock:
            pending = self._pending
            if pending is not None:
                pending.append(record)  # notified when the transaction commits
                return record
        self._notify(record)
        return record

    def records(self, *, after_seq: int = 0, limit: int = 100,
                **filters: str | dict[str, str]) -> list[AuditRecord]:
        """Return records after ``after_seq`` whose events contain ``filters``.

        A value is a top-level field's value, or an object the field must contain
        (``capability={"id": ...}``).
        """
        out: list[AuditRecord] = self._call(
            lambda s: s.records(after_seq=after_seq, limit=limit, **filters)
        )
        return out

    def head(self) -> tuple[int, bytes]:
        """Return ``(seq, entry_hash)`` of the chain head (also a health probe)."""
        out: tuple[int, bytes] = self._call(lambda s: s.head())
        return out

    def verify(self) -> VerifyReport:
        """Recompute the chain in SQL and report the first bad row."""
        out: VerifyReport = self._call(lambda s: s.verify_sql())
        return out

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._reset()


def embedded_audit_dsn(data_dir: str, log: Any) -> tuple[str, Any]:
    """Start (if needed) and migrate the embedded PostgreSQL; return its DSN and itself.

    The second value is the server to stop at exit, or None when another process had
    already started it (it may be shared).
    """
    from kubechat_lab.audit import EmbeddedPostgres, default_data_dir, embedded_for_data_dir

    data_dir = data_dir or str(default_data_dir())
    was_running = EmbeddedPostgres(data_dir).running
    pg = embedded_for_data_dir(data_dir)  # starts if needed and migrates the schema
    log.info("kubechat audit: embedded PostgreSQL running (started=%s)", not was_running)
    dsn: str = pg.app_dsn
    return dsn, None if was_running else pg
