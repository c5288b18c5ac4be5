"""The LLM answer cache's key and replay: a model's raw answers, reused only where nothing differs.

An LLM translator with an :class:`AnswerCache` looks its question up before asking the model.
The key (:func:`answer_key`) is the SHA-256 of the RFC 8785 canonical JSON of everything the
model's answer depends on:

- the question, normalised by :func:`normalise_question` (Unicode NFKC, runs of white space
  made one space, trailing sentence punctuation dropped, plain words lower-cased; a word that
  holds a digit or any of ``= : / . _ ' "`` and a word mixing cases inside it keep their
  spelling, because label values and some names are case-sensitive);
- the provider, its model, its endpoint and its sampling temperature;
- a digest of everything the model is sent before the question (the system prompt with the
  grounding text and the previous turn, the few-shot turns) and of the JSON schema: whatever
  changes the prompt, a new prompt in a new release included, never reuses an old answer;
- the previous turn of the conversation (its question as asked, as the prompt carries it, its
  command, the kind and names its result showed), or none;
- the grounding digest of the caller's identity
  (:attr:`~kubechat_lab.translate.TranslationContext.grounding_digest`): what that identity
  can list. Nobody is served an answer made from names their identity cannot list, and a
  changed inventory (a new deployment, a deleted namespace, other replicas) misses;
- the cache's ``scope``: the server puts the policy version there (a digest of the effective
  policy), so a changed policy misses too.

The value is the model's *raw* replies, before any check: the first answer and, when the
first was refused, the repair round's. A hit replays them through the same flow as a fresh
answer (decode, parse with the grammar, hold to the question, repair, fall back), and the
server judges the resulting command with the policy as always: a hit never skips a check.
When the replay needs a reply the entry lacks, the model is asked and the entry replaced.
Nothing that would be redacted in the audit (a password in the question or the answer) is
stored, and the cache is an optimisation only: a store that fails is a miss.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from kubechat_lab.command import redact_text

if TYPE_CHECKING:
    from kubechat_lab.translate._types import DeltaCallback, TranslationContext, Turn

__all__ = [
    "KEY_VERSION",
    "AnswerCache",
    "Transcript",
    "answer_key",
    "cached_replies",
    "normalise_question",
    "prompt_digest",
    "store_replies",
]

logger = logging.getLogger(__name__)

#: Part of every key: a new way of computing keys never meets an old entry.
KEY_VERSION = "kubechat-answer/v1"

_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?!.\u2026\u3002\uff1f\uff01]+$")
#: A word holding one of these keeps its case: a value, a path, a name with a dot or digits.
_LITERAL = re.compile(r"[0-9=:/._'\"`@]")


def _fold(word: str) -> str:
    if _LITERAL.search(word):
        return word
    inner = word[1:]
    if inner != inner.lower() and word != word.upper():
        return word  # camelCase or a mixed-case name: "myApp", "ConfigMap"
    return word.lower()


def normalise_question(question: str) -> str:
    """Return the form of ``question`` its cache key uses.

    NFKC, white space collapsed and stripped, trailing ``?``, ``!``, ``.`` and ``…`` dropped,
    plain words lower-cased ("Show Pods", "SHOW PODS" and "show pods" are one question). A word
    with a digit or one of ``= : / . _ ' " ` @`` and a word with capitals inside it keep their
    case ("tier=Frontend" is not "tier=frontend").
    """
    text = unicodedata.normalize("NFKC", question)
    text = _TRAILING.sub("", _SPACE.sub(" ", text).strip())
    return " ".join(_fold(word) for word in text.split(" ")) if text else ""


def prompt_digest(messages: Sequence[Mapping[str, str]]) -> str:
    """Return ``sha256:`` of ``messages`` (those sent before the question) and the schema."""
    from kubechat_lab.translate.llm.prompt import RESPONSE_SCHEMA

    text = json.dumps([list(messages), RESPONSE_SCHEMA], sort_keys=True, ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _turn(previous: Turn | None) -> dict[str, object] | None:
    if previous is None:
        return None
    return {
        "question": previous.question,
        "command": previous.command.render() if previous.command is not None else None,
        "kind": previous.kind,
        "names": list(previous.names),
    }


def answer_key(question: str, context: TranslationContext, *, provider: str, model: str,
               endpoint: str | None = None, temperature: float = 0.0, scope: str = "",
               prompt: Sequence[Mapping[str, str]] = ()) -> str:
    """Return the cache key of ``question`` asked in ``context`` (64 hex digits).

    Parameters
    ----------
    question
        The question as asked (normalised here).
    context
        The caller's grounding: its digest and its previous turn go into the key.
    provider, model, endpoint, temperature
        Who answers, and how.
    scope
        What else must match (the server's policy version).
    prompt
        The messages sent before the question (system prompt, few-shot turns).
    """
    import rfc8785

    material = {
        "v": KEY_VERSION,
        "question": normalise_question(question),
        "provider": provider,
        "model": model,
        "endpoint": endpoint or "",
        "temperature": repr(float(temperature)),
        "prompt": prompt_digest(prompt),
        "previous": _turn(context.previous),
        "grounding": context.grounding_digest,
        "scope": scope,
    }
    return hashlib.sha256(rfc8785.dumps(material)).hexdigest()  # type: ignore[arg-type]


class AnswerCache(Protocol):
    """Where an LLM translator keeps the model's raw replies, by :func:`answer_key`.

    ``scope`` is folded into every key (the server: its policy version). Both methods may
    raise: the translator logs the failure and goes on as on a miss.
    """

    @property
    def scope(self) -> str:
        """What every key must also match (the policy version)."""
        ...

    def get(self, key: str) -> tuple[str, ...] | None:
        """Return the replies stored under ``key``, or None (a miss or an expired entry)."""
        ...

    def put(self, key: str, replies: tuple[str, ...], *, provider: str, model: str) -> None:
        """Store ``replies`` under ``key`` (replacing what was there)."""
        ...


_Ask = Callable[[list[dict[str, str]], "DeltaCallback | None"], str]


class Transcript:
    """The replies of one translation: served from a cache entry in order, then from the model.

    Parameters
    ----------
    ask
        Asks the model (with retries); called only when the entry has no reply left.
    stored
        The cached replies (empty: a miss).
    """

    def __init__(self, ask: _Ask, stored: tuple[str, ...] = ()) -> None:
        self._ask = ask
        self.stored = stored
        self.replies: list[str] = []
        self.asked = 0
        self.failed = False

    def __call__(self, messages: list[dict[str, str]], sink: DeltaCallback | None) -> str:
        """Return the next reply: the entry's, else the model's."""
        index = len(self.replies)
        if index < len(self.stored):
            reply = self.stored[index]
            if sink is not None:
                sink(reply)  # a streaming face still sees the explanation arrive
        else:
            self.asked += 1
            try:
                reply = self._ask(messages, sink)
            except Exception:
                self.failed = True
                raise
        self.replies.append(reply)
        return reply

    @property
    def hit(self) -> bool:
        """True when every reply came from the cache (the model was not asked)."""
        return bool(self.replies) and self.asked == 0

    def storable(self, question: str) -> bool:
        """Return True when the model answered and nothing the audit would redact was said."""
        if self.asked == 0 or self.failed or not self.replies:
            return False
        return all(redact_text(text) == text for text in (question, *self.replies))


def cached_replies(cache: AnswerCache, key: str, *, provider: str) -> tuple[str, ...]:
    """Return the replies under ``key`` (empty on a miss or when the cache fails)."""
    try:
        found = cache.get(key)
    except Exception as exc:  # the cache is an optimisation: a failing store is a miss
        logger.warning("answer cache read failed provider=%s error=%s", provider, exc)
        return ()
    return tuple(found or ())


def store_replies(cache: AnswerCache, key: str, transcript: Transcript, question: str, *,
                  provider: str, model: str) -> None:
    """Store the transcript's replies under ``key`` when it is storable; never raise."""
    if not transcript.storable(question):
        return
    try:
        cache.put(key, tuple(transcript.replies), provider=provider, model=model)
    except Exception as exc:
        logger.warning("answer cache write failed provider=%s error=%s", provider, exc)
