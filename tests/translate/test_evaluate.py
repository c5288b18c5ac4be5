"""Structural comparison of commands, and the evaluation report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubechat_lab.command import parse
from kubechat_lab.errors import TranslateError
from kubechat_lab.translate import (
    EvalCase,
    RulesTranslator,
    Translation,
    evaluate,
    load_cases,
    same_command,
    score,
)


@pytest.mark.parametrize(
    ("got", "want"),
    [
        ("kubectl scale deployment cart -n orders --replicas=3",
         "kubectl scale deployment/cart -n orders --replicas=3"),
        ("get po -n shop", "kubectl get pods --namespace shop"),
        ("kubectl get pods -l tier=db,app=web", "kubectl get pods -l app=web,tier=db"),
        ("kubectl get pods -n shop -o wide", "kubectl get pods -n shop"),
        ("kubectl logs web-1 -n shop --tail=10 -c app",
         "kubectl logs -c app --tail 10 web-1 -n shop"),
    ],
)
def test_same_command(got: str, want: str) -> None:
    assert same_command(parse(got), parse(want))


@pytest.mark.parametrize(
    ("got", "want"),
    [
        ("kubectl get pods -n shop", "kubectl get pods -n shop -o yaml"),  # asked for yaml
        ("kubectl get pods -n shop", "kubectl get pods -A"),
        ("kubectl get pods -n shop", "kubectl get pods"),
        ("kubectl logs web-1 --tail=10", "kubectl logs web-1 --tail=100"),
        ("kubectl logs web-1", "kubectl logs web-1 --previous"),
        ("kubectl get pods -l app=web", "kubectl get pods -l app=api"),
        ("kubectl get pods --field-selector=status.phase=Failed",
         "kubectl get pods --field-selector=status.phase!=Running"),
        ("kubectl scale deployment/cart --replicas=3",
         "kubectl scale deployment/cart --replicas=0"),
        ("kubectl delete pod a", "kubectl delete pod b"),
        ("kubectl rollout undo deployment/a", "kubectl rollout restart deployment/a"),
    ],
)
def test_different_commands(got: str, want: str) -> None:
    assert not same_command(parse(got), parse(want))


def test_refused_reference_matches_a_refused_translation() -> None:
    case = EvalCase("open a shell in pod web-1", ("kubectl exec -it web-1 -- sh",), ("forbidden",))
    result = score(case, Translation(case.question, None, "kubectl exec -i -t web-1 -- sh"))
    assert result.structural_ok and result.safety_ok and result.level == "forbidden"
    wrong = score(case, Translation(case.question, None, "kubectl exec -it web-2 -- sh"))
    assert not wrong.structural_ok and wrong.safety_ok


def test_no_answer_cases_want_a_refusal() -> None:
    case = EvalCase("write a poem")
    assert score(case, RulesTranslator().translate(case.question)).structural_ok
    got = Translation(case.question, parse("kubectl get pods"), "kubectl get pods")
    result = score(case, got)
    assert not result.structural_ok and not result.safety_ok


def test_report_table_and_summary(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    lines = [
        {"q": "pods in namespace shop", "a": ["kubectl get pods -n shop"], "safety": ["safe"]},
        {"q": "delete pod web-1 in shop", "a": ["kubectl delete pod web-1 -n shop"],
         "safety": ["dangerous"]},
        {"q": "logs of pod web-1 in shop", "a": ["kubectl logs web-1 -n shop --tail=5"],
         "safety": ["safe"]},
    ]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n\n", encoding="utf-8")
    report = evaluate(load_cases(path), RulesTranslator())
    assert report.total == 3
    assert report.structural_accuracy == pytest.approx(2 / 3)
    assert report.safety_accuracy == 1.0
    assert report.by_verb == {"delete": (1, 1), "get": (1, 1), "logs": (0, 1)}
    summary = report.summary()
    assert summary["total"] == 3
    latency = summary["latency_ms"]
    assert isinstance(latency, dict) and set(latency) == {"p50", "p90", "p99", "max"}
    failures = summary["failures"]
    assert isinstance(failures, list) and len(failures) == 1
    assert failures[0]["question"] == "logs of pod web-1 in shop"
    table = report.format_table()
    assert "structural accuracy:" in table and "logs" in table
    assert "want: kubectl logs web-1 -n shop --tail=5" in table


def test_load_cases_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"q": "pods"}\n{"question": "x"}\n', encoding="utf-8")
    with pytest.raises(TranslateError, match=r"bad.jsonl:2"):
        load_cases(path)
    with pytest.raises(TranslateError, match="cannot read"):
        load_cases(tmp_path / "missing.jsonl")
