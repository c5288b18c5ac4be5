"""Build typed results (frames) from decoded API JSON, column by column.

Every builder returns a :class:`~kubechat_lab.cluster.Result`; ``Result.to_frame()`` gives the
pandas DataFrame. Column names are the same for every kind (``namespace``, ``name``, ``ready``,
``status``, ``restarts``, ``age``, ``node``, ``ip``, ``cpu_m``, ``memory_bytes``, ``created``,
``labels`` ...) so frames join and plot without renaming.

Resource frames come from the server-side Table (kubectl's own columns, typed from the Table's
column definitions) plus ``namespace``, ``created`` and ``labels`` from each row's metadata;
``age`` is computed from the creation time, not parsed from kubectl's ``5m`` text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kubechat_lab.cluster._fastdecode import FAST_TABLE_KEY
from kubechat_lab.cluster._result import JSON, Column, Dtype, Result, Status
from kubechat_lab.cluster._units import (
    cpu_millicores,
    memory_bytes,
    parse_duration,
    parse_time,
    seconds_since,
)

__all__ = [
    "CHANGES_COLUMNS",
    "EVENTS_COLUMNS",
    "LOGS_COLUMNS",
    "RESOURCE_KINDS",
    "TableBuilder",
    "changes_result",
    "column_name",
    "events_result",
    "logs_result",
    "objects_result",
    "table_result",
    "top_nodes_result",
    "top_pods_result",
]

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

EVENTS_COLUMNS: tuple[Column, ...] = (
    Column("namespace", "str"),
    Column("last_seen", "datetime"),
    Column("type", "str"),
    Column("reason", "str"),
    Column("object", "str"),
    Column("object_kind", "str"),
    Column("object_name", "str"),
    Column("message", "str"),
    Column("count", "int"),
    Column("first_seen", "datetime"),
    Column("source", "str"),
    Column("name", "str"),
)
LOGS_COLUMNS: tuple[Column, ...] = (
    Column("namespace", "str"),
    Column("pod", "str"),
    Column("container", "str"),
    Column("timestamp", "datetime"),
    Column("message", "str"),
)
CHANGES_COLUMNS: tuple[Column, ...] = (
    Column("action", "str"),
    Column("resource", "str"),
    Column("namespace", "str"),
    Column("name", "str"),
    Column("field", "str"),
    Column("before", "json"),
    Column("after", "json"),
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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

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


def objects_result(
    items: Iterable[Mapping[str, Any]],
    *,
    resource: str | None = None,
    now: datetime | None = None,
) -> Result:
    """Build a generic frame of plain objects: namespace, name, kind, age, created, labels."""
    now = now or datetime.now(UTC)
    resources: list[JSON] = []
    namespaces: list[JSON] = []
    names: list[JSON] = []
    kinds: list[JSON] = []
    created: list[JSON] = []
    labels: list[JSON] = []
    for item in items:
        meta = item.get("metadata") or {}
        resources.append(resource)
        namespaces.append(meta.get("namespace"))
        names.append(meta.get("name"))
        kinds.append(item.get("kind"))
        created.append(meta.get("creationTimestamp"))
        labels.append(meta.get("labels") or {})
    ages: list[JSON] = [seconds_since(str(c), now) if c else None for c in created]
    columns = [Column("namespace", "str"), Column("name", "str"), Column("kind", "str"),
               Column("age", "timedelta"), Column("created", "datetime"),
               Column("labels", "json")]
    data = [namespaces, names, kinds, ages, created, labels]
    if resource is not None:
        columns.insert(0, Column("resource", "str"))
        data.insert(0, resources)
    return Result.from_columns("table", columns, data)


# -- events, logs, metrics, changes -------------------------------------------------------------


def events_result(items: Iterable[Mapping[str, Any]]) -> Result:
    """One row per event (core/v1 ``Event`` objects), oldest ``last_seen`` first."""
    rows: list[tuple[JSON, ...]] = []
    for ev in items:
        meta = ev.get("metadata") or {}
        involved = ev.get("involvedObject") or ev.get("regarding") or {}
        series = ev.get("series") or {}
        kind = involved.get("kind") or ""
        obj_name = involved.get("name") or ""
        first = ev.get("firstTimestamp") or ev.get("eventTime") or meta.get("creationTimestamp")
        last = (ev.get("lastTimestamp") or series.get("lastObservedTime") or ev.get("eventTime")
                or first)
        count = ev.get("count") or series.get("count") or 1
        source = (ev.get("source") or {}).get("component") or ev.get("reportingComponent") or (
            ev.get("reportingController"))
        rows.append((
            meta.get("namespace"),
            _rfc3339(last),
            ev.get("type"),
            ev.get("reason"),
            f"{kind.lower()}/{obj_name}" if kind else obj_name or None,
            kind or None,
            obj_name or None,
            (ev.get("message") or ev.get("note") or "").strip(),
            int(count),
            _rfc3339(first),
            source or None,
            meta.get("name"),
        ))
    rows.sort(key=lambda row: parse_time(str(row[1])) or _EPOCH if row[1] else _EPOCH)
    return Result("events", EVENTS_COLUMNS, tuple(rows))


def _rfc3339(value: object) -> str | None:
    """Normalise MicroTime (``...123456Z``) and Time values to RFC 3339 text."""
    return str(value) if value else None


def logs_result(
    entries: Iterable[tuple[str | None, str, str, str | None, str]],
) -> Result:
    """One row per log line: ``(namespace, pod, container, timestamp, message)`` tuples."""
    return Result("logs", LOGS_COLUMNS, tuple(entries))


def top_pods_result(items: Iterable[Mapping[str, Any]], *, containers: bool = False) -> Result:
    """CPU (millicores) and memory (bytes) per pod, or per container, from metrics.k8s.io."""
    rows: list[tuple[JSON, ...]] = []
    for item in items:
        meta = item.get("metadata") or {}
        ns = meta.get("namespace")
        name = meta.get("name")
        if containers:
            for container in item.get("containers") or ():
                usage = container.get("usage") or {}
                rows.append((ns, name, container.get("name"), cpu_millicores(usage.get("cpu")),
                             memory_bytes(usage.get("memory"))))
        else:
            cpu = 0
            memory = 0
            for container in item.get("containers") or ():
                usage = container.get("usage") or {}
                cpu += cpu_millicores(usage.get("cpu")) or 0
                memory += memory_bytes(usage.get("memory")) or 0
            rows.append((ns, name, cpu, memory))
    columns = [Column("namespace", "str"), Column("name", "str")]
    if containers:
        columns.append(Column("container", "str"))
    columns += [Column("cpu_m", "int"), Column("memory_bytes", "int")]
    return Result("top-pods", tuple(columns), tuple(rows))


def top_nodes_result(
    metrics: Iterable[Mapping[str, Any]], nodes: Iterable[Mapping[str, Any]]
) -> Result:
    """CPU and memory use per node, with the percentage of each node's allocatable."""
    allocatable: dict[str, tuple[int | None, int | None]] = {}
    for node in nodes:
        alloc = (node.get("status") or {}).get("allocatable") or {}
        allocatable[(node.get("metadata") or {}).get("name", "")] = (
            cpu_millicores(alloc.get("cpu")), memory_bytes(alloc.get("memory")))
    rows: list[tuple[JSON, ...]] = []
    for item in metrics:
        name = (item.get("metadata") or {}).get("name", "")
        usage = item.get("usage") or {}
        cpu = cpu_millicores(usage.get("cpu"))
        memory = memory_bytes(usage.get("memory"))
        cpu_total, memory_total = allocatable.get(name, (None, None))
        rows.append((
            name,
            cpu,
            round(100.0 * cpu / cpu_total, 2) if cpu is not None and cpu_total else None,
            memory,
            round(100.0 * memory / memory_total, 2) if memory is not None and memory_total
            else None,
        ))
    columns = (Column("name", "str"), Column("cpu_m", "int"), Column("cpu_percent", "float"),
               Column("memory_bytes", "int"), Column("memory_percent", "float"))
    return Result("top-nodes", columns, tuple(rows))


def changes_result(
    changes: Iterable[Mapping[str, JSON]],
    *,
    status: Status,
    diff: str | None = None,
    text: str | None = None,
) -> Result:
    """Build what a write changed (or would change): one row per changed field or object."""
    names = [column.name for column in CHANGES_COLUMNS]
    rows = tuple(tuple(change.get(name) for name in names) for change in changes)
    return Result("changes", CHANGES_COLUMNS, rows, diff=diff, text=text, status=status)
