"""Kernels import kubechat_lab: the package, the kernel client and the plots stay light, and
nothing kernel-side ever loads the cluster, audit or server code (or the kubernetes client)."""

from __future__ import annotations

import json
import subprocess
import sys

NEVER_IN_KERNEL = ("kubernetes", "kubechat_lab.cluster", "kubechat_lab.audit",
                   "kubechat_lab.server", "jupyter_server", "psycopg")
HEAVY = ("pandas", "pyarrow", "duckdb", "plotly", "anywidget", "ipywidgets", "IPython",
         "tornado", "httpx")


def loaded_after(code: str, names: tuple[str, ...]) -> list[str]:
    probe = (f"{code}\nimport json, sys\n"
             f"print(json.dumps(sorted({{m.split('.')[0] if not m.startswith('kubechat_lab') "
             f"else '.'.join(m.split('.')[:2]) for m in sys.modules}} & set({names!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


def test_package_import_is_light() -> None:
    assert loaded_after("import kubechat_lab", HEAVY + NEVER_IN_KERNEL) == []


def test_kernel_client_and_plot_imports_are_light() -> None:
    code = "import kubechat_lab.kernel, kubechat_lab.plot"
    assert loaded_after(code, NEVER_IN_KERNEL) == []
    assert set(loaded_after(code, HEAVY)) <= {"httpx"}


def test_magics_and_widgets_never_load_cluster_code() -> None:
    code = ("import kubechat_lab.kernel.magics, kubechat_lab.widgets, kubechat_lab.kernel._watch,"
            " kubechat_lab.kernel._flow")
    assert loaded_after(code, NEVER_IN_KERNEL) == []
