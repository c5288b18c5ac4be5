"""Derive the dashboard's tiles from the results of its reads (pure: no cluster, no clock).

Phases come from kubectl's STATUS column of ``kubectl get pods -A`` (what the person sees
when they run the same read): ``Completed`` is Succeeded, ``CrashLoopBackOff`` Running (the
pod runs; its container restarts), image pulls and ``Init:...`` Pending, ``Error``/``Evicted``
Failed; a status not known here is Pending while the pod has no node, else Running.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kubechat_lab.dashboard._model import Tile
from kubechat_lab.dashboard._reads import READS, cell_source

if TYPE_CHECKING:
    from kubechat_lab.cluster import Result

__all__ = ["PHASES", "derive_tiles", "phase_of"]

PHASES = ("Running", "Pending", "Succeeded", "Failed", "Unknown")

#: Rows a tile keeps at most (its ``total`` still counts them all).
MAX_ROWS = 50
MAX_RESTARTERS = 10
MAX_WARNINGS = 20

_RUNNING = frozenset({"Running", "CrashLoopBackOff", "Terminating", "NotReady"})
_SUCCEEDED = frozenset({"Completed", "Succeeded"})
_FAILED = frozenset({"Failed", "Error", "Evicted", "OOMKilled", "ContainerStatusUnknown",
                     "DeadlineExceeded", "Shutdown", "OutOfcpu", "OutOfmemory"})
_PENDING = frozenset({"Pending", "ContainerCreating", "PodInitializing", "ErrImagePull",
                      "ImagePullBackOff", "CreateContainerConfigError", "CreateContainerError",
                      "InvalidImageName", "SchedulingGated"})
_UNKNOWN = frozenset({"Unknown", "NodeLost"})
_VARIABLES = {r.key: r.variable for r in READS}


def phase_of(status: str | None, node: str | None = None) -> str:
    """Return the pod phase kubectl's STATUS ``status`` stands for (see the module doc)."""
    s = status or ""
    if s in _RUNNING:
        return "Running"
    if s in _SUCCEEDED:
        return "Succeeded"
    if s in _FAILED:
        return "Failed"
    if s in _UNKNOWN:
        return "Unknown"
    if s in _PENDING or s.startswith("Init:"):
        return "Pending"
    return "Pending" if not node else "Running"


def _records(result: Result | None) -> list[dict[str, Any]]:
    if result is None:
        return []
    names = [c.name for c in result.columns]
    return [dict(zip(names, row, strict=False)) for row in result.rows]


def _ready(text: object) -> tuple[int, int]:
    left, _, right = str(text or "0/0").partition("/")
    try:
        return int(left), int(right)
    except ValueError:
        return 0, 0


def _memory(value: object) -> str | None:
    if not isinstance(value, int | float):
        return None
    return f"{value / 2**30:.1f}Gi"


class _Tiles:
    """Tile construction with the commands and the notebook cell of the reads each used."""

    def __init__(self, results: Mapping[str, Result], failed: Mapping[str, str],
                 shown: Mapping[str, str]) -> None:
        self.results = results
        self.failed = failed
        self.shown = shown

    def make(self, tile_id: str, title: str, keys: tuple[str, ...], *,
             optional: tuple[str, ...] = (), **fields: Any) -> Tile:
        used = tuple(k for k in keys + optional if k in self.shown)
        commands = tuple(self.shown[k] for k in used)
        cell = cell_source(tuple((_VARIABLES.get(k, k.replace("-", "_")), self.shown[k])
                                 for k in used))
        errors = [f"{self.shown.get(k, k)}: {self.failed[k]}" for k in keys + optional
                  if k in self.failed]
        missing = [k for k in keys if k not in self.results]
        if missing:
            return Tile(tile_id, title, commands, error="; ".join(errors) or
                        f"not read: {', '.join(missing)}", cell=cell)
        rows = fields.pop("rows", ())
        total = fields.pop("total", len(rows))
        return Tile(tile_id, title, commands, rows=tuple(tuple(r) for r in rows), total=total,
                    error="; ".join(errors) or None, cell=cell, **fields)


