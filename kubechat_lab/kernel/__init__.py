"""The kernel side: a client of the kubechat server, and the ``%kubechat`` / ``%kubectl`` magics.

Kernels hold no credential: only ``KUBECHAT_URL`` and ``KUBECHAT_CAPABILITY``, which the server
sets when it starts a kernel (or ``kubechat token`` prints for a script). This package never
imports the cluster, audit or server packages and never reads a kubeconfig.
"""

from __future__ import annotations

from kubechat_lab.errors import ServiceError
from kubechat_lab.kernel._client import KubechatClient
from kubechat_lab.kernel._frames import Outcome
from kubechat_lab.kernel._registry import FrameRegistry

__all__ = ["FrameRegistry", "KubechatClient", "Outcome", "ServiceError"]
