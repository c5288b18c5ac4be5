"""``PgLogins``: the approval page's login codes and sessions, shared through the database.

Behind one proxy, the JupyterLab route of one process mints a login code and the approval
origin of another redeems it; a session is then valid on every process's approval page. The
table ``kubechat_state.approval_login`` keeps the sha256 of each code and session token (never
the token) and, for a session, the XSRF token its forms carry (random per session, so every
process writes and checks the same one). Spending a code is one ``DELETE ... RETURNING``: of
two processes redeeming one code, one gets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubechat_lab.server._approval_origin import ApprovalSession

if TYPE_CHECKING:
    from kubechat_lab.pipeline import Transactional

__all__ = ["PgLogins"]

_TABLE = "kubechat_state.approval_login"


def _login(row: tuple[Any, ...]) -> ApprovalSession:
    user, expires, xsrf, groups = row
    return ApprovalSession(user=str(user), expires=float(expires), xsrf=str(xsrf or ""),
                           groups=tuple(groups or ()))


class PgLogins:
    """:class:`~kubechat_lab.server._approval_origin.Logins` in the ``kubechat_state`` schema.

    Parameters
    ----------
    db
        A connection to the audit database (``AuditLog.transaction``).
    """

    def __init__(self, db: Transactional) -> None:
        self._db = db

    def _add(self, kind: str, digest: str, login: ApprovalSession, now: float) -> None:
        with self._db.transaction() as conn:
            conn.execute(f"DELETE FROM {_TABLE} WHERE expires <= %s", [now])
            conn.execute(
                f"INSERT INTO {_TABLE} (digest, kind, user_name, groups, expires, xsrf)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                [digest, kind, login.user, list(login.groups), login.expires, login.xsrf])

    def add_code(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a login code (forgetting expired codes and sessions)."""
        self._add("code", digest, login, now)

    def take_code(self, digest: str, now: float) -> ApprovalSession | None:
        """Spend a live code once, in every process: return what it signs in, or None."""
        with self._db.transaction() as conn:
            row = conn.execute(f"DELETE FROM {_TABLE} WHERE digest = %s AND kind = 'code'"
                               " RETURNING user_name, expires, xsrf, groups",
                               [digest]).fetchone()
        found = _login(row) if row is not None else None
        return found if found is not None and found.expires > now else None

    def add_session(self, digest: str, login: ApprovalSession, now: float) -> None:
        """Keep a session and its XSRF token."""
        self._add("session", digest, login, now)

    def session(self, digest: str, now: float) -> ApprovalSession | None:
        """Return a live session, or None."""
        with self._db.transaction() as conn:
            row = conn.execute(f"SELECT user_name, expires, xsrf, groups FROM {_TABLE}"
                               " WHERE digest = %s AND kind = 'session' AND expires > %s",
                               [digest, now]).fetchone()
        return _login(row) if row is not None else None

    def end(self, digest: str) -> None:
        """Forget a session (sign out), in every process."""
        with self._db.transaction() as conn:
            conn.execute(f"DELETE FROM {_TABLE} WHERE digest = %s", [digest])

    def clear(self) -> None:
        """Nothing to forget at one process's shutdown: the sessions serve the others."""
