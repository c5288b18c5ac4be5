"""What a person types back to approve a dangerous command: one rule for browser and CLI."""

from __future__ import annotations

import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import confirmation_text


@pytest.mark.parametrize(
    ("line", "confirm"),
    [
        ("kubectl delete pod web-1 -n shop", "web-1"),
        ("kubectl delete pods a b -n shop", "a b"),
        ("kubectl delete pods --all -n shop", "all pods in shop"),
        ("kubectl scale deployment/api --replicas=0 -n payments", "api"),
        ("kubectl delete pods -l app=web -n shop", "pods matching app=web in shop"),
        ("kubectl delete jobs --all -A", "all jobs in every namespace"),
        ("kubectl delete pods --field-selector=status.phase=Failed --all -n ci",
         "all pods with status.phase=Failed in ci"),
        ("kubectl cordon -l pool=spot", "nodes matching pool=spot"),
        ("kubectl delete nodes kwok-worker-3", "kwok-worker-3"),
        ("kubectl create clusterrolebinding ops --clusterrole=admin --group=ops",
         "clusterrolebinding/ops grants admin to group ops"),
        ("kubectl create rolebinding ci -n ci --clusterrole=edit --serviceaccount=ci:builder",
         "rolebinding/ci in ci grants edit to serviceaccount ci:builder"),
        ("kubectl create role reader --verb=get,list --resource=pods -n shop",
         "role/reader in shop allows get,list on pods"),
        ("kubectl delete clusterrolebinding ops", "clusterrolebinding/ops"),
        ("kubectl patch rolebinding/ci -n ci -p '{\"subjects\":[]}'", "rolebinding/ci"),
    ],
)
def test_confirmation_text(line: str, confirm: str) -> None:
    assert confirmation_text(parse(line)) == confirm


def test_a_bulk_write_without_a_namespace_names_the_one_it_runs_in() -> None:
    command = parse("kubectl delete pods --all")
    assert confirmation_text(command, namespace="shop") == "all pods in shop"
    assert confirmation_text(command) == "all pods in the current namespace"


MANIFEST_TWO = """apiVersion: v1
kind: ConfigMap
metadata: {name: a, namespace: shop}
---
apiVersion: v1
kind: Secret
metadata: {name: s}
"""


def test_manifests_name_their_objects_or_count_them_by_kind_and_namespace() -> None:
    two = parse("kubectl delete -f - -n shop", manifest=MANIFEST_TWO)
    assert confirmation_text(two) == "configmap/a in shop, secret/s in shop"
    many = "\n---\n".join(
        [f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}, namespace: shop}}"
         for i in range(3)]
        + [f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s{i}, namespace: data}}"
           for i in range(2)]
        + ["apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}"])
    text = confirmation_text(parse("kubectl apply -f -", manifest=many))
    assert text == "3 configmaps in shop, 2 secrets in data, 1 namespace"
    binding = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n"
               "metadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, "
               "kind: ClusterRole, name: edit}\nsubjects: [{kind: Group, name: devs}]\n")
    assert confirmation_text(parse("kubectl apply -f -", manifest=binding)) == \
        "clusterrolebinding/x grants edit to group devs"