def derive_tiles(results: Mapping[str, Result], *, failed: Mapping[str, str] | None = None,
                 shown: Mapping[str, str] | None = None) -> tuple[Tile, ...]:
    """Return the tiles, in display order, from the reads' results by key.

    Parameters
    ----------
    results
        Each read's result by its key (:data:`~kubechat_lab.dashboard.READS`).
    failed
        Each read that failed or was not run, by key: its message. A tile that needs it
        carries the message as its error (``top-nodes`` is optional: usage is left empty).
    shown
        Each read's command exactly as run (context explicit), by key; defaults to the reads
        as written.
    """
    made = _Tiles(results, failed or {}, shown or {r.key: r.command for r in READS})
    pods = _records(results.get("pods"))
    for pod in pods:  # once per pod: three tiles use it
        pod["phase"] = phase_of(pod.get("status"), pod.get("node"))
    events = _records(results.get("events"))
    return (
        _nodes(made), _phases(made, pods), _not_running(made, pods), _pending(made, pods, events),
        _workloads(made), _restarters(made, pods), _warnings(made, events),
    )


def _nodes(made: _Tiles) -> Tile:
    use = {r["name"]: r for r in _records(made.results.get("top-nodes"))}
    rows, counts = [], Counter[str]()
    for node in _records(made.results.get("nodes")):
        status = str(node.get("status") or "")
        parts = set(status.split(","))
        counts["Ready" if "Ready" in parts else "NotReady"] += 1
        if "SchedulingDisabled" in parts:
            counts["cordoned"] += 1
        u = use.get(node["name"], {})
        cpu = u.get("cpu_m")
        rows.append((node["name"], status, f"{cpu}m" if cpu is not None else None,
                     u.get("cpu_percent"), _memory(u.get("memory_bytes")),
                     u.get("memory_percent")))
    rows.sort(key=lambda r: ("Ready" in str(r[1]).split(","), r[0]))  # NotReady first
    return made.make(
        "nodes", "Nodes", ("nodes",), optional=("top-nodes",), rows=rows,
        columns=("name", "status", "cpu", "cpu_%", "memory", "memory_%"),
        counts=tuple((k, counts[k]) for k in ("Ready", "NotReady", "cordoned")),
        targets=tuple(f"node/{r[0]}" for r in rows))


def _phases(made: _Tiles, pods: list[dict[str, Any]]) -> Tile:
    by_ns: dict[str, Counter[str]] = {}
    totals = Counter[str]()
    for pod in pods:
        phase = pod["phase"]
        by_ns.setdefault(str(pod.get("namespace")), Counter())[phase] += 1
        totals[phase] += 1
    # Namespaces with pods Pending, Failed or Unknown first, then the rest by name.
    ordered = sorted(by_ns.items(), key=lambda kv: (
        -(kv[1]["Pending"] + kv[1]["Failed"] + kv[1]["Unknown"]), kv[0]))
    rows = [(ns, *(c[p] for p in PHASES), sum(c.values())) for ns, c in ordered]
    return made.make(
        "phases", "Pods by phase", ("pods",), rows=rows[:MAX_ROWS * 2], total=len(rows),
        columns=("namespace", *PHASES, "total"),
        counts=(*((p, totals[p]) for p in PHASES), ("total", len(pods))))


def _pod_target(pod: Mapping[str, Any]) -> str:
    return f"pod/{pod['name']} -n {pod['namespace']}"


def _not_running(made: _Tiles, pods: list[dict[str, Any]]) -> Tile:
    found = []
    for pod in pods:
        status = str(pod.get("status") or "")
        if pod["phase"] == "Succeeded":
            continue
        ready, want = _ready(pod.get("ready"))
        if status == "Running" and ready >= want:
            continue
        found.append(pod)
    found.sort(key=lambda p: (-(p.get("restarts") or 0), str(p["namespace"]), str(p["name"])))
    shown = found[:MAX_ROWS]
    return made.make(
        "not-running", "Pods not running", ("pods",), total=len(found),
        columns=("reason", "namespace", "name", "ready", "restarts", "node", "age"),
        rows=[(p.get("status"), p["namespace"], p["name"], p.get("ready"), p.get("restarts"),
               p.get("node"), p.get("age")) for p in shown],
        counts=(("pods", len(found)),), targets=tuple(_pod_target(p) for p in shown))


