"""Real ``jupyter server`` processes with kubechat, and a round-robin proxy in front of them.

Several processes serve one hub when they share the audit database (the shared state) and the
cookie secret (a login at one is valid at the others); the proxy sends each request to the
next process in turn, as a load balancer without stickiness does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

REPO = Path(__file__).resolve().parents[2]
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host",
        "content-encoding"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Lab:
    """One running ``jupyter server`` process."""

    root: Path
    port: int
    token: str
    settings: dict[str, Any]
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def start(self) -> Lab:
        config_dir = self.root / "config"
        config_dir.mkdir(parents=True, exist_ok=True)
        secret = self.root.parent / "cookie_secret"  # shared by the processes of one hub
        if not secret.exists():
            secret.write_bytes(os.urandom(32).hex().encode())
            secret.chmod(0o600)
        (config_dir / "jupyter_server_config.json").write_text(json.dumps({
            "ServerApp": {"jpserver_extensions": {"kubechat_lab": True}, "ip": "127.0.0.1",
                          "port": self.port, "port_retries": 0, "open_browser": False,
                          "allow_root": True, "root_dir": str(self.root),
                          "cookie_secret_file": str(secret)},
            "KubechatApp": {"audit_dsn_env": "", **self.settings},
        }))
        env = {**os.environ, "JUPYTER_TOKEN": self.token,
               "JUPYTER_CONFIG_DIR": str(config_dir),
               "JUPYTER_DATA_DIR": str(self.root / "data"),
               "JUPYTER_RUNTIME_DIR": str(self.root / "runtime"),
               "JUPYTER_PLATFORM_DIRS": "1",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "jupyter_server"], env=env,
                                         cwd=self.root, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"jupyter server exited ({self.proc.returncode}): "
                            f"{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "api/status",
                             headers={"Authorization": f"token {self.token}"},
                             timeout=2).is_success:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"jupyter server did not start: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class RoundRobinProxy:
    """An HTTP proxy that sends each request to the next backend in turn."""

    backends: list[str]
    served: list[tuple[str, str, int]] = field(default_factory=list)
    #: The backend the next request goes to (a test may set it).
    next: int = 0
    _server: ThreadingHTTPServer | None = None
    _client: httpx.Client | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def start(self) -> RoundRobinProxy:
        proxy = self
        lock = threading.Lock()
        client = self._client = httpx.Client(timeout=60, follow_redirects=False)

        class Forward(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                with lock:
                    index = proxy.next
                    proxy.next = (index + 1) % len(proxy.backends)
                    proxy.served.append((self.command, self.path, index))
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
                headers.append(("Host", self.headers.get("Host", "")))
                upstream = client.request(self.command, proxy.backends[index] + self.path[1:],
                                          headers=headers, content=body)
                self.send_response(upstream.status_code)
                for key, value in upstream.headers.multi_items():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(upstream.content)))
                self.end_headers()
                self.wfile.write(upstream.content)

            do_GET = do_POST = do_DELETE = do_PUT = _forward

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._client is not None:
            self._client.close()

    def backend_of(self, method: str, path: str) -> int:
        """Which backend served the last request of ``method`` to a path ending ``path``."""
        return [i for m, p, i in self.served if m == method and p.endswith(path)][-1]


class Page:
    """A signed-in page (login cookie + XSRF) and the Jupyter token, through one base URL."""

    def __init__(self, base: str, token: str) -> None:
        self.token = httpx.Client(base_url=base, timeout=60,
                                  headers={"Authorization": f"token {token}"})
        self.page = httpx.Client(base_url=base, timeout=60)
        self.page.get("login")
        r = self.page.post("login", data={"_xsrf": self.page.cookies["_xsrf"],
                                          "password": token})
        assert r.status_code in (302, 303), r.text
        self.xsrf = {"X-XSRFToken": self.page.cookies["_xsrf"]}

    def api(self, method: str, path: str, body: Any = None, *, page: bool = False,
            headers: dict[str, str] | None = None) -> tuple[int, Any]:
        if page:
            client, more = self.page, {**self.xsrf, **(headers or {})}
        else:
            client, more = self.token, headers or {}
        r = client.request(method, "kubechat/api/" + path, json=body, headers=more)
        return r.status_code, (r.json() if r.content else None)

    def close(self) -> None:
        self.token.close()
        self.page.close()
