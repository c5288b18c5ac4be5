"""Secret values never leak through side doors on the real sandbox, for any verb.

The Secrets are created with the real ``kubectl apply``, so their last-applied annotation
holds each whole Secret. The commands below are refused by the policy (``secret-probe``); they
run here through the cluster client directly, to show that redaction happens before any sort,
filter, JSONPath, ``--list`` or wait condition sees a value, whatever the policy says.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from kubechat_lab.cluster import Result
from kubechat_lab.errors import ClusterError
from kubechat_lab.policy import Level, classify
from tests.cluster.conftest import Runner
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl

pytestmark = pytest.mark.sandbox

# Names sort alpha < beta; values sort the other way (raw and base64), so a sort that saw a
# value would put beta first.
VALUES = {"alpha": "zz-side-door-alpha-9f3e", "beta": "aa-side-door-beta-41c0"}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


NEEDLES = [v for value in VALUES.values() for v in (value, b64(value))]


@pytest.fixture(scope="module")
def secrets(sandbox: SandboxInfo, scratch: str) -> Iterator[str]:
    for name, value in VALUES.items():
        manifest = {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": name, "namespace": scratch},
                    "data": {"password": b64(value)}}
        kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(manifest))
    live = kjson(sandbox, "get", "secret", "alpha", "-n", scratch)
    # the side door is real: the annotation holds the value the reads must never show
    assert b64(VALUES["alpha"]) in live["metadata"]["annotations"][LAST_APPLIED]
    yield scratch


def leaked(result: Result) -> list[str]:
    text = result.to_json().decode() + (result.text or "") + (result.diff or "")
    return [needle for needle in NEEDLES if needle in text]


def names(result: Result) -> list[str]:
    frame = result.to_frame()
    return [str(n).rpartition("/")[2] for n in frame["name"]]


def test_annotate_list_shows_the_last_applied_annotation_redacted(
        run: Runner, secrets: str) -> None:
    line = f"annotate secret alpha --list -n {secrets}"
    assert classify(f"kubectl {line}")[1].level is Level.WARNING
    result = run(line)
    rows = {row["key"]: row["value"] for row in result.records()}
    assert rows[LAST_APPLIED] == "<redacted>"
    assert leaked(result) == []


@pytest.mark.parametrize("sort_by", [".data.password", "{.data.password}",
                                     ".metadata.annotations", "..password"])
@pytest.mark.parametrize("output", ["", " -o name", " -o json", " -o yaml", " -o wide",
                                    " -o jsonpath={.items[*].metadata.name}"])
def test_sort_by_over_values_orders_by_nothing(
        run: Runner, secrets: str, sort_by: str, output: str) -> None:
    line = f"get secrets -n {secrets} --sort-by={sort_by}{output}"
    assert classify(f"kubectl {line}")[1].level is Level.FORBIDDEN
    result = run(line)
    assert leaked(result) == []
    if output.startswith(" -o jsonpath"):
        assert (result.text or "").split() == ["alpha", "beta"]
    else:
        assert names(result) == ["alpha", "beta"]  # the server's order: every key is equal


def test_a_jsonpath_filter_on_a_value_matches_nothing(run: Runner, secrets: str) -> None:
    guess = b64(VALUES["alpha"])  # the right guess
    line = (f"get secrets -n {secrets} -o "
            f"jsonpath='{{.items[?(@.data.password==\"{guess}\")].metadata.name}}'")
    assert classify(f"kubectl {line}")[1].level is Level.FORBIDDEN
    result = run(line)
    assert (result.text or "").strip() == ""
    assert leaked(result) == []


def test_wait_for_a_value_is_never_met(run: Runner, secrets: str) -> None:
    line = (f"wait --for=jsonpath='{{.data.password}}'={b64(VALUES['alpha'])} secret/alpha "
            f"-n {secrets} --timeout=2s")
    assert classify(f"kubectl {line}")[1].level is Level.FORBIDDEN
    with pytest.raises(ClusterError) as info:
        run(line)  # the right value: a wait that saw it would return at once
    assert info.value.status == 504
    # the message quotes the condition as typed, and nothing the command did not hold already
    assert [n for n in NEEDLES if n in str(info.value) and n not in line] == []
    met = run(f"wait --for=jsonpath='{{.metadata.name}}'=alpha secret/alpha -n {secrets} "
              "--timeout=10s")
    assert met.records()[0]["met"] is True  # waits on names still work


def test_reads_that_print_secrets_show_keys_not_values(run: Runner, secrets: str) -> None:
    for line in (f"get secret alpha -n {secrets} -o yaml",
                 f"get secrets -n {secrets} -o json",
                 f"get secret alpha -n {secrets} -o jsonpath={{.data}}",
                 f"get secrets -n {secrets} -o custom-columns=N:.metadata.name,P:.data.password",
                 f"describe secret alpha -n {secrets}",
                 f"apply view-last-applied secret/alpha -n {secrets} -o json"):
        try:
            result = run(line)
        except ClusterError as exc:  # a read kubechat does not run is refused, never leaks
            assert exc.status == 400 and not any(n in str(exc) for n in NEEDLES), line
            continue
        assert leaked(result) == [], line
        shown = (result.text or "") + result.to_json().decode()
        assert "password" in shown or "<redacted>" in shown, line  # the key, or its redaction


def test_a_write_preview_cannot_tell_a_right_guess_from_a_wrong_one(
        run: Runner, secrets: str) -> None:
    def preview(value: str) -> Result:
        manifest = {"apiVersion": "v1", "kind": "Secret",
                    "metadata": {"name": "alpha", "namespace": secrets},
                    "data": {"password": b64(value)}}
        return run("apply -f -", manifest=json.dumps(manifest), dry_run=True)

    right, wrong = preview(VALUES["alpha"]), preview("not-the-value")
    assert right.records() == wrong.records()
    assert right.diff == wrong.diff
    assert {row["field"]: row["after"] for row in right.records()} == {
        "data.password": "<redacted> (written)"}
    assert leaked(right) == [] and leaked(wrong) == []
