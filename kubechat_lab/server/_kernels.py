"""What kernels get from the server: a clean environment, a capability, and nothing else.

``KernelAccess`` is the :class:`~kubechat_lab.server._kernel_env.KernelEnvProvider` the session
and kernel manager hooks call. It strips every secret the server holds from a kernel's
environment *by value* as well as by name (the Jupyter token, the LLM key, the audit DSN and
its password, webhook URLs and the credentials in them), mints the kernel's capability and
revokes it when the kernel shuts down.

A kernel acts as the person who started it (``kubechat_lab/server/_identity.py``): its
capability is minted for the user of the request that started it, so its commands impersonate
that user's mapped identity exactly as the user's browser requests do. When the server's
identity provider names people and the starter is unknown, the kernel gets no capability, only
``KUBECHAT_CAPABILITY_REFUSED`` saying why, which the kernel's client shows (fail closed).
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import AuditError
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._identity import request_person
from kubechat_lab.server._kernel_env import (
    kernel_manager_class_for,
    session_manager_class_for,
    strip_secrets,
)

if TYPE_CHECKING:
    from kubechat_lab.server.app import KubechatApp

__all__ = ["REFUSED_ENV", "KernelAccess", "dsn_secrets", "url_secrets"]

#: The variable a kernel gets instead of a capability when nobody is known to have started it.
REFUSED_ENV = "KUBECHAT_CAPABILITY_REFUSED"

NO_STARTER = (
    "this kernel has no kubechat capability: the server could not tell who started it, and "
    "on a server shared by several people a kernel acts only as the person who starts it. It "
    "was started outside a signed-in request to /api/sessions or /api/kernels (at server "
    "start, or by another extension). Start a new kernel yourself from JupyterLab (a new "
    "notebook, or Kernel > Change Kernel), or give a script its own capability with "
    "`kubechat token`"
)

NO_DATABASE = (
    "this kernel has no kubechat capability: the server could not reach its audit database, "
    "where capabilities are kept, when the kernel started. Check that PostgreSQL is running "
    "(GET kubechat/api/health), then restart the kernel"
)

#: Values shorter than this are never matched by value (they would strip innocent variables).
MIN_SECRET = 8


def dsn_secrets(dsn: str) -> list[str]:
    """Return the secret parts of a libpq DSN (key=value or URI): itself and its password."""
    if not dsn:
        return []
    found = [dsn]
    try:
        from psycopg.conninfo import conninfo_to_dict

        password = conninfo_to_dict(dsn).get("password")
    except Exception:  # an unparsable DSN: the whole string is still stripped
        password = None
    if isinstance(password, str) and password:
        found.append(password)
    return found


def url_secrets(url: str) -> list[str]:
    """Return the secret parts of a URL that carries credentials (a webhook).

    The URL itself (a webhook URL is a credential: whoever has it can post), its user-info
    password, its query values, and long path segments (tokens in the path, as chat webhooks
    put them).
    """
    if not url:
        return []
    found = [url]
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        found.append(parts.password)
        found.append(urllib.parse.unquote(parts.password))
    for _, value in urllib.parse.parse_qsl(parts.query, keep_blank_values=False):
        found.append(value)
    found += [seg for seg in parts.path.split("/") if len(seg) >= 16]
    if parts.netloc or parts.path:
        found.append(parts.netloc + parts.path)
    return found


class KernelAccess:
    """Kernel environments and capabilities for one :class:`KubechatApp`.

    Parameters
    ----------
    app
        The extension (its traits are read when a kernel starts, so changes apply).
    """

    def __init__(self, app: KubechatApp) -> None:
        self.app = app

    def install(self) -> None:
        """Give the live session and kernel managers kubechat's environment hooks.

        ``_link_jupyter_server_extension`` runs before the server builds its managers (and
        before ``gateway_config`` exists, which the manager-class defaults need), so the hooks
        are installed on the live managers: each one's class is swapped for a subclass of
        itself that overrides ``get_kernel_env`` / ``start_kernel``. Other configuration of
        those classes keeps working, and isinstance checks still hold.
        """
        serverapp = self.app.serverapp
        if serverapp is None:
            return
        sm, km = serverapp.session_manager, serverapp.kernel_manager
        if not getattr(type(sm), "_kubechat_hooked", False):
            sm.__class__ = session_manager_class_for(type(sm), self)
        if not getattr(type(km), "_kubechat_hooked", False):
            km.__class__ = kernel_manager_class_for(type(km), self)

    def secret_values(self) -> list[str]:
        """Every secret value the server holds; kernels must see none of them."""
        app = self.app
        values: list[str] = []
        if app.serverapp is not None:
            token = getattr(app.serverapp.identity_provider, "token", "") or ""
            if token:
                values.append(token)
        values += app.held_secrets()
        return [v for v in dict.fromkeys(values) if len(v) >= MIN_SECRET]

    # -- KernelEnvProvider -----------------------------------------------------------------

    def kernel_strip(self, env: Mapping[str, str]) -> dict[str, str]:
        """Return ``env`` without secret-looking variables or any secret value."""
        return strip_secrets(env, self.app.kernel_env_strip, self.secret_values())

    def kernel_starter(self) -> str | None:
        """Return the person starting a kernel now (None: unknown on a multi-person server)."""
        serverapp = self.app.serverapp
        provider = serverapp.identity_provider if serverapp is not None else None
        return request_person(provider, str(self.app.kernel_user))

    def kernel_grant(self, kernel_id: str) -> dict[str, str]:
        """Mint the capability of a new kernel for the person starting it.

        Returns ``KUBECHAT_URL`` and ``KUBECHAT_CAPABILITY``; when the starter is unknown,
        ``KUBECHAT_URL`` and ``KUBECHAT_CAPABILITY_REFUSED`` (why, and what to do) instead.
        """
        app = self.app
        user = self.kernel_starter()
        if user is None:
            app.log.warning("kubechat capability refused kernel=%s reason=unknown-starter",
                            kernel_id)
            return {"KUBECHAT_URL": self.public_url(), REFUSED_ENV: NO_STARTER}
        try:
            token, cap = app.capabilities.mint(
                user=user,
                scopes=Scope.parse_all(app.kernel_scopes),
                ttl=app.capability_ttl,
                origin="kernel",
                kernel_id=kernel_id,
            )
        except AuditError as exc:  # capabilities live in the audit database
            app.log.warning("kubechat capability refused kernel=%s reason=database: %s",
                            kernel_id, exc)
            return {"KUBECHAT_URL": self.public_url(), REFUSED_ENV: NO_DATABASE}
        app.log.info("kubechat capability minted id=%s kernel=%s user=%s", cap.id, kernel_id,
                     user)
        return {"KUBECHAT_URL": self.public_url(), "KUBECHAT_CAPABILITY": token}

    def kernel_revoke(self, kernel_id: str) -> None:
        """Revoke the capabilities of ``kernel_id``."""
        try:
            n = self.app.capabilities.revoke_kernel(kernel_id)
        except AuditError as exc:  # the database is away: the capability ends at its TTL
            self.app.log.warning("kubechat capability of kernel=%s not revoked: %s",
                                 kernel_id, exc)
            return
        if n:
            self.app.log.info("kubechat capability revoked kernel=%s count=%d", kernel_id, n)

    # -- URLs and liveness -----------------------------------------------------------------

    def public_url(self) -> str:
        """Return the URL kernels use to reach this server."""
        if self.app.kernel_url:
            return str(self.app.kernel_url)
        serverapp = self.app.serverapp
        if serverapp is None:
            return ""
        base = serverapp.base_url if serverapp.base_url.endswith("/") else serverapp.base_url + "/"
        if serverapp.sock:
            return str(serverapp.connection_url)
        host = serverapp.ip
        if host in ("", "0.0.0.0", "::", "localhost"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{serverapp.port}{base}"

    def kernel_alive(self, kernel_id: str) -> bool:
        """Return whether the server still runs kernel ``kernel_id``."""
        serverapp = self.app.serverapp
        return serverapp is not None and kernel_id in serverapp.kernel_manager

    async def on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        """Revoke a kernel's capability when the server reports its shutdown."""
        if data.get("action") == "shutdown" and data.get("kernel_id"):
            self.kernel_revoke(str(data["kernel_id"]))
