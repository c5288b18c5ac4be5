"""Names that become URL path segments are Kubernetes names, in manifests as on the line."""

from __future__ import annotations

import pytest

from kubechat_lab.command import CommandError, parse


def _cm(meta: str, kind: str = "ConfigMap", api: str = "v1") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata: {meta}\n"


@pytest.mark.parametrize("meta", [
    "{name: '.'}", "{name: '..'}", "{name: ''}", "{name: a/b}", "{name: 'a%2Fb'}",
    "{name: Web}", "{name: web_1}", "{name: 12}", "{name: x, namespace: '..'}",
    "{name: x, namespace: a.b}", "{name: x, namespace: 5}", "{generateName: '..'}", "{}",
    "[a, b]", "{namespace: shop}",
])
def test_bad_manifest_names_are_refused(meta: str) -> None:
    with pytest.raises(CommandError) as info:
        parse("kubectl apply -f -", manifest=_cm(meta))
    assert info.value.reason in ("invalid-name", "invalid-manifest"), info.value


@pytest.mark.parametrize(("meta", "kind", "api"), [
    ("{name: web-1.example, namespace: shop}", "ConfigMap", "v1"),
    ("{generateName: job-}", "Job", "batch/v1"),
    ("{name: 'system:aggregate-to-edit'}", "ClusterRole", "rbac.authorization.k8s.io/v1"),
    ("{name: 'Team:Admins@corp'}", "RoleBinding", "rbac.authorization.k8s.io/v1"),
    ("{name: team-a}", "Namespace", "v1"),
    ("{name: v1beta1.metrics.k8s.io}", "APIService", "apiregistration.k8s.io/v1"),
])
def test_good_manifest_names_are_accepted(meta: str, kind: str, api: str) -> None:
    parse("kubectl create -f -", manifest=_cm(meta, kind, api))


@pytest.mark.parametrize("meta", ["{name: team.a}", "{name: 'system:x/y'}", "{name: '..'}"])
def test_kind_specific_names(meta: str) -> None:
    kind = "Namespace" if "team" in meta else "ClusterRole"
    with pytest.raises(CommandError) as info:
        parse("kubectl apply -f -", manifest=_cm(meta, kind, "rbac.authorization.k8s.io/v1"))
    assert info.value.reason == "invalid-name"


def test_auth_can_i_asks_about_any_subresource() -> None:
    command = parse("kubectl auth can-i create pods --subresource=exec -n data")
    assert command.flag("subresource") == "exec"
    assert parse(command.render()) == command
    with pytest.raises(CommandError):
        parse("kubectl get pods --subresource=exec")  # get still takes status/scale/resize
