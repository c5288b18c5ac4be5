"""``kubechat mcp``: the MCP server over stdio for agents, a client of the running server.

It holds ``KUBECHAT_URL`` and a capability (``kubechat token``), never a kubeconfig, key or
DSN; every tool call is judged, audited (origin ``mcp``) and, for writes, approved by a person on
the server (docs/mcp.md).
"""

from __future__ import annotations

import logging
import os

import click

from kubechat_lab.cli._errors import UsageFailure

__all__ = ["mcp"]

_PREFIX = "kcap_"


@click.command()
@click.option("--url", envvar="KUBECHAT_URL", show_envvar=True,
              help="The kubechat (Jupyter) server's URL, e.g. http://127.0.0.1:8888/.")
@click.option("--capability-env", default="KUBECHAT_CAPABILITY", show_default=True,
              metavar="NAME", help="The environment variable that holds the capability.")
def mcp(url: str | None, capability_env: str) -> None:
    """Serve kubechat's tools to an agent over MCP (stdio).

    Mint a capability first, without approve scopes:
    eval "$(kubechat token --scope ask --scope propose --scope execute --scope audit:read
    --label my-agent)"
    """
    from kubechat_lab.mcp import AgentClient, serve_stdio

    capability = os.environ.pop(capability_env, "")  # children of this process never see it
    if not url:
        raise UsageFailure("no server URL: set KUBECHAT_URL or pass --url")
    if not capability:
        raise UsageFailure(f"${capability_env} is empty: mint a capability with `kubechat "
                           "token` and pass it there (or name its variable with "
                           "--capability-env)")
    if not capability.startswith(_PREFIX):
        # a Jupyter token or a password would give the agent a person's rights
        raise UsageFailure(f"${capability_env} does not hold a kubechat capability (they start "
                           f"with {_PREFIX!r}); mint one with `kubechat token`")
    # stdout is the protocol; logs go to stderr
    logging.basicConfig(level=logging.WARNING, format="kubechat mcp: %(message)s")
    with AgentClient(url, capability) as client:
        serve_stdio(client)
