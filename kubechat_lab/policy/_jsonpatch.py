"""Read a JSON patch (RFC 6902) the way the API server applies it, as what the object becomes.

The operations run in order on the live object, so they are composed in order: every
``add``/``replace``/``remove`` whose path names object fields only is folded into one overlay
of the object after the patch (``None`` where a field is removed), and a path it sets whole is
recorded, so that ``replace /metadata/labels {}`` is read as "labels are exactly ``{}``" (every
live label removed), not as an empty merge. A later operation overrides an earlier one on the
same path, as on the server. An operation whose path goes through an array index (``/spec/
template/spec/containers/0/...``) cannot be placed in that overlay (the live array is unknown,
and ``add`` shifts what later indices mean), so it becomes an overlay of its own, judged by
itself: a one-element list at the index.

Pointers are read strictly (:func:`kubechat_lab.command.pointer_tokens`): a path that is not
RFC 6901, which the API server would read in another way (``x/metadata/...`` is applied at the
root), makes the patch unreadable. Operation names are read as the server reads them, exactly
(``ADD`` is not an operation). ``move`` and ``copy`` take their value from the live object,
which a policy cannot see; ``test`` compares a live value with a guess. Both are reported,
never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubechat_lab.command import CommandError, is_index_token, pointer_tokens

__all__ = ["JsonPatch", "read_json_patch"]

Path = tuple[str, ...]


@dataclass(slots=True)
class JsonPatch:
    """What a JSON patch does, as the object after it and the operations judged alone.

    Parameters
    ----------
    body
        The object after every operation on object fields (a partial overlay: fields the
        patch does not touch are absent, removed fields are ``None``); None when no operation
        reaches the object through field names alone.
    replaced
        Paths in ``body`` whose value the patch sets whole: whatever the live object held
        there and ``body`` does not list is gone (``()``: the whole object).
    overlays
        One overlay per operation through an array index, judged by itself, with the path
        it sets whole (None for a ``remove``).
    tests
        The paths ``test`` operations compare with a given value.
    opaque
        ``move``/``copy`` operations (``"copy /a -> /b"``) whose values come from the live
        object.
    unreadable
        Operations that are not objects with a known ``op`` and an RFC 6901 ``path``.
    """

    body: dict[str, Any] | None = None
    replaced: list[Path] = field(default_factory=list)
    overlays: list[tuple[object, Path | None]] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def _overlay(tokens: Path, value: object) -> object:
    out: object = value
    for token in reversed(tokens):
        out = [out] if is_index_token(token) else {token: out}
    return out


class _Composer:
    """Folds operations on field paths into one overlay, copying (never mutating) values.

    Values come from the parsed patch and may be shared (YAML aliases), so a mapping is
    copied, shallowly, the first time an operation writes inside it.
    """

    def __init__(self) -> None:
        self.doc: dict[str, Any] | None = None
        # a path once set whole stays whole: a later operation at or above it sets whole or
        # removes again, one below it changes what the whole value holds
        self.replaced: set[Path] = set()
        self._owned: set[int] = set()

    def _own(self, value: dict[str, Any]) -> dict[str, Any]:
        if id(value) in self._owned:
            return value
        copy = dict(value)
        self._owned.add(id(copy))
        return copy

    def put(self, tokens: Path, value: object) -> None:
        """Set ``tokens`` to ``value`` (``None``: remove it); a set value replaces whole."""
        if not tokens:
            self.doc = self._own(value) if isinstance(value, dict) else {}
            self.replaced.add(())
            return
        if self.doc is None:
            self.doc = self._own({})
        node = self.doc
        for depth, token in enumerate(tokens[:-1]):
            child = node.get(token)
            if not isinstance(child, dict):
                # absent: a partial map (the rest is kept); removed or not a map: the
                # server refuses the operation, and the map holds only what is written
                if child is not None or token in node:
                    self.replaced.add(tokens[:depth + 1])
                child = {}
            child = self._own(child)
            node[token] = child
            node = child
        node[tokens[-1]] = value
        if value is not None:
            self.replaced.add(tokens)


def read_json_patch(body: object) -> JsonPatch:
    """Return what a JSON patch body does: the object after it, and what cannot be judged."""
    patch = JsonPatch()
    composer = _Composer()
    operations: list[Any] = body if isinstance(body, list) else [body]
    for index, operation in enumerate(operations):
        where = f"operation #{index + 1}"
        if not isinstance(operation, dict):
            patch.unreadable.append(f"{where} is not an object")
            continue
        op = operation.get("op")
        path = operation.get("path")
        if not isinstance(op, str) or not isinstance(path, str):
            patch.unreadable.append(f"{where} has no string op and path")
            continue
        if op not in ("add", "replace", "remove", "test", "move", "copy"):
            patch.unreadable.append(f"{where} has the unknown op {op!r} (the API server "
                                    "knows add, remove, replace, move, copy and test)")
            continue
        source = operation.get("from")
        try:
            tokens = pointer_tokens(path)
            moved = pointer_tokens(source) if op == "move" and isinstance(source, str) else None
            if op == "copy" and isinstance(source, str):
                pointer_tokens(source)
        except CommandError as exc:
            patch.unreadable.append(f"{where}: {exc}")
            continue
        if op == "test":
            patch.tests.append(path)
            continue
        if op in ("move", "copy"):
            patch.opaque.append(f"{op} {source!s} -> {path}")
            if moved and not any(is_index_token(token) for token in moved):
                composer.put(moved, None)  # a move removes its source
        if op == "remove" and not tokens:
            patch.unreadable.append(f"{where} removes the whole object")
            continue
        value = operation.get("value") if op in ("add", "replace") else None
        if any(is_index_token(token) for token in tokens):
            patch.overlays.append((_overlay(tokens, value), None if op == "remove" else tokens))
        else:
            composer.put(tokens, value)
    patch.body = composer.doc
    patch.replaced = sorted(composer.replaced)
    return patch
