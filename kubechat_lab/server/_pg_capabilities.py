"""``PgCapabilityStore``: capabilities in PostgreSQL, shared by every process of one hub.

The same contract as :class:`~kubechat_lab.server._capabilities.CapabilityStore`: the table
``kubechat_state.capability`` keeps ``sha256(token)`` and never the token, so a capability
minted by one process is accepted by every other, and revoking it (by id, or every one of a
kernel) deletes its row for all of them at once.

A kernel lives in the process that started it, so only that process can tell whether it is
still running: :meth:`PgCapabilityStore.minted_here` says whether a capability is one of this
process's (its kernel is checked), and :meth:`PgCapabilityStore.clear` at shutdown revokes
only the capabilities this process minted.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from kubechat_lab.server._capabilities import TOKEN_PREFIX, Capability, Scope, _digest
from kubechat_lab.server._proposals import ProposalConflictError

if TYPE_CHECKING:
    from kubechat_lab.pipeline import Transactional

__all__ = ["KernelTakenError", "PgCapabilityStore"]

_COLUMNS = "digest, id, user_name, scopes, origin, kernel_id, label, created, expires"


class KernelTakenError(ProposalConflictError):
    """A kernel id another person already registered (409)."""

    reason = "kernel-taken"


def _capability(row: tuple[Any, ...]) -> Capability:
    digest, cid, user, scopes, origin, kernel_id, label, created, expires = row
    return Capability(id=cid, digest=digest, user=user,
                      scopes=frozenset(Scope(s) for s in scopes if s in Scope._value2member_map_),
                      origin=origin, kernel_id=kernel_id, label=label, created=float(created),
                      expires=float(expires))


class PgCapabilityStore:
    """Capabilities in the ``kubechat_state`` schema, keyed by the sha256 of their token.

    Parameters
    ----------
    db
        A connection to the audit database (``AuditLog.transaction``).
    clock
        Returns the current time in seconds since the epoch.
    """

    def __init__(self, db: Transactional, *, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()
        self._mine: set[str] = set()

    def mint(self, *, user: str, scopes: Iterable[Scope], ttl: float, origin: str,
             kernel_id: str | None = None, label: str = "",
             exclusive: bool = False) -> tuple[str, Capability]:
        """Create a capability and return ``(token, capability)``; only its hash is stored.

        With ``exclusive``, ``kernel_id`` must not be another person's: a live capability of
        that kernel held by someone else refuses it (the hub service's kernels).

        Raises
        ------
        ValueError
            If ``ttl`` is not positive.
        KernelTakenError
            ``exclusive`` and another person holds a live capability of ``kernel_id``.
        AuditError
            The database failed (no capability exists).
        """
        if ttl <= 0:
            msg = f"capability ttl must be > 0 seconds, got {ttl!r}"
            raise ValueError(msg)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        cap = Capability(id=secrets.token_hex(8), digest=_digest(token), user=user,
                         scopes=frozenset(scopes), origin=origin, kernel_id=kernel_id,
                         label=label, created=now, expires=now + ttl)
        with self._db.transaction() as conn:
            if exclusive and kernel_id is not None:
                self._claim_kernel(conn, kernel_id, user, now)
            conn.execute("DELETE FROM kubechat_state.capability WHERE expires <= %s", [now])
            conn.execute(
                f"INSERT INTO kubechat_state.capability ({_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                [cap.digest, cap.id, cap.user, sorted(s.value for s in cap.scopes), cap.origin,
                 cap.kernel_id, cap.label, cap.created, cap.expires])
        with self._lock:
            self._mine.add(cap.id)
        return token, cap

    @staticmethod
    def _claim_kernel(conn: Any, kernel_id: str, user: str, now: float) -> None:
        """Refuse ``kernel_id`` if another person holds a live capability of it.

        A transaction-level advisory lock on the kernel id makes the check and the insert one
        step for every process: two servers registering one id cannot both win.
        """
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))",
                     [f"kubechat-kernel:{kernel_id}"])
        other = conn.execute(
            "SELECT 1 FROM kubechat_state.capability WHERE kernel_id = %s AND user_name <> %s"
            " AND expires > %s LIMIT 1", [kernel_id, user, now]).fetchone()
        if other is not None:
            msg = f"kernel {kernel_id} is registered by another person; start a new kernel"
            raise KernelTakenError(msg)

    def lookup(self, token: str) -> Capability | None:
        """Return the live capability for ``token``, or None if unknown, revoked or expired."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = _digest(token)
        with self._db.transaction() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM kubechat_state.capability"
                " WHERE digest = %s AND expires > %s", [digest, self._clock()]).fetchone()
        if row is None or not hmac.compare_digest(str(row[0]), digest):
            return None
        return _capability(row)

    def minted_here(self, cap: Capability) -> bool:
        """Return whether this process minted ``cap`` (and so runs its kernel, if any)."""
        with self._lock:
            return cap.id in self._mine

    def bind_kernel(self, capability_id: str, kernel_id: str) -> None:
        """Record the kernel a pending capability belongs to."""
        with self._db.transaction() as conn:
            conn.execute("UPDATE kubechat_state.capability SET kernel_id = %s WHERE id = %s",
                         [kernel_id, capability_id])

    def _delete(self, where: str, params: list[Any]) -> list[str]:
        with self._db.transaction() as conn:
            rows = conn.execute(f"DELETE FROM kubechat_state.capability WHERE {where}"
                                " RETURNING id", params).fetchall()
        gone = [str(r[0]) for r in rows]
        with self._lock:
            self._mine.difference_update(gone)
        return gone

    def revoke(self, capability_id: str) -> bool:
        """Revoke by public id, in every process; return whether something was revoked."""
        return bool(self._delete("id = %s", [capability_id]))

    def revoke_kernel(self, kernel_id: str, user: str | None = None) -> int:
        """Revoke every capability bound to ``kernel_id`` (of ``user`` only, if given)."""
        if user is not None:
            return len(self._delete("kernel_id = %s AND user_name = %s", [kernel_id, user]))
        return len(self._delete("kernel_id = %s", [kernel_id]))

    def purge_expired(self) -> int:
        """Drop expired capabilities; return how many."""
        return len(self._delete("expires <= %s", [self._clock()]))

    def list(self) -> list[Capability]:
        """Return the live capabilities (of every process), oldest first."""
        with self._db.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM kubechat_state.capability WHERE expires > %s"
                " ORDER BY created", [self._clock()]).fetchall()
        return [_capability(row) for row in rows]

    def clear(self) -> None:
        """Revoke the capabilities this process minted (its shutdown; the others' stay)."""
        with self._lock:
            mine = sorted(self._mine)
        if mine:
            self._delete("id = ANY(%s)", [mine])
