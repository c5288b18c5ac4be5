"""``KubechatHandler``: the base of every route, plus the browser-or-kernel dispatch decorator.

Browser routes use Jupyter auth: ``@web.authenticated`` then ``@authorized`` (resource
``kubechat_lab:<resource>``) with XSRF checks on. Kernel routes are the same URLs called with an
``X-Kubechat-Capability`` header instead: the verb is ``@allow_unauthenticated`` and the
capability is checked (and XSRF skipped) only when that header is present.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import orjson
from jupyter_server.auth.decorator import allow_unauthenticated, authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from kubechat_lab.errors import AuditError, PolicyViolation
from kubechat_lab.server._capabilities import (
    CAPABILITY_HEADER,
    CLIENT_NAME_HEADER,
    CLIENT_VERSION_HEADER,
    ORIGIN_HEADER,
    ORIGINS,
    Scope,
)
from kubechat_lab.server._errors import map_error
from kubechat_lab.server._identity import person_of, provider_groups
from kubechat_lab.server._proposals import BadRequestError, Principal

if TYPE_CHECKING:
    from kubechat_lab.server._audit_log import AuditLog
    from kubechat_lab.server._capabilities import Capability, CapabilityStore
    from kubechat_lab.server._metrics import Metrics
    from kubechat_lab.server._pg_capabilities import PgCapabilityStore
    from kubechat_lab.server._service import KubechatService
    from kubechat_lab.server.app import KubechatApp

__all__ = ["KubechatHandler", "browser_only", "browser_or_kernel"]

H = TypeVar("H", bound="KubechatHandler")

Verb = Callable[..., Awaitable[None]]


class KubechatHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every kubechat route: typed services, JSON replies, one error mapping."""

    auth_resource = "kubechat_lab:api"
    #: The route's name in metrics (``ask``, ``proposal.approve``, ...).
    route = "unknown"
    #: The capability header looked up by :meth:`lookup_capability` (a 1-tuple once done).
    _looked_up: tuple[Capability | None] | None = None

    # -- typed services --------------------------------------------------------------------

    @property
    def kubechat(self) -> KubechatApp:
        """The extension app."""
        return cast("KubechatApp", self.extensionapp)

    @property
    def service(self) -> KubechatService:
        """Proposals, approvals, execution."""
        return self.kubechat.service

    @property
    def capabilities(self) -> CapabilityStore | PgCapabilityStore:
        """Capability registry."""
        return self.kubechat.capabilities

    @property
    def audit(self) -> AuditLog:
        """Audit chain."""
        return self.kubechat.audit

    @property
    def metrics(self) -> Metrics:
        """Prometheus metrics."""
        return self.kubechat.metrics

    # -- auth --------------------------------------------------------------------------------

    @property
    def capability_token(self) -> str | None:
        """The ``X-Kubechat-Capability`` header, if the request carries one."""
        value = self.request.headers.get(CAPABILITY_HEADER)
        return value.strip() if value is not None else None

    def check_xsrf_cookie(self) -> None:
        """Skip XSRF only for capability requests (no cookie is involved); check the rest."""
        if self.capability_token is not None:
            return None
        if not hasattr(self, "_jupyter_current_user"):
            # tornado's early call, before authentication; prepare() checks again after it
            # (jupyter_server defers the same way, but JupyterHub's OAuth replaces its check)
            return None
        result: None = super().check_xsrf_cookie()
        return result

    async def browser_principal(self) -> Principal:
        """Return the Jupyter user of an authenticated browser (or Jupyter-token) request.

        ``auth`` is ``"cookie"`` when the login cookie of that same user came with the request
        and the XSRF check passed (what a signed-in page sends, even when JupyterLab adds the
        token too), else ``"token"`` (the Jupyter token alone).
        """
        user = self.current_user
        name = getattr(user, "username", None) or str(user)
        auth = "cookie" if await self._signed_in_page(name) else "token"
        groups = provider_groups(user)
        app = self.kubechat
        if app.as_hub_service and app.hub_groups:  # the hub's groups (two-person approvers)
            try:
                listed = await app.run_blocking(app.hub_directory.groups, name)
            except PolicyViolation:  # no hub user of that name (a service's token): no groups,
                listed = ()  # which only narrows what it may approve
            groups += tuple(g for g in listed if g not in groups)
        return Principal(user=self.jupyter_user(name), via="browser", auth=auth, groups=groups)

    def jupyter_user(self, name: str) -> str:
        """Return whose request this is: the person behind the identity provider's user.

        jupyter_server's own providers (token, password) serve one person and name every
        browser session anonymously at random, so their requests act for the server's owner,
        ``kernel_user`` (as its kernels do). A provider that names people (JupyterHub, a
        custom one) gives each person their own name, and proposals are theirs alone
        (``kubechat_lab/server/_identity.py``, which also names the starter of a kernel).
        """
        return person_of(self.identity_provider, self.current_user,
                         str(self.kubechat.kernel_user)) or name

    async def _signed_in_page(self, name: str) -> bool:
        if self.token_authenticated:
            found = self.identity_provider.get_user_cookie(self)
            if inspect.isawaitable(found):
                found = await found
            if found is None or getattr(found, "username", None) != name:
                return False
        try:  # checked here even where jupyter_server skips it (token requests, disabled)
            web.RequestHandler.check_xsrf_cookie(self)
        except web.HTTPError:
            return False
        return True

    async def lookup_capability(self) -> None:
        """Look the capability header up off the event loop (the database); kept per request.

        Raises
        ------
        AuditError
            The database that keeps capabilities is unavailable (503: nothing is done).
        """
        token = self.capability_token or ""
        self._looked_up = (await self.kubechat.run_blocking(self.capabilities.lookup, token),)

    def capability_principal(self, scope: Scope | None = None) -> Principal:
        """Check the capability header and return its principal.

        Raises
        ------
        PolicyViolation
            For a forged, expired or revoked capability, one whose kernel is gone, or one
            lacking ``scope``.
        """
        looked_up = self._looked_up
        cap = (looked_up[0] if looked_up is not None
               else self.capabilities.lookup(self.capability_token or ""))
        if cap is None:
            msg = (
                f"{CAPABILITY_HEADER} is unknown, expired or revoked; restart the kernel for a "
                "new one, or mint one with `kubechat token`"
            )
            raise PolicyViolation(msg, rule_id="capability-invalid")
        if (cap.kernel_id is not None and self.capabilities.minted_here(cap)
                and not self.kubechat.kernel_alive(cap.kernel_id)):
            self.capabilities.revoke_kernel(cap.kernel_id)
            msg = f"the kernel {cap.kernel_id} of this capability is gone; it was revoked"
            raise PolicyViolation(msg, rule_id="capability-invalid")
        if scope is not None and not cap.allows(scope):
            msg = f"this capability (id {cap.id}) lacks the {scope.value!r} scope"
            raise PolicyViolation(msg, rule_id="capability-scope")
        origin, client = self._declared_origin()
        if cap.origin == "mcp":  # minted for an agent: an agent's whatever the request says
            origin, client = "mcp", client or ("unknown", "")
        return Principal(user=cap.user, via="capability", capability=cap, origin=origin,
                         client=client)

    def _declared_origin(self) -> tuple[str | None, tuple[str, str] | None]:
        """Return the origin and client a capability request declares (``kubechat mcp``).

        Declaring an origin can only take rights away (an ``mcp`` principal approves nothing);
        an unknown origin or an unprintable client name is refused, never ignored.
        """
        origin = self.request.headers.get(ORIGIN_HEADER)
        if origin is None:
            return None, None
        origin = origin.strip()
        if origin not in ORIGINS:
            msg = (f"header {ORIGIN_HEADER} is {origin[:40]!r}; the origins a capability "
                   f"request may declare are: {', '.join(sorted(ORIGINS))}")
            raise BadRequestError(msg, field=ORIGIN_HEADER)
        parts = []
        for header in (CLIENT_NAME_HEADER, CLIENT_VERSION_HEADER):
            value = (self.request.headers.get(header) or "").strip()
            if len(value) > 100 or not value.isprintable():
                msg = f"header {header} must be at most 100 printable characters"
                raise BadRequestError(msg, field=header)
            parts.append(value)
        name, version = parts
        return origin, ((name or "unknown"), version)

    # -- request and reply -------------------------------------------------------------------

    def prepare_timing(self) -> None:
        """Start the request clock (called by the dispatch decorators)."""
        if not hasattr(self, "_kc_started"):
            self._kc_started = time.monotonic()

    def json_body(self) -> dict[str, Any]:
        """Return the request body as a JSON object (400 naming the problem otherwise)."""
        raw = self.request.body or b"{}"
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            msg = f"request body is not valid JSON ({exc.msg} at byte {exc.pos})"
            raise BadRequestError(msg, field="body") from exc
        if not isinstance(data, dict):
            msg = f"request body must be a JSON object, got {type(data).__name__}"
            raise BadRequestError(msg, field="body")
        return data

    def reply(self, payload: Mapping[str, Any] | list[Any], status: int = 200) -> None:
        """Finish with a JSON payload."""
        self.set_status(status)
        self.finish(orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS))

    def fail(self, exc: BaseException) -> None:
        """Finish with the JSON error reply for ``exc`` (the one mapping, ``map_error``)."""
        status, reason, message = map_error(exc)
        if status >= 500:
            self.log.error(
                "kubechat %s failed status=%d reason=%s",
                self.route,
                status,
                reason,
                exc_info=status == 500,
            )
        else:
            self.log.info("kubechat %s refused status=%d reason=%s", self.route, status, reason)
        self.set_status(status)
        self.finish(orjson.dumps({"message": message, "reason": reason}))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer errors raised outside :meth:`fail` (auth, XSRF, routing) as clear JSON."""
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        message: str | None = None
        reason: str | None
        if isinstance(exc, web.HTTPError):
            message = exc.log_message
        if status_code == 403 and not message:
            message = (
                "authentication required: use the Jupyter login (browser, with the _xsrf token "
                "on writes) or 'Authorization: token <jupyter token>'; kernels send "
                f"{CAPABILITY_HEADER}"
            )
            reason = "unauthenticated" if not self.current_user else "forbidden"
        elif isinstance(exc, web.HTTPError):
            message = message or (exc.reason or f"HTTP {status_code}")
            reason = "xsrf" if "xsrf" in message.lower() else (exc.reason or None)
        else:
            status_code, reason, message = 500, "internal-error", "internal server error"
        self.set_status(status_code)
        self.finish(orjson.dumps({"message": message, "reason": reason}))

    def on_finish(self) -> None:
        """Count the request and its latency."""
        started = getattr(self, "_kc_started", None)
        elapsed = time.monotonic() - started if started is not None else 0.0
        try:
            self.metrics.observe_request(
                self.route, self.request.method or "", self.get_status(), elapsed
            )
        except AttributeError:  # the extension failed to initialise; nothing to count
            pass
        super().on_finish()


async def _run_guarded(handler: KubechatHandler, call: Awaitable[None]) -> None:
    try:
        await call
    except web.HTTPError:
        raise
    except Exception as exc:
        handler.fail(exc)


def browser_or_kernel(
    method: Callable[..., Awaitable[None]],
) -> Callable[..., Awaitable[None]]:
    """Make a verb reachable by browsers (Jupyter auth) and kernels (capability header).

    ``method(self, principal, *args)`` receives the resolved :class:`Principal`.
    """

    async def _browser(self: KubechatHandler, *args: Any, **kwargs: Any) -> None:
        await _run_guarded(self, method(self, await self.browser_principal(), *args, **kwargs))

    browser = cast(Verb, web.authenticated(authorized(_browser)))

    @allow_unauthenticated
    @functools.wraps(method)
    async def verb(self: KubechatHandler, *args: Any, **kwargs: Any) -> None:
        self.prepare_timing()
        if self.capability_token is not None:
            try:
                await self.lookup_capability()
                principal = self.capability_principal()
            except (PolicyViolation, BadRequestError, AuditError) as exc:
                self.fail(exc)
                return
            await _run_guarded(self, method(self, principal, *args, **kwargs))
            return
        done = browser(self, *args, **kwargs)
        if inspect.isawaitable(done):  # None when @web.authenticated redirected to a login
            await done

    return verb


def browser_only(method: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Make a verb reachable only with Jupyter auth (browser or the Jupyter token).

    A capability header is refused with 403: capabilities never reach admin routes.
    """

    async def _browser(self: KubechatHandler, *args: Any, **kwargs: Any) -> None:
        await _run_guarded(self, method(self, await self.browser_principal(), *args, **kwargs))

    browser = cast(Verb, web.authenticated(authorized(_browser)))

    @allow_unauthenticated
    @functools.wraps(method)
    async def verb(self: KubechatHandler, *args: Any, **kwargs: Any) -> None:
        self.prepare_timing()
        if self.capability_token is not None:
            msg = "this route needs Jupyter authentication; a kernel capability cannot use it"
            self.fail(PolicyViolation(msg, rule_id="browser-only"))
            return
        done = browser(self, *args, **kwargs)
        if inspect.isawaitable(done):  # None when @web.authenticated redirected to a login
            await done

    return verb
