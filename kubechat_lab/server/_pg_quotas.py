"""``PgSlots``: per-owner quotas counted over every process of a hub, with advisory locks.

A slot of an owner is a PostgreSQL session-level advisory lock ``(key of the owner, i)`` for
``i`` below ``per_owner``, taken with ``pg_try_advisory_lock`` on this process's own
connection: taking one is atomic across processes (checking and taking are one step, as in
:class:`~kubechat_lab.server._quotas.Slots`), no table is written, and PostgreSQL releases a
process's slots by itself when that process dies or its connection drops. The server-wide
``total`` stays a count of this process (it bounds this process's threads).
"""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import AuditError
from kubechat_lab.server._quotas import Full, Slots

if TYPE_CHECKING:
    import psycopg

__all__ = ["PgSlots"]

logger = logging.getLogger(__name__)


class PgSlots(Slots):
    """:class:`Slots` whose per-owner quota holds across the processes sharing a database.

    Parameters
    ----------
    what, per_owner, total, options
        As for :class:`Slots` (``total`` counts this process only).
    dsn : str
        The audit database (the application role's DSN).
    connect_timeout : float
        Seconds to wait for the connection.
    """

    def __init__(self, what: str, *, per_owner: int, total: int | None = None,
                 options: tuple[str, str] = ("", ""), dsn: str,
                 connect_timeout: float = 5.0) -> None:
        super().__init__(what, per_owner=per_owner, total=total, options=options)
        self._dsn = dsn
        self._connect_timeout = max(2, int(connect_timeout))
        self._conn: psycopg.Connection[Any] | None = None
        self._mine: dict[str, list[int]] = {}

    def _key(self, owner: str) -> int:
        digest = hashlib.sha256(f"kubechat-slots\0{self.what}\0{owner}".encode()).digest()
        return int.from_bytes(digest[:4], "big") & 0x7FFF_FFFF

    def _connection(self) -> psycopg.Connection[Any]:
        import psycopg

        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:  # its locks went with it: nothing of this process is held now
            conn.close()
            self._mine.clear()
            self._held.clear()
            self._count = 0
        try:
            self._conn = psycopg.connect(self._dsn, autocommit=True,
                                         connect_timeout=self._connect_timeout,
                                         application_name="kubechat-slots")
        except psycopg.Error as exc:
            msg = (f"cannot count {self.what} in the audit database: {exc}; check that "
                   "PostgreSQL is running")
            raise AuditError(msg, sqlstate=exc.sqlstate) from exc
        return self._conn

    def _query(self, statement: str, params: list[Any]) -> Any:
        import psycopg

        try:
            row = self._connection().execute(statement, params).fetchone()
        except psycopg.Error as exc:
            msg = f"cannot count {self.what} in the audit database: {exc}; nothing was started"
            raise AuditError(msg, sqlstate=exc.sqlstate) from exc
        return row[0] if row is not None else None

    def try_take(self, owner: str) -> Full | None:
        """Take a slot of ``owner`` if the quotas allow; return None, or which quota is full."""
        with self._lock:
            if self.total is not None and self._count >= self.total:
                return "total"
            key = self._key(owner)
            held = self._mine.get(owner, [])
            for index in range(self.per_owner):
                # advisory locks are re-entrant in one session: skip this process's own slots
                if index in held or not self._query("SELECT pg_try_advisory_lock(%s, %s)",
                                                     [key, index]):
                    continue
                self._mine[owner] = [*self._mine.get(owner, []), index]
                self._held[owner] = len(self._mine[owner])
                self._count += 1
                return None
            return "owner"

    def release(self, owner: str) -> None:
        """Give back one slot of ``owner`` (a release without a take is ignored)."""
        with self._lock:
            held = self._mine.get(owner)
            if not held:
                return
            index = held.pop()
            if not held:
                del self._mine[owner]
                del self._held[owner]
            else:
                self._held[owner] = len(held)
            self._count -= 1
            try:
                self._query("SELECT pg_advisory_unlock(%s, %s)", [self._key(owner), index])
            except AuditError:  # the connection is gone, and its locks with it
                logger.warning("could not give back a slot of %s (%s)", owner, self.what)

    def held(self, owner: str | None = None) -> int:
        """Return the slots ``owner`` holds in every process (None: in this process)."""
        if owner is None:
            with self._lock:
                return self._count
        with self._lock:
            found = self._query(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND objsubid = 2 AND classid = %s::bigint::oid"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                [self._key(owner)])
        return int(found or 0)

    def close(self) -> None:
        """Close the connection: every slot this process holds is given back."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._mine.clear()
            self._held.clear()
            self._count = 0
