"""The kernel side: a client of the kubechat server, and the ``%kubechat`` / ``%kubectl`` magics.

Kernels hold no credential: only ``KUBECHAT_URL`` and ``KUBECHAT_CAPABILITY``, which the server
sets when it starts a kernel (or ``kubechat token`` prints for a script). This package never
imports the cluster, audit or server packages and never reads a kubeconfig.
"""

from __future__ import annotations

import typing

from kubechat_lab.errors import ServiceError
from kubechat_lab.kernel._client import KubechatClient
from kubechat_lab.kernel._frames import Outcome
from kubechat_lab.kernel._registry import FrameRegistry

if typing.TYPE_CHECKING:
    from kubechat_lab.kernel.chat_panel import ChatPanel

__all__ = ["ChatPanel", "FrameRegistry", "KubechatClient", "Outcome", "ServiceError"]


def __getattr__(name: str) -> typing.Any:
    # The chat panel loads anywidget; importing the kernel client must not.
    if name == "ChatPanel":
        from kubechat_lab.kernel.chat_panel import ChatPanel

        globals()[name] = ChatPanel
        return ChatPanel
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
