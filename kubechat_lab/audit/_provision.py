"""``init_database``: make a PostgreSQL database ready for the audit chain (``audit init``).

Given the owner's DSN it creates the schema and the app role and runs the migrations
(``AuditStore.migrate``), keeps the app role's password in a libpq password file (0600) and
returns the app-role DSN to configure: every connection parameter explicit (host, port,
database, user) and ``passfile=PATH`` instead of the password. It then connects with that DSN,
so a DSN it returns is one that works from here.

The password is generated once (``secrets.token_urlsafe``) and reused on later runs for the
same host, port, database and role, so running it again (after an upgrade, to apply new
migrations) never locks out a server that already uses the DSN.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kubechat_lab.audit._connection import first_line, redact_dsn
from kubechat_lab.audit._pgpass import read_password, write_password
from kubechat_lab.audit._schema import APP_ROLE, MIGRATIONS
from kubechat_lab.audit._store import AuditStore
from kubechat_lab.errors import AuditError

__all__ = ["AuditInit", "init_database"]

logger = logging.getLogger(__name__)

# Parameters of the owner's DSN that name the owner or the database; the app DSN sets its own.
_NOT_CARRIED = frozenset({"user", "password", "passfile", "dbname", "host", "port"})


@dataclass(frozen=True, slots=True)
class AuditInit:
    """What ``init_database`` did and the DSN to configure.

    Parameters
    ----------
    app_dsn
        The app role's DSN: host, port, dbname, user and ``passfile``; no password.
    app_role
        The least-privilege role the DSN logs in as.
    passfile
        The libpq password file holding the role's password (mode 0600).
    password_created
        True when this call generated the password (False: reused from ``passfile``).
    applied
        Migration versions applied by this call (empty when the schema was up to date).
    schema_version
        The schema version the database is at now.
    head_seq
        The chain's head as the app role sees it (0 for a new chain).
    """

    app_dsn: str
    app_role: str
    passfile: Path
    password_created: bool
    applied: tuple[int, ...]
    schema_version: int
    head_seq: int


def init_database(owner_dsn: str, *, passfile: Path, app_role: str = APP_ROLE) -> AuditInit:
    """Create or upgrade the audit schema and the app role; return the app DSN to configure.

    Parameters
    ----------
    owner_dsn
        libpq DSN of a role that may create the schema and the app role (a superuser, or a
        role with CREATEROLE and CREATE on the database). Its password may come from
        ``PGPASSWORD`` or ``~/.pgpass`` instead of the DSN.
    passfile
        libpq password file for the app role's password (created 0600; other lines kept).
    app_role
        Name of the app role (created when missing).

    Returns
    -------
    AuditInit
        The app DSN and what was done.

    Raises
    ------
    AuditError
        The database cannot be reached, the owner lacks a privilege, the password file cannot
        be written, or the app role cannot log in with the DSN (the message says why and
        what to change).
    """
    passfile = passfile.expanduser().absolute()
    host, port, dbname, carried = _resolve(owner_dsn)
    entry = (host, port, dbname, app_role)
    password = read_password(passfile, entry)
    created = password is None
    if password is None:
        password = secrets.token_urlsafe(32)
    # The file first: the role never has a password that is written nowhere.
    write_password(passfile, entry, password)
    with AuditStore(owner_dsn) as store:
        applied = store.migrate(app_role=app_role, app_password=password)
    app_dsn = make_conninfo(
        "", host=host, port=port, dbname=dbname, user=app_role, passfile=str(passfile), **carried
    )
    head_seq = _check_login(app_dsn)
    logger.info(
        "audit database initialised dsn=%s applied=%s password_created=%s",
        app_dsn, applied, created,
    )  # fmt: skip
    return AuditInit(
        app_dsn=app_dsn,
        app_role=app_role,
        passfile=passfile,
        password_created=created,
        applied=tuple(applied),
        schema_version=max(version for version, _, _ in MIGRATIONS),
        head_seq=head_seq,
    )


def _resolve(owner_dsn: str) -> tuple[str, str, str, dict[str, str]]:
    """Connect as the owner; return the server's host, port, database and other parameters."""
    try:
        params = conninfo_to_dict(owner_dsn)
    except psycopg.ProgrammingError as exc:
        raise AuditError(f"invalid owner DSN: {first_line(exc)}") from exc
    try:
        with psycopg.connect(owner_dsn, autocommit=True, connect_timeout=10) as conn:
            host, port, dbname = conn.info.host, str(conn.info.port), conn.info.dbname
    except psycopg.Error as exc:
        raise AuditError(
            f"cannot connect to the database as its owner ({redact_dsn(owner_dsn)}): "
            f"{first_line(exc)}; check the DSN and that PostgreSQL is running",
            sqlstate=exc.sqlstate,
        ) from exc
    carried = {k: str(v) for k, v in params.items() if k not in _NOT_CARRIED and v is not None}
    return host, port, dbname, carried


def _check_login(app_dsn: str) -> int:
    """Connect with the app DSN and read the head: the DSN works from here."""
    try:
        with AuditStore(app_dsn) as store:
            return store.head()[0]
    except AuditError as exc:
        hint = (
            "; PGPASSWORD is set in this environment and libpq prefers it to the passfile: "
            "unset it where kubechat runs"
            if os.environ.get("PGPASSWORD")
            else "; allow the role a password login from here in pg_hba.conf (scram-sha-256)"
        )
        raise AuditError(
            f"the audit schema is ready, but the app role cannot use {redact_dsn(app_dsn)}: "
            f"{exc}{hint}",
            sqlstate=exc.sqlstate,
        ) from exc
