"""``kubechat postgres``: start, stop and inspect the embedded PostgreSQL of the audit chain.

With no audit DSN configured, ``kubechat serve``, ``kubechat run`` and ``kubechat audit`` use
one embedded server under ``<jupyter data dir>/kubechat/postgres`` and start it when needed;
``run`` and ``audit`` leave it running. These commands manage that server (or another one's
``--data-dir``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from kubechat_lab.cli._errors import RuntimeFailure
from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from kubechat_lab.audit import EmbeddedPostgres

__all__ = ["postgres"]

_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The server's directory (default: <jupyter data dir>/kubechat/postgres, the one "
    "kubechat serve, run and audit use).",
)


def _server(data_dir: Path | None) -> EmbeddedPostgres:
    from kubechat_lab.audit import EmbeddedPostgres, default_data_dir

    return EmbeddedPostgres(data_dir if data_dir is not None else default_data_dir())


def _show(server: EmbeddedPostgres) -> bool:
    """Print the server's state; return whether it runs."""
    from kubechat_lab.audit import redact_dsn

    pid = server.pid
    state = f"running (pid {pid})" if pid else "stopped"
    click.echo(f"{'state':<10} {state}")
    click.echo(f"{'data dir':<10} {server.data_dir}")
    click.echo(f"{'log':<10} {server.log_path}")
    try:
        click.echo(f"{'binaries':<10} {server.bin_dir}")
    except AuditError as exc:
        click.echo(f"{'binaries':<10} none found: {exc}")
    if pid is None:
        return False
    click.echo(f"{'port':<10} 127.0.0.1:{server.port} and the socket in {server.socket_dir}")
    if (server.data_dir / "app_password").exists():
        click.echo(f"{'app DSN':<10} {redact_dsn(server.app_dsn)}")
        click.echo(f"{'':<10} (password in {server.data_dir / 'app_password'})")
    return True


@click.group()
def postgres() -> None:
    """Start, stop and inspect the embedded PostgreSQL that holds the audit chain."""


@postgres.command()
@_data_dir_option
def start(data_dir: Path | None) -> None:
    """Start the server (initialising it on first use) and migrate the audit schema."""
    from kubechat_lab.audit import embedded_for_data_dir

    try:
        server = embedded_for_data_dir(data_dir)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    _show(server)


@postgres.command()
@_data_dir_option
@click.option(
    "--mode",
    type=click.Choice(["smart", "fast", "immediate"]),
    default="fast",
    show_default=True,
    help="smart waits for clients; fast disconnects them; immediate aborts (recovery on start).",
)
def stop(data_dir: Path | None, mode: Literal["smart", "fast", "immediate"]) -> None:
    """Stop the server if it runs (running Jupyter servers lose their audit database)."""
    server = _server(data_dir)
    if not server.running:
        click.echo(f"not running: {server.data_dir}")
        return
    try:
        server.stop(mode)
    except AuditError as exc:
        raise RuntimeFailure(str(exc)) from exc
    click.echo(f"stopped: {server.data_dir}")


@postgres.command()
@_data_dir_option
def status(data_dir: Path | None) -> None:
    """Show whether the server runs, where, and its app DSN; exit 1 unless it runs."""
    server = _server(data_dir)
    if not _show(server):
        raise RuntimeFailure(
            f"the embedded PostgreSQL in {server.data_dir} is not running; start it with "
            "`kubechat postgres start`"
        )
