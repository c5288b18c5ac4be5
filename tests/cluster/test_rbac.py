"""Impersonation lets cluster RBAC decide; failures become clear ClusterErrors."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from kubechat_lab.cluster import ClientClosedError, ClusterClient, ClusterConfig
from kubechat_lab.command import parse
from kubechat_lab.errors import ClusterError
from tests.cluster.conftest import Runner
from tests.plugins.sandbox import SandboxInfo, kubectl

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def roles(sandbox: SandboxInfo, scratch: str) -> dict[str, str]:
    """A read-only user, a user limited to the scratch namespace, and a group binding."""
    suffix = uuid.uuid4().hex[:6]
    users = {"reader": f"kc-reader-{suffix}", "local": f"kc-local-{suffix}",
             "group": f"kc-team-{suffix}"}
    docs = [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": "read-only", "namespace": scratch},
         "rules": [{"apiGroups": ["", "apps"], "resources": ["pods", "configmaps",
                                                              "deployments"],
                    "verbs": ["get", "list", "watch"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": "read-only-users", "namespace": scratch},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                     "name": "read-only"},
         "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                       "name": users["reader"]},
                      {"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                       "name": users["local"]},
                      {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                       "name": users["group"]}]},
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": "rbac-target", "namespace": scratch}, "data": {"a": "1"}},
    ]
    listed = {"apiVersion": "v1", "kind": "List", "items": docs}
    kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(listed))
    return users


def test_read_only_user_gets_a_clear_403_on_a_write(run: Runner, client: ClusterClient,
                                                    roles: dict[str, str],
                                                    sandbox: SandboxInfo, scratch: str) -> None:
    reader = client.with_identity(roles["reader"])
    listed = run(f"get configmaps -n {scratch}", as_client=reader).to_frame()
    assert "rbac-target" in set(listed["name"])
    for dry in (True, False):
        with pytest.raises(ClusterError) as info:
            run(f"label configmap rbac-target -n {scratch} x=1", dry_run=dry,
                as_client=reader)
        error = info.value
        assert error.status == 403 and error.reason == "Forbidden"
        assert (f"user {roles['reader']} cannot patch configmaps in namespace {scratch} (RBAC)"
                in str(error))
    live = json.loads(kubectl(sandbox, "get", "cm", "rbac-target", "-n", scratch,
                              "-o", "json").stdout)
    assert "x" not in (live["metadata"].get("labels") or {})


def test_namespace_limited_user_cannot_list_another_namespace(
    run: Runner, client: ClusterClient, roles: dict[str, str], scratch: str
) -> None:
    local = client.with_identity(roles["local"])
    assert run(f"get pods -n {scratch}", as_client=local).kind == "pods"
    with pytest.raises(ClusterError) as info:
        run("get pods -n shop", as_client=local)
    assert info.value.status == 403
    assert f"user {roles['local']} cannot list pods in namespace shop (RBAC)" in str(info.value)
    with pytest.raises(ClusterError, match="cannot list pods cluster-wide") as everywhere:
        run("get pods -A", as_client=local)
    assert everywhere.value.status == 403
    assert run("auth can-i list pods -n shop", as_client=local).text == "no\n"
    assert run(f"auth can-i list pods -n {scratch}", as_client=local).text == "yes\n"


def test_groups_are_sent_as_separate_headers(run: Runner, client: ClusterClient,
                                             roles: dict[str, str], scratch: str) -> None:
    stranger = f"kc-stranger-{uuid.uuid4().hex[:4]}"
    alone = client.with_identity(stranger)
    with pytest.raises(ClusterError) as info:
        run(f"get configmaps -n {scratch}", as_client=alone)
    assert info.value.status == 403
    member = client.with_identity(stranger, ("some-other-group", roles["group"]))
    frame = run(f"get configmaps -n {scratch}", as_client=member).to_frame()
    assert "rbac-target" in set(frame["name"])


def test_impersonation_from_config(cluster_config: ClusterConfig, roles: dict[str, str],
                                   scratch: str) -> None:
    from dataclasses import replace

    config = replace(cluster_config, impersonate_user=roles["reader"])
    with ClusterClient(config) as reader:
        with pytest.raises(ClusterError) as info:
            reader.execute(parse(f"delete configmap rbac-target -n {scratch}"))
    assert info.value.status == 403 and "cannot delete configmaps" in str(info.value)


def test_unreachable_server_says_how_to_fix_it(sandbox: SandboxInfo, tmp_path: Path) -> None:
    data = yaml.safe_load(sandbox.kubeconfig.read_text())
    for cluster in data["clusters"]:
        cluster["cluster"]["server"] = "https://127.0.0.1:9"  # nothing listens on discard
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(data))
    with ClusterClient(ClusterConfig(kubeconfig=str(path), request_timeout=5)) as dead:
        with pytest.raises(ClusterError) as info:
            dead.execute(parse("get pods"))
    assert info.value.status == 0 and info.value.reason == "Unreachable"
    assert "cannot reach the API server at https://127.0.0.1:9" in str(info.value)
    assert "kubechat sandbox up" in str(info.value)


def test_missing_kubeconfig_and_closed_client(tmp_path: Path,
                                              cluster_config: ClusterConfig) -> None:
    missing = tmp_path / "nope.kubeconfig"
    with pytest.raises(ClusterError, match="cannot load") as info:
        ClusterClient(ClusterConfig(kubeconfig=str(missing))).execute(parse("get pods"))
    assert info.value.reason == "ConfigError" and str(missing) in str(info.value)
    client = ClusterClient(cluster_config)
    client.close()
    with pytest.raises(ClientClosedError, match="closed"):
        client.execute(parse("get pods"))


def test_reads_have_no_dry_run(client: ClusterClient) -> None:
    with pytest.raises(ClusterError, match="has no dry run") as info:
        client.dry_run(parse("get pods"))
    assert info.value.status == 400
