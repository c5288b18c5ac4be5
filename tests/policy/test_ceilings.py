"""Rules with ``caps: true`` set a ceiling: the ``dry-run`` rule, and an operator's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.errors import PolicyError
from kubechat_lab.policy import Level, classify, default_policy, load_policy


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_dry_run_rule_is_the_default_ceiling() -> None:
    ceilings = [rule.id for rule in default_policy().rules if rule.caps]
    assert ceilings == ["dry-run"]
    _, assessment = classify("kubectl drain kwok-worker-1 --ignore-daemonsets --dry-run=server")
    assert assessment.level is Level.SAFE
    assert assessment.rule_ids[:2] == ("dry-run", "drain")  # the deciding rule first


def test_disabling_the_dry_run_rule_judges_dry_runs_as_writes(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, "disable: [dry-run]\n"))
    _, assessment = classify("kubectl delete ns shop --dry-run=server", policy=policy)
    assert assessment.level is Level.DANGEROUS and "dry-run" not in assessment.rule_ids


def test_an_operator_ceiling_never_lowers_forbidden(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, """
rules:
  - id: ci-scales
    level: warning
    caps: true
    reason: "the CI namespace is scaled by hand often"
    match: {verbs: [scale], namespaces: [ci]}
"""))
    _, assessment = classify("kubectl scale deploy runner --replicas=0 -n ci", policy=policy)
    assert assessment.level is Level.WARNING and assessment.rule_ids[0] == "ci-scales"
    _, assessment = classify("kubectl scale deploy web --replicas=0 -n shop", policy=policy)
    assert assessment.level is Level.DANGEROUS
    _, assessment = classify("kubectl label ns ci pod-security.kubernetes.io/enforce-",
                             policy=policy)
    assert assessment.level is Level.FORBIDDEN


@pytest.mark.parametrize(("text", "problem"), [
    ("rules:\n  - {id: x, level: forbidden, caps: true, reason: r, match: {write: true}}\n",
     "a forbidden rule cannot be a ceiling"),
    ("rules:\n  - {id: x, level: safe, caps: yes please, reason: r, match: {write: true}}\n",
     "expected true or false"),
])
def test_a_bad_ceiling_is_refused_naming_the_field(tmp_path: Path, text: str,
                                                   problem: str) -> None:
    with pytest.raises(PolicyError, match=problem) as info:
        load_policy(_policy(tmp_path, text))
    assert "field 'caps'" in str(info.value)
