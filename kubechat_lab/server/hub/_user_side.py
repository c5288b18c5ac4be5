"""Hub mode of a single-user server: no credential here, the kubechat service does the work.

When ``c.KubechatApp.hub_service_url`` is set on a server JupyterHub started, the extension
builds no cluster client, audit log or translator and reads no kubeconfig, key or DSN. Instead:

- each kernel's capability is minted by the service (:class:`HubKernelAccess`), asked with this
  server's hub token, and revoked there when the kernel stops; the kernel gets
  ``KUBECHAT_URL`` (the service, through the hub's proxy) and ``KUBECHAT_CAPABILITY``, and its
  environment loses the hub token (by name and by value) with every other secret;
- a kernel started by anyone but the server's owner gets no capability (fail closed);
- the side panel's requests to ``{base_url}kubechat/api/...`` are forwarded to the service
  with this server's hub token (:class:`ForwardHandler`): the service sees the owner, as the
  page would. The approval-page link too: the service answers it with a redirect to the same
  route on its own public address (its own host under ``subdomain_host``), where the person's
  browser signs in with hub OAuth (a token never signs in there).
"""

from __future__ import annotations

import asyncio
import atexit
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from kubechat_lab.server._kernel_env import strip_secrets
from kubechat_lab.server._kernels import MIN_SECRET, REFUSED_ENV, KernelAccess

if TYPE_CHECKING:
    from kubechat_lab.server.app import KubechatApp

__all__ = ["HubKernelAccess", "HubUserSide", "default_handlers"]

#: Hop-by-hop and transport headers a forwarder must not copy.
_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
                  "trailers", "transfer-encoding", "upgrade", "content-length",
                  "content-encoding", "host", "cookie", "set-cookie", "authorization"})


class HubUserSide:
    """What hub mode needs: the service's URL, this server's hub token and an HTTP client.

    Parameters
    ----------
    app
        The extension.

    Raises
    ------
    traitlets.TraitError
        ``hub_service_url`` is set but this server was not started by JupyterHub.
    """

    def __init__(self, app: KubechatApp) -> None:
        from traitlets import TraitError

        self.app = app
        url = str(app.hub_service_url)
        self.service_url = url if url.endswith("/") else url + "/"
        self.hub_token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        self.owner = os.environ.get("JUPYTERHUB_USER", "")
        if "://" not in self.service_url or not self.hub_token or not self.owner:
            msg = (f"c.KubechatApp.hub_service_url = {url!r} needs an absolute URL and a server "
                   "started by JupyterHub ($JUPYTERHUB_API_TOKEN and $JUPYTERHUB_USER are not "
                   "both set); unset it to run kubechat in this server itself")
            raise TraitError(msg)
        self.client = httpx.AsyncClient(
            base_url=self.service_url + "kubechat/api/",
            headers={"Authorization": f"token {self.hub_token}"},
            # no read limit: forwarded replies include blocking verbs and watch streams
            timeout=httpx.Timeout(None, connect=10.0, write=60.0, pool=10.0),
        )

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.client.aclose()


