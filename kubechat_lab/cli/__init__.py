"""The ``kubechat`` command line: one click group, one module per subcommand family.

Subcommands are imported lazily so ``kubechat parse`` does not pay for the Jupyter server or
the Kubernetes client.
"""

from __future__ import annotations

import importlib

import click

__all__ = ["main"]

# name -> "module:attribute" of a click command or group.
_SUBCOMMANDS: dict[str, str] = {
    "parse": "kubechat_lab.cli.command:parse",
    "classify": "kubechat_lab.cli.command:classify",
    "translate": "kubechat_lab.cli.translate:translate",
    "eval": "kubechat_lab.cli.translate:evaluate",
    "sandbox": "kubechat_lab.cli.sandbox:sandbox",
    "run": "kubechat_lab.cli.run:run",
    "audit": "kubechat_lab.cli.audit:audit",
    "postgres": "kubechat_lab.cli.postgres:postgres",
    "token": "kubechat_lab.cli.serve:token",
    "serve": "kubechat_lab.cli.serve:serve",
    "mcp": "kubechat_lab.cli.mcp:mcp",
    "hub-service": "kubechat_lab.cli.hub:hub_service",
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported only when invoked or listed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_SUBCOMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _SUBCOMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None  # that part of the product is not built yet
        command: click.Command = getattr(module, attr)
        return command


@click.group(cls=_LazyGroup)
@click.version_option(package_name="kubechat-lab")
def main() -> None:
    """Operate and analyse Kubernetes in plain language, safely."""
