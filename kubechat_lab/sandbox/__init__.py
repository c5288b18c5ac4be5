"""The local Kubernetes sandbox: a real control plane with kwok nodes, built from Go modules.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and metrics-server run as
local processes.

Use :class:`SandboxManager` (``build``, ``up``, ``seed``, ``status``, ``down``,
``kubeconfig_path``) or the ``kubechat sandbox`` command.
"""

from __future__ import annotations

from kubechat_lab.errors import ComponentFailed, SandboxError
from kubechat_lab.sandbox._demo_inventory import demo_grounding
from kubechat_lab.sandbox._layout import KUBERNETES_VERSION, Ports, SandboxLayout
from kubechat_lab.sandbox._manager import ComponentStatus, SandboxManager, SandboxStatus

__all__ = [
    "KUBERNETES_VERSION",
    "ComponentFailed",
    "ComponentStatus",
    "Ports",
    "SandboxError",
    "SandboxLayout",
    "SandboxManager",
    "SandboxStatus",
    "demo_grounding",
]
