"""RBAC grants to everyone: every subject that means everyone x every rule with a power.

Properties over the spellings: manifests in YAML, JSON, ``kind: List`` or several documents;
Role or ClusterRole; RoleBinding or ClusterRoleBinding; every subject that stands for every
user, anonymous caller or service account; every way a rule can read secrets, mint tokens,
exec or escalate (wildcards included). The same rules given to a named group, or harmless rules
given to everyone, are never ``rbac-broad-grant``.
"""

from __future__ import annotations

import json

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.policy import Level, classify
from kubechat_lab.policy._rbac import rule_powers

RBAC = "rbac.authorization.k8s.io"

_EVERYONE = st.sampled_from([
    {"kind": "Group", "name": "system:authenticated"},
    {"kind": "Group", "name": "system:unauthenticated"},
    {"kind": "Group", "name": "system:serviceaccounts"},
    {"kind": "Group", "name": "system:serviceaccounts:shop"},
    {"kind": "User", "name": "system:anonymous"},
])
_NAMED = st.sampled_from([
    {"kind": "Group", "name": "shop-ops"},
    {"kind": "User", "name": "alice@example.com"},
    {"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
])
_CORE = st.sampled_from([[""], ["*"], ["", "apps"]])


@st.composite
def _powerful_rule(draw: st.DrawFn) -> dict[str, object]:
    power = draw(st.sampled_from(["secrets", "token", "exec", "escalate", "proxy", "pods",
                                  "everything"]))
    groups = draw(_CORE)
    if power == "secrets":
        resources = draw(st.sampled_from([["secrets"], ["*"], ["configmaps", "secrets"]]))
        verbs = draw(st.lists(st.sampled_from(["get", "list", "watch", "*"]), min_size=1,
                              max_size=3, unique=True))
    elif power == "token":
        resources = draw(st.sampled_from([["serviceaccounts/token"], ["serviceaccounts/*"]]))
        verbs = draw(st.sampled_from([["create"], ["*"]]))
    elif power == "exec":
        resources = draw(st.sampled_from([["pods/exec"], ["pods/attach"], ["pods/*"],
                                          ["pods", "pods/exec"]]))
        verbs = draw(st.sampled_from([["create"], ["get"], ["*"]]))
    elif power == "escalate":
        verb = draw(st.sampled_from(["escalate", "bind", "impersonate"]))
        resources = draw(st.sampled_from([["roles"], ["clusterroles"], ["users"], ["groups"],
                                          ["serviceaccounts"]]))
        verbs = [verb]
        groups = ["*"]
    elif power == "proxy":
        resources, verbs = ["nodes/proxy"], draw(st.sampled_from([["get"], ["create"]]))
    elif power == "pods":
        resources = draw(st.sampled_from([["pods"], ["*"]]))
        verbs = draw(st.sampled_from([["create"], ["patch"], ["*"]]))
    else:
        resources, verbs, groups = ["*"], ["*"], ["*"]
    return {"apiGroups": groups, "resources": resources, "verbs": verbs}


_HARMLESS = st.builds(
    lambda resources, verbs: {"apiGroups": [""], "resources": resources, "verbs": verbs},
    st.lists(st.sampled_from(["pods", "pods/log", "configmaps", "services", "events"]),
             min_size=1, max_size=3, unique=True),
    st.lists(st.sampled_from(["get", "list", "watch"]), min_size=1, max_size=3, unique=True),
)


def _manifest(rules: list[dict[str, object]], subject: dict[str, object], cluster_role: bool,
              cluster_binding: bool, form: str) -> str:
    role_kind = "ClusterRole" if cluster_role or cluster_binding else "Role"
    role: dict[str, object] = {"apiVersion": f"{RBAC}/v1", "kind": role_kind,
                               "metadata": {"name": "granted", "namespace": "shop"},
                               "rules": rules}
    if role_kind == "ClusterRole":
        role["metadata"] = {"name": "granted"}
    binding = {"apiVersion": f"{RBAC}/v1",
               "kind": "ClusterRoleBinding" if cluster_binding else "RoleBinding",
               "metadata": {"name": "to-all"} if cluster_binding else
               {"name": "to-all", "namespace": "shop"},
               "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": "granted"},
               "subjects": [dict(subject, apiGroup=RBAC) if subject["kind"] != "ServiceAccount"
                            else subject]}
    if form == "json-list":
        return json.dumps({"apiVersion": "v1", "kind": "List", "items": [role, binding]})
    if form == "yaml-docs":
        return yaml.safe_dump(role) + "---\n" + yaml.safe_dump(binding)
    return yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [binding, role]})


_FORMS = st.sampled_from(["json-list", "yaml-docs", "yaml-list"])
_VERBS = st.sampled_from(["apply", "create", "replace"])


