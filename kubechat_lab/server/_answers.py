"""The LLM answer cache in PostgreSQL (table ``kubechat_audit.answer_cache``, migration 4).

The key and the replay are :mod:`kubechat_lab.translate.llm.cache`'s; this module keeps the
rows. Several server processes on one database share them. Entries live ``ttl`` seconds
from when they were stored, at most ``max_entries`` are kept (the least recently used go
first), and the policy version is the ``scope`` of every key.

The cache is an optimisation: when the database fails, a lookup is a miss and a store is
skipped (logged), and the cache is not tried again for ``retry_after`` seconds, so an outage
costs an ask one connection timeout at most. It never serves an entry whose key differs or
that has expired (the expiry is checked in the same statement that reads the row).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

__all__ = ["AnswerStore"]

logger = logging.getLogger(__name__)

#: Largest entry stored (all replies together, in characters); a model's answer is a line.
MAX_ENTRY_CHARS = 64 * 1024

_GET = """
UPDATE kubechat_audit.answer_cache
   SET used_at = clock_timestamp(), hits = hits + 1
 WHERE key = %(key)s
   AND created_at > clock_timestamp() - make_interval(secs => %(ttl)s)
RETURNING replies
"""

_PUT = """
INSERT INTO kubechat_audit.answer_cache AS c (key, provider, model, replies)
VALUES (%(key)s, %(provider)s, %(model)s, %(replies)s)
ON CONFLICT (key) DO UPDATE
   SET provider = EXCLUDED.provider, model = EXCLUDED.model, replies = EXCLUDED.replies,
       created_at = clock_timestamp(), used_at = clock_timestamp(), hits = 0
"""

_EXPIRE = """
DELETE FROM kubechat_audit.answer_cache
 WHERE created_at <= clock_timestamp() - make_interval(secs => %(ttl)s)
"""

_BOUND = """
DELETE FROM kubechat_audit.answer_cache
 WHERE key IN (SELECT key FROM kubechat_audit.answer_cache
                ORDER BY used_at DESC OFFSET %(keep)s)
"""


class AnswerStore:
    """The rows of the LLM answer cache, on a connection of the application role of its own.

    It is the :class:`~kubechat_lab.translate.llm.cache.AnswerCache` of the LLM translators.

    Parameters
    ----------
    dsn : str
        libpq connection string of the application role (the audit DSN).
    scope : str
        Folded into every key: the policy version (:attr:`kubechat_lab.policy.Policy.digest`).
    ttl : float
        Seconds an entry is served after it was stored.
    max_entries : int
        Entries kept at most (the least recently used are evicted on each store).
    connect_timeout : float
        Seconds to wait for the database (also each statement's limit).
    retry_after : float
        Seconds the cache is left alone after the database failed.
    clock : callable
        Monotonic clock (tests).
    on_outcome : callable, optional
        Called with ``"hit"``, ``"miss"``, ``"store"`` or ``"error"`` (the server's metrics).
    """

    def __init__(self, dsn: str, *, scope: str, ttl: float = 86400.0,
                 max_entries: int = 10_000, connect_timeout: float = 5.0,
                 retry_after: float = 30.0,
                 clock: Callable[[], float] = time.monotonic,
                 on_outcome: Callable[[str], None] | None = None) -> None:
        self._dsn = dsn
        self._scope = scope
        self.ttl = float(ttl)
        self.max_entries = int(max_entries)
        self.connect_timeout = connect_timeout
        self.retry_after = retry_after
        self._clock = clock
        self._on_outcome = on_outcome
        self._lock = threading.Lock()
        self._conn: psycopg.Connection[tuple[object, ...]] | None = None
        self._down_until = 0.0

    @property
    def scope(self) -> str:
        """The policy version every key includes."""
        return self._scope

    def _count(self, outcome: str) -> None:
        if self._on_outcome is not None:
            try:
                self._on_outcome(outcome)
            except Exception:  # counting never breaks a translation
                logger.debug("answer cache outcome hook failed", exc_info=True)

    # -- connection ------------------------------------------------------------------------

    def _connection(self) -> psycopg.Connection[tuple[object, ...]] | None:
        """Return the open connection, opening one; None while the database is left alone."""
        if self._conn is not None and not self._conn.closed:
            return self._conn
        if self._clock() < self._down_until:
            return None
        import psycopg

        timeout_ms = max(1, int(self.connect_timeout * 1000))
        # A cache entry need not survive a crash: commits here do not wait for the WAL flush
        # (the audit chain's own connection keeps synchronous commits).
        self._conn = psycopg.connect(
            self._dsn, autocommit=True, connect_timeout=max(1, round(self.connect_timeout)),
            options=f"-c statement_timeout={timeout_ms} -c synchronous_commit=off")
        return self._conn

    def _failed(self, action: str, exc: Exception) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:  # a broken connection may fail to close; it is gone anyway
                logger.debug("closing the answer cache connection failed", exc_info=True)
        self._down_until = self._clock() + self.retry_after
        self._count("error")
        logger.warning("answer cache %s failed (treated as a miss; next try in %.0fs): %s",
                       action, self.retry_after, exc)

    # -- the AnswerCache protocol ----------------------------------------------------------

    def get(self, key: str) -> tuple[str, ...] | None:
        """Return the replies stored under ``key`` if not expired (and count the hit)."""
        with self._lock:
            try:
                conn = self._connection()
                if conn is None:
                    return None
                row = conn.execute(_GET, {"key": bytes.fromhex(key), "ttl": self.ttl}).fetchone()
            except Exception as exc:
                self._failed("lookup", exc)
                return None
        replies = tuple(str(r) for r in row[0]) if row is not None else None  # type: ignore[attr-defined]
        outcome = "hit" if replies else "miss"
        logger.info("answer cache %s key=%s", outcome, key[:12])
        self._count(outcome)
        return replies or None

    def put(self, key: str, replies: tuple[str, ...], *, provider: str, model: str) -> None:
        """Store ``replies`` under ``key``; drop expired and least recently used entries.

        At most ``max_entries`` stay; an entry over ``MAX_ENTRY_CHARS`` is not stored.
        """
        if not replies or sum(len(r) for r in replies) > MAX_ENTRY_CHARS or len(replies) > 4:
            logger.info("answer cache skip key=%s: %d replies too large to keep", key[:12],
                        len(replies))
            return
        with self._lock:
            try:
                conn = self._connection()
                if conn is None:
                    return
                with conn.transaction():
                    conn.execute(_PUT, {"key": bytes.fromhex(key), "provider": provider,
                                        "model": model, "replies": list(replies)})
                    conn.execute(_EXPIRE, {"ttl": self.ttl})
                    conn.execute(_BOUND, {"keep": self.max_entries})
            except Exception as exc:
                self._failed("store", exc)
                return
        logger.info("answer cache store key=%s provider=%s model=%s replies=%d", key[:12],
                    provider, model, len(replies))
        self._count("store")

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()
