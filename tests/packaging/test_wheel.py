"""The wheel ships the side panel and the widgets' module prebuilt: installed into a fresh venv
with no Node on PATH, JupyterLab lists the labextension and jupyter_server the server
extension, both enabled and OK, the widgets find their built module, and a real browser uses
the wheel's panel against the sandbox.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LABEXT = "share/jupyter/labextensions/kubechat-lab"


def _run(args: list[str], *, env: dict[str, str] | None = None, timeout: int = 600
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO / "kubechat_lab" / "labextension" / "package.json").exists() and \
            shutil.which("node") is None:
        pytest.fail("no built panel and no Node to build it: run `make setup` first")
    out = tmp_path_factory.mktemp("wheel")
    done = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out),
                 str(REPO)])
    assert done.returncode == 0, done.stderr[-3000:]
    (found,) = out.glob("kubechat_lab-*.whl")
    return found


def test_the_wheel_holds_the_built_panel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    data = next(n.split("/", 1)[0] for n in names if ".data/" in n)
    assert f"{data}/data/{LABEXT}/package.json" in names
    assert f"{data}/data/{LABEXT}/static/style.js" in names
    assert f"{data}/data/{LABEXT}/install.json" in names
    assert f"{data}/data/{LABEXT}/schemas/kubechat-lab/plugin.json" in names
    assert any(n.startswith(f"{data}/data/{LABEXT}/static/remoteEntry.") for n in names)
    assert f"{data}/data/etc/jupyter/jupyter_server_config.d/kubechat_lab.json" in names
    assert not any("node_modules" in n or n.startswith("js/") for n in names)
    # the widgets' module, bundled from js/src/widget (built, not in git): the wheel carries it
    esm = zipfile.ZipFile(wheel).read("kubechat_lab/widgets/static/kubechat.js").decode()
    assert "export{" in esm.replace(" ", "") and "jp-kubechat-card" in esm
    assert "kubechat_lab/widgets/static/kubechat.css" in names


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel (and its dependencies) installed, nothing else."""
    env_dir = tmp_path_factory.mktemp("wheel-venv") / "venv"
    venv.create(env_dir, with_pip=True)
    done = _run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet",
                 str(wheel)], timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return env_dir


def test_installed_without_node_both_extensions_are_enabled_and_ok(
    installed: Path, tmp_path: Path
) -> None:
    env_dir = installed
    # PATH holds only the venv: no node, no npm.
    path = str(env_dir / "bin")
    assert shutil.which("node", path=path) is None
    env = {"PATH": path, "HOME": str(tmp_path), "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg"),
           "JUPYTER_DATA_DIR": str(tmp_path / "data"), "LANG": "C.UTF-8"}
    labext = _run([str(env_dir / "bin" / "jupyter"), "labextension", "list"], env=env)
    text = labext.stdout + labext.stderr
    line = next((ln for ln in text.splitlines() if "kubechat-lab" in ln), "")
    assert "enabled" in line and "OK" in line, text
    assert str(env_dir) in text  # found in the venv's share/, put there by the wheel
    server = _run([str(env_dir / "bin" / "jupyter"), "server", "extension", "list"], env=env)
    text = server.stdout + server.stderr
    lines = text.splitlines()
    at = next(i for i, ln in enumerate(lines) if "kubechat_lab" in ln and "enabled" in ln)
    assert any("OK" in ln for ln in lines[at:at + 3]), text
    # the widgets use the wheel's built module, not the "not built" stand-in
    widgets = _run([str(env_dir / "bin" / "python"), "-c",
                    "from kubechat_lab.widgets import _bundle; "
                    "print(_bundle.esm() == _bundle.ESM, _bundle.ESM.stat().st_size)"], env=env)
    assert widgets.stdout.split()[0] == "True", widgets.stdout + widgets.stderr


def test_the_server_says_clearly_when_the_panel_is_not_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import jupyter_core.paths

    from kubechat_lab.server.app import KubechatApp

    monkeypatch.setattr(jupyter_core.paths, "jupyter_path", lambda *parts: [str(tmp_path)])
    app = KubechatApp()
    app.log = logging.getLogger("kubechat-test")
    with caplog.at_level(logging.WARNING, logger="kubechat-test"):
        app._check_labextension()
    assert "side panel is not built" in caplog.text and "make lab" in caplog.text
    caplog.clear()
    (tmp_path / "kubechat-lab").mkdir()
    (tmp_path / "kubechat-lab" / "package.json").write_text("{}")
    with caplog.at_level(logging.WARNING, logger="kubechat-test"):
        app._check_labextension()
    assert caplog.text == ""


@pytest.mark.sandbox
@pytest.mark.postgres
def test_the_wheels_panel_answers_in_a_real_browser(
    installed: Path, tmp_path: Path, chromium: Any, lab_kubechat_settings: dict[str, Any]
) -> None:
    """``jupyter lab`` from the wheel's venv (no Node, no source tree) serves its prebuilt panel,
    which asks the server and shows the sandbox's rows."""
    from tests.browser.test_panel import ask, open_panel
    from tests.plugins.browser import LabPage, start_lab, stop_lab

    env = {"PATH": f"{installed / 'bin'}:/usr/bin:/bin", "PYTHONPATH": ""}
    server = start_lab(tmp_path / "lab", lab_kubechat_settings,
                       python=str(installed / "bin" / "python"), env=env)
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(60_000)
    served: list[str] = []
    try:
        page = context.new_page()
        page.on("request", lambda r: served.append(r.url))
        lab = LabPage(page=page, server=server, artifacts=tmp_path / "shots")
        lab.goto_lab()
        open_panel(lab)
        turn = ask(lab, "list namespaces")  # safe: runs at once (runSafeWithoutClick default)
        result = turn.locator(".jp-kubechat-result")
        result.wait_for()
        assert "shop" in result.inner_text()
    finally:
        context.close()
        stop_lab(server)
    entries = [u.rsplit("/", 1)[1] for u in served
               if "/lab/extensions/kubechat-lab/static/remoteEntry." in u]
    static = installed / LABEXT / "static"
    assert entries and all((static / name).exists() for name in entries), (entries, static)
