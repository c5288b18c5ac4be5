"""Importing the command language (and the policy) stays light: no server, kernel or pandas."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("tornado", "IPython", "pandas", "jupyter_server", "kubernetes", "httpx")


def test_command_and_policy_do_not_import_heavy_modules() -> None:
    code = (
        "import json, sys\n"
        "import kubechat_lab.command, kubechat_lab.policy\n"
        "kubechat_lab.policy.classify('kubectl get pods -n shop')\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) == []
