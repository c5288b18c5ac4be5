"""The API server's readings of writes that the policy relies on, checked on the real sandbox.

Each test sends a write the way the API server receives it (the real kubectl, as a server-side
dry run: nothing persists) or through the write engine, shows what the server makes of it, and
checks that the policy judges it by that reading: a JSON patch path without its leading ``/``
is applied from the root, ``~1``/``~0`` decode and a bare ``~`` does not, ``-1`` and ``01``
are array indices, operations run in order, ``replace /metadata/labels {}`` drops every label,
server-side apply drops labels an earlier apply listed, and ``replace --force`` deletes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

import pytest

from kubechat_lab.cluster import ClusterClient
from kubechat_lab.command import parse, pointer_tokens
from kubechat_lab.errors import ClusterError
from kubechat_lab.policy import Level, classify
from tests.cluster.conftest import Runner
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl

pytestmark = pytest.mark.sandbox

ENFORCE = "pod-security.kubernetes.io/enforce"


def _ops(*operations: dict[str, Any]) -> str:
    return json.dumps(list(operations), separators=(",", ":"))


def _server_patch(sandbox: SandboxInfo, target: list[str], patch: str) -> Any:
    """The object the API server would store for a JSON patch (a server-side dry run)."""
    done = kubectl(sandbox, "patch", *target, "--type=json", "-p", patch, "--dry-run=server",
                   "-o", "json", check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _server_refusal(sandbox: SandboxInfo, target: list[str], patch: str) -> str:
    done = kubectl(sandbox, "patch", *target, "--type=json", "-p", patch, "--dry-run=server",
                   check=False)
    assert done.returncode != 0, done.stdout
    return done.stderr


def _judged(target: list[str], patch: str) -> Level:
    _, assessment = classify(f"kubectl patch {' '.join(target)} --type=json -p '{patch}'")
    return assessment.level


@pytest.fixture(scope="module")
def settings(sandbox: SandboxInfo, scratch: str) -> Iterator[list[str]]:
    """A ConfigMap ``settings`` in the scratch namespace; the kubectl words that name it."""
    kubectl(sandbox, "create", "configmap", "settings", "-n", scratch, "--from-literal=a=b")
    yield ["configmap", "settings", "-n", scratch]


def test_a_path_without_its_leading_slash_is_applied_from_the_root(
        sandbox: SandboxInfo, scratch: str, settings: list[str]) -> None:
    # the server drops the first segment whatever it is: x/metadata/labels is /metadata/labels
    patch = _ops({"op": "add", "path": "x/metadata/labels", "value": {"team": "shop"}})
    assert _server_patch(sandbox, settings, patch)["metadata"]["labels"] == {"team": "shop"}
    # the review's attack: the enforce label set to privileged, on a real namespace
    namespace = ["namespace", scratch]
    patch = _ops({"op": "add", "path": "x/metadata/labels/pod-security.kubernetes.io~1enforce",
                  "value": "privileged"})
    assert _server_patch(sandbox, namespace, patch)["metadata"]["labels"][ENFORCE] == \
        "privileged"
    assert _judged(namespace, patch) is Level.FORBIDDEN  # refused: not an RFC 6901 pointer
    # and metadata/labels is read as /labels (a field the object does not have)
    patch = _ops({"op": "add", "path": "metadata/labels", "value": {"team": "shop"}})
    assert "labels" not in _server_patch(sandbox, settings, patch)["metadata"]
    assert _judged(settings, patch) is Level.FORBIDDEN
    assert kjson(sandbox, "get", *settings)["metadata"].get("labels") is None  # dry runs only


def test_escapes_decode_as_the_policy_decodes_them(sandbox: SandboxInfo,
                                                   settings: list[str]) -> None:
    path = "/metadata/annotations/example.com~1note"
    patch = _ops({"op": "add", "path": "/metadata/annotations", "value": {}},
                 {"op": "add", "path": path, "value": "x"})
    after = _server_patch(sandbox, settings, patch)
    assert after["metadata"]["annotations"] == {"example.com/note": "x"}
    assert pointer_tokens(path)[-1] == "example.com/note"
    # ~0 is "~", and ~01 is "~1" (one pass, as RFC 6901 orders it): the server names the
    # decoded keys when it refuses them as annotation keys
    refusal = _server_refusal(sandbox, settings, _ops(
        {"op": "add", "path": "/metadata/annotations", "value": {}},
        {"op": "add", "path": "/metadata/annotations/a~1b~0c", "value": "1"},
        {"op": "add", "path": "/metadata/annotations/x~01", "value": "2"}))
    assert '"a/b~c"' in refusal and '"x~1"' in refusal
    assert pointer_tokens("/a~1b~0c") == ("a/b~c",) and pointer_tokens("/x~01") == ("x~1",)
    # a "~" followed by anything else is kept as it is by the server; the policy refuses it
    refusal = _server_refusal(sandbox, settings, _ops(
        {"op": "add", "path": "/metadata/labels", "value": {}},
        {"op": "add", "path": "/metadata/labels/c~2d", "value": "x"}))
    assert '"c~2d"' in refusal
    assert _judged(settings, _ops({"op": "add", "path": "/metadata/labels/c~2d",
                                   "value": "x"})) is Level.FORBIDDEN


def test_signed_and_zero_padded_indices_are_read_as_indices(sandbox: SandboxInfo,
                                                            settings: list[str]) -> None:
    patch = _ops(
        {"op": "add", "path": "/metadata/finalizers",
         "value": ["example.com/a", "example.com/b", "example.com/c"]},
        {"op": "replace", "path": "/metadata/finalizers/-1", "value": "example.com/z"},
        {"op": "replace", "path": "/metadata/finalizers/01", "value": "example.com/y"})
    after = _server_patch(sandbox, settings, patch)
    assert after["metadata"]["finalizers"] == ["example.com/a", "example.com/y",
                                               "example.com/z"]
    assert _judged(settings, patch) is Level.FORBIDDEN  # -1 and 01 are not RFC 6902 indices


def test_operation_names_are_exact(sandbox: SandboxInfo, settings: list[str]) -> None:
    patch = _ops({"op": "ADD", "path": "/metadata/labels", "value": {"a": "b"}})
    _server_refusal(sandbox, settings, patch)
    assert _judged(settings, patch) is Level.FORBIDDEN


def test_operations_run_in_order_and_a_set_value_replaces_whole(
        sandbox: SandboxInfo, scratch: str) -> None:
    namespace = ["namespace", scratch]
    enforce = "/metadata/labels/pod-security.kubernetes.io~1enforce"
    cleared = _ops({"op": "replace", "path": "/metadata/labels", "value": {}})
    labels = _server_patch(sandbox, namespace, cleared)["metadata"].get("labels") or {}
    assert ENFORCE not in labels and "team" not in labels
    assert _judged(namespace, cleared) is Level.FORBIDDEN  # the enforce label is gone after it
    then_set = _ops({"op": "replace", "path": "/metadata/labels", "value": {}},
                    {"op": "add", "path": enforce, "value": "restricted"})
    labels = _server_patch(sandbox, namespace, then_set)["metadata"]["labels"]
    assert labels[ENFORCE] == "restricted"
    assert _judged(namespace, then_set) is Level.DANGEROUS
    set_then_cleared = _ops({"op": "add", "path": enforce, "value": "restricted"},
                            {"op": "replace", "path": "/metadata/labels", "value": {}})
    labels = _server_patch(sandbox, namespace, set_then_cleared)["metadata"].get("labels") or {}
    assert ENFORCE not in labels
    assert _judged(namespace, set_then_cleared) is Level.FORBIDDEN


def test_server_side_apply_drops_what_an_earlier_apply_listed(
        run: Runner, sandbox: SandboxInfo, scratch: str) -> None:
    def manifest(labels: dict[str, str] | None) -> str:
        meta: dict[str, Any] = {"name": "applied", "namespace": scratch}
        if labels is not None:
            meta["labels"] = labels
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta})

    run("apply -f -", manifest=manifest({"team": "shop", "tier": "web"}))
    run(f"label configmap applied -n {scratch} owner=kc")  # another kind of write keeps it
    preview = run("apply -f -", manifest=manifest(None), dry_run=True)
    dropped = {row["field"]: row["after"] for row in preview.records()}
    assert dropped == {"metadata.labels.team": None, "metadata.labels.tier": None}
    live = kjson(sandbox, "get", "configmap", "applied", "-n", scratch)["metadata"]["labels"]
    assert live == {"team": "shop", "tier": "web", "owner": "kc"}  # the preview persisted nothing
    # so an apply of a Namespace that does not list its enforce label is judged as its removal
    namespace = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": scratch}})
    _, assessment = classify("kubectl apply -f -", manifest=namespace)
    assert assessment.level is Level.FORBIDDEN and "security-weakening" in assessment.rule_ids


def test_replace_force_deletes_then_creates(run: Runner, sandbox: SandboxInfo,
                                            scratch: str) -> None:
    manifest = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                           "metadata": {"name": "forced", "namespace": scratch},
                           "data": {"a": "b"}})
    run("create -f -", manifest=manifest)
    before = kjson(sandbox, "get", "configmap", "forced", "-n", scratch)["metadata"]["uid"]
    done = run("replace --force -f -", manifest=manifest)
    assert [row["action"] for row in done.records()] == ["deleted", "created"]
    after = kjson(sandbox, "get", "configmap", "forced", "-n", scratch)["metadata"]["uid"]
    assert after != before  # another object: the first one was deleted
    _, assessment = classify("kubectl replace --force -f -", manifest=manifest)
    assert "delete" in assessment.rule_ids and assessment.level is Level.DANGEROUS
    protected = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": "kube-node-lease"}})
    _, assessment = classify("kubectl replace --force -f -", manifest=protected)
    assert assessment.level is Level.FORBIDDEN
    assert "delete-protected-namespace" in assessment.rule_ids


def test_the_write_engine_sends_only_what_the_policy_can_judge(
        run: Runner, client: ClusterClient, sandbox: SandboxInfo, scratch: str,
        settings: list[str]) -> None:
    patch = _ops({"op": "add", "path": "x/metadata/labels", "value": {"team": "shop"}})
    with pytest.raises(ClusterError, match="not an RFC 6901 JSON pointer") as info:
        run(f"patch configmap settings -n {scratch} --type=json -p '{patch}'")
    assert info.value.status == 400
    # label changes the grammar refuses (set and removed) are refused by the engine as well,
    # should a command built in code hold them
    command = parse(f"label configmap settings -n {scratch} team=shop")
    for args in (("team=shop", "team-"), ("team-", "team=shop"), ("team=a", "team=b")):
        with pytest.raises(ClusterError, match="conflicting changes") as info:
            client.execute(dataclasses.replace(command, args=args))
        assert info.value.status == 400
    assert kjson(sandbox, "get", *settings)["metadata"].get("labels") is None


def test_a_dry_run_of_a_write_persists_nothing(run: Runner, sandbox: SandboxInfo,
                                               scratch: str, settings: list[str]) -> None:
    for flag in ("--dry-run=server", "--dry-run=client"):
        line = f"label configmap settings -n {scratch} team=shop {flag}"
        _, assessment = classify(f"kubectl {line}")
        assert assessment.level is Level.WARNING  # judged as the write it previews
        done = run(line)  # executed, not previewed: the flag itself makes it a dry run
        assert done.status == "dry-run"
        assert [row["after"] for row in done.records()] == ["shop"]
        assert kjson(sandbox, "get", *settings)["metadata"].get("labels") is None
