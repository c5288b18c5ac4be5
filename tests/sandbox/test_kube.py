"""REST paths of the manifests the sandbox seeds: plurals and scope from the resource table."""

from __future__ import annotations

import pytest

from kubechat_lab.errors import SandboxError
from kubechat_lab.sandbox._kube import resource_path


@pytest.mark.parametrize(
    ("api_version", "kind", "namespace", "path"),
    [
        ("apps/v1", "Deployment", "shop", "/apis/apps/v1/namespaces/shop/deployments/x"),
        ("networking.k8s.io/v1", "Ingress", "shop",
         "/apis/networking.k8s.io/v1/namespaces/shop/ingresses/x"),
        ("v1", "Namespace", None, "/api/v1/namespaces/x"),
        ("v1", "ConfigMap", None, "/api/v1/namespaces/default/configmaps/x"),
        ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None,
         "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/x"),
        ("apiregistration.k8s.io/v1", "APIService", None,
         "/apis/apiregistration.k8s.io/v1/apiservices/x"),
    ],
)
def test_resource_path(api_version: str, kind: str, namespace: str | None, path: str) -> None:
    meta = {"name": "x", **({"namespace": namespace} if namespace else {})}
    assert resource_path({"apiVersion": api_version, "kind": kind, "metadata": meta}) == path


def test_unknown_kind_and_missing_name_are_clear_errors() -> None:
    with pytest.raises(SandboxError, match="not a built-in resource"):
        resource_path({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "x"}})
    with pytest.raises(SandboxError, match="no metadata.name"):
        resource_path({"apiVersion": "v1", "kind": "Pod", "metadata": {}})
