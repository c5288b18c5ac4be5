"""``PgConversationStore``: conversation turns in PostgreSQL, shared by every process of a hub.

The same contract as :class:`~kubechat_lab.server._conversations.ConversationStore`: the last
``max_turns`` turns of each (owner, conversation), kept ``ttl`` seconds after the last one, at
most ``max_conversations`` conversations (the least recently used dropped first). A follow-up
asked through another process reads the turn one process wrote. Turns are stored as the
translator sees them: without secret values (the service redacts them before adding).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from kubechat_lab.pipeline._proposal_codec import command_from_doc, command_to_doc
from kubechat_lab.server._conversations import _kind, _names

if TYPE_CHECKING:
    from kubechat_lab.pipeline import Transactional
    from kubechat_lab.translate import Turn

__all__ = ["PgConversationStore"]

_TABLE = "kubechat_state.conversation_turn"


def _doc(turn: Turn) -> str:
    return orjson.dumps({
        "question": turn.question,
        "command": command_to_doc(turn.command) if turn.command is not None else None,
        "kind": turn.kind,
        "names": list(turn.names),
    }).decode()


def _turn(doc: Any) -> Turn:
    from kubechat_lab.translate import Turn

    data = orjson.loads(doc) if isinstance(doc, (str, bytes)) else doc
    command = data.get("command")
    return Turn(question=str(data.get("question", "")),
                command=command_from_doc(command) if command is not None else None,
                kind=data.get("kind"), names=tuple(str(n) for n in data.get("names", ())))


class PgConversationStore:
    """Conversation turns in the ``kubechat_state`` schema.

    Parameters
    ----------
    db
        A connection to the audit database (``AuditLog.transaction``).
    max_conversations
        Conversations kept at most (over all users).
    max_turns
        Turns kept per conversation.
    ttl
        Seconds a conversation is kept after its last turn.
    clock
        Wall clock (every process compares with its own).
    """

    def __init__(self, db: Transactional, *, max_conversations: int = 1000, max_turns: int = 10,
                 ttl: float = 4 * 3600.0, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.ttl = ttl
        self._clock = clock

    def previous(self, user: str, conversation: str | None) -> Turn | None:
        """Return the last turn of ``user``'s ``conversation`` (None: none, or expired)."""
        if conversation is None:
            return None
        with self._db.transaction() as conn:
            row = conn.execute(
                f"SELECT turn FROM {_TABLE} WHERE owner = %s AND conversation = %s"
                " AND at >= %s ORDER BY n DESC LIMIT 1",
                [user, conversation, self._clock() - self.ttl]).fetchone()
        return _turn(row[0]) if row is not None else None

    def add(self, user: str, conversation: str | None, turn: Turn,
            proposal: str | None = None) -> None:
        """Append a turn (and remember which proposal answered it)."""
        if conversation is None:
            return
        now = self._clock()
        with self._db.transaction() as conn:
            conn.execute(
                f"INSERT INTO {_TABLE} (owner, conversation, proposal, at, turn)"
                " VALUES (%s, %s, %s, %s, %s::jsonb)",
                [user, conversation, proposal, now, _doc(turn)])
            conn.execute(  # this conversation's oldest turns beyond max_turns
                f"DELETE FROM {_TABLE} WHERE owner = %s AND conversation = %s AND n <= ("
                f" SELECT n FROM {_TABLE} WHERE owner = %s AND conversation = %s"
                " ORDER BY n DESC OFFSET %s LIMIT 1)",
                [user, conversation, user, conversation, self.max_turns])
            conn.execute(  # expired conversations, then the least recently used over the cap
                f"DELETE FROM {_TABLE} AS t USING ("
                f" SELECT owner, conversation FROM {_TABLE} GROUP BY owner, conversation"
                " HAVING max(at) < %s"
                " UNION ALL (SELECT owner, conversation FROM"
                f"  {_TABLE} GROUP BY owner, conversation ORDER BY max(n) DESC OFFSET %s)"
                ") AS d WHERE t.owner = d.owner AND t.conversation = d.conversation",
                [now - self.ttl, self.max_conversations])

    def observe(self, proposal: str, data: dict[str, Any] | None) -> None:
        """Record what the result of ``proposal`` showed on its turn (kind, first names)."""
        if not isinstance(data, dict):
            return
        kind, names = _kind(data), list(_names(data))
        with self._db.transaction() as conn:
            conn.execute(
                f"UPDATE {_TABLE} SET turn = turn || jsonb_build_object("
                " 'kind', %s::text, 'names', %s::jsonb) WHERE proposal = %s",
                [kind, orjson.dumps(names).decode(), proposal])

    def __len__(self) -> int:
        with self._db.transaction() as conn:
            row = conn.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT owner, conversation FROM {_TABLE}"
                " WHERE at >= %s) AS c", [self._clock() - self.ttl]).fetchone()
        return int(row[0]) if row is not None else 0
