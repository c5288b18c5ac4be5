"""The four notebooks, headless under nbval, against a real JupyterLab with kubechat.

What CI does, and what a team's nightly job would do:

1. a real ``jupyter lab`` runs the extension against the sandbox and a fresh audit database
   (tests/plugins/browser.py);
2. ``kubechat token`` (the real CLI, with the server's Jupyter token) mints one capability for
   the run, with ``approve:warning`` so that the notebooks' explicit ``--approve`` works;
3. ``pytest --nbval-lax`` runs every notebook in a kernel of its own that holds only that
   capability (the README's command).

Then: the audit log shows the capability (minted, and every change approved through it, none
by any other way), no output shows a secret, and the demo workload is exactly as before.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.plugins.browser import LabServer
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

REPO = Path(__file__).resolve().parents[2]
KUBECHAT = Path(sys.executable).parent / "kubechat"
LABEL = "nbval-notebooks"
SCOPES = ("ask", "propose", "execute", "audit:read", "approve:warning")
# The demo objects the notebooks write to (and must leave as they found them).
TOUCHED = (("shop", "frontend"), ("shop", "recommendations"), ("payments", "fraud-detector"))
VOLATILE = ("deployment.kubernetes.io/revision",)


def nbval_command() -> list[str]:
    """The README's headless command (with this interpreter)."""
    return [sys.executable, "-m", "pytest", "--nbval-lax", "--nbval-current-env",
            "--nbval-sanitize-with", "notebooks/sanitize.cfg", "notebooks/"]


def demo_state(sandbox: SandboxInfo) -> dict[str, Any]:
    """Spec, annotations and live ReplicaSets of each touched deployment."""
    state = {}
    for namespace, name in TOUCHED:
        obj = kjson(sandbox, "get", "deployment", name, "-n", namespace)
        annotations = {k: v for k, v in (obj["metadata"].get("annotations") or {}).items()
                       if k not in VOLATILE}
        sets = kjson(sandbox, "get", "replicasets", "-n", namespace)["items"]
        live = sorted(rs["metadata"]["name"] for rs in sets
                      if rs["spec"].get("replicas", 0) > 0
                      and any(o.get("uid") == obj["metadata"]["uid"]
                              for o in rs["metadata"].get("ownerReferences") or ()))
        state[f"{namespace}/{name}"] = {"spec": obj["spec"], "annotations": annotations,
                                        "live_replicasets": live}
    return state


def put_back(sandbox: SandboxInfo, before: dict[str, Any]) -> None:
    """Safety net after a failed run: restore the touched deployments as an admin."""
    for key, want in before.items():
        namespace, name = key.split("/")
        now = kjson(sandbox, "get", "deployment", name, "-n", namespace)
        extra = set(now["metadata"].get("annotations") or {}) - set(want["annotations"])
        for annotation in extra - set(VOLATILE):
            kubectl(sandbox, "annotate", "deployment", name, "-n", namespace, f"{annotation}-")
        if now["spec"] != want["spec"]:
            all_at_once = {"spec": {"strategy": {"rollingUpdate": {"maxUnavailable": "100%"}},
                                    "template": want["spec"]["template"]}}
            kubectl(sandbox, "patch", "deployment", name, "-n", namespace, "--type=merge",
                    "-p", json.dumps(all_at_once))
            time.sleep(10)
            kubectl(sandbox, "patch", "deployment", name, "-n", namespace, "--type=merge",
                    "-p", json.dumps({"spec": {"strategy": want["spec"]["strategy"]}}))


def secrets_of(sandbox: SandboxInfo, lab: LabServer, capability: str) -> dict[str, str]:
    """Values that must never appear in a notebook's output."""
    found = {"jupyter token": lab.token, "capability": capability}
    password = re.search(r"password=(\S+)", lab.audit_dsn)
    if password:
        found["audit database password"] = password.group(1)
    config = yaml.safe_load(sandbox.kubeconfig.read_text())
    for user in config.get("users") or ():
        for field in ("client-key-data", "token"):
            value = (user.get("user") or {}).get(field)
            if value:
                found[f"kubeconfig {field}"] = value
                if field == "client-key-data":
                    key = base64.b64decode(value).decode()
                    found["kubeconfig client key"] = "".join(key.splitlines()[1:3])
    secret = kjson(sandbox, "get", "secret", "api-credentials", "-n", "payments")
    for name, value in (secret.get("data") or {}).items():
        text = base64.b64decode(value).decode()
        if len(text) >= 10:  # DB_USER is "payments", which is also the namespace's name
            found[f"secret payments/api-credentials {name}"] = text
    return found


