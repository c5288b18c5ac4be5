"""Run a parsed Command through the Kubernetes API and return typed frames (``Result``)."""

from __future__ import annotations

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._client import ClientClosedError, ClusterClient, Inventory
from kubechat_lab.cluster._config import ClusterConfig
from kubechat_lab.cluster._result import DTYPES, Column, Result
from kubechat_lab.errors import ClusterError

__all__ = [
    "DTYPES",
    "ClientClosedError",
    "ClusterClient",
    "ClusterConfig",
    "ClusterError",
    "Column",
    "Inventory",
    "Result",
    "frames",
]
