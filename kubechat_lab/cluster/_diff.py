"""Redaction of secret values, YAML rendering, and before/after diffs of objects."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from kubechat_lab.cluster._result import JSON

__all__ = [
    "REDACTED",
    "clean",
    "field_changes",
    "object_diff",
    "redact_secret",
    "to_yaml",
]

#: What a secret value is replaced with in every result.
REDACTED = "<redacted>"

_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Fields that change on every write and say nothing about what the user changed.
_NOISE = (
    ("metadata", "resourceVersion"),
    ("metadata", "generation"),
    ("metadata", "managedFields"),
    ("metadata", "uid"),
    ("metadata", "creationTimestamp"),
)


def clean(obj: Any) -> Any:
    """Return a copy without ``managedFields`` and with every Secret value redacted.

    Handles single objects and lists (``kind: List`` / ``items``).
    """
    if not isinstance(obj, dict):
        return obj
    out = copy.deepcopy(obj)
    _clean_in_place(out)
    return out


def redact_secret(obj: Any) -> Any:
    """Redact, in place, the values a Secret holds; return ``obj``.

    ``data`` and ``stringData`` values and the last-applied annotation (a copy of the whole
    Secret) become :data:`REDACTED`; keys stay. Call it on every Secret as it arrives, before
    anything sorts, filters, evaluates JSONPath or waits on it: a value seen by any of those is
    an oracle (an ordering, or an equality test), even when it is never printed.
    """
    if not isinstance(obj, dict):
        return obj
    for key in ("data", "stringData"):
        values = obj.get(key)
        if isinstance(values, dict):
            obj[key] = {name: REDACTED for name in values}
        elif values is not None:
            obj[key] = REDACTED
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and _LAST_APPLIED in annotations:
            annotations[_LAST_APPLIED] = REDACTED
    return obj


def _clean_in_place(obj: dict[str, Any]) -> None:
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if obj.get("kind") == "Secret":
        redact_secret(obj)
    items = obj.get("items")
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                _clean_in_place(item)


def to_yaml(obj: Any) -> str:
    """Render an object as block YAML (keys in API order)."""
    return str(yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, width=100))


def object_diff(before: Any, after: Any, *, label: str) -> str:
    """Unified diff of two objects' YAML (secrets redacted, noise fields dropped)."""
    old = to_yaml(_quiet(clean(before))).splitlines(keepends=True) if before else []
    new = to_yaml(_quiet(clean(after))).splitlines(keepends=True) if after else []
    return "".join(
        difflib.unified_diff(old, new, fromfile=f"{label} (live)", tofile=f"{label} (after)")
    )


def _quiet(obj: Any) -> Any:
    if not isinstance(obj, dict):
        return obj
    obj = dict(obj)
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta = dict(meta)
        for _, key in _NOISE:
            meta.pop(key, None)
        obj["metadata"] = meta
    obj.pop("status", None)
    return obj


def field_changes(before: Any, after: Any) -> list[tuple[str, JSON, JSON]]:
    """List the changed leaf fields of two objects: ``(dotted path, before, after)``.

    Status, resource versions and other bookkeeping are ignored. Secret values are never
    compared: every key a write gives a Secret shows as ``<redacted> (written)``, changed or
    not, because "changed" and "unchanged" would answer whether a guessed value is the live
    one (a dry run is enough to ask). Lists of named items (containers, env) are matched by
    name: ``...containers[app].image``.
    """
    old = dict(_flatten(_quiet(clean(before or {}))))
    new = dict(_flatten(_quiet(clean(after or {}))))
    if "Secret" in ((before or {}).get("kind"), (after or {}).get("kind")) and after:
        for key in ("data", "stringData"):
            for name in (after.get(key) or {}) if isinstance(after.get(key), dict) else ():
                new[f"{key}.{name}"] = REDACTED + " (written)"
    changes = []
    for path in sorted(old.keys() | new.keys()):
        if old.get(path, _MISSING) != new.get(path, _MISSING):
            changes.append((path, _json(old.get(path)), _json(new.get(path))))
    return changes


_MISSING = object()


def _json(value: object) -> JSON:
    if value is None or isinstance(value, (str, int, float, bool, list, dict)):
        return value
    return str(value)


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            yield from _flatten(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(
        isinstance(item, Mapping) and isinstance(item.get("name"), str) for item in value
    ):
        for item in value:
            yield from _flatten(
                {k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]"
            )
    else:
        yield prefix, value
