"""Incremental extraction of the ``explanation`` string from streamed JSON text."""

from __future__ import annotations

import json
import re

__all__ = ["ExplanationStream"]

_START = re.compile(r'"explanation"\s*:\s*"')
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r",
            "t": "\t"}


class ExplanationStream:
    """Feed JSON text as it streams in; get back the new characters of its explanation.

    The model answers ``{"command": "...", "explanation": "..."}``; the explanation can be
    shown while it is written, the command only once it has been parsed and classified.
    """

    __slots__ = ("_buffer", "_emitted", "_done")

    def __init__(self) -> None:
        self._buffer = ""
        self._emitted = 0
        self._done = False

    @property
    def text(self) -> str:
        """Everything received so far."""
        return self._buffer

    def feed(self, chunk: str) -> str:
        """Add ``chunk``; return the explanation characters decoded since the last call."""
        self._buffer += chunk
        if self._done:
            return ""
        start = _START.search(self._buffer)
        if start is None:
            return ""
        decoded, complete = _decode_prefix(self._buffer, start.end())
        self._done = complete
        new = decoded[self._emitted :]
        self._emitted = len(decoded)
        return new


def _decode_prefix(text: str, pos: int) -> tuple[str, bool]:
    """Decode a JSON string body from ``pos``; stop before an incomplete escape."""
    out: list[str] = []
    end = len(text)
    while pos < end:
        ch = text[pos]
        if ch == '"':
            return "".join(out), True
        if ch != "\\":
            out.append(ch)
            pos += 1
            continue
        if pos + 1 >= end:
            break
        code = text[pos + 1]
        if code == "u":
            if pos + 6 > end:
                break
            try:
                out.append(json.loads(f'"{text[pos : pos + 6]}"'))
            except ValueError:
                out.append("?")
            pos += 6
            continue
        out.append(_ESCAPES.get(code, code))
        pos += 2
    return "".join(out), False
