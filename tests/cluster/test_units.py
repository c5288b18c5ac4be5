"""Quantities, durations, JSONPath and redaction: the pure helpers of kubechat_lab.cluster."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kubechat_lab.cluster._diff import REDACTED, clean, field_changes, object_diff
from kubechat_lab.cluster._jsonpath import evaluate, render_template
from kubechat_lab.cluster._units import (
    cpu_millicores,
    memory_bytes,
    parse_duration,
    parse_quantity,
)
from kubechat_lab.cluster.frames import column_name
from kubechat_lab.errors import ClusterError


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", Decimal("0.25")), ("2", Decimal(2)), ("1.5Gi", Decimal(1.5 * 2**30)),
     ("128Mi", Decimal(128 * 2**20)), ("2e3", Decimal(2000)), ("100k", Decimal(100000)),
     ("12345n", Decimal("0.000012345"))],
)
def test_quantities(text: str, value: Decimal) -> None:
    assert parse_quantity(text) == value


def test_cpu_rounds_up_like_kubectl_and_memory_is_bytes() -> None:
    assert cpu_millicores("2500000n") == 3
    assert cpu_millicores("1") == 1000
    assert cpu_millicores(None) is None
    assert memory_bytes("1Ki") == 1024
    assert memory_bytes("1M") == 1_000_000


def test_bad_quantity_names_the_value() -> None:
    with pytest.raises(ValueError, match="'12Zi' is not a Kubernetes quantity"):
        parse_quantity("12Zi")


@pytest.mark.parametrize(("text", "seconds"),
                         [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d3h", 183600),
                          ("1.5s", 1.5), ("500ms", 0.5)])
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "5", "1x", "h1"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("header", "name"),
    [("Up-to-date", "up_to_date"), ("Port(s)", "ports"), ("StorageClass", "storage_class"),
     ("OS-Image", "os_image"), ("Cluster-IP", "cluster_ip"), ("IP", "ip"),
     ("Nominated Node", "nominated_node"), ("VolumeAttributesClass", "volume_attributes_class"),
     ("Last Schedule", "last_schedule")],
)
def test_column_names(header: str, name: str) -> None:
    assert column_name(header) == name


POD = {
    "metadata": {"name": "web-1", "labels": {"app": "web", "k8s.io/x": "y"}},
    "status": {
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"},
                       {"type": "PodScheduled", "status": "True"}],
        "containerStatuses": [{"name": "app", "restartCount": 3},
                              {"name": "side", "restartCount": 1}],
    },
}


def test_jsonpath_selects_fields_indexes_stars_and_filters() -> None:
    assert evaluate(".metadata.name", POD) == ["web-1"]
    assert evaluate("{.status.containerStatuses[*].restartCount}", POD) == [3, 1]
    assert evaluate(".status.containerStatuses[-1].name", POD) == ["side"]
    assert evaluate('.status.conditions[?(@.type=="Ready")].status', POD) == ["True"]
    assert evaluate(".metadata.labels['k8s.io/x']", POD) == ["y"]
    assert evaluate("..restartCount", POD) == [3, 1]
    assert evaluate(".spec.nodeName", POD) == []


def test_jsonpath_templates_with_range_and_literals() -> None:
    doc = {"items": [POD, {"metadata": {"name": "web-2"}, "status": {"phase": "Pending"}}]}
    text = render_template('{range .items[*]}{.metadata.name}{"\\t"}{.status.phase}{"\\n"}{end}',
                           doc)
    assert text == "web-1\tRunning\nweb-2\tPending\n"
    assert render_template("{.items[*].metadata.name}", doc) == "web-1 web-2"


def test_jsonpath_refuses_what_it_cannot_read() -> None:
    with pytest.raises(ClusterError, match="unsupported JSONPath") as info:
        evaluate(".items[?(@.a > 1)]", {})
    assert info.value.status == 400


SECRET = {
    "apiVersion": "v1", "kind": "Secret",
    "metadata": {"name": "creds", "managedFields": [{"manager": "x"}],
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                                 '{"data":{"password":"c2VjcmV0"}}'}},
    "data": {"password": "c2VjcmV0", "user": "YWRtaW4="},
}


def test_secret_values_and_managed_fields_never_survive_clean() -> None:
    cleaned = clean(SECRET)
    assert cleaned["data"] == {"password": REDACTED, "user": REDACTED}
    assert "managedFields" not in cleaned["metadata"]
    assert "c2VjcmV0" not in str(cleaned)
    assert SECRET["data"]["password"] == "c2VjcmV0"  # the input is not modified
    listed = clean({"kind": "List", "items": [SECRET]})
    assert "c2VjcmV0" not in str(listed)


def test_diff_of_a_changed_secret_shows_no_value() -> None:
    after = {**SECRET, "data": {"password": "bmV3", "user": "YWRtaW4="}}
    changes = field_changes(SECRET, after)
    # every key the write gives the Secret, changed or not: "changed" would be an equality
    # oracle for a guessed value
    assert [c[0] for c in changes] == ["data.password", "data.user"]
    assert field_changes(SECRET, SECRET) == [
        (path, REDACTED, REDACTED + " (written)") for path in ("data.password", "data.user")]
    assert "bmV3" not in str(changes) and "c2VjcmV0" not in str(changes)
    assert "bmV3" not in object_diff(SECRET, after, label="secrets/creds")


def test_field_changes_match_named_list_items() -> None:
    before = {"kind": "Deployment", "metadata": {"name": "d", "resourceVersion": "1"},
              "spec": {"replicas": 2, "template": {"spec": {"containers": [
                  {"name": "app", "image": "nginx:1.26"}, {"name": "side", "image": "b:1"}]}}}}
    after = {"kind": "Deployment", "metadata": {"name": "d", "resourceVersion": "2"},
             "spec": {"replicas": 3, "template": {"spec": {"containers": [
                 {"name": "app", "image": "nginx:1.27"}, {"name": "side", "image": "b:1"}]}}},
             "status": {"replicas": 3}}
    assert field_changes(before, after) == [
        ("spec.replicas", 2, 3),
        ("spec.template.spec.containers[app].image", "nginx:1.26", "nginx:1.27"),
    ]
    diff = object_diff(before, after, label="deployments/d")
    assert "-  replicas: 2" in diff and "+  replicas: 3" in diff
    assert "resourceVersion" not in diff


@pytest.mark.parametrize(
    ("status", "retriable"),
    [(429, True), (503, True), (504, True), (500, False), (403, False), (404, False),
     (410, False), (0, False)],
)
def test_reads_retry_only_when_the_server_says_not_now(status: int, retriable: bool) -> None:
    from kubechat_lab.cluster._transport import is_retriable_read_error
    from kubechat_lab.errors import ClusterError

    assert is_retriable_read_error(ClusterError("x", status=status, reason="r")) is retriable
    assert is_retriable_read_error(ValueError("not a cluster error")) is False
