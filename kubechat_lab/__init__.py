"""kubechat_lab: operate and analyse Kubernetes from Jupyter in plain language, safely.

Kept import-light on purpose: kernels import this package, so server code, vendor SDKs and
pandas are imported lazily inside the hook functions below.
"""

from __future__ import annotations

import logging
from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_ipython_extension"]

logging.getLogger(__name__).addHandler(logging.NullHandler())


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext kubechat_lab``: register the ``%kubechat`` and ``%kubectl`` magics."""
    from kubechat_lab.kernel.magics import load_ipython_extension as load

    load(ipython)


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from kubechat_lab.server.app import KubechatApp

    return [{"module": "kubechat_lab.server.app", "app": KubechatApp}]


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    """Where JupyterLab finds the prebuilt side panel (``jupyter-builder develop``)."""
    return [{"src": "labextension", "dest": "kubechat-lab"}]
