"""``kubechat serve`` (JupyterLab + extension + sandbox + embedded audit DB) and ``kubechat token``.

``kubechat token`` reaches the running server through its admin route
``POST {base_url}kubechat/api/capabilities``, authenticated with the Jupyter token the operator
already has (``--token``/``$JUPYTER_TOKEN``, or the server's runtime file ``jpserver-*.json``,
which only the server's OS user can read). Kernels cannot do this: their environment holds
neither the Jupyter token nor ``KUBECONFIG``, and capabilities are refused on admin routes.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

import click
import httpx

from kubechat_lab.cli._errors import RuntimeFailure, UsageFailure

__all__ = ["serve", "token"]

_SCOPES = ("ask", "propose", "execute", "approve:warning", "audit:read")


def _running_servers() -> list[dict[str, Any]]:
    from jupyter_server.serverapp import list_running_servers

    return list(list_running_servers())


def _find_server(url: str | None, jupyter_token: str | None) -> tuple[str, str]:
    """Return ``(base url with trailing slash, jupyter token)`` of the server to talk to."""
    if url and jupyter_token:
        return url.rstrip("/") + "/", jupyter_token
    servers = _running_servers()
    if url:
        wanted = url.rstrip("/") + "/"
        servers = [s for s in servers if str(s.get("url", "")).rstrip("/") + "/" == wanted]
    if not servers:
        where = f" at {url}" if url else ""
        msg = (
            f"no running Jupyter server found{where}: start one with `kubechat serve`, or pass "
            "--url and --token (or set JUPYTER_TOKEN)"
        )
        raise UsageFailure(msg)
    info = servers[-1]
    found_url = str(info.get("url", "")).rstrip("/") + "/"
    return found_url, jupyter_token or str(info.get("token", ""))


@click.command()
@click.option("--url", help="Server URL (default: the running server found in the runtime dir).")
@click.option(
    "--token",
    "jupyter_token",
    envvar="JUPYTER_TOKEN",
    help="Jupyter token of the server (default $JUPYTER_TOKEN, else its runtime file).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(_SCOPES),
    help="Scope to grant (repeatable). Default: ask, propose, execute.",
)
@click.option("--ttl", type=click.FloatRange(min=1), help="Lifetime in seconds (server caps it).")
@click.option("--label", default="", help="What will use it (recorded in the audit log).")
@click.option("--agent", is_flag=True,
              help="For an AI agent (`kubechat mcp`): every use is audited as origin mcp and "
                   "can never approve, whatever its scopes.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["env", "json", "token"]),
    default="env",
    show_default=True,
    help="env: `export` lines for eval; json: the full reply; token: the token only.",
)
def token(
    url: str | None,
    jupyter_token: str | None,
    scopes: tuple[str, ...],
    ttl: float | None,
    label: str,
    agent: bool,
    fmt: str,
) -> None:
    """Mint a capability for one headless process (nbval, a script).

    Example: eval "$(kubechat token --label nightly-runbook)"; pytest --nbval notebooks/
    """
    base, jtoken = _find_server(url, jupyter_token)
    body: dict[str, Any] = {
        "scopes": list(scopes or ("ask", "propose", "execute")),
        "label": label or f"kubechat token (pid {os.getppid()})",
    }
    if ttl is not None:
        body["ttl"] = ttl
    if agent:
        body["agent"] = True
    try:
        response = httpx.post(
            base + "kubechat/api/capabilities",
            json=body,
            headers={"Authorization": f"token {jtoken}"},
            timeout=httpx.Timeout(30.0),
        )
    except httpx.HTTPError as exc:
        raise RuntimeFailure(f"could not reach the Jupyter server at {base}: {exc}") from exc
    if response.status_code != 201:
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text[:200]
        msg = f"the server refused to mint a capability ({response.status_code}): {message}"
        raise RuntimeFailure(msg)
    data = response.json()
    if fmt == "json":
        click.echo(json.dumps(data, indent=2))
    elif fmt == "token":
        click.echo(data["token"])
    else:
        click.echo(f"export KUBECHAT_URL={data['url']}")
        click.echo(f"export KUBECHAT_CAPABILITY={data['token']}")
    click.echo(
        f"capability {data['id']} expires in {int(data['expires'] - time.time())} s; revoke it "
        f"with DELETE {base}kubechat/api/capabilities/{data['id']}",
        err=True,
    )


def _wait_ready(url: str, jupyter_token: str, proc: subprocess.Popen[bytes], limit: float) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeFailure(f"JupyterLab exited with status {proc.returncode} during start")
        try:
            r = httpx.get(
                url + "api/status",
                headers={"Authorization": f"token {jupyter_token}"},
                timeout=2.0,
            )
            if r.status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeFailure(f"JupyterLab did not answer on {url} within {limit:.0f} s")


@click.command(context_settings={"ignore_unknown_options": True})
@click.option("--port", type=click.IntRange(1, 65535), default=8888, show_default=True)
@click.option("--no-sandbox", is_flag=True, help="Do not start the local sandbox cluster.")
@click.option("--kubeconfig", type=click.Path(dir_okay=False), help="Cluster credentials.")
@click.option("--policy-file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--audit-dsn",
    envvar="KUBECHAT_AUDIT_DSN",
    default="",
    help="Audit database DSN (default: embedded PostgreSQL under the Jupyter data dir).",
)
@click.option("--no-browser", is_flag=True, help="Do not open a browser.")
@click.argument("lab_args", nargs=-1, type=click.UNPROCESSED)
def serve(
    port: int,
    no_sandbox: bool,
    kubeconfig: str | None,
    policy_file: str | None,
    audit_dsn: str,
    no_browser: bool,
    lab_args: tuple[str, ...],
) -> None:
    """Run JupyterLab on 127.0.0.1 with kubechat, the sandbox cluster and the audit database.

    Extra arguments go to `jupyter lab` (e.g. `kubechat serve -- --notebook-dir=notebooks`).
    """
    if not no_sandbox and kubeconfig is None:
        from kubechat_lab.errors import SandboxError
        from kubechat_lab.sandbox import SandboxManager

        click.echo("starting the sandbox cluster (first run builds it: minutes)...", err=True)
        try:
            kubeconfig = str(SandboxManager().up(lambda line: click.echo(f"  {line}", err=True)))
        except SandboxError as exc:
            msg = f"{exc}\nRun with --no-sandbox --kubeconfig PATH to use another cluster."
            raise RuntimeFailure(msg) from exc
    jupyter_token = secrets.token_urlsafe(24)
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.jpserver_extensions=kubechat_lab=True",
    ]
    if no_browser:
        argv.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        click.echo("warning: running as root (containers); passing --allow-root", err=True)
        argv.append("--allow-root")
    if kubeconfig:
        argv.append(f"--KubechatApp.kubeconfig={os.path.abspath(kubeconfig)}")
    if policy_file:
        argv.append(f"--KubechatApp.policy_file={os.path.abspath(policy_file)}")
    argv.extend(lab_args)
    env = dict(os.environ)
    # Secrets go through the environment, never argv (visible in `ps`); kernels get neither.
    env["JUPYTER_TOKEN"] = jupyter_token
    if audit_dsn:
        env["KUBECHAT_AUDIT_DSN"] = audit_dsn
    url = f"http://127.0.0.1:{port}/"
    proc = subprocess.Popen(argv, env=env)
    try:
        _wait_ready(url, jupyter_token, proc, limit=120)
        click.echo("")
        click.echo(f"kubechat is running. Open: {url}lab?token={jupyter_token}")
        click.echo(f"  cluster: {kubeconfig or '(default kubeconfig)'}")
        click.echo(f"  audit:   {'configured DSN' if audit_dsn else 'embedded PostgreSQL'}")
        click.echo("  stop with Ctrl-C")
        proc.wait()
    except KeyboardInterrupt:
        pass
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.send_signal(signal.SIGINT)  # JupyterLab asks for confirmation on the first one
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    if proc.returncode not in (0, -signal.SIGINT, None):
        raise RuntimeFailure(f"JupyterLab exited with status {proc.returncode}")
