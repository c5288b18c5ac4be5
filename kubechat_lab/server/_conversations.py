"""Recent turns per (owner, conversation), bounded in memory (docs/translation.md).

``POST ask`` with ``conversation`` hands the previous turn to the translator as
``TranslationContext.previous``, so "and in payments?" or "now restart it" are read against it.
When a proposal of the conversation runs, its turn learns what the result showed (the kind and
the first names), for "show its logs". Conversations are private to their owner: the key holds
:attr:`~kubechat_lab.server._proposals.Principal.owner` (a person's pages, or one kernel), so
one user's id never reaches another's turns, and a kernel that names the panel's conversation
id writes into a conversation of its own, never into the panel's.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kubechat_lab.server._proposals import BadRequestError

if TYPE_CHECKING:
    from kubechat_lab.translate import Turn

__all__ = ["CONVERSATION_ID", "ConversationStore"]

#: What a client-chosen conversation id may look like.
CONVERSATION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

_Key = tuple[str, str]


def check_conversation(value: str) -> str:
    """Return ``value`` when it is a valid conversation id, else raise a 400 naming the field."""
    if not CONVERSATION_ID.fullmatch(value):
        msg = (f"field 'conversation' must be 1 to 64 characters of A-Z, a-z, 0-9, '_' or '-', "
               f"got {value[:80]!r}")
        raise BadRequestError(msg, field="conversation")
    return value


class ConversationStore:
    """Keep the last turns of each conversation, least recently used dropped first.

    Parameters
    ----------
    max_conversations
        Conversations kept at most (over all users).
    max_turns
        Turns kept per conversation.
    ttl
        Seconds a conversation is kept after its last turn.
    clock
        Monotonic clock (tests).
    """

    def __init__(self, *, max_conversations: int = 1000, max_turns: int = 10,
                 ttl: float = 4 * 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_conversations = max_conversations
        self.max_turns = max_turns
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._turns: OrderedDict[_Key, tuple[float, deque[tuple[str | None, Turn]]]] = (
            OrderedDict())
        self._by_proposal: dict[str, _Key] = {}

    def previous(self, user: str, conversation: str | None) -> Turn | None:
        """Return the last turn of ``user``'s ``conversation`` (None: none, or expired).

        ``user`` is the owner key (``Principal.owner``) the turns were added under.
        """
        if conversation is None:
            return None
        with self._lock:
            found = self._turns.get((user, conversation))
            if found is None or self._clock() - found[0] > self.ttl:
                return None
            return found[1][-1][1] if found[1] else None

    def add(self, user: str, conversation: str | None, turn: Turn,
            proposal: str | None = None) -> None:
        """Append a turn (and remember which proposal answered it)."""
        if conversation is None:
            return
        key = (user, conversation)
        with self._lock:
            entry = self._turns.pop(key, None)
            turns = entry[1] if entry is not None else deque(maxlen=self.max_turns)
            if len(turns) == turns.maxlen and turns[0][0] is not None:
                self._by_proposal.pop(turns[0][0] or "", None)
            turns.append((proposal, turn))
            self._turns[key] = (self._clock(), turns)
            if proposal is not None:
                self._by_proposal[proposal] = key
            while len(self._turns) > self.max_conversations:
                _, (_, dropped) = self._turns.popitem(last=False)
                for pid, _turn in dropped:
                    if pid is not None:
                        self._by_proposal.pop(pid, None)

    def observe(self, proposal: str, data: dict[str, Any] | None) -> None:
        """Record what the result of ``proposal`` showed on its turn (kind, first names)."""
        if not isinstance(data, dict):
            return
        with self._lock:
            key = self._by_proposal.get(proposal)
            entry = self._turns.get(key) if key is not None else None
            if entry is None:
                return
            turns = entry[1]
            for i, (pid, turn) in enumerate(turns):
                if pid == proposal:
                    turns[i] = (pid, replace(turn, kind=_kind(data), names=_names(data)))

    def __len__(self) -> int:
        with self._lock:
            return len(self._turns)


def _kind(data: dict[str, Any]) -> str | None:
    kind = data.get("kind")
    return str(kind) if isinstance(kind, str) else None


def _names(data: dict[str, Any], limit: int = 20) -> tuple[str, ...]:
    columns = data.get("columns")
    values = data.get("data")
    if not isinstance(columns, list) or not isinstance(values, list):
        return ()
    for i, column in enumerate(columns):
        name = column[0] if isinstance(column, list | tuple) else column
        if name == "name" and i < len(values) and isinstance(values[i], list):
            return tuple(str(v) for v in values[i][:limit] if v is not None)
    return ()
