"""The default policy (docs/policy.md), data-driven from tests/policy/data/levels.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import (
    DEFAULT_POLICY_PATH,
    Assessment,
    Level,
    PolicyContext,
    assess,
    classify,
    default_policy,
    load_policy,
)

_LINES = (Path(__file__).parent / "data" / "levels.jsonl").read_text(encoding="utf-8")
CASES = [json.loads(line) for line in _LINES.splitlines() if line.strip()]


@pytest.mark.parametrize("case", CASES, ids=[c["command"][:60] for c in CASES])
def test_level(case: dict[str, object]) -> None:
    context_data = case.get("context") or {}
    assert isinstance(context_data, dict)
    context = PolicyContext(**context_data)
    manifest = case.get("manifest")
    command, assessment = classify(
        str(case["command"]), context=context,
        manifest=manifest if isinstance(manifest, str) else None,
    )
    assert assessment.level.value == case["level"], assessment
    for rule in case.get("rules", []):  # type: ignore[attr-defined]
        assert rule in assessment.rule_ids, assessment
    assert len(assessment.reasons) == len(assessment.rule_ids) >= 1
    assert all(reason.strip() and "{" not in reason for reason in assessment.reasons)
    if command is not None:
        assert assess(command, context) == assessment


def test_most_severe_reason_comes_first() -> None:
    _, assessment = classify("kubectl delete pods --all -n kube-system")
    assert assessment.level is Level.DANGEROUS
    assert assessment.rule_ids[-1] == "write"
    assert "delete removes all pods" in assessment.reasons[0]
    assert any("kube-system" in reason for reason in assessment.reasons)
    assert any("--all" in reason for reason in assessment.reasons)


def test_levels_are_ordered() -> None:
    assert Level.SAFE < Level.WARNING < Level.DANGEROUS < Level.FORBIDDEN
    assert max(Level.WARNING, Level.FORBIDDEN, Level.SAFE) is Level.FORBIDDEN
    assert Level("dangerous") is Level.DANGEROUS
    assert str(Level.SAFE) == "safe" and Level.SAFE.value == "safe"


def test_assessment_to_dict() -> None:
    assessment = assess(parse("kubectl get pods"))
    assert assessment.to_dict() == {
        "level": "safe", "reasons": ["get only reads cluster state."], "rule_ids": ["read-only"]}
    assert isinstance(assessment, Assessment)


def test_default_policy_ships_in_the_package() -> None:
    assert DEFAULT_POLICY_PATH.name == "default_policy.yaml" and DEFAULT_POLICY_PATH.is_file()
    policy = load_policy()
    assert policy is default_policy()
    assert policy.protected_namespaces == {"kube-system", "kube-public", "kube-node-lease"}
    assert {rule.id for rule in policy.rules} >= {
        "read-only", "write", "delete", "drain", "scale-to-zero", "secret-contents",
        "bulk-write", "protected-namespace"}
