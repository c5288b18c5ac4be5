"""The approval origin: a second listener with its own login, where a person approves.

Any kernel can run JavaScript in its JupyterLab page, and a page of the same origin can be framed
and scripted, so an approval the JupyterLab origin accepts is one a kernel can forge. Dangerous
approvals (and the levels ``approve_on_page_levels`` names) are given on a page served from
another origin instead (docs/security.md, "The approval page"):

- the JupyterLab page opens ``{base_url}kubechat/api/proposals/<id>/approval-page``
  (Jupyter login cookie required); that route mints a one-time *login code* and answers
  with a redirect to ``<approval origin>/login?code=...``. The code travels only in the
  ``Location`` header of a redirect, which no script of the JupyterLab origin can read;
- the approval origin exchanges the code for a session cookie that is ``HttpOnly`` and
  ``SameSite=Strict`` and names its port (cookies ignore ports);
- every form it serves carries an XSRF token derived from that session and written into the
  HTML, which only a page of the approval origin can read; a POST also needs an ``Origin`` of
  the approval origin. Its replies forbid framing.

This module keeps the codes and sessions (hashed; in memory, or shared through the audit database
by ``server/_pg_approval.py``) and runs the listener; the pages are ``server/_approval_page.py``.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from tornado.httpserver import HTTPServer

__all__ = ["ApprovalOrigin", "ApprovalSession", "Logins", "MemoryLogins", "origin_of"]


def origin_of(url: str) -> str:
    """Return the origin (``scheme://host:port``) of ``url``, the port always written."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Logins(Protocol):
    """Where login codes and sessions are kept, by the sha256 of their token."""

    def add_code(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a login code (forgetting expired ones)."""
        ...

    def take_code(self, digest: str, now: float) -> ApprovalSession | None:
        """Spend a live code once (atomically): return what it signs in, or None."""
        ...

    def add_session(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a session, with the XSRF token its forms carry (forgetting expired ones)."""
        ...

    def session(self, digest: str, now: float) -> ApprovalSession | None:
        """Return a live session, or None."""
        ...

    def end(self, digest: str) -> None:
        """Forget a session."""
        ...

    def clear(self) -> None:
        """Forget what this process keeps (its shutdown)."""
        ...


class MemoryLogins:
    """:class:`Logins` in this process's memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._codes: dict[str, ApprovalSession] = {}
        self._sessions: dict[str, ApprovalSession] = {}

    def add_code(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a login code (forgetting expired ones)."""
        with self._lock:
            for key in [k for k, found in self._codes.items() if found.expires <= now]:
                del self._codes[key]
            self._codes[digest] = login

    def take_code(self, digest: str, now: float) -> ApprovalSession | None:
        """Spend a live code once: return what it signs in, or None."""
        with self._lock:
            found = self._codes.pop(digest, None)
        return found if found is not None and found.expires > now else None

    def add_session(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a session (forgetting expired ones)."""
        with self._lock:
            for key in [k for k, found in self._sessions.items() if found.expires <= now]:
                del self._sessions[key]
            self._sessions[digest] = login

    def session(self, digest: str, now: float) -> ApprovalSession | None:
        """Return a live session, or None."""
        with self._lock:
            found = self._sessions.get(digest)
        return found if found is not None and found.expires > now else None

    def end(self, digest: str) -> None:
        """Forget a session."""
        with self._lock:
            self._sessions.pop(digest, None)

    def clear(self) -> None:
        """Forget every code and session."""
        with self._lock:
            self._codes.clear()
            self._sessions.clear()


@dataclass(frozen=True, slots=True)
class ApprovalSession:
    """A person signed in on the approval origin.

    Parameters
    ----------
    user
        The Jupyter user the login code was minted for.
    expires
        When the session ends (seconds since the epoch).
    xsrf
        The token its forms carry (random per session, written into its pages, never a
        cookie); empty for a login code.
    groups
        The groups the identity provider gave the person when the code was minted.
    """

    user: str
    expires: float
    xsrf: str
    groups: tuple[str, ...] = ()


class ApprovalOrigin:
    """Login codes, sessions and the listener of the approval page.

    Parameters
    ----------
    url
        The approval origin's public base URL, ending in ``/`` (``approval_url``); empty until
        :meth:`listen` picks it from the port when none is configured.
    code_ttl
        Seconds a login code stays usable (once).
    session_ttl
        Seconds a session lasts.
    clock
        Wall clock.
    logins
        Where codes and sessions are kept (hashed): this process's memory by default; the
        server shares them through the audit database
        (``kubechat_lab/server/_pg_approval.py``), so a code minted by one process is redeemed
        by another and a session is valid in all.
    """

    def __init__(self, *, url: str = "", code_ttl: float = 60.0, session_ttl: float = 3600.0,
                 clock: Callable[[], float] = time.time, logins: Logins | None = None) -> None:
        self.url = url
        self.code_ttl = code_ttl
        self.session_ttl = session_ttl
        self._clock = clock
        self._logins: Logins = logins if logins is not None else MemoryLogins()
        self._server: HTTPServer | None = None
        self.port: int | None = None

    # -- listener ----------------------------------------------------------------------------

    def listen(self, app: Any, *, ip: str, port: int) -> int:
        """Serve ``app`` (a tornado Application) on ``ip:port`` (0: a free port); return it."""
        from tornado.httpserver import HTTPServer
        from tornado.netutil import bind_sockets

        sockets = bind_sockets(port, address=ip)
        self.port = int(sockets[0].getsockname()[1])
        self._server = HTTPServer(app, xheaders=bool(self.url))
        self._server.add_sockets(sockets)
        if not self.url:
            self.url = f"http://{ip}:{self.port}/"
        return self.port

    def close(self) -> None:
        """Stop listening and forget every code and session."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._logins.clear()

    @property
    def origin(self) -> str:
        """The approval origin (``scheme://host:port``)."""
        return origin_of(self.url)

    @property
    def cookie_name(self) -> str:
        """The session cookie's name: it names the port, since cookies are shared by ports."""
        parts = urlsplit(self.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"kubechat-approval-{port}"

    @property
    def secure(self) -> bool:
        """Whether the origin is HTTPS (cookies are then ``Secure``)."""
        return urlsplit(self.url).scheme == "https"

    def page_url(self, proposal_id: str) -> str:
        """Return the approval page of one proposal."""
        return f"{self.url}proposals/{proposal_id}"

    # -- codes and sessions ------------------------------------------------------------------

    def mint_code(self, user: str, groups: tuple[str, ...] = ()) -> str:
        """Return a one-time login code for ``user`` in ``groups`` (only its hash is kept)."""
        code = secrets.token_urlsafe(32)
        now = self._clock()
        self._logins.add_code(_digest(code), ApprovalSession(
            user=user, expires=now + self.code_ttl, xsrf="", groups=tuple(groups)), now)
        return code

    def redeem(self, code: str) -> str | None:
        """Spend a login code; return a new session token, or None if the code is not valid."""
        now = self._clock()
        found = self._logins.take_code(_digest(code), now)
        if found is None:
            return None
        token = secrets.token_urlsafe(32)
        self._logins.add_session(_digest(token), ApprovalSession(
            user=found.user, expires=now + self.session_ttl, xsrf=secrets.token_hex(32),
            groups=found.groups), now)
        return token

    def session(self, token: str | None) -> ApprovalSession | None:
        """Return the live session of a cookie value, or None."""
        if not token:
            return None
        return self._logins.session(_digest(token), self._clock())

    def end(self, token: str | None) -> None:
        """End a session (sign out)."""
        if token:
            self._logins.end(_digest(token))
