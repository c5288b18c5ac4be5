"""What the RBAC rules rely on, checked against the sandbox's API server.

The built-in cluster roles have the powers ``kubechat_lab/policy/_rbac.py`` says (and the
limited ones none), and the aggregation controller folds a role labelled
``aggregate-to-view`` into view, edit and admin, and every ClusterRole into an aggregating role
with an empty selector.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from kubechat_lab.policy import Level, classify
from kubechat_lab.policy._rbac import BUILTIN_POWERS, LIMITED_ROLES, rule_powers
from tests.plugins.sandbox import eventually, kjson, kubectl

pytestmark = pytest.mark.sandbox

RBAC = "rbac.authorization.k8s.io"


def _powers(role: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for rule in role.get("rules") or []:
        out.extend(p for p in rule_powers(rule) if p not in out)
    return tuple(out)


def test_the_built_in_roles_have_the_powers_the_policy_assumes(sandbox: Any) -> None:
    live = {r["metadata"]["name"]: r for r in kjson(sandbox, "get", "clusterroles")["items"]}
    for name in sorted(LIMITED_ROLES):
        assert _powers(live[name]) == (), name
    for name, powers in BUILTIN_POWERS.items():
        assert _powers(live[name]) == powers, name


def _rules(sandbox: Any, name: str) -> list[dict[str, Any]]:
    return list(kjson(sandbox, "get", "clusterrole", name).get("rules") or [])


def test_an_aggregate_to_view_role_is_folded_into_view_edit_and_admin(sandbox: Any) -> None:
    suffix = uuid.uuid4().hex[:8]
    name = f"kubechat-test-joins-view-{suffix}"
    # a rule on a resource nobody serves: harmless in a shared cluster's view
    rule = {"apiGroups": ["kubechat-test.example.com"], "resources": [f"widgets{suffix}"],
            "verbs": ["get"]}
    role = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {f"{RBAC}/aggregate-to-view": "true"}},
            "rules": [rule]}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(role))
    try:
        for holder in ("view", "edit", "admin"):
            eventually(lambda holder=holder: rule in _rules(sandbox, holder),
                       f"the aggregation controller folds {name} into {holder}", timeout=60)
    finally:
        kubectl(sandbox, "delete", "clusterrole", name, check=False)
    eventually(lambda: rule not in _rules(sandbox, "view"), f"{name} leaves view", timeout=60)
    # and the policy judges the same role with a power in it as a grant to view's holders
    role["rules"] = [rule, {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}]
    _, assessment = classify("kubectl apply -f -", manifest=json.dumps(role))
    assert assessment.level is Level.FORBIDDEN and "rbac-broad-grant" in assessment.rule_ids


def test_an_empty_selector_aggregates_every_cluster_role(sandbox: Any) -> None:
    name = f"kubechat-test-everything-{uuid.uuid4().hex[:8]}"
    role = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": name},
            "aggregationRule": {"clusterRoleSelectors": [{}]}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(role))
    try:
        admin_rule = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
        eventually(lambda: admin_rule in _rules(sandbox, name),
                   f"{name} holds cluster-admin's rule", timeout=60)
    finally:
        kubectl(sandbox, "delete", "clusterrole", name, check=False)
    binding = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRoleBinding",
               "metadata": {"name": name},
               "roleRef": {"apiGroup": RBAC, "kind": "ClusterRole", "name": name},
               "subjects": [{"apiGroup": RBAC, "kind": "Group", "name": "system:authenticated"}]}
    manifest = json.dumps({"apiVersion": "v1", "kind": "List", "items": [role, binding]})
    _, assessment = classify("kubectl apply -f -", manifest=manifest)
    assert assessment.level is Level.FORBIDDEN and "rbac-broad-grant" in assessment.rule_ids
