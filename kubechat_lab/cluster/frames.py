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

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from kubechat_lab.cluster._result import JSON, Column, Result, Status
from kubechat_lab.cluster._table import RESOURCE_KINDS, TableBuilder, column_name, table_result
from kubechat_lab.cluster._units import cpu_millicores, memory_bytes, parse_time, seconds_since

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
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

CHANGES_COLUMNS: tuple[Column, ...] = (
    Column("action", "str"),
    Column("resource", "str"),
    Column("namespace", "str"),
    Column("name", "str"),
    Column("field", "str"),
    Column("before", "json"),
    Column("after", "json"),
)

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
