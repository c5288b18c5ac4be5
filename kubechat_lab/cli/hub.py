"""``kubechat hub-service``: kubechat as a JupyterHub-managed service (docs/jupyterhub.md).

It runs a jupyter_server holding only kubechat's routes, under the hub's service prefix and on
the address the hub gives it (``$JUPYTERHUB_SERVICE_URL``), authenticating people with the
hub's OAuth and single-user servers with their hub token (``kubechat_lab/server/hub/_auth.py``). Its
configuration file (``--config``: kubeconfig, impersonation, LLM key file, audit DSN) should be
readable by the service's OS user only: no notebook user's kernel can then read a credential.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse

import click

from kubechat_lab.cli._errors import UsageFailure

__all__ = ["hub_service"]

#: What JupyterHub sets for a managed service, and what the service needs of it.
_NEEDED = ("JUPYTERHUB_SERVICE_NAME", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_SERVICE_PREFIX",
           "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_API_URL", "JUPYTERHUB_CLIENT_ID",
           "JUPYTERHUB_OAUTH_CALLBACK_URL")


def service_argv(env: dict[str, str], config_file: str | None, root_dir: str,
                 extra: tuple[str, ...] = ()) -> list[str]:
    """Return the jupyter_server arguments of the service for the hub's environment ``env``.

    ``extra`` arguments come last and replace a default of the same option (e.g.
    ``--ServerApp.port=10102`` for a second process behind the address the hub knows).

    Raises
    ------
    UsageFailure
        A variable JupyterHub sets for a managed service is missing.
    """
    missing = [name for name in _NEEDED if not env.get(name)]
    if missing:
        msg = (f"kubechat hub-service runs as a JupyterHub service ({', '.join(missing)} not "
               "set): declare it in c.JupyterHub.services with its command (docs/jupyterhub.md)")
        raise UsageFailure(msg)
    url = urllib.parse.urlsplit(env["JUPYTERHUB_SERVICE_URL"])
    argv = [
        f"--ServerApp.ip={url.hostname or '127.0.0.1'}",
        f"--ServerApp.port={url.port or 80}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.base_url={env['JUPYTERHUB_SERVICE_PREFIX']}",
        "--ServerApp.open_browser=False",
        # behind the hub's proxy, on a host name of its own under subdomain_host (as
        # jupyterhub-singleuser does): Host is not 127.0.0.1, and X-Forwarded-* are the proxy's
        "--ServerApp.allow_remote_access=True",
        "--ServerApp.trust_xheaders=True",
        "--ServerApp.terminals_enabled=False",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.identity_provider_class=kubechat_lab.server.hub._auth.HubIdentityProvider",
        "--ServerApp.authorizer_class=kubechat_lab.server.hub._auth.KubechatOnlyAuthorizer",
        "--KubechatApp.as_hub_service=True",
        # a person without a mapping is refused, never run as the service's own identity
        "--KubechatApp.require_impersonation=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    if config_file:
        argv.append(f"--config={os.path.abspath(config_file)}")
    replaced = {arg.partition("=")[0] for arg in extra if arg.startswith("--")}
    return [arg for arg in argv if arg.partition("=")[0] not in replaced] + list(extra)


@click.command(name="hub-service", context_settings={"ignore_unknown_options": True})
@click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
              help="A jupyter_server config file with the c.KubechatApp options (kubeconfig, "
                   "impersonate, audit_dsn, ...), readable by the service's OS user only.")
@click.argument("server_args", nargs=-1, type=click.UNPROCESSED)
def hub_service(config_file: str | None, server_args: tuple[str, ...]) -> None:
    """Run kubechat as a JupyterHub service (started by the hub; see docs/jupyterhub.md).

    Extra arguments go to the server and replace its defaults (e.g.
    --KubechatApp.approval_port=8890, or --ServerApp.port=10102 for a second process).
    """
    import importlib.util

    if importlib.util.find_spec("jupyterhub") is None:
        msg = ("kubechat hub-service needs the jupyterhub package (its OAuth client): "
               "pip install 'kubechat-lab[hub]'")
        raise UsageFailure(msg)
    argv = service_argv(dict(os.environ), config_file, tempfile.mkdtemp(prefix="kubechat-hub-"),
                        server_args)
    from jupyter_server.serverapp import ServerApp

    from kubechat_lab.server.hub._auth import shared_cookie_secret

    app = ServerApp.instance(jpserver_extensions={"kubechat_lab": True})
    # every process of the service signs its OAuth cookies alike (c.ServerApp.cookie_secret
    # in the config file still wins)
    app.cookie_secret = shared_cookie_secret(os.environ["JUPYTERHUB_API_TOKEN"])
    app.initialize(argv=argv, find_extensions=False)
    app.start()