@pytest.mark.timeout(1500)
def test_notebooks_run_headless(lab_server: LabServer, sandbox: SandboxInfo,
                                tmp_path: Path) -> None:
    before = demo_state(sandbox)
    minted = subprocess.run(
        [str(KUBECHAT), "token", "--url", lab_server.url, "--label", LABEL, "--format", "json",
         *[arg for scope in SCOPES for arg in ("--scope", scope)]],
        env={**os.environ, "JUPYTER_TOKEN": lab_server.token}, capture_output=True, text=True,
        timeout=60, check=False)
    assert minted.returncode == 0, minted.stderr
    capability = json.loads(minted.stdout)
    outputs = tmp_path / "outputs.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in ("JUPYTER_TOKEN", "KUBECONFIG", "KUBECHAT_AUDIT_DSN")}
    env.update({"KUBECHAT_URL": capability["url"], "KUBECHAT_CAPABILITY": capability["token"],
                "KUBECHAT_NBVAL_OUTPUTS": str(outputs)})
    started = time.monotonic()
    run = subprocess.run([*nbval_command(), "-p", "tests.plugins.nbval_outputs",
                          "-p", "no:cacheprovider", "-q"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=1200,
                         check=False, stdin=subprocess.DEVNULL)
    print(f"nbval: {time.monotonic() - started:.0f} s\n{run.stdout[-3000:]}")
    try:
        assert run.returncode == 0, run.stdout[-12000:] + run.stderr[-3000:]
        cells = [json.loads(line) for line in outputs.read_text().splitlines()]
        ran = {c["notebook"] for c in cells}
        assert ran == {p.name for p in (REPO / "notebooks").glob("*.ipynb")}, ran
        assert all(c["outcome"] == "passed" for c in cells), [
            (c["notebook"], c["cell"], c["outcome"]) for c in cells if c["outcome"] != "passed"]

        # nothing secret in any output
        text = json.dumps([c["outputs"] for c in cells])
        for what, value in secrets_of(sandbox, lab_server, capability["token"]).items():
            assert value not in text, f"a notebook output shows the {what}"

        # the sanitizer (for runs that compare outputs) masks the ids and times these outputs hold
        from nbval.plugin import get_sanitize_patterns

        patterns = get_sanitize_patterns((REPO / "notebooks" / "sanitize.cfg").read_text())
        volatile = (r"\bp_[0-9a-f]{20}\b", r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}",
                    r"\b\d+ days \d{2}:\d{2}:\d{2}", r"\b[0-9a-f]{64}\b")
        present = [v for v in volatile if re.search(v, text)]
        assert volatile[:3] == tuple(present[:3]), present  # ids and times are in the raw outputs
        clean = text
        for regex, replace in patterns:
            clean = re.sub(regex, replace, clean)
        assert not [v for v in volatile if re.search(v, clean)] and "kubectl" in clean

        # the audit shows the capability: minted, and every change approved through it
        code, page = lab_server.api("GET", "audit", params={"limit": "1000", "after": "0"})
        assert code == 200
        events = [r["event"] for r in page["records"]]
        assert [e for e in events if e["type"] == "capability_minted"
                and e.get("label") == LABEL and e.get("capability_id") == capability["id"]]
        proposed = {e["proposal"]: e for e in events if e["type"] == "proposed"}
        changes = {p: e for p, e in proposed.items() if e["level"] != "safe"}
        approved = {e["proposal"]: e for e in events if e["type"] == "approved"}
        assert len(changes) >= 10, f"the notebooks made {len(changes)} changes"
        for pid, event in changes.items():
            assert event["level"] == "warning", event
            approval = approved.get(pid)
            assert approval is not None, f"{event['command']} was never approved"
            assert approval["via"] == "capability", approval
            assert {k: approval["capability"].get(k) for k in ("id", "label", "origin")} == {
                "id": capability["id"], "label": LABEL, "origin": "token"}, approval
        assert all(e.get("capability", {}).get("id") == capability["id"]
                   for e in events if e["type"] != "capability_minted")
    finally:
        after = demo_state(sandbox)
        if after != before:
            put_back(sandbox, before)
    assert after == before, "the notebooks did not leave the demo workload as they found it"
