"""A real JupyterHub for tests: OS users, the kubechat service as its own user, free ports.

``start_hub`` writes a ``jupyterhub_config.py`` (the shape docs/jupyterhub.md documents) and runs
``jupyterhub`` with configurable-http-proxy from ``.hubtools/`` (installed by ``make setup``),
``LocalProcessSpawner``, the dummy authenticator and ``subdomain_host`` on ``hub.localhost``
(people's servers and the service on hosts of their own: Chromium, and this test process through
:func:`loopback_localhost`, resolve ``*.localhost`` to the loopback address). The hub spawns
``kubechat hub-service`` as the service's OS user with a configuration only that user can read;
:func:`start_second_service` runs a second process of it, with the same configuration and a
runtime folder of its own (another pod, as it were), and both sit behind one address
(``tests/hub/_balancer.py``) that the hub knows as the service's URL. Needs root (``useradd``,
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
from jupyterhub.utils import subdomain_hook_idna

from tests.hub._balancer import Balancer

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHP = REPO / ".hubtools" / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "kubechat"
#: the hub's host; people's servers and services get subdomains of it (``subdomain_host``)
DOMAIN = "hub.localhost"


def free_port() -> int:
    """Return a free TCP port of 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def loopback_localhost() -> Iterator[None]:
    """Resolve ``*.localhost`` to 127.0.0.1 in this process, as Chromium does (RFC 6761)."""
    original = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, str) and host.lower().rstrip(".").endswith(".localhost"):
            host = "127.0.0.1"
        return original(host, *args, **kwargs)

    socket.getaddrinfo = resolve  # type: ignore[assignment]
    try:
        yield
    finally:
        socket.getaddrinfo = original  # type: ignore[assignment]


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

    url: str  # http://hub.localhost:PORT/ (subdomain_host)
    admin_token: str
    password: str
    users: dict[str, str]  # role (alice, bob, service) -> OS user name
    group: str
    service_files: dict[str, Path]  # kubeconfig, key, config
    approval_url: str
    log_path: Path
    process: subprocess.Popen[bytes] = field(repr=False)
    ports: dict[str, int] = field(default_factory=dict)
    balancer: Balancer | None = field(default=None, repr=False)
    second: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def service_url(self) -> str:
        """The kubechat service's own address (the balancer in front of its processes).

        What single-user servers and kernels use (``hub_service_url``): under
        ``subdomain_host`` the hub's proxy routes the service by its host name, which only
        browsers resolve.
        """
        return f"http://127.0.0.1:{self.ports['service']}/services/{SERVICE}/"

    def replica_url(self, replica: int) -> str:
        """One process of the service, bypassing the balancer (0: the one the hub started)."""
        return f"http://127.0.0.1:{self.ports[f'service_{replica}']}/services/{SERVICE}/"

    @property
    def service_public_url(self) -> str:
        """The kubechat service as a browser reaches it: its own host, through the hub's proxy."""
        host = subdomain_hook_idna(SERVICE, DOMAIN, "service")
        return f"http://{host}:{self.ports['public']}/services/{SERVICE}/"

    def server_url(self, role: str) -> str:
        """A person's single-user server, on the person's own host."""
        name = self.users[role]
        host = subdomain_hook_idna(name, DOMAIN, "user")
        return f"http://{host}:{self.ports['public']}/user/{name}/"

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

    def service_pid(self, replica: int = 0) -> int:
        """Return the process id of the kubechat service's process ``replica`` (0: the hub's)."""
        uid = pwd.getpwnam(self.users["service"]).pw_uid
        port = f"--ServerApp.port={self.ports[f'service_{replica}']}".encode()
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                if proc.stat().st_uid == uid and port in (proc / "cmdline").read_bytes():
                    return int(proc.name)
            except OSError:
                continue
        raise AssertionError(f"kubechat service process {replica} is not running\n"
                             + self.log_tail())

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
    """Return the ``jupyterhub_config.py`` of the test (docs/jupyterhub.md's example shape).

    The hub knows the service at the balancer's address (``ports['service']``); the process
    it starts listens on ``ports['service_0']`` behind it.
    """
    service_url = f"http://127.0.0.1:{ports['service']}/services/{SERVICE}/"
    env = {"PYTHONPATH": str(REPO), "JUPYTER_PATH": str(REPO / ".jpath"),
           "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin"}
    service = {
        "name": SERVICE,
        "url": f"http://127.0.0.1:{ports['service']}",
        "command": [str(BIN / "kubechat"), "hub-service", "--config", str(service_config),
                    f"--ServerApp.port={ports['service_0']}"],
        "user": users["service"],
        "cwd": pwd.getpwnam(users["service"]).pw_dir,
        "environment": env,
        "oauth_no_confirm": True,
    }
    return "\n".join([
        "c = get_config()  # noqa",
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{ports['public']}/'",
        f"c.JupyterHub.subdomain_host = 'http://{DOMAIN}:{ports['public']}'",
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
        f"c.Spawner.args = ['--KubechatApp.hub_service_url={service_url}']",
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
    ports = {k: free_port() for k in ("public", "hub", "proxy_api", "service", "approval",
                                      "service_0", "approval_0", "service_1", "approval_1")}
    # the approval page on a host of its own, a sibling of the people's servers' hosts
    approval_url = f"http://kubechat-approve.{DOMAIN}:{ports['approval']}/"
    balancer = Balancer({ports["service"]: (ports["service_0"], ports["service_1"]),
                         ports["approval"]: (ports["approval_0"], ports["approval_1"])}).start()
    files = {
        "kubeconfig": write_private(private / "kubeconfig", kubeconfig_text, svc),
        "key": write_private(private / "openai.key", "sk-kubechat-hub-test-"
                             + secrets.token_hex(16), svc),
    }
    if policy_text:
        files["policy"] = write_private(private / "policy.yaml", policy_text, svc)
    files["config"] = write_private(private / "kubechat_config.py", service_config(
        kubeconfig=files["kubeconfig"], key_file=files["key"], audit_dsn=audit_dsn,
        approval_port=ports["approval_0"], approval_url=approval_url,
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
    hub = Hub(url=f"http://{DOMAIN}:{ports['public']}/", admin_token=admin_token,
              password=password, users=names, group=group, service_files=files,
              approval_url=approval_url, log_path=log_path, process=process, ports=ports,
              balancer=balancer)
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


def start_second_service(hub: Hub, base: Path) -> subprocess.Popen[bytes]:
    """Start a second process of the kubechat service, as the hub's, behind the balancer.

    The same command, configuration and environment (the hub's service token and OAuth client)
    as the process the hub started, read from it, but ports and a Jupyter runtime folder of its
    own: nothing it keeps on disk is shared with the first.
    """
    first = hub.service_pid(0)
    raw = Path(f"/proc/{first}/environ").read_bytes().split(b"\0")
    env = dict(e.decode().partition("=")[::2] for e in raw if e)
    svc = pwd.getpwnam(hub.users["service"])
    runtime = Path(svc.pw_dir) / "runtime-1"
    runtime.mkdir(mode=0o700, exist_ok=True)
    os.chown(runtime, svc.pw_uid, svc.pw_gid)
    env["JUPYTER_RUNTIME_DIR"] = str(runtime)
    log = (base / "service-1.log").open("wb")
    process = subprocess.Popen(
        [str(BIN / "kubechat"), "hub-service", "--config", str(hub.service_files["config"]),
         f"--ServerApp.port={hub.ports['service_1']}",
         f"--KubechatApp.approval_port={hub.ports['approval_1']}"],
        cwd=svc.pw_dir, env=env, stdout=log, stderr=subprocess.STDOUT, user=svc.pw_uid,
        group=svc.pw_gid, extra_groups=[], start_new_session=True)
    log.close()
    health = f"http://127.0.0.1:{hub.ports['service_1']}/services/{SERVICE}/kubechat/api/health"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(health, timeout=5, headers={
                    "Authorization": f"token {hub.admin_token}"}).status_code == 200:
                hub.second = process
                return process
        time.sleep(1.0)
    process.kill()
    text = (base / "service-1.log").read_text(errors="replace")[-4000:]
    raise AssertionError(f"the second kubechat service process did not start\n{text}")


def stop_hub(hub: Hub) -> None:
    """Stop the second service process, the hub (its servers and service), the balancer."""
    if hub.second is not None and hub.second.poll() is None:
        hub.second.send_signal(signal.SIGCONT)
        hub.second.terminate()
        try:
            hub.second.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.second.kill()
            hub.second.wait()
    if hub.process.poll() is None:
        hub.process.send_signal(signal.SIGTERM)
        try:
            hub.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(hub.process.pid, signal.SIGKILL)
            hub.process.wait()
    if hub.balancer is not None:
        hub.balancer.stop()


def notebook(path: Path, owner: pwd.struct_passwd, *sources: str) -> None:
    """Write a notebook of code cells, owned by ``owner``."""
    cells = [{"cell_type": "code", "metadata": {}, "source": s, "outputs": [],
              "execution_count": None} for s in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}},
        "nbformat": 4, "nbformat_minor": 5}))
    os.chown(path, owner.pw_uid, owner.pw_gid)
