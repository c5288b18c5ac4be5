"""``PgProposalStore``: proposals in PostgreSQL, shared by every process of one hub.

Each transition is one transaction on the audit database's connection: ``SELECT ... FOR
UPDATE`` claims the row, the state is checked, the transition's audit event is appended (the
recorder's append joins the same transaction), and ``UPDATE ... WHERE state = ANY(expected)``
moves it on; the commit makes the audit event and the new state visible together. Of two
processes racing to decide one proposal, the second waits on the row lock, then sees the first
one's state and gets :class:`ProposalConflictError`: one winner, one audit event. If the append
or the database fails, the transaction rolls back and nothing changes.

Secret values never reach the table (``kubechat_lab/pipeline/_proposal_codec.py``): the
process that made a proposal keeps its full plan in memory, so it can run it; another process
(or this one after a restart) reads the plan redacted, and :meth:`Lifecycle.execute
<kubechat_lab.pipeline.Lifecycle.execute>` refuses to run a command whose secret values it
does not hold.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from kubechat_lab.pipeline._proposal_codec import (
    has_secret_values,
    proposal_from_doc,
    proposal_to_doc,
)
from kubechat_lab.pipeline._proposals import (
    Proposal,
    ProposalConflictError,
    ProposalNotFoundError,
    Recorder,
    State,
    StoreClock,
)

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import psycopg

__all__ = ["PgProposalStore", "Transactional"]

_COLUMNS = "id, state, user_name, owner, created, expires, body"
#: A proposal that expired this long ago is deleted when a new one is added.
_FORGET_AFTER = 3600.0


class Transactional(Protocol):
    """The audit database's connection: a transaction that audit appends of the thread join.

    ``AuditStore.transaction()`` and the server's ``AuditLog.transaction()`` are such: while
    the ``with`` block runs, an append made by the same thread is part of the transaction and
    becomes visible (and durable) only when it commits.
    """

    def transaction(self) -> AbstractContextManager[psycopg.Connection[Any]]:
        """Open a transaction; commit it when the block ends, roll it back on an error."""
        ...


class PgProposalStore(StoreClock):
    """A :class:`~kubechat_lab.pipeline.ProposalStore` in the ``kubechat_state`` schema.

    Parameters
    ----------
    db
        The audit database's connection (see :class:`Transactional`).
    ttl
        Seconds a proposal stays actionable.
    clock
        Wall clock (``time.time``); every process of a hub compares expiry with its own.
    reader
        Another connection for :meth:`get` and :meth:`waiting` (reads then never wait behind
        a transition being audited on ``db``; they see what is committed). Default: ``db``.
    """

    def __init__(self, db: Transactional, *, ttl: float,
                 clock: Callable[[], float] = time.time,
                 reader: Transactional | None = None) -> None:
        super().__init__(ttl=ttl, clock=clock)
        self._db = db
        self._reader = reader if reader is not None else db
        self._lock = threading.Lock()
        #: Full plans (with secret values) of the proposals this process made: never stored.
        self._held: dict[str, tuple[float, Proposal]] = {}

    # -- rows ------------------------------------------------------------------------------

    def _from_row(self, row: tuple[Any, ...]) -> Proposal:
        pid, state, user, owner, created, expires, body = row
        doc = orjson.loads(body) if isinstance(body, (str, bytes)) else body
        found = proposal_from_doc(id=pid, state=state, user=user, owner=owner,
                                  created=float(created), expires=float(expires), doc=doc)
        with self._lock:
            held = self._held.get(pid)
        if held is not None:
            original = held[1]
            found = replace(found, plan=original.plan, question=original.question,
                            explanation=original.explanation)
        return found

    @staticmethod
    def _body(proposal: Proposal) -> str:
        return orjson.dumps(proposal_to_doc(proposal)).decode()

    @contextlib.contextmanager
    def _claimed(self, proposal_id: str) -> Iterator[tuple[psycopg.Connection[Any], Proposal]]:
        with self._db.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM kubechat_state.proposal WHERE id = %s"
                               " FOR UPDATE", [proposal_id]).fetchone()
            if row is None:
                raise ProposalNotFoundError.unknown(proposal_id)
            yield conn, self._from_row(row)

    def _write(self, conn: psycopg.Connection[Any], updated: Proposal,
               expected: frozenset[State] | None = None) -> None:
        states = [s.value for s in (expected if expected is not None else State)]
        cur = conn.execute(
            "UPDATE kubechat_state.proposal SET state = %s, body = %s::jsonb"
            " WHERE id = %s AND state = ANY(%s)",
            [updated.state.value, self._body(updated), updated.id, states])
        if cur.rowcount != 1:  # pragma: no cover - the row is locked FOR UPDATE
            msg = f"proposal {updated.id} changed under its claim; propose the command again"
            raise ProposalConflictError(msg)

    # -- the protocol ----------------------------------------------------------------------

    def add(self, proposal: Proposal) -> None:
        """Store a proposal (deleting ones that expired an hour ago)."""
        now = self._clock()
        with self._db.transaction() as conn:
            conn.execute("DELETE FROM kubechat_state.proposal WHERE expires < %s",
                         [now - _FORGET_AFTER])
            conn.execute(
                f"INSERT INTO kubechat_state.proposal ({_COLUMNS})"
                " VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb)",
                [proposal.id, proposal.state.value, proposal.user, proposal.owner,
                 proposal.created, proposal.expires, self._body(proposal)])
        with self._lock:
            for pid in [k for k, (exp, _) in self._held.items() if exp < now - _FORGET_AFTER]:
                del self._held[pid]
            if has_secret_values(proposal.plan):
                self._held[proposal.id] = (proposal.expires, proposal)

    def get(self, proposal_id: str) -> Proposal:
        """Return a proposal or raise :class:`ProposalNotFoundError`."""
        with self._reader.transaction() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM kubechat_state.proposal WHERE id = %s",
                               [proposal_id]).fetchone()
        if row is None:
            raise ProposalNotFoundError.unknown(proposal_id)
        return self._from_row(row)

    def transition(self, proposal_id: str, expected: frozenset[State], to: State, *,
                   record: Recorder | None = None, **changes: Any) -> Proposal:
        """Compare-and-set the state in one transaction with its audit append.

        See :meth:`kubechat_lab.pipeline.ProposalStore.transition`.
        """
        with self._claimed(proposal_id) as (conn, found):
            self._check_transition(found, expected)
            seq = record(found) if record is not None else None
            seqs = found.audit_seqs + ((seq,) if seq is not None else ())
            updated = replace(found, state=to, audit_seqs=seqs, **changes)
            self._write(conn, updated, expected)
        return updated

    def update(self, proposal_id: str, **changes: Any) -> Proposal:
        """Change fields other than ``state`` and return the proposal."""
        if "state" in changes:
            msg = "a proposal's state changes only through transition() (compare-and-set)"
            raise TypeError(msg)
        with self._claimed(proposal_id) as (conn, found):
            updated = replace(found, **changes)
            self._write(conn, updated)
        return updated

    def add_seqs(self, proposal_id: str, *seqs: int | None) -> Proposal:
        """Append audit seqs to a stored proposal (``None`` ignored); return it."""
        more = tuple(seq for seq in seqs if seq is not None)
        with self._claimed(proposal_id) as (conn, found):
            updated = replace(found, audit_seqs=found.audit_seqs + more)
            if more:
                self._write(conn, updated)
        return updated

    def waiting(self) -> list[Proposal]:
        """Return the proposals still waiting for a decision (not expired), newest first."""
        with self._reader.transaction() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM kubechat_state.proposal"
                " WHERE state = %s AND expires > %s ORDER BY created DESC",
                [State.PROPOSED.value, self._clock()]).fetchall()
        return [self._from_row(row) for row in rows]