@settings(max_examples=150, deadline=None)
@given(st.lists(_HARMLESS, max_size=2), _powerful_rule(), _EVERYONE, st.booleans(),
       st.booleans(), _FORMS, _VERBS)
def test_any_power_granted_to_everyone_is_forbidden(
        harmless: list[dict[str, object]], rule: dict[str, object], subject: dict[str, object],
        cluster_role: bool, cluster_binding: bool, form: str, verb: str) -> None:
    manifest = _manifest([*harmless, rule], subject, cluster_role, cluster_binding, form)
    _, assessment = classify(f"kubectl {verb} -f -", manifest=manifest)
    assert assessment.level is Level.FORBIDDEN, (manifest, assessment)
    assert "rbac-broad-grant" in assessment.rule_ids, assessment
    assert rule_powers(rule), rule


@settings(max_examples=80, deadline=None)
@given(_powerful_rule(), _NAMED, st.booleans(), _FORMS)
def test_the_same_power_given_to_a_named_subject_is_dangerous(
        rule: dict[str, object], subject: dict[str, object], cluster_binding: bool,
        form: str) -> None:
    manifest = _manifest([rule], subject, True, cluster_binding, form)
    _, assessment = classify("kubectl apply -f -", manifest=manifest)
    assert assessment.level is Level.DANGEROUS, assessment
    assert "rbac-broad-grant" not in assessment.rule_ids


@settings(max_examples=80, deadline=None)
@given(st.lists(_HARMLESS, min_size=1, max_size=3), _EVERYONE, st.booleans(), _FORMS)
def test_harmless_rules_for_everyone_are_only_an_rbac_write(
        rules: list[dict[str, object]], subject: dict[str, object], cluster_binding: bool,
        form: str) -> None:
    manifest = _manifest(rules, subject, True, cluster_binding, form)
    _, assessment = classify("kubectl apply -f -", manifest=manifest)
    assert assessment.level is Level.DANGEROUS and "rbac-broad-grant" not in \
        assessment.rule_ids, assessment


@settings(max_examples=80, deadline=None)
@given(_powerful_rule(), st.sampled_from(["view", "edit", "admin"]), st.booleans())
def test_a_powerful_role_joining_view_is_forbidden_and_edit_or_admin_dangerous(
        rule: dict[str, object], into: str, as_json: bool) -> None:
    role = {"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole",
            "metadata": {"name": "joins", "labels": {f"{RBAC}/aggregate-to-{into}": "true"}},
            "rules": [rule]}
    text = json.dumps(role) if as_json else yaml.safe_dump(role)
    _, assessment = classify("kubectl apply -f -", manifest=text)
    if into == "view":
        assert assessment.level is Level.FORBIDDEN and "rbac-broad-grant" in \
            assessment.rule_ids, assessment
    else:
        assert assessment.level is Level.DANGEROUS and "rbac-aggregation" in \
            assessment.rule_ids, assessment


@settings(max_examples=50, deadline=None)
@given(_EVERYONE, st.sampled_from(["cluster-admin", "admin", "edit", "system:node",
                                   "some-custom-role"]), st.booleans())
def test_create_binding_of_a_powerful_or_unseen_role_to_everyone_is_forbidden(
        subject: dict[str, object], role: str, cluster: bool) -> None:
    if subject["kind"] != "Group":
        return  # `create ...binding --user` is a credential flag the grammar refuses
    line = (f"kubectl create clusterrolebinding all --clusterrole={role} "
            f"--group={subject['name']}" if cluster else
            f"kubectl create rolebinding all -n shop --clusterrole={role} "
            f"--group={subject['name']}")
    _, assessment = classify(line)
    assert assessment.level is Level.FORBIDDEN and "rbac-broad-grant" in \
        assessment.rule_ids, assessment


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


@settings(max_examples=100, deadline=None)
@given(_EVERYONE, st.sampled_from(["cluster-admin", "readers", "ci-deployers"]),
       st.sampled_from(["json", "merge", "strategic"]),
       st.sampled_from(["clusterrolebinding", "clusterrolebindings",
                        "clusterrolebindings.rbac.authorization.k8s.io", "rolebinding -n shop"]))
def test_any_patch_adding_everyone_to_a_binding_of_an_unseen_or_powerful_role_is_forbidden(
        subject: dict[str, object], binding: str, patch_type: str, resource: str) -> None:
    entry = dict(subject, apiGroup=RBAC)
    if patch_type == "json":
        body = json.dumps([{"op": "add", "path": "/subjects/-", "value": entry}])
    else:
        body = json.dumps({"subjects": [entry]})
    kind, _, namespace = resource.partition(" ")
    line = f"kubectl patch {kind} {binding} {namespace} --type={patch_type} -p {_quoted(body)}"
    _, assessment = classify(" ".join(line.split()))
    assert assessment.level is Level.FORBIDDEN, (line, assessment)
    assert "rbac-broad-grant" in assessment.rule_ids
