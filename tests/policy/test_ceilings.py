"""Rules with ``caps: true`` set a ceiling: none by default, an operator's own (dry runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.errors import PolicyError
from kubechat_lab.policy import Level, classify, default_policy, load_policy


def _policy(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    return path


_DRY_RUN_CAP = """
rules:
  - id: dry-run
    level: safe
    caps: true
    reason: "runs as a dry run: the API server checks the write and persists nothing."
    match: {write: true, dry_run: true}
"""


def test_by_default_a_dry_run_is_judged_as_its_write() -> None:
    assert [rule.id for rule in default_policy().rules if rule.caps] == []
    _, assessment = classify("kubectl delete ns shop --dry-run=server")
    assert assessment.level is Level.DANGEROUS and "delete" in assessment.rule_ids


def test_an_operator_dry_run_ceiling_caps_dry_runs(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, _DRY_RUN_CAP))
    _, assessment = classify("kubectl drain kwok-worker-1 --ignore-daemonsets --dry-run=server",
                             policy=policy)
    assert assessment.level is Level.SAFE
    assert assessment.rule_ids[:2] == ("dry-run", "drain")  # the deciding rule first
    _, assessment = classify("kubectl delete ns kube-system --dry-run=server", policy=policy)
    assert assessment.level is Level.FORBIDDEN


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
