"""Plotly one-liners on kubechat frames; the frames stay plain pandas for any other plot.

Each function takes the frame a command gave (``%kubectl get pods -A -o pods``) and returns a
``plotly.graph_objects.Figure``::

    from kubechat_lab import plot
    plot.pod_phases(pods)              # pods per phase, by namespace
    plot.restarts(pods)                # restarts by workload
    plot.usage(top_pods, pods_json)    # CPU / memory by pod against requests and limits
    plot.node_usage(top_nodes)         # CPU / memory by node (% of allocatable)
    plot.events_over_time(events)      # events per minute, by type
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["events_over_time", "node_usage", "pod_phases", "requests_limits", "restarts",
           "usage", "workload_of"]

_POD_SUFFIX = re.compile(r"-(?:[0-9a-f]{8,10}-[0-9a-z]{5}|[0-9a-z]{5}|\d+)$")
_CPU = re.compile(r"^(\d+(?:\.\d+)?)(m?)$")
_MEMORY = re.compile(r"^(\d+(?:\.\d+)?)([KMGTPE]i?|k)?$")
_MEMORY_FACTORS = {None: 1, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15,
                   "E": 1e18, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50,
                   "Ei": 2**60}


def _need(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs a frame with columns {list(columns)}; this one lacks "
                         f"{missing} (kind {frame.attrs.get('kind', '?')!r})")


def pod_phases(pods: pd.DataFrame) -> go.Figure:
    """Stacked bars: pods per status (Running, Pending, ...) in each namespace."""
    import plotly.express as px

    _need(pods, ("namespace", "status"), "pod_phases")
    counts = pods.groupby(["namespace", "status"]).size().reset_index(name="pods")
    return px.bar(counts, x="namespace", y="pods", color="status",
                  title="Pods by phase and namespace")


def workload_of(pod_name: str) -> str:
    """Return the workload a pod belongs to, from its name (``web-7d4b9c8f6-x2k4p`` -> ``web``)."""
    return _POD_SUFFIX.sub("", pod_name)


def restarts(pods: pd.DataFrame, *, top: int = 20) -> go.Figure:
    """Bars: container restarts per workload (namespace/workload), the ``top`` most."""
    import plotly.express as px

    _need(pods, ("namespace", "name", "restarts"), "restarts")
    frame = pods.assign(workload=pods["namespace"].astype(str) + "/"
                        + pods["name"].astype(str).map(workload_of))
    sums = (frame.groupby("workload")["restarts"].sum().astype("int64")
            .sort_values(ascending=False).head(top).reset_index())
    return px.bar(sums, x="workload", y="restarts", title="Restarts by workload")


def _cpu_m(text: Any) -> float:
    match = _CPU.match(str(text))
    if match is None:
        return 0.0
    return float(match.group(1)) * (1 if match.group(2) else 1000)


def _bytes(text: Any) -> float:
    match = _MEMORY.match(str(text))
    if match is None:
        return 0.0
    return float(match.group(1)) * _MEMORY_FACTORS[match.group(2)]


def requests_limits(pods_json: pd.DataFrame) -> pd.DataFrame:
    """Per pod: CPU (millicores) and memory (bytes) requests and limits, summed over containers.

    ``pods_json`` is the frame of ``%kubectl get pods -A -o json`` (its ``object`` column).
    """
    import pandas

    _need(pods_json, ("object",), "requests_limits")
    rows = []
    for obj in pods_json["object"]:
        meta = (obj or {}).get("metadata") or {}
        totals = {"cpu_request_m": 0.0, "cpu_limit_m": 0.0, "memory_request_bytes": 0.0,
                  "memory_limit_bytes": 0.0}
        for container in ((obj or {}).get("spec") or {}).get("containers") or ():
            res = container.get("resources") or {}
            for kind in ("requests", "limits"):
                values = res.get(kind) or {}
                short = "request" if kind == "requests" else "limit"
                totals[f"cpu_{short}_m"] += _cpu_m(values.get("cpu", 0))
                totals[f"memory_{short}_bytes"] += _bytes(values.get("memory", 0))
        rows.append({"namespace": meta.get("namespace"), "name": meta.get("name"), **totals})
    return pandas.DataFrame(rows)


def usage(top_pods: pd.DataFrame, pods_json: pd.DataFrame | None = None, *,
          top: int = 20) -> go.Figure:
    """CPU and memory by pod (the ``top`` busiest), against requests and limits when given."""
    from plotly.subplots import make_subplots

    _need(top_pods, ("namespace", "name", "cpu_m", "memory_bytes"), "usage")
    frame = top_pods.sort_values("cpu_m", ascending=False).head(top).copy()
    if pods_json is not None:
        frame = frame.merge(requests_limits(pods_json), on=["namespace", "name"], how="left")
    labels = frame["namespace"].astype(str) + "/" + frame["name"].astype(str)
    figure = make_subplots(rows=1, cols=2, subplot_titles=("CPU (millicores)", "Memory (MiB)"))
    figure.add_bar(x=labels, y=frame["cpu_m"].astype(float), name="CPU used", row=1, col=1)
    figure.add_bar(x=labels, y=frame["memory_bytes"].astype(float) / 2**20, name="memory used",
                   row=1, col=2)
    if pods_json is not None:
        for column, col, scale, name in (
                ("cpu_request_m", 1, 1, "CPU request"), ("cpu_limit_m", 1, 1, "CPU limit"),
                ("memory_request_bytes", 2, 2**20, "memory request"),
                ("memory_limit_bytes", 2, 2**20, "memory limit")):
            figure.add_scatter(x=labels, y=frame[column] / scale, mode="markers", name=name,
                               row=1, col=col)
    figure.update_layout(title="Usage by pod")
    return figure


def node_usage(top_nodes: pd.DataFrame) -> go.Figure:
    """CPU and memory use by node, as a percentage of each node's allocatable."""
    import plotly.express as px

    percent = [c for c in top_nodes.columns if c.endswith("_percent")]
    _need(top_nodes, ("name",), "node_usage")
    if not percent:
        raise ValueError("node_usage needs the frame of `kubectl top nodes` (its *_percent "
                         "columns)")
    long = top_nodes.melt(id_vars=["name"], value_vars=percent, var_name="resource",
                          value_name="percent")
    return px.bar(long, x="name", y="percent", color="resource", barmode="group",
                  title="Node usage (% of allocatable)")


def events_over_time(events: pd.DataFrame, *, freq: str = "1min") -> go.Figure:
    """Lines: events per ``freq`` (default one minute), by type (Normal, Warning)."""
    import plotly.express as px

    _need(events, ("last_seen", "type"), "events_over_time")
    frame = events.dropna(subset=["last_seen"])
    counts = (frame.groupby([frame["last_seen"].dt.floor(freq), "type"]).size()
              .reset_index(name="events"))
    return px.line(counts, x="last_seen", y="events", color="type", markers=True,
                   title=f"Events per {freq}")
