"""The ``kubechat_settings`` of server tests that need the sandbox cluster.

A module imports :func:`cluster_settings` to replace the conftest's cluster-less settings
(pytest finds it under its fixture name, ``kubechat_settings``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(name="kubechat_settings")
def cluster_settings(sandbox: Any, audit_db: Any, api_key_file: Path) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 20.0,
    }