class HubKernelAccess(KernelAccess):
    """Kernel environments of a hub-mode server: capabilities come from the service."""

    def __init__(self, app: KubechatApp, side: HubUserSide) -> None:
        super().__init__(app)
        self.side = side
        self._pending: set[asyncio.Task[None]] = set()
        self._granted: set[str] = set()
        # A server stopped with SIGINT and no terminal (as spawners stop it) ends its loop on a
        # KeyboardInterrupt, without stopping extensions: revoke at exit then too.
        atexit.register(self.revoke_all_now)

    def secret_values(self) -> list[str]:
        """Return the hub tokens this server holds (its own, the legacy one), its Jupyter token."""
        values = [self.side.hub_token, os.environ.get("JPY_API_TOKEN", "")]
        provider = getattr(self.app.serverapp, "identity_provider", None)
        values.append(str(getattr(provider, "token", "") or ""))
        return [v for v in dict.fromkeys(values) if len(v) >= MIN_SECRET]

    def kernel_strip(self, env: Mapping[str, str]) -> dict[str, str]:
        """Return ``env`` without secrets, the hub token above all."""
        return strip_secrets(env, self.app.kernel_env_strip, self.secret_values())

    async def kernel_grant(self, kernel_id: str) -> dict[str, str]:  # type: ignore[override]
        """Ask the service for the capability of a kernel the server's owner starts."""
        url = self.public_url()
        user = self.kernel_starter()
        if user != self.side.owner:
            self.app.log.warning("kubechat capability refused kernel=%s reason=not-owner "
                                 "starter=%s", kernel_id, user)
            return {"KUBECHAT_URL": url, REFUSED_ENV: (
                "this kernel has no kubechat capability: it was started by "
                f"{user or 'nobody known'}, and on {self.side.owner}'s server only "
                f"{self.side.owner}'s own kernels act for them. Start one on your own server")}
        try:
            response = await self.side.client.post("hub/kernels", timeout=30.0, json={
                "kernel_id": kernel_id, "label": f"kernel {kernel_id}"})
        except httpx.HTTPError as exc:
            reason = f"the kubechat service at {self.side.service_url} did not answer ({exc})"
        else:
            if response.status_code == 201:
                self._granted.add(kernel_id)
                self.app.log.info("kubechat capability received kernel=%s user=%s", kernel_id,
                                  user)
                return {"KUBECHAT_URL": url, "KUBECHAT_CAPABILITY": response.json()["token"]}
            reason = (f"the kubechat service refused a capability (HTTP "
                      f"{response.status_code}: {_message(response)})")
        self.app.log.warning("kubechat capability refused kernel=%s reason=%s", kernel_id, reason)
        return {"KUBECHAT_URL": url, REFUSED_ENV: reason + "; restart the kernel to try again"}

    def kernel_revoke(self, kernel_id: str) -> None:
        """Tell the service the kernel stopped (in the background; it answers 204 or 404)."""
        if kernel_id not in self._granted:
            return
        self._granted.discard(kernel_id)
        task = asyncio.get_event_loop().create_task(self._revoke(kernel_id))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def close(self) -> None:
        """Revoke every capability still out (the server stops) and wait for the revocations."""
        for kernel_id in list(self._granted):
            self.kernel_revoke(kernel_id)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def revoke_all_now(self) -> None:
        """Revoke every capability still out, blocking (at interpreter exit)."""
        if not self._granted:
            return
        headers = {"Authorization": f"token {self.side.hub_token}"}
        with httpx.Client(base_url=self.side.service_url + "kubechat/api/", headers=headers,
                          timeout=5.0) as client:
            for kernel_id in list(self._granted):
                self._granted.discard(kernel_id)
                try:
                    client.delete(f"hub/kernels/{kernel_id}")
                except httpx.HTTPError:  # the service is gone too; the capability expires
                    continue

    async def _revoke(self, kernel_id: str) -> None:
        try:
            response = await self.side.client.delete(f"hub/kernels/{kernel_id}", timeout=30.0)
        except httpx.HTTPError as exc:
            self.app.log.warning("kubechat could not revoke kernel=%s at the service (%s); its "
                                 "capability expires by itself", kernel_id, exc)
            return
        self.app.log.info("kubechat capability revoked kernel=%s status=%d", kernel_id,
                          response.status_code)

    def public_url(self) -> str:
        """Return the service's URL through the hub's proxy (what kernels call)."""
        return self.side.service_url


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:300]
    except ValueError:
        return response.text[:300]


class ForwardHandler(ExtensionHandlerMixin, JupyterHandler):
    """``{base_url}kubechat/api/<path>``: forwarded to the service with this server's hub token.

    Only this server's signed-in users reach it (Jupyter auth and XSRF as for any route); the
    service sees the server's owner. Replies stream back as they come (the watch route).
    """

    auth_resource = "kubechat_lab:api"

    @property
    def side(self) -> HubUserSide:
        """The hub-mode state of the extension."""
        app = cast("KubechatApp", self.extensionapp)
        return app.hub_user_side

    @web.authenticated
    @authorized
    async def get(self, path: str) -> None:
        """Forward a GET (the approval-page link: the service answers a redirect to itself)."""
        await self._forward(path)

    @web.authenticated
    @authorized
    async def post(self, path: str) -> None:
        """Forward a POST."""
        await self._forward(path)

    @web.authenticated
    @authorized
    async def delete(self, path: str) -> None:
        """Forward a DELETE."""
        await self._forward(path)

    async def _forward(self, path: str) -> None:
        headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _HOP
                   and not k.lower().startswith("x-kubechat-") and k.lower() != "x-xsrftoken"}
        url = path + (f"?{self.request.query}" if self.request.query else "")
        request = self.side.client.build_request(
            self.request.method or "GET", url, content=self.request.body or None,
            headers=headers)
        try:
            response = await self.side.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            self.set_status(502)
            self.finish({"message": f"the kubechat service at {self.side.service_url} did not "
                                    f"answer ({exc})", "reason": "hub-service-unreachable"})
            return
        try:
            self.set_status(response.status_code)
            for name, value in response.headers.items():
                if name.lower() not in _HOP:
                    self.set_header(name, value)
            async for chunk in response.aiter_bytes():
                self.write(chunk)
                await self.flush()
        finally:
            await response.aclose()
        self.finish()


default_handlers: list[tuple[str, Any]] = [
    (r"/kubechat/api/(?P<path>.*)", ForwardHandler),
]
