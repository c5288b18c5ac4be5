"""A question as tokens: the scanner the rules translator extracts phrases from.

Extractors match regular expressions against the lower-cased text and *take* what they match:
taken characters are blanked (replaced by spaces, so offsets stay valid) and the tokens under
them are marked used, so a later step never reads ``orders`` in ``in namespace orders`` as an
object name.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from functools import lru_cache

from kubechat_lab.translate.rules.lexicon import (
    NAME_RE,
    NOT_NAMES,
    RESOURCE_WORDS,
    REWRITES,
    TOKEN_RE,
)

__all__ = ["Scan", "rx", "split_evidence"]

_LITERAL_CHARS = frozenset("=:/@")


@lru_cache(maxsize=512)
def rx(pattern: str) -> re.Pattern[str]:
    """Compile ``pattern`` with every literal space meaning "one or more blanks".

    Taken spans are blanked to spaces, so words that were adjacent may be separated by
    several spaces; patterns are written with single spaces for readability (``" ?"`` is an
    optional blank, ``"[- ]"`` a dash or a blank).
    """
    pattern = pattern.replace("[- ]", r"[-\s]").replace(" ?", r"\s*")
    return re.compile(pattern.replace(" ", r"\s+"))


def split_evidence(text: str) -> tuple[str, list[str]]:
    """Blank quoted text of several words (a pasted error, a log line) out of ``text``.

    What someone pastes is evidence about the problem, never part of the request: the
    ``restarting`` in `` `Back-off restarting failed container` `` asks for no restart, and
    its backticks are markdown, not shell. Returns the text (offsets kept) and the pieces.
    """
    evidence: list[str] = []
    for found in _PASTED_JSON.finditer(text):
        evidence.append(found.group(0))
        text = text[:found.start()] + " " * (found.end() - found.start()) + text[found.end():]
    for found in _QUOTED.finditer(text):
        inner = found.group(2)
        if len(TOKEN_RE.findall(inner)) > 1:
            evidence.append(inner)
            text = text[:found.start()] + " " * (found.end() - found.start()) + text[found.end():]
    return text, evidence


#: Words a question opens with: "are the api pods healthy?", "does that service exist".
_ASKING = frozenset("what whats which where when how is are does do did has have can could "
                    "any was were".split())
#: Where a sentence or a clause ends and another may begin.
_SEPARATOR = re.compile(r"([.!?;:]+|(?<=\s)--?|,)\s+|(?<=\S)(\s{3,})(?=\S)")


def split_narrative(text: str, requests: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """Split "what I saw, then what I ask" into ``(narrative, question)``; None when not so.

    "postgres-1 got OOMKilled (exit code 137), what memory limits does it have": the first
    part tells what happened, the last clause asks. Only when that last clause opens like a
    question and the narrative does not (two questions are one request each, not one). A
    clause that opens with one of ``requests`` ("... paging us every 10 min. switch it off")
    is the request after a narrative too: the caller checks that the narrative asks for no
    change of its own.
    """
    blanked, _ = split_evidence(text)
    for found in reversed(list(_SEPARATOR.finditer(blanked))):
        question = blanked[found.end():].strip()
        cut = found.start(1) if found.group(1) else found.end()  # after a paste, keep it
        narrative = text[:cut].strip()
        opening = TOKEN_RE.findall(question.lower())[:1]
        if not opening or (opening[0].replace("'", "") not in _ASKING
                           and opening[0] not in requests):
            continue
        told = TOKEN_RE.findall(blanked[:found.start()].lower())
        if not told or told[0].replace("'", "") in _ASKING or "?" in blanked[:found.start()]:
            return None
        asked = TOKEN_RE.findall(question.lower())
        if len([w for w in told if w not in ",;()"]) < 3 and blanked[:found.start()] == text[
                :found.start()] and not any(w in RESOURCE_WORDS for w in asked):
            return None  # "postgress svc, what port": a topic the question is about
        return narrative, text[found.end():].strip()
    return None


class Scan:
    """The tokens of one question and what has been taken from them.

    Parameters
    ----------
    question
        The question as typed.
    """

    __slots__ = ("aside", "breaks", "evidence", "live", "orig", "quoted", "question", "seen",
                 "starts", "text", "told", "used", "words")

    def __init__(self, question: str) -> None:
        self.question = question
        rewritten = question
        for pattern, repl in REWRITES:
            rewritten = pattern.sub(repl, rewritten)
        rewritten, evidence = split_evidence(rewritten)
        #: Quoted text of several words (a pasted error or log line): evidence, never a request.
        self.evidence = evidence
        #: What the person said happened before the question (their words, not a paste).
        self.told = ""
        quoted_at = {found.start(2) for found in _QUOTED.finditer(rewritten)}
        orig: list[str] = []
        breaks: set[int] = set()
        #: Indices of tokens written in quotes or backticks: names as typed.
        self.quoted: set[int] = set()
        for found in TOKEN_RE.finditer(rewritten):
            raw = found.group(0)
            # Commas and brackets stay as tokens: "in gw-0, namespace edge" is two phrases.
            token = raw if raw in ",;()" else raw.rstrip(".:,")
            if token:
                if found.start() in quoted_at:
                    self.quoted.add(len(orig))
                orig.append(token)
                if raw in ",;" or raw != token and raw[len(token):].strip(":") or (
                    _CLAUSE_END.match(rewritten, found.end())
                ) or raw.endswith(":") and _PLANNED_OPENER.match(question):
                    # "b4 I nuke them: which pods ...": the plan ends at its colon
                    breaks.add(len(orig) - 1)
        self.orig = orig
        #: Indices of tokens after which a clause ends (``,``, ``;``, ``.``, ``?``, ``!``).
        self.breaks = breaks
        self.words = [token.lower() for token in orig]
        self.text = " ".join(self.words)
        starts: list[int] = []
        pos = 0
        for word in self.words:
            starts.append(pos)
            pos += len(word) + 1
        self.starts = starts
        self.used = [False] * len(self.words)
        #: Tokens some rule's match covered: read by the rules, even where not taken.
        self.seen = [False] * len(self.words)
        #: Tokens of an aside after a request ("..., I want to look at the new pods first").
        self.aside: set[int] = set()
        self.live = self.text

    # -- matching -----------------------------------------------------------------------------

    def search(self, pattern: str) -> re.Match[str] | None:
        """Return the first match of ``pattern`` in the text not taken yet."""
        return next(self.finditer(pattern), None)

    def finditer(self, pattern: str) -> Iterator[re.Match[str]]:
        """Iterate over the matches of ``pattern`` in the text not taken yet.

        A match that starts or ends inside a literal (a token holding ``=``, ``:``, ``/`` or
        ``@``: an image, a label, a path) is no match: "latest" in ``nginx:latest`` is part
        of the image, not a sort.
        """
        for match in rx(pattern).finditer(self.live):
            if not self._cuts_a_literal(match):
                yield match

    def mark_seen(self, start: int, end: int) -> None:
        """Mark the tokens in ``[start, end)`` as read by a rule."""
        first = bisect.bisect_right(self.starts, start) - 1
        for index in range(max(first, 0), len(self.starts)):
            if self.starts[index] >= end:
                break
            if self.starts[index] + len(self.words[index]) > start:
                self.seen[index] = True

    def words_only(self) -> str:
        """Return the live text with literal tokens (images, labels, paths) blanked.

        For reading what a question asks: "restart" in ``nginx:restart`` asks for nothing.
        """
        live = self.live
        for start, word in zip(self.starts, self.words, strict=True):
            if _LITERAL_CHARS.intersection(word):
                live = live[:start] + " " * len(word) + live[start + len(word):]
        return live

    def _cuts_a_literal(self, match: re.Match[str]) -> bool:
        start, end = match.span()
        for pos, inner in ((start, start), (end - 1, end)):
            if pos < 0 or pos >= len(self.text):
                continue
            index = self.index_at(pos)
            first = self.starts[index]
            word = self.words[index]
            if first < inner < first + len(word) and _LITERAL_CHARS.intersection(word):
                return True
        return False

    def has(self, pattern: str) -> bool:
        """Return True when ``pattern`` matches the whole original text (taken or not)."""
        found = False
        for match in rx(pattern).finditer(self.text):
            if not self._cuts_a_literal(match):
                self.mark_seen(*match.span())
                found = True
        return found

    def take(self, match: re.Match[str], group: int | str = 0) -> None:
        """Blank the span of ``match`` (or one of its groups) and mark its tokens used."""
        start, end = match.span(group)
        self.take_span(start, end)

    def take_span(self, start: int, end: int) -> None:
        """Blank ``[start, end)`` and mark the tokens that start inside it used."""
        if start >= end:
            return
        self.live = self.live[:start] + " " * (end - start) + self.live[end:]
        first = bisect.bisect_left(self.starts, start)
        for index in range(first, len(self.starts)):
            if self.starts[index] >= end:
                break
            self.used[index] = True

    def set_aside(self, first: int, end: int) -> None:
        """Take tokens ``first`` to ``end`` (exclusive) as an aside: read by nothing."""
        for index in range(first, end):
            if not self.used[index]:
                self.take_token(index)
                self.aside.add(index)

    def take_token(self, index: int) -> None:
        """Mark token ``index`` used."""
        start = self.starts[index]
        self.take_span(start, start + len(self.words[index]))

    def index_at(self, pos: int) -> int:
        """Return the index of the token that covers character ``pos``."""
        return max(0, bisect.bisect_right(self.starts, pos) - 1)

    def original(self, match: re.Match[str], group: int | str = 0) -> str:
        """Return the text of ``match``'s group in the question's original letter case."""
        start, end = match.span(group)
        index = self.index_at(start)
        offset = start - self.starts[index]
        token = self.orig[index]
        if offset + (end - start) <= len(token):
            return token[offset : offset + end - start]
        return self.text[start:end]

    # -- tokens -------------------------------------------------------------------------------

    def free(self) -> list[int]:
        """Return the indices of tokens nothing has taken yet."""
        return [i for i, used in enumerate(self.used) if not used]

    def is_name(self, word: str, *, strict: bool = False) -> bool:
        """Return True when ``word`` can be an object name.

        ``strict`` also requires a digit, a dash or a dot, the shape of generated names
        (``cart-5f7``, ``node-b``), for words with no anchor such as ``pod``.
        """
        if word in NOT_NAMES or not NAME_RE.match(word) or word.isdigit():
            return False
        if _DURATION.match(word) or _ADDRESS.match(word) or _DATE.match(word):
            # "ip 10.244.1.7", "from 2025-03-14": values, not names
            return False
        return not strict or any(ch.isdigit() or ch in "-." for ch in word)

    def is_written_name(self, index: int) -> bool:
        """Return True when token ``index`` is written as a name: quoted, or name-shaped.

        Name-shaped is how people write generated names, with a digit, a dash or a dot
        (``cart-5f7``, ``node-b``); an ordinary English word is never a name by itself.
        """
        word = self.words[index]
        return self.is_name(word, strict=index not in self.quoted)


    def clauses(self) -> list[tuple[int, int]]:
        """Return ``(first, end)`` token ranges of the question's clauses, in order."""
        spans: list[tuple[int, int]] = []
        first = 0
        for index in range(len(self.words)):
            if index in self.breaks or index == len(self.words) - 1:
                spans.append((first, index + 1))
                first = index + 1
        return spans

    def span_of(self, first: int, end: int) -> tuple[int, int]:
        """Return the character span of tokens ``first`` to ``end`` (exclusive) in ``text``."""
        if first >= end:
            return (0, 0)
        return (self.starts[first], self.starts[end - 1] + len(self.words[end - 1]))


_DURATION = re.compile(r"^\d+(s|m|h|ms)$")
_DATE = re.compile(r"^\d{4}-\d\d-\d\d(?:t[\d:]+z?)?$")
#: A JSON object pasted from a log line: ``{"level":"warn","msg":"..."}``.
_PASTED_JSON = re.compile(r"\{\s*\"[^{}]*\}")
#: Text in quotes or backticks (backticks are rewritten to ``'`` first).
_QUOTED = re.compile(r"""(?:^|(?<=[\s(\[:,]))([`'"])((?:(?!\1).)+?)\1(?=$|[\s).,:;?!\]-])""")
_ADDRESS = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?$")
_PLANNED_OPENER = re.compile(r"\s*(?:before|b4|if|once|after|when)\b", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*(?:[?!.;]+|\s--?|\s\u2014)(?:\s|$)")
