"""Kernel capabilities: narrow, revocable bearer tokens stored only as sha256 hashes.

A capability lets one kernel (or one headless process minted by ``kubechat token``) call the
kernel routes of the API with ``X-Kubechat-Capability``. The server keeps ``sha256(token)`` and
never the token itself; a capability is revoked when its kernel shuts down, when its TTL passes,
or by an admin call. No scope lets a capability approve a dangerous command.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

__all__ = [
    "CAPABILITY_HEADER",
    "CLIENT_NAME_HEADER",
    "CLIENT_VERSION_HEADER",
    "ORIGIN_HEADER",
    "ORIGINS",
    "TOKEN_PREFIX",
    "Capability",
    "CapabilityStore",
    "Scope",
]

CAPABILITY_HEADER = "X-Kubechat-Capability"
#: Sent with a capability by a face acting for a program (``kubechat mcp``: ``mcp``).
ORIGIN_HEADER = "X-Kubechat-Origin"
#: The agent program's declared name and version (an MCP client's ``clientInfo``).
CLIENT_NAME_HEADER = "X-Kubechat-Client-Name"
CLIENT_VERSION_HEADER = "X-Kubechat-Client-Version"
#: The origins a capability request may declare; any other value is refused.
ORIGINS = frozenset({"mcp"})
TOKEN_PREFIX = "kcap_"


class Scope(enum.StrEnum):
    """What a capability may do. There is deliberately no scope for dangerous approvals."""

    ASK = "ask"
    PROPOSE = "propose"
    EXECUTE = "execute"
    APPROVE_WARNING = "approve:warning"
    READ_AUDIT = "audit:read"

    @classmethod
    def parse_all(cls, values: Iterable[str]) -> frozenset[Scope]:
        """Parse scope names, raising ``ValueError`` naming the first unknown one."""
        out: set[Scope] = set()
        for value in values:
            try:
                out.add(cls(value))
            except ValueError:
                allowed = ", ".join(s.value for s in cls)
                msg = f"unknown capability scope {value!r}; allowed scopes: {allowed}"
                raise ValueError(msg) from None
        return frozenset(out)


@dataclass(frozen=True, slots=True)
class Capability:
    """What the server knows about one capability (never the token).

    Parameters
    ----------
    id : str
        Public identifier (random, unrelated to the token) used in audit events and revocation.
    digest : str
        Hex sha256 of the token.
    user : str
        Jupyter user the capability acts for.
    scopes : frozenset of Scope
        What it may do.
    origin : str
        ``"kernel"`` (minted at kernel start), ``"token"`` (minted by ``kubechat token``) or
        ``"mcp"`` (``kubechat token --agent``: every request with it is an agent's).
    kernel_id : str or None
        The kernel it is bound to, if any.
    label : str
        Free text given at minting (process name, notebook path).
    created : float
        Wall-clock creation time (seconds since the epoch).
    expires : float
        Wall-clock expiry time (seconds since the epoch).
    """

    id: str
    digest: str
    user: str
    scopes: frozenset[Scope]
    origin: str
    kernel_id: str | None
    label: str
    created: float
    expires: float

    def allows(self, scope: Scope) -> bool:
        """Return whether this capability carries ``scope``."""
        return scope in self.scopes

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly description (no token, no digest)."""
        return {
            "id": self.id,
            "user": self.user,
            "scopes": sorted(s.value for s in self.scopes),
            "origin": self.origin,
            "kernel_id": self.kernel_id,
            "label": self.label,
            "created": self.created,
            "expires": self.expires,
        }


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class CapabilityStore:
    """Thread-safe in-memory registry of capabilities, keyed by the sha256 of their token.

    Parameters
    ----------
    clock : callable, optional
        Returns the current time in seconds since the epoch (``time.time`` by default).
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._by_digest: dict[str, Capability] = {}

    def mint(
        self,
        *,
        user: str,
        scopes: Iterable[Scope],
        ttl: float,
        origin: str,
        kernel_id: str | None = None,
        label: str = "",
    ) -> tuple[str, Capability]:
        """Create a capability and return ``(token, capability)``.

        The token is returned once and never stored; only its sha256 is kept.

        Raises
        ------
        ValueError
            If ``ttl`` is not positive.
        """
        if ttl <= 0:
            msg = f"capability ttl must be > 0 seconds, got {ttl!r}"
            raise ValueError(msg)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        cap = Capability(
            id=secrets.token_hex(8),
            digest=_digest(token),
            user=user,
            scopes=frozenset(scopes),
            origin=origin,
            kernel_id=kernel_id,
            label=label,
            created=now,
            expires=now + ttl,
        )
        with self._lock:
            self._by_digest[cap.digest] = cap
        return token, cap

    def lookup(self, token: str) -> Capability | None:
        """Return the live capability for ``token``, or None if unknown, revoked or expired."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = _digest(token)
        now = self._clock()
        with self._lock:
            cap = self._by_digest.get(digest)
            if cap is None:
                return None
            # The dict lookup already matched; compare again in constant time for good measure.
            if not hmac.compare_digest(cap.digest, digest):
                return None
            if cap.expires <= now:
                del self._by_digest[digest]
                return None
            return cap

    def minted_here(self, cap: Capability) -> bool:
        """Return whether this process minted ``cap``: always, for a store in its memory."""
        return True

    def bind_kernel(self, capability_id: str, kernel_id: str) -> None:
        """Record the kernel a pending capability belongs to."""
        with self._lock:
            for digest, cap in self._by_digest.items():
                if cap.id == capability_id:
                    self._by_digest[digest] = replace(cap, kernel_id=kernel_id)
                    return

    def revoke(self, capability_id: str) -> bool:
        """Revoke by public id; return whether something was revoked."""
        with self._lock:
            for digest, cap in list(self._by_digest.items()):
                if cap.id == capability_id:
                    del self._by_digest[digest]
                    return True
        return False

    def revoke_kernel(self, kernel_id: str) -> int:
        """Revoke every capability bound to ``kernel_id``; return how many."""
        with self._lock:
            doomed = [d for d, c in self._by_digest.items() if c.kernel_id == kernel_id]
            for digest in doomed:
                del self._by_digest[digest]
        return len(doomed)

    def purge_expired(self) -> int:
        """Drop expired capabilities; return how many."""
        now = self._clock()
        with self._lock:
            doomed = [d for d, c in self._by_digest.items() if c.expires <= now]
            for digest in doomed:
                del self._by_digest[digest]
        return len(doomed)

    def list(self) -> list[Capability]:
        """Return the live capabilities, oldest first."""
        now = self._clock()
        with self._lock:
            live = [c for c in self._by_digest.values() if c.expires > now]
        return sorted(live, key=lambda c: c.created)

    def clear(self) -> None:
        """Revoke everything (server shutdown)."""
        with self._lock:
            self._by_digest.clear()
