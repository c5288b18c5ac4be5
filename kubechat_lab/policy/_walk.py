"""Bounded walks over parsed YAML/JSON, and the small readers the analyzers share."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["TooComplexError", "get_ci", "is_true", "path_text", "walk"]

#: At most this many nodes are visited in one command's writes. YAML aliases can make a few
#: hundred bytes describe an exponentially large tree (a "billion laughs"); past the budget
#: the command is refused rather than judged on part of what it writes.
NODE_BUDGET = 200_000
_MAX_DEPTH = 256
# Maps whose keys are data, not field names: their keys are never read as fields.
_META_MAPS = frozenset({"labels", "annotations"})
_DATA_MAPS = frozenset({"data", "stringdata", "binarydata", *_META_MAPS})

Path = tuple[object, ...]


class TooComplexError(Exception):
    """A body is too large or too deep to judge within :data:`NODE_BUDGET`."""


class Budget:
    """Counts visited nodes across every walk of one command."""

    __slots__ = ("left",)

    def __init__(self, nodes: int = NODE_BUDGET) -> None:
        self.left = nodes

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise TooComplexError(f"more than {NODE_BUDGET} nodes")


def walk(value: object, budget: Budget, *, kind: str = ""
         ) -> Iterator[tuple[Path, Mapping[Any, Any]]]:
    """Yield ``(path, mapping)`` for every mapping in ``value``, depth first.

    ``labels`` and ``annotations`` maps, and the ``data`` maps of a ConfigMap or Secret
    (``kind``), are not yielded: their keys are user data, not API fields (the parent
    mapping is, so a caller reads them explicitly).

    Raises
    ------
    TooComplexError
        Past the node budget or :data:`_MAX_DEPTH` levels.
    """
    skip = _DATA_MAPS if kind.lower() in ("configmap", "secret") else _META_MAPS
    stack: list[tuple[Path, object]] = [((), value)]
    while stack:
        path, node = stack.pop()
        budget.spend()
        if len(path) > _MAX_DEPTH:
            raise TooComplexError(f"deeper than {_MAX_DEPTH} levels")
        if isinstance(node, Mapping):
            yield path, node
            for key, sub in node.items():
                if str(key).lower() in skip and isinstance(sub, Mapping):
                    continue
                if isinstance(sub, (Mapping, list)):
                    stack.append(((*path, key), sub))
        elif isinstance(node, list):
            for index, sub in enumerate(node):
                if isinstance(sub, (Mapping, list)):
                    stack.append(((*path, _item_label(index, sub)), sub))


def _item_label(index: int, item: object) -> object:
    if isinstance(item, Mapping):
        name = item.get("name")
        if isinstance(name, str) and name:
            return f"[{name}]"
    return index


def path_text(path: Path) -> str:
    """``spec.template.spec.containers[app].securityContext`` for a walk path."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and part.startswith("["):
            out += part
        else:
            out += f".{part}" if out else str(part)
    return out or "(top)"


def get_ci(mapping: object, key: str, default: object = None) -> object:
    """``mapping[key]`` matching the key case-insensitively (first match)."""
    if not isinstance(mapping, Mapping):
        return default
    if key in mapping:
        return mapping[key]
    lowered = key.lower()
    for name, value in mapping.items():
        if str(name).lower() == lowered:
            return value
    return default


def is_true(value: object) -> bool:
    """Return True for ``true`` and for spellings a decoder might still read as true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in ("true", "yes", "on", "y", "1")
