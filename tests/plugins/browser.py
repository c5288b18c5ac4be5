"""Real JupyterLab + real Chromium for browser tests.

Fixtures:

- ``lab_server`` (module scope): a real ``jupyter lab`` subprocess on a free 127.0.0.1 port with
  a random token (XSRF on, as shipped), kubechat against the sandbox's kubeconfig and a fresh
  migrated database on the test PostgreSQL (tests/plugins/postgres.py), a fresh root dir, and
  fresh config / data / settings / workspace dirs. Its log goes to a file that is attached to
  the report of any test that fails while using it. Override ``lab_kubechat_settings`` in a
  module to change the extension's traits (for example ``auto_approve_safe``).
- ``chromium`` (module scope): Playwright (Python) driving Debian's ``/usr/bin/chromium``
  (``$KUBECHAT_CHROMIUM`` to point elsewhere); never ``playwright install``.
- ``lab_page`` (function scope): a fresh browser context logged in to ``lab_server`` through
  ``/lab?token=...`` (so the page holds the login and ``_xsrf`` cookies, as a user's does), with
  JupyterLab's shell loaded, and ``shot(name)`` saving numbered screenshots under
  ``test-artifacts/<test name>/``. A failing test gets a last screenshot, ``zz-failure.png``.

Without Chromium or Playwright the tests skip locally and fail under ``CI=true``
(tests/plugins/services.py); ``scripts/test.sh`` installs Chromium with apt when it runs as
root.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins.postgres import AuditDb, PgServer, created_database
from tests.plugins.sandbox import SandboxInfo
from tests.plugins.services import skip_or_fail

__all__ = [
    "ARTIFACTS",
    "CHROMIUM_ARGS",
    "LabPage",
    "LabServer",
    "chromium",
    "lab_kubechat_settings",
    "lab_page",
    "lab_server",
    "start_lab",
    "unique",
]

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = os.environ.get("KUBECHAT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
START_TIMEOUT = 120.0


@dataclass
class LabServer:
    """A running ``jupyter lab``: where it listens, its token, its files and its log."""

    url: str  # http://127.0.0.1:PORT/ (base_url "/")
    token: str
    root_dir: Path
    log_path: Path
    settings_dir: Path
    kubeconfig: Path | None
    audit_dsn: str
    process: subprocess.Popen[bytes] = field(repr=False)

    def lab_url(self, path: str = "lab") -> str:
        """The URL of ``path`` with the token (the login a user's browser does)."""
        sep = "&" if "?" in path else "?"
        return f"{self.url}{path}{sep}token={self.token}"

    def api(
        self, method: str, path: str, body: Any = None, *, params: dict[str, Any] | None = None
    ) -> tuple[int, Any]:
        """Call ``kubechat/api/<path>`` with the Jupyter token (operator view, no browser)."""
        response = httpx.request(
            method,
            f"{self.url}kubechat/api/{path}",
            headers={"Authorization": f"token {self.token}"},
            json=body if method != "GET" else None,
            params=params,
            timeout=60,
        )
        ctype = response.headers.get("content-type", "")
        return response.status_code, response.json() if "json" in ctype else response.text

    def contents(self, path: str) -> Any:
        """Read a file through the Jupyter contents API (JSON model with content)."""
        response = httpx.get(
            f"{self.url}api/contents/{path}",
            headers={"Authorization": f"token {self.token}"},
            params={"content": "1"},
            timeout=30,
        )
        response.raise_for_status()
        return response.json()

    def log_tail(self, lines: int = 80) -> str:
        """The last ``lines`` lines of the server's log."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_ready(server: LabServer, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            response = httpx.get(
                f"{server.url}api/status",
                headers={"Authorization": f"token {server.token}"},
                timeout=5,
            )
            if response.status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def stop_lab(server: LabServer) -> None:
    """Stop a server :func:`start_lab` started (its whole process group)."""
    _stop(server.process)


def start_lab(
    base: Path,
    kubechat: dict[str, Any],
    *,
    python: str = sys.executable,
    env: dict[str, str] | None = None,
    attempts: int = 3,
) -> LabServer:
    """Start ``python -m jupyter lab`` under ``base`` (fresh dirs); return it once it answers.

    ``kubechat`` holds the ``KubechatApp`` traits. A port taken between choosing and binding is
    retried on another port (``port_retries`` is 0 so the server never drifts silently).
    """
    root = base / "root"
    config_dir = base / "config"
    for d in (root, config_dir, base / "data", base / "runtime", base / "settings",
              base / "workspaces", base / "ipython"):
        d.mkdir(parents=True, exist_ok=True)
    # No "get notified about Jupyter news?" toast over the page (and no request for news).
    notification = base / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
    token = secrets.token_hex(24)
    run_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(base / "data"),
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "IPYTHONDIR": str(base / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    for name in ("JUPYTER_TOKEN", "KUBECHAT_URL", "KUBECHAT_CAPABILITY", "KUBECHAT_AUDIT_DSN"):
        run_env.pop(name, None)
    last_log = ""
    for attempt in range(attempts):
        port = _free_port()
        config = {
            "ServerApp": {
                "ip": "127.0.0.1",
                "port": port,
                "port_retries": 0,
                "open_browser": False,
                "allow_root": True,  # CI runs as root
                "root_dir": str(root),
                "jpserver_extensions": {"kubechat_lab": True},
            },
            "IdentityProvider": {"token": token},
            "LabApp": {
                "user_settings_dir": str(base / "settings"),
                "workspaces_dir": str(base / "workspaces"),
            },
            "KubechatApp": {"audit_dsn_env": "", **kubechat},
        }
        (config_dir / "jupyter_server_config.json").write_text(json.dumps(config, indent=1))
        log_path = base / f"jupyter-lab-{attempt}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [python, "-m", "jupyter", "lab"],
                cwd=root,
                env=run_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        kubeconfig = kubechat.get("kubeconfig")
        server = LabServer(
            url=f"http://127.0.0.1:{port}/",
            token=token,
            root_dir=root,
            log_path=log_path,
            settings_dir=base / "settings",
            kubeconfig=Path(kubeconfig) if kubeconfig else None,
            audit_dsn=str(kubechat.get("audit_dsn", "")),
            process=process,
        )
        if _wait_ready(server, time.monotonic() + START_TIMEOUT):
            return server
        _stop(process)
        last_log = server.log_tail()
        if "Address already in use" not in last_log:
            break
    msg = f"jupyter lab did not start under {base}; its log ends:\n{last_log}"
    raise RuntimeError(msg)


@pytest.fixture(scope="module")
def lab_audit_db(pg_server: PgServer) -> Iterator[AuditDb]:
    """A fresh, migrated audit database for one lab server (superuser and app-role DSNs)."""
    with created_database(pg_server) as db:
        yield db


@pytest.fixture(scope="module")
def lab_database(lab_audit_db: AuditDb) -> str:
    """The application-role DSN of ``lab_audit_db`` (what the lab server is given)."""
    return lab_audit_db.app_dsn


@pytest.fixture(scope="module")
def lab_kubechat_settings(sandbox: SandboxInfo, lab_database: str) -> dict[str, Any]:
    """KubechatApp traits of ``lab_server``: the sandbox and the test database."""
    return {
        "kubeconfig": str(sandbox.kubeconfig),
        "audit_dsn": lab_database,
        "request_timeout": 30.0,
    }


@pytest.fixture(scope="module")
def lab_server(
    lab_kubechat_settings: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LabServer]:
    """A real ``jupyter lab`` with kubechat, token auth and XSRF on (stopped at module end)."""
    base = tmp_path_factory.mktemp("lab")
    server = start_lab(base, lab_kubechat_settings)
    try:
        yield server
    finally:
        stop_lab(server)


def _playwright_open(request: pytest.FixtureRequest) -> bool:
    """Whether Playwright's loop runs in this thread (a browser test, or its module's)."""
    if "chromium" in request.fixturenames:
        return True
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


@pytest.fixture(autouse=True)
def jp_asyncio_loop(request: pytest.FixtureRequest) -> Iterator[asyncio.AbstractEventLoop]:
    """pytest-jupyter's per-test loop, kept away from Playwright's.

    While Playwright's sync API is open, its own loop counts as *running* in this thread, and
    pytest-jupyter's fixture (which this one replaces) would hand that loop to the test and
    close it afterwards. Tests run while it is open get a private loop instead; every other
    test gets exactly what pytest-jupyter gives.
    """
    if _playwright_open(request):
        loop = asyncio.new_event_loop()
    else:
        from jupyter_core.utils import ensure_event_loop

        loop = ensure_event_loop(prefer_selector_loop=True)
    yield loop
    loop.close()


@pytest.fixture(autouse=True)
def jp_server_cleanup(
    request: pytest.FixtureRequest, jp_asyncio_loop: asyncio.AbstractEventLoop
) -> Iterator[None]:
    """pytest-jupyter's in-process server cleanup, skipped for browser tests.

    Browser tests run no in-process server (theirs is a subprocess), and no loop may be run
    here while Playwright's counts as running.
    """
    yield
    if _playwright_open(request):
        return
    from jupyter_server.serverapp import ServerApp

    app: ServerApp = ServerApp.instance()
    try:
        jp_asyncio_loop.run_until_complete(app._cleanup())
    except (RuntimeError, SystemExit) as exc:
        print("ignoring cleanup error", exc)
    if hasattr(app, "kernel_manager"):
        app.kernel_manager.context.destroy()
    ServerApp.clear_instance()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Playwright's Chromium driver on Debian's ``/usr/bin/chromium``.

    Module scope: Playwright's loop must be gone before modules without a browser run.
    """
    if not Path(CHROMIUM).exists():
        skip_or_fail(
            f"{CHROMIUM} not found: `apt-get install -y chromium` (scripts/test.sh does it "
            "when run as root), or set KUBECHAT_CHROMIUM"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("the playwright package is missing: pip install -e '.[test]'")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")[:120] or "test"


@dataclass
class LabPage:
    """A logged-in JupyterLab page, its server, and a numbered screenshot helper."""

    page: Any  # playwright.sync_api.Page
    server: LabServer
    artifacts: Path
    _count: int = 0
    console: list[str] = field(default_factory=list)

    def shot(self, name: str) -> Path:
        """Save a screenshot ``NN-name.png`` under this test's artifacts folder."""
        self._count += 1
        path = self.artifacts / f"{self._count:02d}-{_slug(name)}.png"
        self.page.screenshot(path=str(path))
        return path

    def goto_lab(self, path: str = "lab") -> None:
        """Open ``path`` (with the token) and wait until JupyterLab has restored its layout."""
        self.page.goto(self.server.lab_url(path))
        self.wait_restored()

    def wait_restored(self) -> None:
        """Wait for the shell, then for the splash screen to go.

        JupyterLab removes the splash once ``app.restored`` resolves, so a side panel of the
        saved layout is open by then; acting earlier races the restorer, which may toggle it.
        """
        self.page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        self.page.wait_for_selector(".jp-LabShell", timeout=120_000)
        self.page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=120_000)


