"""One connection to the audit database: open, close, reconnect, psycopg errors as ``AuditError``.

``AuditConnection`` is the base of ``AuditStore``: it owns the psycopg connection, its
lifecycle (``open``/``close``, a broken connection replaced on the next call) and the
translation of every psycopg error into an ``AuditError`` that names the fix.
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

import psycopg
from psycopg import errors
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from types import TracebackType
    from typing import Self

__all__ = ["AuditConnection", "AuditStoreStateError", "first_line", "redact_dsn"]

logger = logging.getLogger(__name__)

_MISSING_SCHEMA: Final = (
    errors.UndefinedTable,
    errors.UndefinedFunction,
    errors.InvalidSchemaName,
)


class AuditStoreStateError(RuntimeError):
    """An ``AuditStore`` was used before ``open()`` or after ``close()``."""


class _State(enum.Enum):
    NEW = "new"
    OPEN = "open"
    CLOSED = "closed"


def redact_dsn(dsn: str) -> str:
    """Return ``dsn`` with any password replaced by ``***`` (for messages and logs).

    Parameters
    ----------
    dsn
        A libpq connection string or URI.

    Returns
    -------
    str
        A ``key=value`` connection string without the secret.
    """
    try:
        params = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return "<unparseable DSN>"
    if "password" in params:
        params["password"] = "***"
    return make_conninfo("", **params)


class AuditConnection:
    """One connection to the audit database, with its lifecycle and error translation.

    Parameters
    ----------
    dsn
        libpq connection string.
    connect_timeout
        Seconds to wait for a connection (libpq rounds up to whole seconds, minimum 2).
    statement_timeout
        Seconds any statement (including the wait for the head-row lock) may take before it
        fails with an ``AuditError``.
    """

    def __init__(
        self, dsn: str, *, connect_timeout: float = 5, statement_timeout: float = 30
    ) -> None:
        self._dsn = dsn
        self._connect_timeout = max(2, int(-(-connect_timeout // 1)))
        self._statement_timeout_ms = max(1, int(statement_timeout * 1000))
        self._conn: psycopg.Connection[tuple[Any, ...]] | None = None
        self._state = _State.NEW
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({redact_dsn(self._dsn)!r}, state={self._state.value})"

    @property
    def dsn(self) -> str:
        """The connection string this store was built with."""
        return self._dsn

    def open(self) -> Self:
        """Connect; return ``self``.

        Returns
        -------
        Self
            This store, open.

        Raises
        ------
        AuditError
            The database cannot be reached (the message names the DSN without its password).
        AuditStoreStateError
            The store was opened before.
        """
        with self._lock:
            if self._state is not _State.NEW:
                raise AuditStoreStateError(
                    "AuditStore.open() called twice or after close(); create a new AuditStore"
                )
            self._connect()
            self._state = _State.OPEN
        return self

    def close(self) -> None:
        """Close the connection; further calls raise ``AuditStoreStateError``."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._state = _State.CLOSED

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        try:
            conn = psycopg.connect(
                self._dsn,
                autocommit=True,
                connect_timeout=self._connect_timeout,
                application_name="kubechat-audit",
            )
            # READ COMMITTED whatever the server default: a writer that waited for the head
            # lock must then see the new head, not fail with a serialization error.
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false),"
                " set_config('lock_timeout', %s, false),"
                " set_config('synchronous_commit', 'on', false),"
                " set_config('default_transaction_isolation', 'read committed', false)",
                [str(self._statement_timeout_ms), str(self._statement_timeout_ms)],
            )
        except psycopg.Error as exc:
            raise AuditError(
                f"cannot connect to the audit database ({redact_dsn(self._dsn)}): "
                f"{first_line(exc)}; check that PostgreSQL is running and the DSN "
                "(KUBECHAT_AUDIT_DSN / KubechatApp.audit_dsn) is right",
                sqlstate=exc.sqlstate,
            ) from exc
        self._conn = conn
        logger.debug("audit connection opened dsn=%s", redact_dsn(self._dsn))
        return conn

    def _connection(self) -> psycopg.Connection[tuple[Any, ...]]:
        if self._state is not _State.OPEN:
            raise AuditStoreStateError(
                "AuditStore is not open: use `with AuditStore(dsn) as store:` or call open()"
            )
        conn = self._conn
        if conn is None or conn.closed or conn.broken:
            if conn is not None:
                conn.close()
            self._conn = None
            conn = self._connect()
        return conn

    @contextlib.contextmanager
    def _translated(self, action: str) -> Iterator[None]:
        """Turn psycopg errors raised by ``action`` into ``AuditError``."""
        try:
            yield
        except AuditError:
            raise
        except _MISSING_SCHEMA as exc:
            raise AuditError(
                f"audit {action} failed: the audit schema is missing or outdated in "
                f"{redact_dsn(self._dsn)} ({first_line(exc)}); run "
                "AuditStore(owner_dsn).migrate() first",
                sqlstate=exc.sqlstate,
            ) from exc
        except errors.InsufficientPrivilege as exc:
            if action == "migrate":
                raise AuditError(
                    f"audit migrate refused: {first_line(exc)} (sqlstate {exc.sqlstate}); "
                    "migrating needs a superuser, or a role with CREATEROLE and CREATE on the "
                    "database that may also alter the app role if it already exists (created "
                    "by this role, or granted to it WITH ADMIN OPTION)",
                    sqlstate=exc.sqlstate,
                ) from exc
            raise AuditError(
                f"audit {action} refused: {first_line(exc)} (sqlstate {exc.sqlstate}); the "
                "audit log is append-only and the app role may only call the append function",
                sqlstate=exc.sqlstate,
            ) from exc
        except errors.LockNotAvailable as exc:
            raise AuditError(
                f"audit {action} gave up waiting {self._statement_timeout_ms} ms for a lock "
                f"({first_line(exc)}); nothing was appended; is another session holding the "
                "audit_head row lock?",
                sqlstate=exc.sqlstate,
            ) from exc
        except errors.QueryCanceled as exc:
            raise AuditError(
                f"audit {action} timed out after {self._statement_timeout_ms} ms "
                f"({first_line(exc)}); treat the event as not audited",
                sqlstate=exc.sqlstate,
            ) from exc
        except psycopg.OperationalError as exc:
            raise AuditError(
                f"audit {action} failed: lost the connection to {redact_dsn(self._dsn)} "
                f"({first_line(exc)}); outcome unknown and not acknowledged: treat the event "
                "as not audited; check that PostgreSQL is running",
                sqlstate=exc.sqlstate,
            ) from exc
        except psycopg.Error as exc:
            raise AuditError(
                f"audit {action} failed: {first_line(exc)} (sqlstate {exc.sqlstate})",
                sqlstate=exc.sqlstate,
            ) from exc


def first_line(exc: BaseException) -> str:
    """Return the first line of an error's message (its type name when empty)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
