"""``kubechat audit``: set up, verify, read and export the hash-chained audit log."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import click

from kubechat_lab.cli._errors import RuntimeFailure, UsageFailure
from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from kubechat_lab.audit import AuditStore

__all__ = ["audit"]

_DSN_HELP = (
    "libpq DSN of the audit database (default: $KUBECHAT_AUDIT_DSN, else the embedded "
    "PostgreSQL under the Jupyter data dir, started if needed)."
)


def _open(dsn: str | None) -> AuditStore:
    from kubechat_lab.audit import AuditStore, default_dsn

    try:
        return AuditStore(dsn or default_dsn()).open()
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc


@click.group()
def audit() -> None:
    """Set up, verify, read and export the tamper-evident audit log."""


@audit.command()
@click.option(
    "--dsn",
    "owner_dsn",
    required=True,
    envvar="KUBECHAT_AUDIT_OWNER_DSN",
    help="libpq DSN of a role that may create the schema and the app role (a superuser, or "
    "CREATEROLE + CREATE on the database); also $KUBECHAT_AUDIT_OWNER_DSN. Leave the password "
    "out of it to keep it out of shell history: libpq reads PGPASSWORD or ~/.pgpass.",
)
@click.option(
    "--app-role",
    default="kubechat_app",
    show_default=True,
    help="The least-privilege role kubechat connects as (created when missing).",
)
@click.option(
    "--passfile",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="libpq password file that keeps the app role's password (0600; other lines kept). "
    "Default: <jupyter data dir>/kubechat/audit.pgpass.",
)
def init(owner_dsn: str, app_role: str, passfile: Path | None) -> None:
    """Create the audit schema, the app role and run migrations; print the DSN to configure.

    The app role's password is generated once, kept in the password file and never printed:
    the DSN names the file (passfile=PATH), so it is safe in shell history and config files.
    Running it again applies new migrations and reuses the password.
    """
    from kubechat_lab.audit import default_passfile, init_database

    try:
        done = init_database(
            owner_dsn, passfile=passfile or default_passfile(), app_role=app_role
        )
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    applied = ", ".join(map(str, done.applied)) if done.applied else "none (up to date)"
    password = "generated, kept in" if done.password_created else "reused from"
    dsn = done.app_dsn
    click.echo(f"audit schema at version {done.schema_version}; migrations applied now: {applied}")
    click.echo(f"app role {done.app_role}: password {password} {done.passfile} (0600, not shown)")
    click.echo(f"chain head: seq {done.head_seq}; the app role logged in with the DSN below")
    click.echo("")
    click.echo("Configure this DSN (it holds no password; libpq reads it from the passfile):")
    click.echo("")
    click.echo(f"  jupyter_server_config.py:  c.KubechatApp.audit_dsn = {dsn!r}")
    click.echo(f"  environment:               export KUBECHAT_AUDIT_DSN={shlex.quote(dsn)}")
    click.echo(f"  command line:              kubechat run --audit-dsn {shlex.quote(dsn)} ...")
    click.echo(f"                             kubechat audit verify --dsn {shlex.quote(dsn)}")


@audit.command()
@click.option("--dsn", default=None, help=_DSN_HELP)
@click.option(
    "--method",
    type=click.Choice(["both", "sql", "stream"]),
    default="both",
    show_default=True,
    help="Set-based check inside PostgreSQL, independent recomputation in Python, or both.",
)
@click.option(
    "--checkpoints",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="JSON-lines file of signed checkpoints (catches a rewritten or truncated tail).",
)
@click.option(
    "--public-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Ed25519 public key (PEM) the checkpoints were signed with.",
)
def verify(dsn: str | None, method: str, checkpoints: Path | None, public_key: Path | None) -> None:
    """Recompute the chain; exit 0 when intact, 1 with the first bad seq otherwise."""
    from kubechat_lab.audit import load_public_key, verify_checkpoints

    if (checkpoints is None) != (public_key is None):
        raise UsageFailure("--checkpoints and --public-key go together; give both or neither")
    store = _open(dsn)
    try:
        reports = []
        if method in ("both", "sql"):
            reports.append(store.verify_sql())
        if method in ("both", "stream"):
            reports.append(store.verify_stream())
        if checkpoints is not None and public_key is not None:
            reports.append(verify_checkpoints(store, load_public_key(public_key), checkpoints))
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    finally:
        store.close()
    for report in reports:
        click.echo(report.summary())
    failed = [report for report in reports if not report.ok]
    if failed:
        first = failed[0]
        raise RuntimeFailure(
            f"audit log is NOT intact: first bad seq {first.first_bad_seq}: {first.reason}"
        )


@audit.command()
@click.option("-n", "count", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option("--dsn", default=None, help=_DSN_HELP)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def tail(count: int, dsn: str | None, as_json: bool) -> None:
    """Print the last N audit records, oldest first."""
    store = _open(dsn)
    try:
        records = store.tail(count)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    finally:
        store.close()
    for record in records:
        if as_json:
            click.echo(json.dumps(record.to_dict(), sort_keys=True))
            continue
        event = dict(record.event)
        kind = event.pop("type", "")
        user = event.pop("user", "-")
        event.pop("time", None)
        detail = json.dumps(event, sort_keys=True, separators=(",", ":"))
        click.echo(
            f"{record.seq:>8}  {record.at.isoformat(timespec='seconds')}  {kind:<10} "
            f"{user!s:<12} {detail}"
        )


@audit.command()
@click.argument("target", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--dsn", default=None, help=_DSN_HELP)
def export(target: Path, dsn: str | None) -> None:
    """Write the whole chain to a Parquet file (raw payloads and hashes included)."""
    from kubechat_lab.audit import export_parquet

    if target.suffix != ".parquet":
        raise UsageFailure(f"export target must end in .parquet, got {target}")
    store = _open(dsn)
    try:
        rows = export_parquet(store, target)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"wrote {rows} audit records to {target}")


@audit.command()
@click.option(
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Ed25519 private key (PEM); created with its .pub when missing.",
)
@click.option(
    "--checkpoints",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="JSON-lines checkpoint file to append to (keep it off the database host).",
)
@click.option("--dsn", default=None, help=_DSN_HELP)
def checkpoint(key_path: Path, checkpoints: Path, dsn: str | None) -> None:
    """Sign the current head (size + hash) and append it to the checkpoint file."""
    from kubechat_lab.audit import generate_signing_key, load_signing_key, write_checkpoint

    try:
        key = load_signing_key(key_path) if key_path.exists() else generate_signing_key(key_path)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    store = _open(dsn)
    try:
        line = write_checkpoint(store, key, checkpoints)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    finally:
        store.close()
    click.echo(f"checkpoint size={line['size']} head={line['head_hash']} -> {checkpoints}")
