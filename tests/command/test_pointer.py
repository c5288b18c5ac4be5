"""JSON pointers: RFC 6901 only, and read exactly as the API server reads them.

``server_reading`` is the API server's JSON patch library's reading of a path
(``gopkg.in/evanphx/json-patch.v4`` ``findObject``: split on ``/``, drop the first segment,
decode ``~1`` and ``~0`` in one pass, leave other ``~`` alone). tests/cluster/
test_patch_semantics.py checks those readings on the real API server; here a property checks
that every pointer :func:`pointer_tokens` accepts is read the same way by both.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.command import CommandError, is_index_token, pointer_tokens


def server_reading(path: str) -> tuple[str, ...] | None:
    """The reference tokens the API server walks for ``path`` (None: the whole document)."""
    segments = path.split("/")
    if len(segments) < 2:
        return None
    return tuple(re.sub(r"~[01]", lambda m: "/" if m[0] == "~1" else "~", s)
                 for s in segments[1:])


def encode(tokens: list[str]) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


@pytest.mark.parametrize(("pointer", "tokens"), [
    ("", ()),
    ("/", ("",)),
    ("/metadata/labels/pod-security.kubernetes.io~1enforce",
     ("metadata", "labels", "pod-security.kubernetes.io/enforce")),
    ("/a~1b~0c", ("a/b~c",)),
    ("/~01", ("~1",)),
    ("/spec/containers/0/image", ("spec", "containers", "0", "image")),
    ("/spec/containers/-", ("spec", "containers", "-")),
    ("/spec/containers/10", ("spec", "containers", "10")),
    ("/a//b", ("a", "", "b")),
])
def test_rfc_6901_pointers_are_read(pointer: str, tokens: tuple[str, ...]) -> None:
    assert pointer_tokens(pointer) == tokens


@pytest.mark.parametrize(("pointer", "why"), [
    ("x/metadata/labels", "does not start with '/'"),
    ("metadata/labels", "does not start with '/'"),
    ("spec", "does not start with '/'"),
    ("~1metadata", "does not start with '/'"),
    ("/metadata/labels/a~2b", "not ~0 or ~1"),
    ("/metadata/labels/a~", "not ~0 or ~1"),
    ("/~/x", "not ~0 or ~1"),
    ("/spec/containers/-1/image", "array index"),
    ("/spec/containers/01", "array index"),
    ("/spec/containers/+1", "array index"),
    ("/spec/containers/-0", "array index"),
    ("/spec/containers/00", "array index"),
])
def test_other_pointers_are_refused_with_the_reason(pointer: str, why: str) -> None:
    with pytest.raises(CommandError, match=re.escape(why)) as info:
        pointer_tokens(pointer)
    assert info.value.reason == "invalid-pointer"
    assert "RFC 6901" in str(info.value)


_ALPHABET = "/~01-+x9a."


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=14))
def test_any_pointer_is_refused_or_read_as_the_server_reads_it(path: str) -> None:
    try:
        tokens = pointer_tokens(path)
    except CommandError:
        return
    if path == "":
        assert tokens == ()
        return
    assert tokens == server_reading(path)
    # and an array index is one the server reads at the same position (no sign, no padding)
    for token in tokens:
        if is_index_token(token) and token != "-":
            assert str(int(token)) == token


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="ab~/.-", max_size=6), min_size=1, max_size=5))
def test_every_field_name_has_one_spelling_that_round_trips(tokens: list[str]) -> None:
    assert pointer_tokens(encode(tokens)) == tuple(tokens)


def test_a_pointer_without_its_leading_slash_means_something_else_to_the_server() -> None:
    # why it is refused: the server drops "x" (or "metadata") and patches from the root
    assert server_reading("x/metadata/labels/a") == ("metadata", "labels", "a")
    assert server_reading("metadata/labels/a") == ("labels", "a")
