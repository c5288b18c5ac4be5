"""Operator policy files: overriding, adding and disabling rules; errors that name the cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import Level, PolicyContext, PolicyError, assess, classify, load_policy


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def level(line: str, path: Path, user: str | None = None) -> Level:
    _, assessment = classify(line, policy=load_policy(path), context=PolicyContext(user=user))
    return assessment.level


def test_operator_rules_add_and_override(tmp_path: Path) -> None:
    path = _policy(tmp_path, """
version: 1
protected_namespaces: [payments]
rules:
  - id: prod-writes
    level: dangerous
    reason: "{verb} writes to production namespace {namespace}."
    match: {write: true, namespaces: ["prod-*"]}
  - id: write                       # replaces the default rule of the same id
    level: safe
    reason: "writes are fine here"
    match: {write: true, namespaces: [dev]}
  - id: no-nodes-for-bob
    level: forbidden
    reason: "{user} may not touch nodes."
    match: {users: [bob], resources: [nodes]}
  - id: big-scale
    level: dangerous
    reason: "scaling above 9 replicas"
    match: {verbs: [scale], flags: {replicas: "[1-9][0-9]*"}}
disable: [rbac-write]
denied_resources:
  - secrets
  - {kind: CustomResourceDefinition, group: apiextensions.k8s.io}
""")
    assert level("kubectl label pods web a=b -n prod-eu", path) is Level.DANGEROUS
    assert level("kubectl label pods web a=b -n dev", path) is Level.SAFE
    # the default `write` rule was replaced: a write outside dev matches no write rule
    _, assessment = classify("kubectl label pods web a=b -n shop", policy=load_policy(path))
    assert assessment.rule_ids == ("no-rule",) and assessment.level is Level.WARNING
    # protected namespaces were replaced
    assert level("kubectl label pods web a=b -n kube-system", path) is Level.WARNING
    assert level("kubectl label pods web a=b -n payments", path) is Level.DANGEROUS
    assert level("kubectl cordon n1", path, user="bob") is Level.FORBIDDEN
    assert level("kubectl cordon n1", path, user="alice") is Level.WARNING
    _, assessment = classify("kubectl cordon n1", policy=load_policy(path),
                             context=PolicyContext(user="bob"))
    assert assessment.reasons[0] == "bob may not touch nodes."
    assert level("kubectl scale deploy/web --replicas=12 -n dev", path) is Level.DANGEROUS
    assert level("kubectl scale deploy/web --replicas=2 -n dev", path) is Level.SAFE
    assert level("kubectl create role r --verb=get --resource=pods -n dev", path) is Level.SAFE
    assert level("kubectl describe secret db", path) is Level.FORBIDDEN
    assert level("kubectl create secret generic s --from-literal=a=b -n dev", path) \
        is Level.FORBIDDEN
    assert level("kubectl get crds", path) is Level.FORBIDDEN


def test_standalone_policy_does_not_extend_the_default(tmp_path: Path) -> None:
    path = _policy(tmp_path, """
extends_default: false
rules:
  - {id: everything-asks, level: warning, reason: "ask first"}
""")
    policy = load_policy(path)
    assert [rule.id for rule in policy.rules] == ["everything-asks"]
    assert policy.protected_namespaces == frozenset()
    assert assess(parse("kubectl get pods"), policy=policy).level is Level.WARNING


def test_empty_policy_file_is_the_default(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, ""))
    assert [r.id for r in policy.rules] == [r.id for r in load_policy().rules]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rules: [{id: r1, level: severe, reason: x}]",
         "rule 'r1': field 'level': 'severe' is not one of safe, warning, dangerous, forbidden"),
        ("rules: [{id: r1, level: safe}]", "rule 'r1': field 'reason'"),
        ("rules: [{level: safe, reason: x}]", "rule #1: field 'id'"),
        ("rules: [{id: r1, level: safe, reason: x, match: {verbz: [get]}}]",
         "rule 'r1': field 'match.verbz': unknown match field (did you mean verbs"),
        ("rules: [{id: r1, level: safe, reason: x, match: {verbs: [gte]}}]",
         "rule 'r1': field 'match.verbs': unknown verb 'gte' (did you mean get?)"),
        ("rules: [{id: r1, level: safe, reason: x, match: {resources: [podz]}}]",
         "rule 'r1': field 'match.resources': unknown resource 'podz' (did you mean pods?)"),
        ("rules: [{id: r1, level: safe, reason: x, match: {write: yes-please}}]",
         "rule 'r1': field 'match.write': expected true or false"),
        ("rules: [{id: r1, level: safe, reason: x, match: {flags: {--all: true}}}]",
         "rule 'r1': field 'match.flags': flag names are written without dashes"),
        ("rules: [{id: r1, level: safe, reason: 'x {verbb}'}]",
         "rule 'r1': field 'reason': unknown placeholder {verbb}"),
        ("rules: [{id: r1, level: safe, reason: x, colour: red}]",
         "rule 'r1': field 'colour': unknown rule field"),
        ("rules: [{id: r1, level: safe, reason: x}, {id: r1, level: safe, reason: y}]",
         "rule 'r1': field 'id': the id is used twice"),
        ("rulez: []", "unknown field 'rulez' (did you mean 'rules'?)"),
        ("version: 2", "field 'version': 2 is not supported"),
        ("disable: [delet]", "field 'disable': no rule 'delet' to disable (did you mean delete"),
        ("protected_namespaces: kube-system", "field 'protected_namespaces': expected a list"),
        ("denied_resources: [{kind: Frob}]", "denied_resources #1: field 'kind': unknown"),
        ("rules: {id: r1}", "field 'rules': expected a list of rules"),
        ("- just\n- a list", "expected a mapping at the top level"),
        ("rules: [{id: r1\n", "is not valid YAML"),
    ],
)
def test_policy_errors_name_file_rule_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = _policy(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    message = str(info.value)
    assert str(path) in message
    assert expected in message, message


def test_missing_policy_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot be read"):
        load_policy(tmp_path / "nope.yaml")
