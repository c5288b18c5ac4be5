"""Writes judged by what they do, reads that probe secrets: tests/policy/data/effects.jsonl.

Each class of the safety review (secret side doors, pod specs, security controls, patch
effects, catastrophes) has several spellings there: short and long resource names, the three
patch types, JSON and YAML manifests, every kind that holds a pod template, flags before and
after. Each row is checked with ``classify`` and with ``kubechat classify --jsonl`` (the CLI a
person would use), and must match the rule ids it names.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from kubechat_lab.command import parse
from kubechat_lab.policy import Level, PolicyContext, assess, classify, load_policy

_LINES = (Path(__file__).parent / "data" / "effects.jsonl").read_text(encoding="utf-8")
CASES = [json.loads(line) for line in _LINES.splitlines() if line.strip()]


def _id(case: dict[str, object]) -> str:
    manifest = case.get("manifest")
    suffix = f" <{str(manifest)[:40]}>" if manifest else ""
    return f"{case['class']}: {str(case['command'])[:70]}{suffix}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_effect_level(case: dict[str, object]) -> None:
    manifest = case.get("manifest")
    command, assessment = classify(str(case["command"]),
                                   manifest=manifest if isinstance(manifest, str) else None)
    assert command is not None, assessment
    assert assessment.level.value == case["level"], assessment
    for rule in case["rules"]:  # type: ignore[attr-defined]
        assert rule in assessment.rule_ids, assessment
    assert all(reason.strip() for reason in assessment.reasons)
    # the verdict comes from the parsed command, whatever spelling produced it
    again = parse(command.render(), manifest=command.manifest)
    assert assess(again) == assessment


def test_every_class_has_several_spellings_at_each_level() -> None:
    by_class = Counter(str(c["class"]) for c in CASES)
    assert {"secrets", "pod-spec", "security-controls", "effects", "catastrophes",
            "rbac-grants", "traffic-nodes"} <= set(by_class)
    assert min(by_class.values()) >= 15, by_class
    for name in by_class:
        levels = {c["level"] for c in CASES if c["class"] == name}
        assert len(levels) >= 2, (name, levels)  # the class separates, not just raises


def test_kubechat_classify_jsonl_agrees(tmp_path: Path) -> None:
    source = tmp_path / "cases.jsonl"
    source.write_text("".join(json.dumps({"command": c["command"], "manifest": c.get("manifest")})
                              + "\n" for c in CASES), encoding="utf-8")
    done = CliRunner().invoke(main, ["classify", "--jsonl", str(source)])
    assert done.exit_code == 0, done.output
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(verdicts) == len(CASES)
    for case, verdict in zip(CASES, verdicts, strict=True):
        assert verdict["level"] == case["level"], (case["command"], verdict)


def test_operator_protected_namespace_cannot_be_deleted(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("protected_namespaces: [kube-system, payments]\n", encoding="utf-8")
    policy = load_policy(path)
    _, assessment = classify("kubectl delete ns payments", policy=policy)
    assert assessment.level is Level.FORBIDDEN
    assert "delete-protected-namespace" in assessment.rule_ids
    _, assessment = classify("kubectl delete ns shop", policy=policy)
    assert assessment.level is Level.DANGEROUS


def test_an_operator_allows_a_catastrophe_only_by_its_rule_id(tmp_path: Path) -> None:
    line = "kubectl create clusterrolebinding ci --clusterrole=cluster-admin " \
           "--group=system:serviceaccounts:ci"
    assert classify(line)[1].level is Level.FORBIDDEN
    path = tmp_path / "policy.yaml"
    path.write_text("disable: [rbac-broad-grant]\n", encoding="utf-8")
    _, assessment = classify(line, policy=load_policy(path))
    assert assessment.level is Level.DANGEROUS  # still an RBAC write: typed confirmation
    assert assessment.rule_ids[0] == "rbac-write"
    path.write_text("rules:\n  - id: delete-all-critical\n    level: dangerous\n"
                    "    reason: bulk deletes of cluster objects are allowed here\n"
                    "    match: {verbs: [delete], bulk: true, resources: [nodes]}\n",
                    encoding="utf-8")
    policy = load_policy(path)
    assert classify("kubectl delete nodes --all", policy=policy)[1].level is Level.DANGEROUS
    assert classify("kubectl delete ns --all", policy=policy)[1].level is Level.DANGEROUS


def test_reasons_name_the_object_and_field() -> None:
    _, assessment = classify(
        "kubectl patch deploy web -n shop --type=json -p "
        "'[{\"op\":\"add\",\"path\":\"/spec/template/spec/volumes/-\","
        "\"value\":{\"name\":\"root\",\"hostPath\":{\"path\":\"/etc\"}}}]'")
    assert assessment.rule_ids[0] == "pod-host-path"
    assert "Deployment/web" in assessment.reasons[0] and "/etc" in assessment.reasons[0]
    _, assessment = classify("kubectl create clusterrolebinding x --clusterrole=cluster-admin "
                             "--group=system:authenticated")
    assert "cluster-admin" in assessment.reasons[0]
    assert "system:authenticated" in assessment.reasons[0]


def test_a_dry_run_does_not_lower_what_a_write_would_do() -> None:
    _, assessment = classify("kubectl delete ns kube-system --dry-run=server")
    assert assessment.level is Level.FORBIDDEN
    _, assessment = classify(
        "kubectl patch deploy web -n shop --dry-run=server -p "
        "'{\"spec\":{\"template\":{\"spec\":{\"hostNetwork\":true}}}}'")
    assert assessment.level is Level.FORBIDDEN


def test_the_same_command_gets_the_same_verdict_for_every_user() -> None:
    line = "kubectl label ns shop pod-security.kubernetes.io/enforce=privileged"
    command = parse(line)
    levels = {assess(command, PolicyContext(user=user, namespace=ns)).level
              for user in ("alice", "admin", None) for ns in ("shop", "kube-system", None)}
    assert levels == {Level.FORBIDDEN}
