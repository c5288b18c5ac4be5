"""Jupyter server extension: credentials, policy, approvals, kernel capabilities, audit."""

from __future__ import annotations

from kubechat_lab.server._capabilities import CAPABILITY_HEADER, Capability, CapabilityStore, Scope
from kubechat_lab.server._kernel_env import DEFAULT_STRIP_PATTERNS, strip_secrets
from kubechat_lab.server.app import KubechatApp

__all__ = [
    "CAPABILITY_HEADER",
    "DEFAULT_STRIP_PATTERNS",
    "Capability",
    "CapabilityStore",
    "KubechatApp",
    "Scope",
    "strip_secrets",
]
