"""Kernel environments without secrets: strip credential-looking variables, add a capability.

Two hooks, installed on the live managers when the extension initialises:

- the session manager's ``get_kernel_env`` (what ``POST /api/sessions`` uses) strips secrets;
- the kernel manager's ``start_kernel`` (every kernel: sessions, ``POST /api/kernels``, the
  kernel manager called directly) strips secrets again and injects ``KUBECHAT_URL`` and a
  freshly minted ``KUBECHAT_CAPABILITY`` bound to the kernel id.

Both are subclasses of whatever classes the server is configured with, so other configuration
of those classes keeps working.
"""

from __future__ import annotations

import fnmatch
import inspect
import os
import uuid
from collections.abc import Awaitable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from jupyter_server.services.sessions.sessionmanager import SessionManager

__all__ = [
    "DEFAULT_STRIP_PATTERNS",
    "KernelEnvProvider",
    "kernel_manager_class_for",
    "session_manager_class_for",
    "strip_secrets",
]

DEFAULT_STRIP_PATTERNS: tuple[str, ...] = (
    "*KEY*",
    "*SECRET*",
    "*TOKEN*",
    "*PASSWORD*",
    "*PASSWD*",
    "*CREDENTIAL*",
    "*AUTH*",
    "*DSN*",
    "*DATABASE_URL*",
    "JUPYTER_TOKEN",
    "KUBECONFIG",
    "KUBECHAT_*",
    "JPY_API_TOKEN",
    "PGPASSFILE",
)


def strip_secrets(
    env: Mapping[str, str],
    patterns: Iterable[str] = DEFAULT_STRIP_PATTERNS,
    secret_values: Iterable[str] = (),
) -> dict[str, str]:
    """Return a copy of ``env`` without secret-looking variables.

    Parameters
    ----------
    env : mapping
        The environment to filter.
    patterns : iterable of str
        ``fnmatch`` patterns matched case-insensitively against variable names.
    secret_values : iterable of str
        Values the server holds (its Jupyter token, API keys): any variable whose value
        contains one of them is dropped too, whatever its name.

    Returns
    -------
    dict
        The filtered environment.
    """
    pats = [p.upper() for p in patterns]
    values = [v for v in secret_values if v and len(v) >= 8]
    out: dict[str, str] = {}
    for name, value in env.items():
        upper = name.upper()
        if any(fnmatch.fnmatchcase(upper, p) for p in pats):
            continue
        if any(v in value for v in values):
            continue
        out[name] = value
    return out


class KernelEnvProvider(Protocol):
    """What the hooks need from the extension app."""

    def kernel_strip(self, env: Mapping[str, str]) -> dict[str, str]:
        """Return ``env`` without secrets."""

    def kernel_grant(self, kernel_id: str) -> dict[str, str] | Awaitable[dict[str, str]]:
        """Mint a capability for ``kernel_id``; return the variables to add (or await them)."""

    def kernel_revoke(self, kernel_id: str) -> None:
        """Revoke the capabilities of ``kernel_id``."""


def session_manager_class_for(
    base: type[SessionManager], provider: KernelEnvProvider
) -> type[SessionManager]:
    """Subclass ``base`` so that ``get_kernel_env`` strips secrets."""

    def get_kernel_env(self: SessionManager, path: str | None, name: Any = None) -> dict[str, str]:
        env = base.get_kernel_env(self, path, name)
        return provider.kernel_strip(env)

    attrs = {"get_kernel_env": get_kernel_env, "_kubechat_hooked": True}
    return type(f"Kubechat{base.__name__}", (base,), attrs)


def kernel_manager_class_for(
    base: type[MappingKernelManager], provider: KernelEnvProvider
) -> type[MappingKernelManager]:
    """Subclass ``base`` so that every new kernel gets a clean env plus a capability."""

    async def start_kernel(
        self: MappingKernelManager,
        *,
        kernel_id: str | None = None,
        path: Any = None,
        **kwargs: Any,
    ) -> str:
        if kernel_id is not None and kernel_id in self:
            # An existing kernel is returned as is; its capability is already in its env.
            existing: str = await base.start_kernel(self, kernel_id=kernel_id, path=path, **kwargs)
            return existing
        kernel_id = kernel_id or str(uuid.uuid4())
        env = provider.kernel_strip(kwargs.pop("env", None) or dict(os.environ))
        grant = provider.kernel_grant(kernel_id)
        env.update(await grant if inspect.isawaitable(grant) else grant)
        try:
            started: str = await base.start_kernel(
                self, kernel_id=kernel_id, path=path, env=env, **kwargs
            )
        except BaseException:
            provider.kernel_revoke(kernel_id)
            raise
        return started

    attrs = {"start_kernel": start_kernel, "_kubechat_hooked": True}
    return type(f"Kubechat{base.__name__}", (base,), attrs)
