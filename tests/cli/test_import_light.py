"""``kubechat run`` loads only what a command needs: no PostgreSQL driver or embedded server
without auditing, no tornado, no certificate code or demo inventory of the sandbox.

Every command line pays for its imports (the bench in tests/benchmarks/bench_list_pods.py, (e),
times the whole process); these checks keep the heavy modules out by name, not by time.
"""

from __future__ import annotations

import json
import subprocess
import sys

NEVER_FOR_RUN = ("psycopg", "tornado", "tenacity", "cryptography", "pandas", "pyarrow",
                 "kubechat_lab.audit._embedded", "kubechat_lab.audit._store",
                 "kubechat_lab.sandbox._manager", "kubechat_lab.sandbox._demo_inventory",
                 "kubechat_lab.sandbox._pki", "kubechat_lab.server")


def loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted(n for n in {names!r} if n in sys.modules)))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_run_command_and_the_pipeline_import_light() -> None:
    code = ("import kubechat_lab.cli.run, kubechat_lab.pipeline, kubechat_lab.audit.events\n"
            "from kubechat_lab.cli.run import default_kubeconfig\n"
            "default_kubeconfig()\n"
            "from kubechat_lab.policy import load_policy\n"
            "load_policy(None)")
    assert loaded_after(code, NEVER_FOR_RUN) == []


def test_lazy_names_still_resolve() -> None:
    code = ("from kubechat_lab.audit import AuditStore, EmbeddedPostgres, default_dsn\n"
            "from kubechat_lab.sandbox import SandboxManager, demo_grounding")
    assert loaded_after(code, ("psycopg", "kubechat_lab.sandbox._manager")) == [
        "kubechat_lab.sandbox._manager", "psycopg"]
