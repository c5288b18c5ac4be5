"""Real PostgreSQL for tests: one server per session, a fresh migrated database per test.

The server is ``--pg-dsn`` / ``$KUBECHAT_TEST_PG_DSN`` (a superuser DSN of an existing server,
e.g. Debian's PostgreSQL started by .ci/run; its pg_hba must accept password logins for the
``kubechat_app`` role on the DSN's host), else an embedded PostgreSQL this plugin starts under
pytest's temporary directory and stops at the end of the session.

Each test that uses ``audit_db`` gets its own database, cloned from a migrated template with
``CREATE DATABASE ... TEMPLATE`` (a file copy: fast), and dropped afterwards.

``fresh_pg`` is a new, never-migrated cluster of its own (for ``kubechat audit init``): an
owner role with a password, CREATEROLE and its own empty database, reached over TCP.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from kubechat_lab.audit import APP_ROLE, AuditError, AuditStore, EmbeddedPostgres

TEMPLATE_DB = "kubechat_audit_template"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--pg-dsn",
        default=None,
        help="superuser DSN of a PostgreSQL for the postgres tests (default: "
        "$KUBECHAT_TEST_PG_DSN, else an embedded PostgreSQL started by the fixture)",
    )


@dataclass(frozen=True)
class PgServer:
    """A PostgreSQL server the tests may create databases on."""

    admin_dsn: str  # superuser DSN (any database)
    app_password: str
    embedded: EmbeddedPostgres | None

    def dsn_for(self, dbname: str) -> str:
        return make_conninfo(self.admin_dsn, dbname=dbname)

    def app_dsn_for(self, dbname: str) -> str:
        if self.embedded is not None:
            return self.embedded.app_dsn_for(dbname)
        return make_conninfo(
            self.admin_dsn, user=APP_ROLE, password=self.app_password, dbname=dbname
        )


@dataclass(frozen=True)
class AuditDb:
    """One fresh, migrated database: superuser and app-role DSNs."""

    name: str
    dsn: str  # superuser
    app_dsn: str  # kubechat_app: SELECT + EXECUTE on the append function only
    server: PgServer


def skip_or_fail(reason: str) -> None:
    # Imported late: `-p tests.plugins.postgres` must not import the services plugin before
    # conftest registers it (pytest could no longer rewrite its asserts).
    from tests.plugins.services import skip_or_fail as _skip_or_fail

    _skip_or_fail(reason)


def _admin(dsn: str) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(dsn, autocommit=True, connect_timeout=10)


@pytest.fixture(scope="session")
def pg_server(request: pytest.FixtureRequest) -> Iterator[PgServer]:
    """A running PostgreSQL with a migrated template database."""
    external = request.config.getoption("--pg-dsn") or os.environ.get("KUBECHAT_TEST_PG_DSN")
    embedded: EmbeddedPostgres | None = None
    if external:
        params = conninfo_to_dict(external)
        admin_dsn = make_conninfo(external, dbname=params.get("dbname") or "postgres")
        try:
            with _admin(admin_dsn):
                pass
        except psycopg.Error as exc:
            skip_or_fail(f"cannot connect to the test PostgreSQL ({external}): {exc}")
    else:
        embedded = EmbeddedPostgres(Path(_server_root(request)) / "server")
        try:
            embedded.start()
        except AuditError as exc:
            skip_or_fail(f"cannot start an embedded PostgreSQL: {exc}")
        admin_dsn = embedded.dsn_for("postgres")
    password = embedded.app_password if embedded is not None else secrets.token_urlsafe(24)
    server = PgServer(admin_dsn, password, embedded)
    with _admin(admin_dsn) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE_DB))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    with AuditStore(server.dsn_for(TEMPLATE_DB)) as store:
        store.migrate(app_password=password)
    try:
        yield server
    finally:
        with _admin(admin_dsn) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(TEMPLATE_DB)
                )
            )
        if embedded is not None:
            embedded.stop()


@contextlib.contextmanager
def created_database(pg_server: PgServer) -> Iterator[AuditDb]:
    """Create a fresh database from the migrated template; drop it on exit."""
    name = f"kc_test_{uuid.uuid4().hex[:12]}"
    with _admin(pg_server.admin_dsn) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(TEMPLATE_DB)
            )
        )
    try:
        yield AuditDb(name, pg_server.dsn_for(name), pg_server.app_dsn_for(name), pg_server)
    finally:
        with _admin(pg_server.admin_dsn) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture
def audit_db(pg_server: PgServer) -> Iterator[AuditDb]:
    """A fresh database holding an empty, migrated audit chain."""
    with created_database(pg_server) as db:
        yield db


def _server_root(request: pytest.FixtureRequest) -> str:
    """A private directory for a server's data, removed when the requesting scope ends.

    Not under pytest's basetemp: every pytest run resets ``/tmp/pytest-of-<user>`` to 0700,
    which (as root, with postgres running as another user) locks a running server out of its
    own data directory.
    """
    root = tempfile.mkdtemp(prefix="kubechat-test-pg-")
    request.addfinalizer(lambda: shutil.rmtree(root, ignore_errors=True))
    return root


@pytest.fixture
def dedicated_pg(request: pytest.FixtureRequest) -> Iterator[EmbeddedPostgres]:
    """A private embedded PostgreSQL (for tests that stop or crash the server), migrated."""
    server = EmbeddedPostgres(Path(_server_root(request)) / "pg")
    try:
        server.start()
    except AuditError as exc:
        skip_or_fail(f"cannot start an embedded PostgreSQL: {exc}")
    try:
        with AuditStore(server.dsn) as store:
            store.migrate(app_password=server.app_password)
        yield server
    finally:
        server.stop(mode="immediate")


@dataclass(frozen=True)
class FreshPg:
    """A new PostgreSQL cluster with an empty database and the role that owns it."""

    server: EmbeddedPostgres
    dbname: str
    owner: str
    owner_password: str

    @property
    def owner_dsn(self) -> str:
        """The owner's DSN over TCP (password authentication), as an operator would have it."""
        return make_conninfo(
            "",
            host="127.0.0.1",
            port=self.server.port,
            dbname=self.dbname,
            user=self.owner,
            password=self.owner_password,
        )


@pytest.fixture
def fresh_pg(request: pytest.FixtureRequest) -> Iterator[FreshPg]:
    """A private cluster, no audit schema and no app role yet; stopped afterwards."""
    server = EmbeddedPostgres(Path(_server_root(request)) / "pg")
    try:
        server.start()
    except AuditError as exc:
        skip_or_fail(f"cannot start an embedded PostgreSQL: {exc}")
    fresh = FreshPg(server, "audit_fresh", "audit_owner", secrets.token_urlsafe(16))
    try:
        with _admin(server.dsn_for("postgres")) as conn:
            conn.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                    sql.Identifier(fresh.owner), sql.Literal(fresh.owner_password)
                )
            )
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(fresh.dbname), sql.Identifier(fresh.owner)
                )
            )
        yield fresh
    finally:
        server.stop(mode="immediate")

