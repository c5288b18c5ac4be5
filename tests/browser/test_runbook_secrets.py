"""Save as runbook never writes a Secret value; the saved runbook asks for it and writes it.

Real parts only: the jupyter lab subprocess serving the built panel, Chromium, the sandbox
(a scratch namespace) and the audit database. The panel creates a Secret from a question;
the saved notebook, and the conversation JupyterLab keeps across reloads, hold no value in any
spelling; the notebook, with its ``secret_1`` parameter set the way papermill sets
parameters, runs headless (nbval) and writes the new value into the cluster.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.test_panel import ask, open_panel, saved_turns
from tests.plugins.browser import LabPage, LabServer
from tests.plugins.sandbox import SandboxInfo, eventually, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-runbook") as name:
        yield name


def _spellings(value: str) -> list[str]:
    return [value, base64.b64encode(value.encode()).decode()]


def _password(sandbox: SandboxInfo, namespace: str) -> str:
    data = kjson(sandbox, "get", "secret", "db", "-n", namespace)["data"]
    return base64.b64decode(data["password"]).decode()


def test_runbook_asks_for_secret_values(lab_page: LabPage, lab_server: LabServer,
                                        sandbox: SandboxInfo, scratch: str,
                                        tmp_path: Path) -> None:
    lab, page, server = lab_page, lab_page.page, lab_page.server
    value = "Sv" + secrets.token_hex(8)
    open_panel(lab)
    turn = ask(lab, f"create a secret called db in {scratch} with password={value}")
    card = turn.locator(".jp-kubechat-card")
    assert card.locator(".jp-kubechat-badge").inner_text() == "WARNING"
    assert value in card.locator(".jp-kubechat-command").inner_text()  # its author sees it
    card.locator(".jp-kubechat-approve").click()
    turn.locator(".jp-kubechat-card[data-state='executed']").wait_for()
    assert _password(sandbox, scratch) == value
    lab.shot("secret created from the panel")

    page.locator(".jp-kubechat-save-runbook").click()
    notice = page.locator(".jp-kubechat-notice", has_text="Saved the runbook as")
    notice.wait_for()
    path = notice.inner_text().split("Saved the runbook as ", 1)[1].rstrip(".")
    text = (server.root_dir / path).read_text()
    for spelling in _spellings(value):
        assert spelling not in text, "a secret value reached the runbook"
    notebook = json.loads(text)
    for cell in notebook["cells"]:  # nbformat may store a source as a list of lines
        cell["source"] = "".join(cell["source"]) if isinstance(cell["source"], list) else (
            cell["source"])
    sources = [c["source"] for c in notebook["cells"] if c["cell_type"] == "code"]
    assert "secret_1 = None" in sources[0], sources[0]
    secret_cell = next(s for s in sources if "getpass" in s)
    assert 'find_line_magic("kubectl")' in secret_cell
    lab.shot("runbook saved")

    # What JupyterLab keeps of the conversation on disk holds no value either.
    kept = eventually(lambda: [t for t in saved_turns(server) if t.get("proposal")],
                      "the panel saved its conversation", timeout=60)
    for spelling in _spellings(value):
        assert spelling not in json.dumps(kept)

    # Run it headless with the value set as papermill sets parameters: the cluster gets it.
    kubectl(sandbox, "delete", "secret", "db", "-n", scratch)
    again = "Sv" + secrets.token_hex(8)
    params = notebook["cells"][1]
    params["source"] = params["source"].replace("secret_1 = None", f"secret_1 = {again!r}")
    run = tmp_path / "runbook.ipynb"
    run.write_text(json.dumps(notebook))
    status, cap = lab_server.api("POST", "capabilities", {
        "scopes": ["ask", "propose", "execute", "approve:warning", "audit:read"],
        "label": "runbook with a secret",
    })
    assert status == 201, cap
    env = {**os.environ, "KUBECHAT_URL": lab_server.url, "KUBECHAT_CAPABILITY": cap["token"]}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env", "-p",
         "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tmp_path), str(run)],
        capture_output=True, text=True, timeout=240, env=env, cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert eventually(lambda: _password(sandbox, scratch) == again,
                      "the runbook wrote the value it was given")
    status, page_ = lab_server.api("GET", "audit", params={"limit": "1000"})
    assert status == 200
    audit = json.dumps(page_)
    for spelling in _spellings(value) + _spellings(again):
        assert spelling not in audit
