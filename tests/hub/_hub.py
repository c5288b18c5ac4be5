"""A real JupyterHub for tests: OS users, the kubechat service as its own user, free ports.

``start_hub`` writes a ``jupyterhub_config.py`` (the shape docs/jupyterhub.md documents) and runs
``jupyterhub`` with configurable-http-proxy from ``.hubtools/`` (installed by ``make setup``),
``LocalProcessSpawner`` and the dummy authenticator; the hub spawns ``kubechat hub-service`` as
the service's OS user with a configuration only that user can read. Needs root (``useradd``,
setuid spawning).
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHP = REPO / ".hubtools" / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "kubechat"


def free_port() -> int:
    """Return a free TCP port of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def missing_requirements() -> str | None:
    """Return why a real hub cannot run here (None: it can)."""
    if os.geteuid() != 0:
        return "the JupyterHub test creates OS users and spawns as them: it needs root"
    if shutil.which("useradd") is None or shutil.which("userdel") is None:
        return "useradd/userdel are missing"
    if not CHP.exists():
        return (f"configurable-http-proxy is missing ({CHP}); `make setup` installs it with "
                "npm into .hubtools/")
    if not (BIN / "jupyterhub").exists():
        return "jupyterhub is missing: pip install -e '.[test]' (make setup)"
    for path in (BIN, REPO):  # the people's servers run this checkout's venv as them
        for folder in (path, *path.parents):
            if not folder.stat().st_mode & 0o001:
                return (f"{folder} is not searchable by other users (o+x), so the test's OS "
                        f"users cannot run {BIN}/python: check out the repository where "
                        "others may traverse")
    return None


@contextlib.contextmanager
def os_users(*names: str) -> Iterator[dict[str, pwd.struct_passwd]]:
    """Create OS users with home folders; remove them (and their homes) afterwards."""
    made: list[str] = []
    try:
        for name in names:
            subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name],
                           check=True, capture_output=True)
            made.append(name)
        yield {name: pwd.getpwnam(name) for name in names}
    finally:
        for name in reversed(made):
            subprocess.run(["userdel", "--force", "--remove", name], check=False,
                           capture_output=True)


def write_private(path: Path, text: str, owner: pwd.struct_passwd) -> Path:
    """Write ``text`` to ``path``, mode 0600, owned by ``owner``."""
    path.write_text(text)
    os.chown(path, owner.pw_uid, owner.pw_gid)
    path.chmod(0o600)
    return path


