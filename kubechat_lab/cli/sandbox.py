"""``kubechat sandbox``: build, start, seed, inspect and stop the local Kubernetes control plane."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from kubechat_lab.cli._errors import RuntimeFailure
from kubechat_lab.errors import SandboxError

if TYPE_CHECKING:
    from kubechat_lab.sandbox import SandboxManager

__all__ = ["sandbox"]


def _manager() -> SandboxManager:
    from kubechat_lab.sandbox import SandboxManager

    return SandboxManager()


def _say(line: str) -> None:
    click.echo(line, err=True)


@click.group()
def sandbox() -> None:
    """Run a real local control plane: etcd, the control plane, kwok and metrics-server."""


@sandbox.command()
@click.option("--force", is_flag=True, help="Rebuild binaries that are already cached.")
def build(force: bool) -> None:
    """Build the binaries from Go modules into the cache (a no-op when all exist)."""
    try:
        _manager().build(progress=_say, force=force)
    except SandboxError as exc:
        raise RuntimeFailure(str(exc)) from exc


@sandbox.command()
@click.option("--no-seed", is_flag=True, help="Do not apply the demo workload.")
def up(no_seed: bool) -> None:
    """Start the sandbox (building first when needed) and print the kubeconfig path."""
    try:
        path = _manager().up(progress=_say, seed=not no_seed)
    except SandboxError as exc:
        raise RuntimeFailure(str(exc)) from exc
    click.echo(str(path))


@sandbox.command()
def down() -> None:
    """Stop every sandbox process."""
    try:
        stopped = _manager().down(progress=_say)
    except SandboxError as exc:
        raise RuntimeFailure(str(exc)) from exc
    click.echo(f"stopped {len(stopped)} component(s)")


@sandbox.command()
def status() -> None:
    """Show which components run; exit 1 unless all do."""
    state = _manager().status()
    for comp in state.components:
        pid = f"pid {comp.pid}" if comp.pid else "stopped"
        click.echo(f"{comp.name:<24} {pid:<12} {comp.log_path}")
    click.echo(f"{'apiserver':<24} {state.server}")
    click.echo(f"{'kubeconfig':<24} {state.kubeconfig}")
    if not state.running:
        raise RuntimeFailure("the sandbox is not (fully) running; run `kubechat sandbox up`")


@sandbox.command()
def kubeconfig() -> None:
    """Print the path of the admin kubeconfig."""
    click.echo(str(_manager().kubeconfig_path()))


@sandbox.command()
def seed() -> None:
    """Apply the demo workload to the running sandbox."""
    try:
        _manager().seed(progress=_say)
    except SandboxError as exc:
        raise RuntimeFailure(str(exc)) from exc
