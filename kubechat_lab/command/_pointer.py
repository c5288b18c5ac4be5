"""JSON pointers (RFC 6901) of `patch --type=json`, read strictly, as the API server reads them.

The API server applies a JSON patch with ``gopkg.in/evanphx/json-patch.v4``, which reads a
pointer in its own way: it splits the text on ``/`` and drops the first segment *whatever it
is*, so ``x/metadata/labels/a`` patches ``/metadata/labels/a``; it decodes ``~1`` and ``~0``
in one left-to-right pass and leaves any other ``~`` as it is; and it reads an array index
with Go's ``strconv.Atoi``, so ``-1`` is the last element and ``01`` or ``+1`` the second.
(tests/cluster/test_patch_semantics.py checks each of these against the sandbox.)

Rather than imitate those readings, only pointers that RFC 6901 and RFC 6902 define, and that
the server reads the same way, are accepted: the empty pointer (the whole document) or one
that starts with ``/``; ``~`` only in ``~0`` and ``~1``; and no token the server would read as
an array index RFC 6902 does not allow (a sign or a leading zero). The policy and the write
engine both use :func:`pointer_tokens`, so what is judged is what is sent.
"""

from __future__ import annotations

import re

from kubechat_lab.errors import CommandError

__all__ = ["is_index_token", "pointer_tokens"]

_BAD_ESCAPE = re.compile(r"~(?![01])")
_ESCAPE = re.compile(r"~[01]")
# What Go's strconv.Atoi reads as an integer, and RFC 6902's array indices among them.
_ATOI = re.compile(r"[+-]?[0-9]+")
_INDEX = re.compile(r"0|[1-9][0-9]*")


def _invalid(pointer: str, problem: str) -> CommandError:
    return CommandError(
        f"JSON patch path {pointer[:80]!r} is not an RFC 6901 JSON pointer: {problem}; write "
        "it as /field/sub-field with ~1 for '/' and ~0 for '~' in a name, e.g. "
        "/metadata/labels/app.kubernetes.io~1name",
        reason="invalid-pointer",
    )


def pointer_tokens(pointer: str) -> tuple[str, ...]:
    """Split an RFC 6901 JSON pointer into its unescaped reference tokens.

    ``/metadata/labels/pod-security.kubernetes.io~1enforce`` gives ``("metadata", "labels",
    "pod-security.kubernetes.io/enforce")``; the empty pointer gives ``()`` (the whole
    document).

    Raises
    ------
    CommandError
        ``reason="invalid-pointer"`` for a pointer that does not start with ``/``, a ``~``
        that is not ``~0`` or ``~1``, or a token the API server would read as an array index
        that RFC 6902 does not allow (``-1``, ``01``, ``+1``).
    """
    if pointer == "":
        return ()
    if not pointer.startswith("/"):
        raise _invalid(pointer, "it does not start with '/' (the API server would drop its "
                       f"first segment {pointer.split('/', 1)[0]!r} and patch from the root)")
    tokens = []
    for raw in pointer[1:].split("/"):
        if _BAD_ESCAPE.search(raw):
            raise _invalid(pointer, f"{raw!r} has a '~' that is not ~0 or ~1")
        if _ATOI.fullmatch(raw) and not _INDEX.fullmatch(raw):
            raise _invalid(pointer, f"{raw!r} is not an array index RFC 6902 allows (the API "
                           "server reads a sign or a leading zero as an index, -1 as the last "
                           "element)")
        tokens.append(_ESCAPE.sub(lambda m: "/" if m[0] == "~1" else "~", raw))
    return tuple(tokens)


def is_index_token(token: str) -> bool:
    """Return True for a token that addresses an array element (``0``, ``12``, ``-``)."""
    return token == "-" or _INDEX.fullmatch(token) is not None
