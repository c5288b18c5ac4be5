"""Running PostgreSQL's programs (``initdb``, ``pg_ctl``) as the server's OS user.

Each program runs from an argv list in its own session, with a small fixed environment and a
timeout; its output goes to ``log/<program>.out`` beside the server log, so no pipe is left
unread. A failure becomes an ``AuditError`` quoting that output and the end of the log.
"""

from __future__ import annotations

import logging
import os
import shlex
import socket
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kubechat_lab.audit._pg_install import ServerOwner
from kubechat_lab.errors import AuditError

__all__ = ["SUPERUSER", "PgTools", "free_port", "port_free"]

logger = logging.getLogger(__name__)

SUPERUSER: Final = "postgres"
"""The database superuser ``initdb`` creates (local socket, trust)."""


@dataclass(frozen=True, slots=True)
class PgTools:
    """PostgreSQL's programs for one data directory.

    Parameters
    ----------
    bin_dir
        Directory of ``initdb`` and ``pg_ctl``.
    data_dir
        The embedded server's directory (working directory of every program).
    pgdata
        The PGDATA directory.
    log_path
        The server log (program output goes beside it).
    timeout
        Seconds a program's own wait may take (``-t``); the process gets 10 more.
    """

    bin_dir: Path
    data_dir: Path
    pgdata: Path
    log_path: Path
    timeout: float

    def initdb(self, owner: ServerOwner) -> None:
        """Create the cluster: superuser ``postgres``, trust on the socket, scram over TCP."""
        argv = [
            str(self.bin_dir / "initdb"),
            "-D", str(self.pgdata),
            "-U", SUPERUSER,
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--encoding=UTF8",
            "--locale=C",
            "--no-instructions",
        ]  # fmt: skip
        logger.info("embedded postgres initdb data_dir=%s bin=%s", self.data_dir, self.bin_dir)
        self.run(owner, argv, what="initdb")

    def pg_ctl(self, owner: ServerOwner, args: list[str]) -> None:
        """Run ``pg_ctl -D PGDATA ARGS`` as ``owner``."""
        self.run(owner, [str(self.bin_dir / "pg_ctl"), "-D", str(self.pgdata), *args],
                 what="pg_ctl " + args[0])  # fmt: skip

    def start(
        self,
        owner: ServerOwner,
        ports: Iterable[int],
        *,
        socket_dir: Path,
        settings: Mapping[str, str],
    ) -> int:
        """``pg_ctl start`` on the first of ``ports`` the server can bind; return that port.

        The server listens on 127.0.0.1 and on a unix socket in ``socket_dir`` (0700);
        ``settings`` are extra ``-c name=value`` options.

        Raises
        ------
        AuditError
            The server did not start (a port clash is retried on the next port).
        """
        last_error: AuditError | None = None
        for port in ports:
            options = {
                "listen_addresses": "127.0.0.1",
                "port": str(port),
                "unix_socket_directories": str(socket_dir),
                "unix_socket_permissions": "0700",
                **settings,
            }
            opts = " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in options.items())
            try:
                self.pg_ctl(
                    owner,
                    ["start", "-w", "-t", str(int(self.timeout)), "-l", str(self.log_path),
                     "-o", opts],
                )  # fmt: skip
            except AuditError as exc:
                last_error = exc
                if "could not bind" in self.log_tail() or "in use" in self.log_tail():
                    continue
                raise
            return port
        raise last_error or AuditError(f"embedded PostgreSQL: no port to try in {self.data_dir}")

    def run(self, owner: ServerOwner, argv: list[str], *, what: str) -> None:
        """Run ``argv`` as ``owner``; its output goes to ``log/<program>.out``.

        Raises
        ------
        AuditError
            The program failed, timed out or could not start; the message quotes its
            output and the end of the server log.
        """
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
                    timeout=self.timeout + 10,
                    start_new_session=True,
                    user=owner.uid,
                    group=owner.gid,
                    extra_groups=[] if owner.uid is not None else None,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise AuditError(
                    f"embedded PostgreSQL: {what} did not finish within {self.timeout + 10:.0f}"
                    f" s; see {self.log_path}:\n{self.log_tail()}"
                ) from exc
            except OSError as exc:
                raise AuditError(f"embedded PostgreSQL: cannot run {argv[0]}: {exc}") from exc
        if result.returncode != 0:
            output = out_path.read_text(errors="replace").strip()
            raise AuditError(
                f"embedded PostgreSQL: {what} failed (exit {result.returncode}) for "
                f"{self.data_dir}:\n{output[-2000:]}\n--- {self.log_path} ---\n{self.log_tail()}"
            )

    def log_tail(self, lines: int = 20) -> str:
        """Return the last ``lines`` lines of the server log (or a note that there is none)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """Return whether ``port`` on 127.0.0.1 can be bound now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # PostgreSQL binds with SO_REUSEADDR, so TIME_WAIT leftovers of its previous run
        # (e.g. after an immediate stop) do not keep it from reusing its port.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True
