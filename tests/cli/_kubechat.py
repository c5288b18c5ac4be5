"""Run the installed ``kubechat`` console script as a user would, and read its stderr."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["KUBECHAT", "kubechat", "warnings_in"]



def _script() -> str:
    beside = Path(sys.executable).with_name("kubechat")  # the venv's console script
    return str(beside) if beside.exists() else (shutil.which("kubechat") or "kubechat")


KUBECHAT = _script()

# What a fresh shell has: no warning filters of ours, no runtime dir (root in CI has none),
# Jupyter's default (legacy) paths.
_DROPPED = ("PYTHONWARNINGS", "XDG_RUNTIME_DIR", "JUPYTER_PLATFORM_DIRS")

# A Python warning ("...: UserWarning: ...", "RuntimeDirWarning") or a logging WARNING line.
_WARNING = re.compile(r"\b[A-Z]\w*Warning\b|\bWARNING\b")


def kubechat(
    *args: str, timeout: float = 180, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``kubechat ARGS`` in a subprocess with a user's environment; no stdin."""
    base = {k: v for k, v in os.environ.items() if k not in _DROPPED}
    return subprocess.run(
        [KUBECHAT, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        env={**base, **(env or {})},
        check=False,
    )


def warnings_in(stderr: str) -> list[str]:
    """Return the lines of ``stderr`` that are warnings (Python's or a logger's)."""
    return [line for line in stderr.splitlines() if _WARNING.search(line)]
