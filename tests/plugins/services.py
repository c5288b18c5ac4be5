"""Rules shared by every real-service fixture.

Locally a developer may skip a real-service test (no sandbox, no PostgreSQL) for speed; under
CI (``CI=true``) such a skip is a failure, because .ci/run starts every service the tests need.
"""

from __future__ import annotations

import os

import pytest


def skip_or_fail(reason: str) -> None:
    """Skip locally; fail under CI, where every real service must be available."""
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"real service unavailable under CI: {reason}")
    pytest.skip(reason)
