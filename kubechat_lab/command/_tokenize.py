"""A POSIX-shell-like tokenizer that refuses every shell construct instead of interpreting it.

kubectl is never run through a shell, so quoting is honoured (``description='my frontend'``
is one word) but anything a shell would *act on* is an error that names the cause:
pipes, ``;``, ``&&``, ``||``, ``&``, redirects, ``$(...)``, backticks, ``$VAR``, subshell
parentheses, comments and newlines. ``$(`` and backticks are refused even inside quotes.
"""

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass

from kubechat_lab.errors import CommandSyntaxError

__all__ = ["MAX_LENGTH", "Token", "split_words", "tokenize"]

#: Longest command line accepted (characters); longer input is refused as "too-long".
MAX_LENGTH = 65536

# A run of characters with no meaning to a shell (the fast path of the scanner).
_PLAIN = re.compile(r"[^\s'\"\\|;&<>()$`]+")
_WHITESPACE = frozenset(" \t")
# Any character that needs the full scanner; without them the line is plain words.
_NEEDS_SCANNER = re.compile(r"['\"\\|;&<>()$`#\n\r]")
# ASCII control characters other than tab; newlines are reported separately.
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SMART_QUOTES = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f\u2032\u2033\u00b4")
# Inside double quotes these after "$" start an expansion a shell would perform.
_DQ_SPECIAL = re.compile(r'["\\$`]')
_EXPANSION_START = frozenset(string.ascii_letters + string.digits + "_{(?!#@*$-")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a command line after quote removal.

    Parameters
    ----------
    text
        The word as the program would receive it (quotes removed).
    start
        Offset of its first character in the input.
    quoted
        True when any part of the word was quoted or escaped.
    """

    text: str
    start: int
    quoted: bool


def _shell(message: str, position: int, reason: str = "shell-syntax") -> CommandSyntaxError:
    return CommandSyntaxError(
        f"{message} at position {position}; kubechat runs exactly one kubectl command and "
        "never a shell: remove it (quote it if it is part of a value)",
        reason=reason,
        position=position,
    )


def _check_characters(text: str) -> None:
    """Refuse control, invisible, bidi and line-separator characters and typographic quotes."""
    match = _ASCII_CONTROL.search(text)
    if match is not None:
        pos = match.start()
        raise CommandSyntaxError(
            f"control character {text[pos]!r} at position {pos}; type the command as plain text",
            reason="invalid-character",
            position=pos,
        )
    if text.isascii():
        return
    for pos, char in enumerate(text):
        if char.isascii():
            continue
        if char in _SMART_QUOTES:
            raise CommandSyntaxError(
                f"typographic quote {char!r} at position {pos}; use a straight ' or \" instead",
                reason="invalid-character",
                position=pos,
            )
        category = unicodedata.category(char)
        if category in ("Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp", "Zs"):
            name = unicodedata.name(char, f"U+{ord(char):04X}")
            raise CommandSyntaxError(
                f"invisible or control character {name} (U+{ord(char):04X}) at position {pos}; "
                "it can hide what the command really says, so it is refused",
                reason="invalid-character",
                position=pos,
            )


def split_words(text: str) -> list[str]:
    """Return the words of ``text`` as :func:`tokenize` would, without positions (fast path).

    Raises the same errors as :func:`tokenize`.
    """
    if len(text) <= MAX_LENGTH:
        stripped = text.strip()
        _check_characters(stripped)
        if _NEEDS_SCANNER.search(stripped) is None:
            return stripped.split()
    return [token.text for token in tokenize(text)]


def tokenize(text: str) -> list[Token]:
    """Split one command line into words, refusing shell syntax.

    Leading and trailing whitespace (including a final newline) is ignored.

    Parameters
    ----------
    text
        The command line.

    Returns
    -------
    list[Token]
        The words, in order.

    Raises
    ------
    CommandSyntaxError
        ``reason`` is ``"shell-syntax"`` (pipe, redirect, ``&``, ``$``, backtick, subshell,
        comment), ``"multiple-commands"`` (``;``, ``&&``, ``||``, newline),
        ``"unbalanced-quote"``, ``"invalid-character"`` or ``"too-long"``.
    """
    if len(text) > MAX_LENGTH:
        raise CommandSyntaxError(
            f"command is {len(text)} characters long, more than the {MAX_LENGTH} accepted; "
            "pass large manifests as manifest data, not on the command line",
            reason="too-long",
            position=MAX_LENGTH,
        )
    stripped = text.strip()
    offset = len(text) - len(text.lstrip())
    text = stripped
    _check_characters(text)
    tokens: list[Token] = []
    parts: list[str] = []
    in_word = False
    quoted = False
    start = 0
    i = 0
    n = len(text)
    plain_match = _PLAIN.match
    while i < n:
        char = text[i]
        if char in _WHITESPACE:
            if in_word:
                tokens.append(Token("".join(parts), start + offset, quoted))
                parts = []
                in_word = quoted = False
            i += 1
            continue
        if not in_word:
            if char == "#":
                raise _shell("comment '#'", i + offset)
            in_word = True
            start = i
        match = plain_match(text, i)
        if match is not None:
            parts.append(match.group())
            i = match.end()
            continue
        if char == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise CommandSyntaxError(
                    f"single quote at position {i + offset} is never closed; close it with '",
                    reason="unbalanced-quote",
                    position=i + offset,
                )
            value = text[i + 1 : end]
            _check_substitution(value, i + 1 + offset)
            parts.append(value)
            quoted = True
            i = end + 1
        elif char == '"':
            i = _double_quoted(text, i, parts, offset)
            quoted = True
        elif char == "\\":
            if i + 1 >= n:
                raise CommandSyntaxError(
                    f"trailing backslash at position {i + offset}; remove it",
                    reason="unbalanced-quote",
                    position=i + offset,
                )
            following = text[i + 1]
            if following in "\r\n":
                raise _shell("line continuation (backslash-newline)", i + offset,
                             "multiple-commands")
            parts.append(following)
            quoted = True
            i += 2
        else:
            _refuse_metachar(text, i, offset)
    if in_word:
        tokens.append(Token("".join(parts), start + offset, quoted))
    return tokens


def _check_substitution(value: str, base: int) -> None:
    """Refuse ``$(`` and backticks inside quoted text (they are never data here)."""
    pos = value.find("$(")
    if pos >= 0:
        raise _shell("command substitution '$('", base + pos)
    pos = value.find("`")
    if pos >= 0:
        raise _shell("command substitution '`'", base + pos)
    if "\n" in value or "\r" in value:
        pos = min(p for p in (value.find("\n"), value.find("\r")) if p >= 0)
        raise _shell("newline inside a quoted value", base + pos)


def _double_quoted(text: str, i: int, parts: list[str], offset: int) -> int:
    """Consume a double-quoted string starting at ``text[i]``; return the index after it."""
    n = len(text)
    j = i + 1
    search = _DQ_SPECIAL.search
    while True:
        match = search(text, j)
        if match is None:
            raise CommandSyntaxError(
                f'double quote at position {i + offset} is never closed; close it with "',
                reason="unbalanced-quote",
                position=i + offset,
            )
        k = match.start()
        chunk = text[j:k]
        if "\n" in chunk or "\r" in chunk:
            raise _shell("newline inside a quoted value", j + offset)
        parts.append(chunk)
        char = text[k]
        if char == '"':
            return k + 1
        if char == "`":
            raise _shell("command substitution '`'", k + offset)
        if char == "$":
            following = text[k + 1] if k + 1 < n else ""
            if following == "(":
                raise _shell("command substitution '$('", k + offset)
            if following in _EXPANSION_START and following:
                raise _shell(f"shell expansion '${following}' inside double quotes", k + offset)
            parts.append("$")
            j = k + 1
            continue
        # backslash: escapes only $ ` " \ inside double quotes
        following = text[k + 1] if k + 1 < n else ""
        if following in ('"', "\\", "$", "`"):
            parts.append(following)
            j = k + 2
        elif following in ("\n", "\r"):
            raise _shell("line continuation (backslash-newline)", k + offset, "multiple-commands")
        else:
            parts.append("\\")
            j = k + 1


def _refuse_metachar(text: str, i: int, offset: int) -> None:
    """Raise the error for the unquoted shell metacharacter at ``text[i]``."""
    char = text[i]
    pair = text[i : i + 2]
    pos = i + offset
    if char in "\r\n":
        raise _shell("newline (a second command)", pos, "multiple-commands")
    if pair == "&&":
        raise _shell("'&&' (a second command)", pos, "multiple-commands")
    if pair == "||":
        raise _shell("'||' (a second command)", pos, "multiple-commands")
    if char == ";":
        raise _shell("';' (a second command)", pos, "multiple-commands")
    if char == "|":
        raise _shell("pipe '|'", pos)
    if char == "&":
        raise _shell("'&' (background job)", pos)
    if char in "<>":
        raise _shell(f"redirect '{char}'", pos)
    if char in "()":
        raise _shell(f"subshell parenthesis '{char}'", pos)
    if char == "`":
        raise _shell("command substitution '`'", pos)
    if char == "$":
        if pair == "$(":
            raise _shell("command substitution '$('", pos)
        if pair == "$'":
            raise _shell("ANSI-C quoting \"$'...'\"", pos)
        raise _shell(f"shell expansion '{pair}'", pos)
    if char == "#":
        raise _shell("comment '#'", pos)
    # Any other whitespace (vertical tab, form feed) is refused by _check_characters;
    # reaching here means a character class got out of sync with _PLAIN.
    raise _shell(f"unexpected character {char!r}", pos)