_REPORT_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item; attach the lab log when a test fails."""
    report: pytest.TestReport = yield
    item.stash.setdefault(_REPORT_KEY, {})[report.when] = report
    funcargs = getattr(item, "funcargs", {})
    server = funcargs.get("lab_server")
    if server is None and isinstance(funcargs.get("lab_page"), LabPage):
        server = funcargs["lab_page"].server
    if report.failed and isinstance(server, LabServer):
        report.sections.append(("jupyter lab log (tail)", server.log_tail(120)))
    return report


@pytest.fixture
def lab_page(
    request: pytest.FixtureRequest, chromium: Any, lab_server: LabServer
) -> Iterator[LabPage]:
    """A fresh browser context logged in to ``lab_server``, JupyterLab loaded."""
    artifacts = ARTIFACTS / _slug(request.node.nodeid.replace("/", "."))
    shutil.rmtree(artifacts, ignore_errors=True)
    artifacts.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(
        viewport={"width": 1500, "height": 950},
        accept_downloads=True,
        permissions=["clipboard-read", "clipboard-write"],
    )
    context.set_default_timeout(60_000)
    page = context.new_page()
    lab = LabPage(page=page, server=lab_server, artifacts=artifacts)
    page.on("console", lambda msg: lab.console.append(f"{msg.type}: {msg.text}"))
    lab.goto_lab()
    try:
        yield lab
    finally:
        reports = request.node.stash.get(_REPORT_KEY, {})
        if any(r.failed for r in reports.values()):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(artifacts / "zz-failure.png"))
            (artifacts / "console.log").write_text("\n".join(lab.console))
        context.close()


def unique(prefix: str) -> str:
    """A short unique name for scratch objects (others share the cluster)."""
    return f"{prefix}-{uuid.uuid4().hex[:6]}"

