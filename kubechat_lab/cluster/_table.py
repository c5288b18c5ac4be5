"""Typed frames from server-side Tables: kubectl's columns, typed, plus metadata columns."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubechat_lab.cluster._result import JSON, Column, Dtype, Result, Status
from kubechat_lab.cluster._table_page import FAST_TABLE_KEY
from kubechat_lab.cluster._units import memory_bytes, parse_duration, seconds_since

__all__ = ["RESOURCE_KINDS", "TableBuilder", "column_name", "table_result"]

#: Resources with a dedicated frame kind (any other resource gives kind ``table``).
RESOURCE_KINDS: frozenset[str] = frozenset(
    {
        "configmaps",
        "cronjobs",
        "daemonsets",
        "deployments",
        "events",
        "ingresses",
        "jobs",
        "namespaces",
        "nodes",
        "persistentvolumeclaims",
        "pods",
        "replicasets",
        "secrets",
        "services",
        "statefulsets",
    }
)

_TABLE_TYPES: dict[str, Dtype] = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "string": "str",
    "date": "str",
}
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LEADING_INT = re.compile(r"^\s*(-?\d+)")

Converter = Callable[[list[JSON]], tuple[Dtype, list[JSON]]]


def column_name(header: str) -> str:
    """Turn a Table column header into a snake_case column name.

    ``Up-to-date`` -> ``up_to_date``, ``Port(s)`` -> ``ports``, ``StorageClass`` ->
    ``storage_class``, ``OS-Image`` -> ``os_image``, ``Cluster-IP`` -> ``cluster_ip``.
    """
    text = header.replace("(s)", "s").replace("(S)", "S")
    text = _CAMEL.sub("_", text).lower()
    return _NON_WORD.sub("_", text).strip("_") or "column"


# -- per-kind column conversions ---------------------------------------------------------------


def _leading_int(values: list[JSON]) -> tuple[Dtype, list[JSON]]:
    """``3 (5m ago)`` -> 3 (pods' restart counts carry the time of the last restart)."""
    out: list[JSON] = []
    for value in values:
        if isinstance(value, int):
            out.append(value)
            continue
        match = _LEADING_INT.match(str(value)) if value is not None else None
        out.append(int(match[1]) if match else None)
    return "int", out


def _human_duration(values: list[JSON]) -> tuple[Dtype, list[JSON]]:
    out: list[JSON] = []
    for value in values:
        try:
            out.append(parse_duration(str(value)) if value not in (None, "", "<none>") else None)
        except ValueError:
            out.append(None)
    return "timedelta", out


def _bool_text(values: list[JSON]) -> tuple[Dtype, list[JSON]]:
    out: list[JSON] = []
    for value in values:
        if isinstance(value, bool) or value is None:
            out.append(value)
        else:
            out.append(str(value).lower() == "true")
    return "bool", out


def _int_text(values: list[JSON]) -> tuple[Dtype, list[JSON]]:
    return _leading_int(values)


_CONVERSIONS: dict[str, dict[str, Converter]] = {
    "pods": {"restarts": _leading_int},
    "jobs": {"duration": _human_duration},
    "cronjobs": {"suspend": _bool_text, "active": _int_text},
    "configmaps": {"data": _int_text},
    "secrets": {"data": _int_text},
    "daemonsets": {
        "desired": _int_text,
        "current": _int_text,
        "ready": _int_text,
        "up_to_date": _int_text,
        "available": _int_text,
    },
    "replicasets": {"desired": _int_text, "current": _int_text, "ready": _int_text},
    "deployments": {"up_to_date": _int_text, "available": _int_text},
}


def _ratio(values: list[JSON]) -> tuple[list[JSON], list[JSON]]:
    """``2/3`` -> ([2], [3])."""
    left: list[JSON] = []
    right: list[JSON] = []
    for value in values:
        a, sep, b = str(value or "").partition("/")
        ok = sep and a.strip().isdigit() and b.strip().isdigit()
        left.append(int(a) if ok else None)
        right.append(int(b) if ok else None)
    return left, right


def _derive(kind: str, name: str, values: list[JSON]) -> list[tuple[Column, list[JSON]]]:
    """Extra typed columns derived from a text column (placed right after it)."""
    if kind in ("deployments", "statefulsets") and name == "ready":
        ready, desired = _ratio(values)
        return [(Column("ready_replicas", "int"), ready), (Column("replicas", "int"), desired)]
    if kind == "persistentvolumeclaims" and name == "capacity":
        sizes: list[JSON] = []
        for value in values:
            try:
                sizes.append(memory_bytes(str(value)) if value else None)
            except ValueError:
                sizes.append(None)
        return [(Column("capacity_bytes", "int"), sizes)]
    return []


def _clean_text(values: Iterable[JSON]) -> list[JSON]:
    return [None if v in ("<none>", "") else (v if v is None or isinstance(v, str) else str(v))
            for v in values]


def _typed(dtype: Dtype, values: list[JSON]) -> list[JSON]:
    if dtype == "str":
        return _clean_text(values)
    if dtype == "int":
        return [v if isinstance(v, int) and not isinstance(v, bool) else
                _leading_int([v])[1][0] for v in values]
    if dtype == "float":
        return [float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
                for v in values]
    if dtype == "bool":
        return _bool_text(values)[1]
    return values


# -- Table frames ---------------------------------------------------------------------------------


class TableBuilder:
    """Accumulates server-side Table pages column-wise and builds the typed frame.

    Parameters
    ----------
    kind
        The resource (``pods``) — picks kind-specific conversions; any other name gives a
        generic frame of kind ``table``.
    namespaced
        Whether the resource is namespaced (adds the ``namespace`` column).
    now
        The instant ``age`` is measured to (default: when :meth:`result` runs).
    """

    def __init__(self, kind: str, *, namespaced: bool, now: datetime | None = None) -> None:
        self.kind = kind
        self.namespaced = namespaced
        self.now = now
        self.reset()

    def reset(self) -> None:
        """Forget every row gathered so far (the list started over)."""
        self._definitions: list[dict[str, Any]] | None = None
        self._cells: list[list[JSON]] = []
        self._namespace: list[JSON] = []
        self._name: list[JSON] = []
        self._created: list[JSON] = []
        self._labels: list[JSON] = []

    def add(self, doc: Mapping[str, Any]) -> None:
        """Add one decoded response: a ``Table`` page, a plain list, or one plain object."""
        if doc.get("kind") != "Table":
            items = doc.get("items")
            self.add_objects(items if items is not None else [doc])
            return
        if self._definitions is None:
            self._definitions = list(doc.get("columnDefinitions") or ())
            self._cells = [[] for _ in self._definitions]
        fast = doc.get(FAST_TABLE_KEY)
        if fast is not None:  # already column-wise (msgspec decoder)
            namespaces, names, created, labels, cell_columns = fast
            self._namespace.extend(namespaces)
            self._name.extend(names)
            self._created.extend(created)
            self._labels.extend(labels)
            for target, values in zip(self._cells, cell_columns, strict=True):
                target.extend(values)
            return
        rows = doc.get("rows") or ()
        if not rows:
            return
        metas = [((row.get("object") or {}).get("metadata") or {}) for row in rows]
        self._namespace.extend([m.get("namespace") for m in metas])
        self._name.extend([m.get("name") for m in metas])
        self._created.extend([m.get("creationTimestamp") for m in metas])
        self._labels.extend([m.get("labels") or {} for m in metas])
        width = len(self._cells)
        columns = list(zip(*[_pad(row.get("cells") or (), width) for row in rows], strict=True))
        for target, values in zip(self._cells, columns, strict=True):
            target.extend(values)

    def add_objects(self, items: Iterable[Mapping[str, Any]]) -> None:
        """Add plain objects (when the server could not answer with a Table)."""
        if self._definitions is None:
            self._definitions = []
        for item in items:
            meta = item.get("metadata") or {}
            self._namespace.append(meta.get("namespace"))
            self._name.append(meta.get("name"))
            self._created.append(meta.get("creationTimestamp"))
            self._labels.append(meta.get("labels") or {})
            for target in self._cells:
                target.append(None)

    def __len__(self) -> int:
        """Rows gathered so far."""
        return len(self._name)

    def result(self, *, status: Status = "ok") -> Result:
        """Return the typed result (``kind`` is the resource, or ``table`` for others)."""
        now = self.now or datetime.now(UTC)
        kind = self.kind if self.kind in RESOURCE_KINDS else "table"
        conversions = _CONVERSIONS.get(self.kind, {})
        definitions = self._definitions or []
        count = len(self._name)
        names = self._name
        columns: list[Column] = []
        data: list[list[JSON]] = []
        used: set[str] = set()

        def put(column: Column, values: list[JSON]) -> None:
            name = column.name
            while name in used:
                name += "_2"
            used.add(name)
            columns.append(Column(name, column.dtype))
            data.append(values)

        if self.namespaced or any(ns is not None for ns in self._namespace):
            put(Column("namespace", "str"), list(self._namespace))
        name_index = next((i for i, d in enumerate(definitions) if d.get("format") == "name"),
                          next((i for i, d in enumerate(definitions)
                                if d.get("name") == "Name"), None))
        if name_index is not None and any(n is None for n in names):
            names = [n if n is not None else c for n, c in zip(names, self._cells[name_index],
                                                                  strict=True)]
        put(Column("name", "str"), _clean_text(names))
        ages: list[JSON] = [seconds_since(str(c), now) if c else None for c in self._created]
        has_age = False
        for index, definition in enumerate(definitions):
            if index == name_index:
                continue
            header = str(definition.get("name", f"column{index}"))
            cname = column_name(header)
            values = self._cells[index]
            if cname == "age":
                put(Column("age", "timedelta"), ages)
                has_age = True
                continue
            convert = conversions.get(cname)
            if convert is not None:
                dtype, converted = convert(values)
            else:
                dtype = _TABLE_TYPES.get(str(definition.get("type")), "str")
                if dtype == "str" and _all_ints(values):
                    dtype = "int"  # kubectl declares some counts "string" but sends numbers
                converted = _typed(dtype, values)
            put(Column(cname, dtype), converted)
            for extra, extra_values in _derive(self.kind, cname, values):
                put(extra, extra_values)
        if not has_age:
            put(Column("age", "timedelta"), ages)
        put(Column("created", "datetime"), list(self._created))
        put(Column("labels", "json"), list(self._labels))
        if any(len(values) != count for values in data):
            raise ValueError(f"ragged table for {self.kind!r}")  # a server bug, not ours
        return Result.from_columns(kind, columns, data, status=status)


def _all_ints(values: list[JSON]) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int) and not isinstance(v, bool)
                                 for v in present)


def _pad(cells: Sequence[JSON], width: int) -> Sequence[JSON]:
    if len(cells) == width:
        return cells
    return (list(cells) + [None] * width)[:width]


def table_result(
    kind: str,
    docs: Iterable[Mapping[str, Any]],
    *,
    namespaced: bool,
    now: datetime | None = None,
) -> Result:
    """Build the typed frame of ``kind`` from decoded Table pages (or plain lists)."""
    builder = TableBuilder(kind, namespaced=namespaced, now=now)
    for doc in docs:
        builder.add(doc)
    return builder.result()
