"""Field paths for ``kubectl explain``, found in the kubernetes client's own models.

"what does concurrencyPolicy on a cronjob do?" asks for ``cronjobs.spec.concurrencyPolicy``;
"the fields under a container's resources" for ``pods.spec.containers.resources``. People name
a field (and perhaps its parent), not its path. The kubernetes package ships a model class per
API type with each field's JSON name (``attribute_map``) and type (``openapi_types``); a
breadth-first walk from the kind's model finds the shortest path that ends with the words
asked for. Built-in kinds only: a custom resource has no model here, and the question is then
refused rather than guessed.
"""

from __future__ import annotations

import re
from collections import deque
from functools import cache
from typing import Any

__all__ = ["field_jsonpath", "field_path"]

#: How deep a path may go (``spec.template.spec.containers.resources.limits`` is 5).
_MAX_DEPTH = 7
#: How deep a field read names (``spec.template.spec.containers.ports`` is 5).
_READ_DEPTH = 5
#: Fields whose insides a read never reaches for by one word (a security context's ``level``,
#: a volume's ``path``): named only as a whole.
_NOT_READ_INTO = frozenset({"securityContext", "managedFields", "ephemeralContainers",
                            "initContainers", "volumes", "volumeClaimTemplates", "dnsConfig",
                            "affinity", "resourceClaims", "readinessGates", "os", "lifecycle",
                            "livenessProbe", "readinessProbe", "startupProbe", "env", "envFrom",
                            "volumeMounts", "ownerReferences", "topologySpreadConstraints"})
_NESTED = re.compile(r"^(?:list\[|dict\(str, )?(V\d\w+)[\])]?$", re.IGNORECASE)


@cache
def _model(name: str) -> Any:
    from kubernetes.client import models  # heavy (about 0.4 s): only when a field is asked

    return getattr(models, name, None)


def _children(model: Any) -> list[tuple[str, str | None, bool]]:
    """Return ``(json name, nested model name or None, is a list)`` per field of ``model``."""
    out = []
    for attribute, kind in model.openapi_types.items():
        nested = _NESTED.match(kind)
        out.append((model.attribute_map[attribute], nested.group(1) if nested else None,
                    kind.lower().startswith("list[")))
    return out


def _matches(segment: str, word: str) -> bool:
    """Return True when a path segment is the field a person named (case, plural, "'s")."""
    segment, word = segment.lower(), word.lower().removesuffix("'s")
    return segment in (word, word + "s", word + "es") or segment.removesuffix("s") == word


@cache
def _walk(kind: str, version: str, words: tuple[str, ...],
          max_depth: int) -> tuple[tuple[str, bool], ...] | None:
    """Return the shortest ``(segment, is a list)`` path under ``kind`` ending with ``words``."""
    root = _model(f"{version.capitalize()}{kind}")
    if root is None or not words:
        return None
    parents = words[:-1]
    queue: deque[tuple[Any, tuple[tuple[str, bool], ...], int]] = deque([(root, (), 0)])
    seen: set[tuple[str, int]] = set()  # a model, reached with so many parents matched
    while queue:
        model, path, matched = queue.popleft()
        for name, nested, many in _children(model):
            if name in ("apiVersion", "kind"):
                continue
            here = (*path, (name, many))
            if matched == len(parents) and _matches(name, words[-1]):
                return here
            step = matched + (matched < len(parents) and _matches(name, parents[matched]))
            if nested and len(here) < max_depth and (nested, step) not in seen and (
                    max_depth == _MAX_DEPTH or name not in _NOT_READ_INTO):
                seen.add((nested, step))
                child = _model(nested)
                if child is not None:
                    queue.append((child, here, step))
    return None


def field_path(kind: str, version: str, words: tuple[str, ...]) -> str | None:
    """Return the shortest dotted path under ``kind`` whose last segments are ``words``.

    ``words`` are field names as people write them, outermost first (``("container",
    "resources")``); each may stand for a segment anywhere above the next. None when the kind
    has no model here or no path fits (the caller refuses).
    """
    path = _walk(kind, version, words, _MAX_DEPTH)
    return ".".join(name for name, _ in path) if path else None


def field_jsonpath(kind: str, version: str, words: tuple[str, ...]) -> str | None:
    """Return the JSONPath of the field ``words`` name on a ``kind`` object, lists as ``[*]``.

    Only fields near the top (:data:`_READ_DEPTH`): "its node selector" is
    ``.spec.template.spec.nodeSelector``; a word that only matches deep inside (a security
    context's ``level``) is no field a person asked to read.
    """
    path = _walk(kind, version, words, _READ_DEPTH)
    if path is None:
        return None
    return "".join(f".{name}[*]" if many and index < len(path) - 1 else f".{name}"
                   for index, (name, many) in enumerate(path))
