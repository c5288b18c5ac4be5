"""The local Kubernetes sandbox: a real control plane with kwok nodes, built from Go modules.

etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok and metrics-server run as
local processes.

Use :class:`SandboxManager` (``build``, ``up``, ``seed``, ``status``, ``down``,
``kubeconfig_path``) or the ``kubechat sandbox`` command. Names are imported on first use (a
lazy ``__getattr__``): the manager pulls in certificate generation and the demo inventory,
which a command line that only asks where the sandbox's kubeconfig is does not need.
"""

from __future__ import annotations

import typing

from kubechat_lab._lazy import lazy_names as _lazy_names
from kubechat_lab.errors import ComponentFailed, SandboxError

if typing.TYPE_CHECKING:
    from kubechat_lab.sandbox._demo_inventory import demo_grounding
    from kubechat_lab.sandbox._layout import KUBERNETES_VERSION, Ports, SandboxLayout
    from kubechat_lab.sandbox._manager import ComponentStatus, SandboxManager, SandboxStatus

#: Names imported on first use, by the module that defines them.
_LAZY = {
    "KUBERNETES_VERSION": "_layout",
    "ComponentStatus": "_manager",
    "Ports": "_layout",
    "SandboxLayout": "_layout",
    "SandboxManager": "_manager",
    "SandboxStatus": "_manager",
    "demo_grounding": "_demo_inventory",
}

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


__getattr__, __dir__ = _lazy_names(__name__, _LAZY, __all__)