def _scheduler_messages(events: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """Return the newest FailedScheduling message (else any Warning) per (namespace, pod)."""
    out: dict[tuple[str, str], tuple[int, str, str]] = {}
    for e in events:
        if e.get("object_kind") != "Pod":
            continue
        key = (str(e.get("namespace")), str(e.get("object_name")))
        rank = 1 if e.get("reason") == "FailedScheduling" else 0
        when = str(e.get("last_seen") or e.get("first_seen") or "")
        best = out.get(key)
        if best is None or (rank, when) > best[:2]:
            out[key] = (rank, when, str(e.get("message") or ""))
    return {k: v[2] for k, v in out.items()}


def _pending(made: _Tiles, pods: list[dict[str, Any]], events: list[dict[str, Any]]) -> Tile:
    messages = _scheduler_messages(events)
    found = [p for p in pods if p["phase"] == "Pending"]
    found.sort(key=lambda p: (-(p.get("age") or 0), str(p["namespace"]), str(p["name"])))
    shown = found[:MAX_ROWS]
    return made.make(
        "pending", "Pending pods", ("pods",), optional=("events",), total=len(found),
        columns=("namespace", "name", "status", "age", "scheduler_message"),
        rows=[(p["namespace"], p["name"], p.get("status"), p.get("age"),
               messages.get((str(p["namespace"]), str(p["name"])), "")) for p in shown],
        counts=(("pods", len(found)),), targets=tuple(_pod_target(p) for p in shown))


def _workloads(made: _Tiles) -> Tile:
    found: list[tuple[str, str, str, int, int]] = []
    for key, kind, ready_col, want_col in (("deployments", "deployment", "ready_replicas",
                                            "replicas"),
                                           ("statefulsets", "statefulset", "ready_replicas",
                                            "replicas"),
                                           ("daemonsets", "daemonset", "ready", "desired")):
        for w in _records(made.results.get(key)):
            ready, want = int(w.get(ready_col) or 0), int(w.get(want_col) or 0)
            if ready < want:
                found.append((kind, str(w["namespace"]), str(w["name"]), ready, want))
    found.sort(key=lambda w: (w[3] - w[4], w[1], w[2]))
    shown = found[:MAX_ROWS]
    return made.make(
        "workloads", "Workloads below desired replicas",
        ("deployments", "statefulsets", "daemonsets"), total=len(found),
        columns=("kind", "namespace", "name", "ready", "desired"), rows=shown,
        counts=(("workloads", len(found)),),
        targets=tuple(f"{w[0]}/{w[2]} -n {w[1]}" for w in shown))


def _restarters(made: _Tiles, pods: list[dict[str, Any]]) -> Tile:
    found = [p for p in pods if (p.get("restarts") or 0) > 0]
    found.sort(key=lambda p: (-(p.get("restarts") or 0), str(p["namespace"]), str(p["name"])))
    shown = found[:MAX_RESTARTERS]
    return made.make(
        "restarts", "Top restarters", ("pods",), total=len(found),
        columns=("restarts", "namespace", "name", "status"),
        rows=[(p.get("restarts"), p["namespace"], p["name"], p.get("status")) for p in shown],
        counts=(("pods", len(found)),), targets=tuple(_pod_target(p) for p in shown))


def _warnings(made: _Tiles, events: list[dict[str, Any]]) -> Tile:
    ordered = sorted(events, key=lambda e: str(e.get("last_seen") or e.get("first_seen") or ""),
                     reverse=True)
    shown = ordered[:MAX_WARNINGS]
    return made.make(
        "warnings", "Recent Warning events", ("events",), total=len(ordered),
        columns=("last_seen", "namespace", "object", "reason", "message", "count"),
        rows=[(e.get("last_seen") or e.get("first_seen"), e.get("namespace"), e.get("object"),
               e.get("reason"), e.get("message"), e.get("count")) for e in shown],
        counts=(("events", len(ordered)),))
