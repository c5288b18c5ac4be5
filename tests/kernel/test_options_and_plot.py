"""Unit tests: the magics' option splitting, the SQL registry, the plot one-liners."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from kubechat_lab import plot
from kubechat_lab.cluster import Column, Result
from kubechat_lab.kernel import FrameRegistry
from kubechat_lab.kernel.magics import Options, split_options


@pytest.mark.parametrize(("line", "rest", "opts"), [
    ("get pods -A -o pods", "get pods -A", Options(out="pods")),
    ("get pods -o wide -o w", "get pods -o wide", Options(out="w")),
    ("get pods -o yaml", "get pods -o yaml", Options()),
    ("get pods -o jsonpath={.items[*].metadata.name}",
     "get pods -o jsonpath={.items[*].metadata.name}", Options()),
    ("scale deploy web --replicas=2 --approve --wait 30s", "scale deploy web --replicas=2",
     Options(approve=True, wait=30.0)),
    ("get pods --context prod --for 2m", "get pods", Options(context="prod", duration=120.0)),
    ("get pods; rm -rf /", "get pods; rm -rf /", Options()),  # the server refuses it, as typed
])
def test_split_options_keeps_the_command_as_typed(line: str, rest: str, opts: Options) -> None:
    assert split_options(line, kubectl=True) == (rest, opts)


def test_split_options_refuses_bad_values() -> None:
    with pytest.raises(UsageError, match="Python variable name"):
        split_options("get pods -o 1x", kubectl=True)
    with pytest.raises(UsageError, match="duration"):
        split_options("get pods --wait soon", kubectl=True)
    assert split_options("why is  web slow -o slow", kubectl=False) == (
        "why is web slow", Options(out="slow"))


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    pods = Result("pods", (Column("namespace", "str"), Column("name", "str"),
                           Column("status", "str"), Column("restarts", "int"),
                           Column("node", "str"), Column("labels", "json")), (
        ("shop", "web-7d4b9c8f6-x2k4p", "Running", 2, "n1", {"app": "web"}),
        ("shop", "web-7d4b9c8f6-abcde", "Pending", 1, None, {"app": "web"}),
        ("data", "etl-0", "Running", 0, "n2", {}),
    )).to_frame()
    nodes = Result("nodes", (Column("name", "str"), Column("status", "str")),
                   (("n1", "Ready"), ("n2", "Ready"))).to_frame()
    return pods, nodes


def test_registry_joins_by_kind_and_by_name_and_reads_edits_back() -> None:
    pods, nodes = frames()
    namespace: dict[str, object] = {}
    registry = FrameRegistry(namespace)
    registry.add(pods, "mine")
    registry.add(nodes)
    joined = registry.sql("SELECT p.name, n.name AS node, p.labels->>'app' AS app FROM pods p "
                          "JOIN nodes n ON p.node = n.name ORDER BY p.name")
    assert joined.fillna("-").values.tolist() == [["etl-0", "n2", "-"],
                                                  ["web-7d4b9c8f6-x2k4p", "n1", "web"]]
    namespace["mine"] = pods[pods.namespace == "data"]  # the user edits the frame
    assert registry.sql("SELECT count(*) AS n FROM mine")["n"].tolist() == [1]
    with pytest.raises(LookupError, match="%kubectl get deployments"):
        registry.sql("SELECT * FROM deployments")
    with pytest.raises(ValueError, match="SQL error"):
        registry.sql("SELEC 1")


def test_plots_build_figures_from_frames() -> None:
    pods, _ = frames()
    figure = plot.pod_phases(pods)
    assert {t.name for t in figure.data} == {"Running", "Pending"}
    restarts = plot.restarts(pods)
    assert list(restarts.data[0].x) == ["shop/web", "data/etl"]
    assert list(restarts.data[0].y) == [3, 0]
    assert plot.workload_of("checkout-5f7c4d97b4-wl8t7") == "checkout"
    assert plot.workload_of("etl-0") == "etl"
    top = Result("top-pods", (Column("namespace", "str"), Column("name", "str"),
                              Column("cpu_m", "int"), Column("memory_bytes", "int")),
                 (("shop", "web-7d4b9c8f6-x2k4p", 120, 64 * 2**20),)).to_frame()
    objects = pd.DataFrame({"object": [{"metadata": {"namespace": "shop",
                                                     "name": "web-7d4b9c8f6-x2k4p"},
                                        "spec": {"containers": [
                                            {"resources": {"requests": {"cpu": "100m",
                                                                        "memory": "64Mi"},
                                                           "limits": {"cpu": "1",
                                                                      "memory": "1Gi"}}},
                                            {"resources": {"requests": {"cpu": "50m"}}}]}}]})
    limits = plot.requests_limits(objects)
    assert limits.loc[0, "cpu_request_m"] == 150 and limits.loc[0, "cpu_limit_m"] == 1000
    assert limits.loc[0, "memory_limit_bytes"] == 2**30
    usage = plot.usage(top, objects)
    assert {t.name for t in usage.data} >= {"CPU used", "CPU request", "memory limit"}
    with pytest.raises(ValueError, match="lacks"):
        plot.pod_phases(top)
    events = Result("events", (Column("last_seen", "datetime"), Column("type", "str")), (
        ("2025-01-01T00:00:10Z", "Warning"), ("2025-01-01T00:00:50Z", "Warning"),
        ("2025-01-01T00:01:10Z", "Normal"))).to_frame()
    over_time = plot.events_over_time(events)
    warning = next(t for t in over_time.data if t.name == "Warning")
    assert list(warning.y) == [2]
