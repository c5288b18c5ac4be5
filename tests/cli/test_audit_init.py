"""``kubechat audit init`` on a fresh PostgreSQL prints a DSN that run and verify then use.

Everything goes through the installed ``kubechat`` script, as an operator would type it: the
printed DSN is read back from the ``c.KubechatApp.audit_dsn = ...`` line of the output.
"""

from __future__ import annotations

import ast
import json
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from kubechat_lab.audit._pgpass import read_password
from tests.cli._kubechat import kubechat, warnings_in
from tests.plugins.postgres import FreshPg
from tests.plugins.sandbox import SandboxInfo

pytestmark = pytest.mark.postgres


def printed_dsn(stdout: str) -> str:
    """The DSN of the ``c.KubechatApp.audit_dsn = '...'`` line (a Python literal)."""
    lines = [line for line in stdout.splitlines() if "c.KubechatApp.audit_dsn = " in line]
    assert len(lines) == 1, stdout
    value = ast.literal_eval(lines[0].split("c.KubechatApp.audit_dsn = ", 1)[1])
    assert isinstance(value, str)
    return value


@pytest.fixture
def passfile() -> Iterator[Path]:
    """Where init keeps the app password: a directory of its own, not created yet."""
    root = Path(tempfile.mkdtemp(prefix="kubechat-pgpass-"))
    yield root / "sub" / "audit.pgpass"
    shutil.rmtree(root, ignore_errors=True)


def init(fresh_pg: FreshPg, passfile: Path) -> tuple[str, str]:
    result = kubechat("audit", "init", "--dsn", fresh_pg.owner_dsn, "--passfile", str(passfile))
    assert result.returncode == 0, result.stderr
    assert warnings_in(result.stderr) == []
    return result.stdout, printed_dsn(result.stdout)


def test_init_prints_a_passwordless_dsn_that_verify_accepts(
    fresh_pg: FreshPg, passfile: Path
) -> None:
    out, dsn = init(fresh_pg, passfile)
    params = conninfo_to_dict(dsn)
    assert "password" not in params
    assert params == {
        "host": "127.0.0.1",
        "port": str(fresh_pg.server.port),
        "dbname": fresh_pg.dbname,
        "user": "kubechat_app",
        "passfile": str(passfile),
    }
    assert "migrations applied now: 1, 2, 3" in out
    assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
    password = read_password(passfile, ("127.0.0.1", params["port"], fresh_pg.dbname,
                                        "kubechat_app"))
    assert password and password not in out and fresh_pg.owner_password not in out
    verify = kubechat("audit", "verify", "--dsn", dsn)
    assert verify.returncode == 0, verify.stderr
    assert "[sql] audit chain intact: 0 rows checked" in verify.stdout
    assert warnings_in(verify.stderr) == []

    again, dsn_again = init(fresh_pg, passfile)  # idempotent: same DSN, same password
    assert dsn_again == dsn
    assert "migrations applied now: none (up to date)" in again
    assert f"password reused from {passfile}" in again
    assert read_password(passfile, ("127.0.0.1", params["port"], fresh_pg.dbname,
                                    "kubechat_app")) == password
    assert kubechat("audit", "verify", "--dsn", dsn).returncode == 0


@pytest.mark.sandbox
def test_run_records_to_the_printed_dsn_and_verify_checks_it(
    fresh_pg: FreshPg, passfile: Path, sandbox: SandboxInfo
) -> None:
    _, dsn = init(fresh_pg, passfile)
    run = kubechat(
        "run", "kubectl get namespaces", "--kubeconfig", str(sandbox.kubeconfig),
        "--audit-dsn", dsn,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "kube-system" in run.stdout
    assert warnings_in(run.stderr) == []
    verify = kubechat("audit", "verify", "--dsn", dsn)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    tail = kubechat("audit", "tail", "--json", "--dsn", dsn)
    events = [json.loads(line)["event"] for line in tail.stdout.splitlines()]
    assert "executed" in [e["type"] for e in events]
    assert all("get namespaces" in e["command"] for e in events)
    rows = len(events)
    assert rows >= 2 and f"audit chain intact: {rows} rows checked" in verify.stdout


def test_an_owner_that_cannot_log_in_is_refused_without_echoing_its_password(
    fresh_pg: FreshPg, passfile: Path
) -> None:
    wrong = "not-the-password-" + fresh_pg.owner_password
    dsn = fresh_pg.owner_dsn.replace(fresh_pg.owner_password, wrong)
    result = kubechat("audit", "init", "--dsn", dsn, "--passfile", str(passfile))
    assert result.returncode == 1
    assert "cannot connect to the database as its owner" in result.stderr
    assert wrong not in result.stderr + result.stdout
    assert not passfile.exists()  # nothing written before the owner was reached


def test_an_owner_without_createrole_gets_the_privileges_it_needs(
    fresh_pg: FreshPg, passfile: Path
) -> None:
    with psycopg.connect(fresh_pg.server.dsn_for("postgres"), autocommit=True) as conn:
        conn.execute("ALTER ROLE audit_owner NOCREATEROLE")
    result = kubechat("audit", "init", "--dsn", fresh_pg.owner_dsn, "--passfile", str(passfile))
    assert result.returncode == 1
    assert "migrating needs a superuser, or a role with CREATEROLE" in result.stderr
    with psycopg.connect(fresh_pg.server.dsn_for(fresh_pg.dbname)) as conn:
        schema = conn.execute(
            "SELECT 1 FROM pg_namespace WHERE nspname = 'kubechat_audit'"
        ).fetchone()
    assert schema is None  # the migration rolled back whole
