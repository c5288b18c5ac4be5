"""Locate the shared evaluation data (../shared/eval beside the repository)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.plugins.services import skip_or_fail

# tests/command/_evaldata.py -> parents[2] is the repository root; shared/ sits beside it.
_BESIDE_REPO = Path(__file__).parents[2] / ".." / "shared" / "eval"


def eval_dir() -> Path:
    """Return the eval data folder: ../shared/eval beside the repo, else $KUBECHAT_EVAL_DIR."""
    if _BESIDE_REPO.is_dir():
        return _BESIDE_REPO.resolve()
    env = os.environ.get("KUBECHAT_EVAL_DIR")
    if env and Path(env).is_dir():
        return Path(env)
    skip_or_fail(f"eval data not found at {_BESIDE_REPO} and KUBECHAT_EVAL_DIR is not set")
    raise AssertionError("unreachable")


def load_jsonl(name: str) -> list[dict[str, object]]:
    """Read one JSON-lines file of the eval folder."""
    path = eval_dir() / name
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
