"""Every error message quoted in docs/troubleshooting.md is one the code can raise.

Messages are quoted in fenced blocks marked ``error``; ``…`` stands for a varying part. The
text between the ``…`` must come from kubechat's own source: string literals and the literal
parts of f-strings, read with :mod:`ast` from every module of the package (no hand-kept list).
A part may join pieces of two or three literals where the code builds one message from several
(``f"{message} at position {n}; ..."``), each piece at least a few characters long.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest

import kubechat_lab
import kubechat_lab.errors

REPO = Path(__file__).resolve().parents[2]
PAGE = REPO / "docs" / "troubleshooting.md"
BLOCK = re.compile(r"```error\n(.*?)\n```", re.S)
ELLIPSIS = "…"
PREFIX = re.compile(r"^(?P<cls>[A-Z][A-Za-z]+): ")
OTHER_PREFIXES = {"Error", "UsageError"}  # click's ClickException, IPython's UsageError
MIN_PIECE = 3
GAP = "\x00"  # a placeholder in the source: {expr} in an f-string


def quoted() -> list[str]:
    return [m.strip() for m in BLOCK.findall(PAGE.read_text())]


@cache
def pieces() -> tuple[frozenset[str], str]:
    """Every literal piece of the package's source, and all of them joined by GAP."""
    found: set[str] = set()
    root = Path(kubechat_lab.__file__).parent
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.JoinedStr):
                for value in node.values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        found.add(value.value)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    found = {p for p in found if p}
    return frozenset(found), GAP + GAP.join(sorted(found)) + GAP


def covered(fragment: str) -> bool:
    """Whether ``fragment`` is source text: inside one piece, or the end of one piece, [one
    whole piece,] and the start of another."""
    whole, joined = pieces()
    if fragment in joined:
        return True
    n = len(fragment)
    ends = [i for i in range(1, n) if part(fragment[:i]) and fragment[:i] + GAP in joined]
    for i in ends:
        if part(fragment[i:]) and GAP + fragment[i:] in joined:
            return True
        for j in range(i + 1, n):
            if (part(fragment[i:j]) and fragment[i:j] in whole and part(fragment[j:])
                    and GAP + fragment[j:] in joined):
                return True
    return False


def part(text: str) -> bool:
    """A piece of a joined message: a few characters, or punctuation alone (``") "``)."""
    return len(text) >= MIN_PIECE or not any(c.isalnum() for c in text)


def check(message: str) -> list[str]:
    """Problems with one quoted message (empty: it is one the code can raise)."""
    problems = []
    prefix = PREFIX.match(message)
    if prefix:
        cls = prefix["cls"]
        if cls not in OTHER_PREFIXES and cls not in kubechat_lab.errors.__all__:
            problems.append(f"{cls} is not an error class of kubechat_lab.errors")
        message = message[prefix.end():]
    fragments = [f.strip() for f in message.split(ELLIPSIS) if f.strip()]
    if not fragments or max(len(f) for f in fragments) < 12:
        problems.append("too little literal text to identify the message")
    problems += [f"not in kubechat's source: {f!r}" for f in fragments if not covered(f)]
    return problems


def test_the_page_quotes_messages() -> None:
    assert len(quoted()) >= 30


@pytest.mark.parametrize("message", quoted(), ids=lambda m: m[:60])
def test_quoted_message_is_raised_by_the_code(message: str) -> None:
    assert not check(message), check(message)


@pytest.mark.parametrize("message", [
    "CommandError: the cluster is on fire; call the fire brigade",            # invented
    "NotConnected: … is not set: this kernel was started by a Jupyter server",  # altered
    "FooError: cannot reach the API server at …",                            # no such class
    "PolicyViolation: … is dangerous: a kernel can approve it",                # negated
])
def test_invented_or_altered_messages_are_caught(message: str) -> None:
    assert check(message)
