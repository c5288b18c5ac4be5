"""Read a patch body the way the API server applies it, as overlays the analyzers can judge.

A strategic-merge or merge patch is already an overlay: a partial object whose ``null``
values delete. A JSON patch (RFC 6902) is a list of operations on paths; each ``add`` or
``replace`` becomes the overlay its path spells (``/spec/template/spec/hostPID`` with
``true`` becomes ``{"spec": {"template": {"spec": {"hostPID": true}}}}``, a list index a
one-element list) and each ``remove`` the same with ``null``. ``move`` and ``copy`` take
their value from the live object, which a policy cannot see; ``test`` compares a live value
with a guess. Both are reported, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["JsonPatch", "read_json_patch", "unescape_pointer"]


@dataclass(slots=True)
class JsonPatch:
    """What a JSON patch does, operation by operation.

    Parameters
    ----------
    overlays
        One overlay per ``add``/``replace``/``remove``: the partial object it writes
        (``None`` values for removed paths).
    tests
        The paths ``test`` operations compare with a given value.
    opaque
        ``move``/``copy`` operations (``"copy /a -> /b"``) whose values come from the live
        object.
    unreadable
        Operations that are not objects with a string ``op`` and ``path``.
    """

    overlays: list[object] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def unescape_pointer(path: str) -> list[str]:
    """Split a JSON pointer (``/a/b~1c``) into its unescaped tokens (``["a", "b/c"]``)."""
    if path == "":
        return []
    tokens = path.split("/")
    if tokens[0] != "":
        tokens = ["", *tokens]  # a pointer without its leading slash: read it as if it had one
    return [token.replace("~1", "/").replace("~0", "~") for token in tokens[1:]]


def _overlay(tokens: list[str], value: object) -> object:
    out: object = value
    for token in reversed(tokens):
        if token == "-" or token.isdigit():
            out = [out]
        else:
            out = {token: out}
    return out


def read_json_patch(body: object) -> JsonPatch:
    """Return the overlays, tests and opaque operations of a JSON patch body."""
    patch = JsonPatch()
    operations: list[Any] = body if isinstance(body, list) else [body]
    for index, operation in enumerate(operations):
        if not isinstance(operation, dict):
            patch.unreadable.append(f"operation #{index + 1} is not an object")
            continue
        op = operation.get("op")
        path = operation.get("path")
        if not isinstance(op, str) or not isinstance(path, str):
            patch.unreadable.append(f"operation #{index + 1} has no string op and path")
            continue
        op = op.lower()
        tokens = unescape_pointer(path)
        if op in ("add", "replace"):
            patch.overlays.append(_overlay(tokens, operation.get("value")))
        elif op == "remove":
            patch.overlays.append(_overlay(tokens, None))
        elif op == "test":
            patch.tests.append(path)
        elif op in ("move", "copy"):
            source = operation.get("from")
            patch.opaque.append(f"{op} {source!s} -> {path}")
            patch.overlays.append(_overlay(tokens, None))
        else:
            patch.unreadable.append(f"operation #{index + 1} has the unknown op {op!r}")
    return patch
