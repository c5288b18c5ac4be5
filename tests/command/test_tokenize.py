"""The shell-like tokenizer: quoting is honoured, shell constructs are refused."""

from __future__ import annotations

import pytest

from kubechat_lab.command import CommandSyntaxError, Token, tokenize
from kubechat_lab.command._tokenize import MAX_LENGTH


def words(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("get pods", ["get", "pods"]),
        ("  get\t pods  \n", ["get", "pods"]),
        ("annotate x d='my frontend'", ["annotate", "x", "d=my frontend"]),
        ('a "b c" d', ["a", "b c", "d"]),
        ("a 'b'\"c\"d", ["a", "bcd"]),
        ("a ''", ["a", ""]),
        (r"a b\ c", ["a", "b c"]),
        (r'a "x\"y\\z\q"', ["a", 'x"y\\z\\q']),
        ("a 'x|y;z&&w>v<u'", ["a", "x|y;z&&w>v<u"]),
        ('a "x|y;(z)"', ["a", "x|y;(z)"]),
        ("a b#c", ["a", "b#c"]),
        (r"a \;", ["a", ";"]),
        ('a "$.items"', ["a", "$.items"]),
        ("a '{.data.ca\\.crt}'", ["a", "{.data.ca\\.crt}"]),
        ("a *=nginx {x} [y] ~ !z", ["a", "*=nginx", "{x}", "[y]", "~", "!z"]),
        ("a ñandú 🙂", ["a", "ñandú", "🙂"]),
    ],
)
def test_words(text: str, expected: list[str]) -> None:
    assert words(text) == expected


def test_tokens_record_offsets_and_quoting() -> None:
    assert tokenize("  get 'po'") == [Token("get", 2, False), Token("po", 6, True)]


@pytest.mark.parametrize(
    ("text", "reason", "position"),
    [
        ("get pods | sh", "shell-syntax", 9),
        ("get pods; ls", "multiple-commands", 8),
        ("get pods && ls", "multiple-commands", 9),
        ("get pods || ls", "multiple-commands", 9),
        ("get pods\nls", "multiple-commands", 8),
        ("get pods &", "shell-syntax", 9),
        ("get pods > f", "shell-syntax", 9),
        ("get pods < f", "shell-syntax", 9),
        ("get $(id)", "shell-syntax", 4),
        ("get `id`", "shell-syntax", 4),
        ("get $HOME", "shell-syntax", 4),
        ("get ${HOME}", "shell-syntax", 4),
        ("get $'x'", "shell-syntax", 4),
        ("get (x)", "shell-syntax", 4),
        ("get # c", "shell-syntax", 4),
        ("get '$(id)'", "shell-syntax", 5),
        ("get 'a`id`'", "shell-syntax", 6),
        ('get "$(id)"', "shell-syntax", 5),
        ('get "$HOME"', "shell-syntax", 5),
        ('get "`id`"', "shell-syntax", 5),
        ("get 'a\nb'", "shell-syntax", 6),
        ("get pods \\\nls", "multiple-commands", 9),
        ("get 'open", "unbalanced-quote", 4),
        ('get "open', "unbalanced-quote", 4),
        ("get \\", "unbalanced-quote", 4),
        ("get \x07", "invalid-character", 4),
        ("get \u200bpods", "invalid-character", 4),
        ("get \u202epods", "invalid-character", 4),
        ("get\u00a0pods", "invalid-character", 3),
        ("get \u201cpods\u201d", "invalid-character", 4),
    ],
)
def test_refusals_name_cause_and_position(text: str, reason: str, position: int) -> None:
    with pytest.raises(CommandSyntaxError) as info:
        tokenize(text)
    assert info.value.reason == reason
    assert info.value.position == position
    assert f"position {position}" in str(info.value)


def test_too_long() -> None:
    with pytest.raises(CommandSyntaxError) as info:
        tokenize("get " + "a" * MAX_LENGTH)
    assert info.value.reason == "too-long"