@dataclass
class Hub:
    """A running JupyterHub: its public URL, admin token, users, service files and log."""

    url: str  # http://127.0.0.1:PORT/
    admin_token: str
    password: str
    users: dict[str, str]  # role (alice, bob, service) -> OS user name
    group: str
    service_files: dict[str, Path]  # kubeconfig, key, config
    approval_url: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def service_url(self) -> str:
        """The kubechat service through the hub's proxy."""
        return f"{self.url}services/{SERVICE}/"

    def hub_api(self, method: str, path: str, body: Any = None) -> httpx.Response:
        """Call the hub's REST API with the test's admin token."""
        return httpx.request(method, f"{self.url}hub/api/{path}", json=body, timeout=60,
                             headers={"Authorization": f"token {self.admin_token}"})

    def token_for(self, role: str, *scopes: str) -> str:
        """Return a new hub API token of a person (default: allowed to use the service only)."""
        name = self.users[role]
        response = self.hub_api("POST", f"users/{name}/tokens", {
            "scopes": list(scopes or [f"access:services!service={SERVICE}"]),
            "note": "kubechat test"})
        assert response.status_code in (200, 201), response.text
        return str(response.json()["token"])

    def start_server(self, role: str, timeout: float = 180.0) -> None:
        """Start a person's single-user server and wait until it is ready."""
        name = self.users[role]
        response = self.hub_api("POST", f"users/{name}/server")
        assert response.status_code in (201, 202, 400), response.text  # 400: already running
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            model = self.hub_api("GET", f"users/{name}").json()
            server = (model.get("servers") or {}).get("")
            if server and server.get("ready"):
                return
            time.sleep(1.0)
        msg = f"the server of {name} was not ready within {timeout:.0f} s\n{self.log_tail()}"
        raise AssertionError(msg)

    def service_pid(self) -> int:
        """Return the process id of the kubechat service."""
        uid = pwd.getpwnam(self.users["service"]).pw_uid
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid == uid and b"hub-service" in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
        raise AssertionError("the kubechat service is not running\n" + self.log_tail())

    def log_tail(self, lines: int = 120) -> str:
        """The last lines of the hub's log (the service's and user servers' logs are in it)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def hub_config(*, ports: dict[str, int], base: Path, users: dict[str, str], group: str,
               password: str, admin_token: str, service_config: Path, approval_url: str,
               approvers: str = "sre-leads") -> str:
    """Return the ``jupyterhub_config.py`` of the test (docs/jupyterhub.md's example shape)."""
    hub_url = f"http://127.0.0.1:{ports['public']}"
    env = {"PYTHONPATH": str(REPO), "JUPYTER_PATH": str(REPO / ".jpath"),
           "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin"}
    service = {
        "name": SERVICE,
        "url": f"http://127.0.0.1:{ports['service']}",
        "command": [str(BIN / "kubechat"), "hub-service", "--config", str(service_config)],
        "user": users["service"],
        "cwd": pwd.getpwnam(users["service"]).pw_dir,
        "environment": env,
        "oauth_no_confirm": True,
    }
    return "\n".join([
        "c = get_config()  # noqa",
        f"c.JupyterHub.bind_url = {hub_url + '/'!r}",
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{ports['hub']}'",
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{ports['proxy_api']}'",
        f"c.ConfigurableHTTPProxy.command = [{str(CHP)!r}]",
        f"c.JupyterHub.db_url = 'sqlite:///{base / 'hub.sqlite'}'",
        f"c.JupyterHub.cookie_secret_file = {str(base / 'cookie_secret')!r}",
        f"c.JupyterHub.pid_file = {str(base / 'hub.pid')!r}",
        "c.JupyterHub.authenticator_class = 'dummy'",
        f"c.DummyAuthenticator.password = {password!r}",
        f"c.Authenticator.allowed_users = {set(v for k, v in users.items() if k != 'service')!r}",
        "c.JupyterHub.spawner_class = 'localprocess'",
        f"c.Spawner.cmd = [{str(BIN / 'jupyterhub-singleuser')!r}]",
        f"c.Spawner.args = ['--KubechatApp.hub_service_url={hub_url}/services/{SERVICE}/']",
        f"c.Spawner.environment = {env!r}",
        "c.Spawner.default_url = '/lab'",
        "c.Spawner.start_timeout = 180",
        "c.Spawner.http_timeout = 180",
        # the server's own token may use the service (its kernels' capabilities, the panel)
        "c.Spawner.server_token_scopes = ['users:activity!user', 'access:servers!server',"
        f" 'access:services!service={SERVICE}']",
        "c.JupyterHub.load_roles = [",
        f"  {{'name': 'user', 'scopes': ['self', 'access:services!service={SERVICE}']}},",
        f"  {{'name': 'kubechat-service', 'scopes': ['read:users:groups', 'read:users:name'],"
        f" 'services': [{SERVICE!r}]}},",
        "  {'name': 'kubechat-test-admin', 'scopes': ['admin:users', 'admin:servers', 'tokens',"
        " 'access:services', 'access:servers', 'read:users'], 'services': ['kubechat-test']},",
        "]",
        f"c.JupyterHub.load_groups = {{{group!r}: {{'users': [{users['alice']!r}]}},",
        f"  {approvers!r}: {{'users': [{users['bob']!r}]}}}}",  # the two-person approvers
        f"c.JupyterHub.services = [{service!r},",
        f"  {{'name': 'kubechat-test', 'api_token': {admin_token!r}}}]",
        "c.JupyterHub.cleanup_servers = True",
        "c.JupyterHub.log_level = 'INFO'",
    ]) + "\n"


def service_config(*, kubeconfig: Path, key_file: Path, audit_dsn: str, approval_port: int,
                   approval_url: str, policy_file: Path | None = None, llm_url: str = "") -> str:
    """Return the kubechat service's own config file (readable by its OS user only)."""
    return "\n".join([
        "c = get_config()  # noqa",
        f"c.KubechatApp.kubeconfig = {str(kubeconfig)!r}",
        f"c.KubechatApp.openai_api_key_file = {str(key_file)!r}",
        f"c.KubechatApp.audit_dsn = {audit_dsn!r}",
        "c.KubechatApp.audit_dsn_env = ''",
        "c.KubechatApp.impersonate = {'*': {'user': '{username}', 'groups': []}}",
        "c.KubechatApp.request_timeout = 30.0",
        f"c.KubechatApp.approval_port = {approval_port}",
        "c.KubechatApp.approval_ip = '127.0.0.1'",
        f"c.KubechatApp.approval_url = {approval_url!r}",
        f"c.KubechatApp.policy_file = {str(policy_file or '')!r}",
        *([  # an OpenAI-compatible model (the test's wire-level fake), answers cached
            "c.KubechatApp.llm_provider = 'openai'",
            f"c.KubechatApp.openai_base_url = {llm_url!r}",
            "c.KubechatApp.openai_model = 'kube-model'",
            "c.KubechatApp.llm_timeout = 10.0",
        ] if llm_url else []),
    ]) + "\n"


def start_hub(base: Path, users: dict[str, pwd.struct_passwd], *, group: str,
              kubeconfig_text: str, audit_dsn: str, policy_text: str = "",
              llm_url: str = "") -> Hub:
    """Write the service's private files and the hub's config, start the hub, wait for both.

    ``policy_text`` (YAML, docs/policy.md) becomes the service's policy file when given; bob is
    in the hub group ``sre-leads`` (two-person approvers), alice in ``group``. With
    ``llm_url`` the service translates with the ``openai`` provider at that base URL.
    """
    names = {role: entry.pw_name for role, entry in
             zip(("alice", "bob", "service"), users.values(), strict=True)}
    svc = users[names["service"]]
    private = Path(svc.pw_dir) / "kubechat"
    private.mkdir(mode=0o700, exist_ok=True)
    os.chown(private, svc.pw_uid, svc.pw_gid)
    ports = {k: free_port() for k in ("public", "hub", "proxy_api", "service", "approval")}
    approval_url = f"http://approve.localhost:{ports['approval']}/"
    files = {
        "kubeconfig": write_private(private / "kubeconfig", kubeconfig_text, svc),
        "key": write_private(private / "openai.key", "sk-kubechat-hub-test-"
                             + secrets.token_hex(16), svc),
    }
    if policy_text:
        files["policy"] = write_private(private / "policy.yaml", policy_text, svc)
    files["config"] = write_private(private / "kubechat_config.py", service_config(
        kubeconfig=files["kubeconfig"], key_file=files["key"], audit_dsn=audit_dsn,
        approval_port=ports["approval"], approval_url=approval_url,
        policy_file=files.get("policy"), llm_url=llm_url), svc)
    password, admin_token = secrets.token_urlsafe(12), secrets.token_hex(24)
    config = base / "jupyterhub_config.py"
    config.write_text(hub_config(ports=ports, base=base, users=names, group=group,
                                 password=password, admin_token=admin_token,
                                 service_config=files["config"], approval_url=approval_url))
    log_path = base / "hub.log"
    env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '')}"}
    for name in ("KUBECONFIG", "JUPYTER_TOKEN", "KUBECHAT_AUDIT_DSN"):
        env.pop(name, None)
    with log_path.open("wb") as log:
        process = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(config)], cwd=base,
                                   env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    hub = Hub(url=f"http://127.0.0.1:{ports['public']}/", admin_token=admin_token,
              password=password, users=names, group=group, service_files=files,
              approval_url=approval_url, log_path=log_path, process=process)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"jupyterhub exited ({process.returncode})\n{hub.log_tail()}")
        with contextlib.suppress(httpx.HTTPError):
            health = httpx.get(f"{hub.service_url}kubechat/api/health", timeout=5,
                               headers={"Authorization": f"token {admin_token}"})
            if health.status_code == 200:
                return hub
        time.sleep(1.0)
    stop_hub(hub)
    raise AssertionError(f"the hub or its kubechat service did not start\n{hub.log_tail()}")


def stop_hub(hub: Hub) -> None:
    """Stop the hub (it stops the user servers and the service it started)."""
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()


def notebook(path: Path, owner: pwd.struct_passwd, *sources: str) -> None:
    """Write a notebook of code cells, owned by ``owner``."""
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for s in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    os.chown(path, owner.pw_uid, owner.pw_gid)
