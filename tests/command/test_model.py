"""The Command dataclass, its helpers, and the ResourceTable."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from kubechat_lab.command import (
    DEFAULT_RESOURCES,
    Command,
    CommandError,
    CommandSyntaxError,
    ResourceInfo,
    parse,
)

WIDGET = ResourceInfo("widgets", "widget", "Widget", ("wg",), "example.com", "v1", True)


def test_command_is_frozen_and_hashable() -> None:
    command = parse("kubectl get pods -n shop")
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.verb = "delete"  # type: ignore[misc]
    assert hash(command) == hash(parse("get po --namespace=shop"))
    assert dataclasses.replace(command, namespace="web").render() == "kubectl get pods -n web"


def test_flag_helpers() -> None:
    command = parse("kubectl create cm c --from-literal=a=1 --from-literal=b=2 --dry-run=server")
    assert command.flag("from-literal") == "a=1"
    assert command.flag_values("from-literal") == ("a=1", "b=2")
    assert command.has_flag("dry-run") and not command.has_flag("force")
    assert command.flag("force") is None
    assert command.is_dry_run and command.is_write


@pytest.mark.parametrize(
    ("line", "write"),
    [
        ("get pods", False),
        ("describe pods web", False),
        ("logs web", False),
        ("wait --for=delete pod/web", False),
        ("rollout status deploy/web", False),
        ("rollout history deploy/web", False),
        ("rollout restart deploy/web", True),
        ("rollout undo deploy/web", True),
        ("scale deploy/web --replicas=2", True),
        ("cordon n1", True),
        ("label pods web a=b", True),
        ("label pods web --list", False),
        ("set env deploy/web --list", False),
        ("set env deploy/web A=b", True),
        ("apply -f -", True),
        ("apply view-last-applied deploy/web", False),
        ("delete pod web", True),
        ("delete pod web --dry-run=server", True),
    ],
)
def test_is_write(line: str, write: bool) -> None:
    assert parse(line).is_write is write


def test_to_dict_and_from_dict_round_trip() -> None:
    command = parse("kubectl get deploy/a svc/b -n shop -o yaml")
    data = command.to_dict()
    assert data["canonical"] == "kubectl get deployments/a services/b -n shop -o yaml"
    assert data["targets"] == [["deployments", "a"], ["services", "b"]]
    assert Command.from_dict(data) == command


def test_from_dict_refuses_what_the_grammar_would_not_produce() -> None:
    data = parse("kubectl get pods").to_dict()
    data["namespace"] = "Not_Valid"
    with pytest.raises(CommandError) as info:
        Command.from_dict(data)
    assert info.value.reason == "invalid-name"
    data = parse("kubectl get pods").to_dict()
    data["resources"] = ["po"]  # not canonical
    with pytest.raises(CommandError) as info:
        Command.from_dict(data)
    assert info.value.reason == "invalid-command"
    with pytest.raises(CommandError, match="'verb'"):
        Command.from_dict({})
    with pytest.raises(CommandError, match="list of strings"):
        Command.from_dict({"verb": "get", "resources": "pods"})


def test_manifest_travels_beside_the_command() -> None:
    manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
    command = parse("kubectl apply -f -", manifest=manifest)
    assert command.manifest == manifest
    assert command.render() == "kubectl apply -f -"
    assert parse(command.render(), manifest=command.manifest) == command
    assert Command.from_dict(command.to_dict()) == command
    assert "manifest" not in repr(command)


@pytest.mark.parametrize(
    ("line", "manifest", "reason"),
    [
        ("kubectl get pods", "kind: ConfigMap", "unexpected-manifest"),
        ("kubectl apply -f -", "just: text", "invalid-manifest"),
        ("kubectl apply -f -", "- a\n- b", "invalid-manifest"),
        ("kubectl apply -f -", "{unclosed", "invalid-manifest"),
        ("kubectl apply", None, "missing-argument"),
    ],
)
def test_manifest_refusals(line: str, manifest: str | None, reason: str) -> None:
    with pytest.raises(CommandError) as info:
        parse(line, manifest=manifest)
    assert info.value.reason == reason


def test_resource_table_spellings() -> None:
    for spelling in ("deployments", "deployment", "Deployment", "deploy", "deployments.apps",
                     "deployments.v1.apps", "DEPLOY"):
        found = DEFAULT_RESOURCES.lookup(spelling)
        assert found is not None and found[0] == "deployments", spelling
    assert DEFAULT_RESOURCES.lookup("deployments.batch") is None
    assert DEFAULT_RESOURCES.lookup("events")[1].group == ""  # type: ignore[index]
    assert DEFAULT_RESOURCES.lookup("events.events.k8s.io")[0] == "events.events.k8s.io"  # type: ignore[index]
    assert "po" in DEFAULT_RESOURCES and "frob" not in DEFAULT_RESOURCES
    assert DEFAULT_RESOURCES.info("nodes").namespaced is False


def test_unknown_resource_suggests_close_names() -> None:
    with pytest.raises(CommandError, match="did you mean") as info:
        parse("kubectl get deploymnets")
    assert info.value.reason == "unknown-resource"


def test_discovered_crds_extend_the_table() -> None:
    with pytest.raises(CommandError):
        parse("kubectl get widgets")
    table = DEFAULT_RESOURCES.with_resources([WIDGET])
    assert len(table) == len(DEFAULT_RESOURCES) + 1
    command = parse("kubectl get wg/w1 -n shop", resources=table)
    assert command.resources == ("widgets.example.com",)
    assert table.info("widgets.example.com") == WIDGET
    # a CRD that reuses a built-in short name does not steal it
    clash = ResourceInfo("pollers", "poller", "Poller", ("po",), "example.com")
    table = DEFAULT_RESOURCES.with_resources([clash])
    assert parse("get po", resources=table).resources == ("pods",)
    assert parse("get pollers", resources=table).resources == ("pollers.example.com",)


def test_errors_carry_their_data_and_pickle() -> None:
    with pytest.raises(CommandSyntaxError) as info:
        parse("kubectl get pods | sh")
    err = info.value
    assert err.reason == "shell-syntax" and err.position == 17
    again = pickle.loads(pickle.dumps(err))
    assert (again.reason, again.position, str(again)) == (err.reason, err.position, str(err))


def test_secret_values_are_redacted_for_the_record_only() -> None:
    line = ("create secret generic db -n shop --from-literal=password=s3=cr3t "
            "--from-literal=user=bob")
    cmd = parse(line)
    assert {"s3=cr3t", "bob"} <= set(cmd.secret_values)
    assert "s3=cr3t" in cmd.render()  # what runs keeps the values
    recorded = cmd.redacted()
    assert "s3=cr3t" not in recorded and "bob" not in recorded
    assert parse(recorded).flag_values("from-literal") == ("password=<redacted>",
                                                           "user=<redacted>")
    assert cmd.redact("make db with password s3=cr3t for bob") == (
        "make db with password <redacted> for <redacted>")
    configmap = parse("create configmap app -n shop --from-literal=mode=fast")
    assert configmap.secret_values == () and configmap.redacted() == configmap.render()
