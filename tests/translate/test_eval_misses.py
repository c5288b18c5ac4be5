"""``kubechat eval``'s misses: wrong answers, refusals with a right choice, per tag."""

from __future__ import annotations

from typing import ClassVar

from kubechat_lab.command import parse
from kubechat_lab.translate import (
    Choice,
    EvalCase,
    EvalReport,
    Translation,
    TranslationContext,
    evaluate,
)


def _translation(question: str, command: str | None, *choices: str) -> Translation:
    parsed = parse(command) if command else None
    return Translation(question, parsed, parsed.render() if parsed else "",
                       choices=tuple(Choice(parse(c), f"reading {i}")
                                     for i, c in enumerate(choices)))


class _Answers:
    """A translator that answers from a table (the Translator protocol, nothing of ours)."""

    id: ClassVar[str] = "table"
    display_name: ClassVar[str] = "Table"
    requires_network: ClassVar[bool] = False
    api_key_env: ClassVar[str | None] = None

    def __init__(self, answers: dict[str, Translation]) -> None:
        self.answers = answers

    def translate(self, question: str, context: TranslationContext | None = None
                  ) -> Translation:
        return self.answers[question]


CASES = (
    EvalCase("take kwok-worker-2 out of rotation", ("kubectl cordon kwok-worker-2",),
             ("warning",), tag="idiom"),
    EvalCase("bounce checkout", ("kubectl rollout restart deployment checkout -n shop",),
             ("warning",), tag="idiom"),
    EvalCase("what is in the kill switch configmap",
             ("kubectl get configmap kill-switch -n shop -o yaml",), ("safe",), tag="lookalike"),
    EvalCase("pods in shop", ("kubectl get pods -n shop",), ("safe",), tag="named"),
    EvalCase("frobnicate it", ("kubectl get pods -n shop",), ("safe",), tag="named"),
)

ANSWERS = {
    # a refusal offering the right command among its choices
    CASES[0].question: _translation(CASES[0].question, None,
                                    "kubectl get node kwok-worker-2",
                                    "kubectl cordon kwok-worker-2"),
    # a wrong answer (a command that is not right)
    CASES[1].question: _translation(CASES[1].question, "kubectl get deployment checkout -n shop"),
    # a read answered by a write: wrong too
    CASES[2].question: _translation(CASES[2].question,
                                    "kubectl delete configmap kill-switch -n shop"),
    # right
    CASES[3].question: _translation(CASES[3].question, "kubectl get pods -n shop"),
    # a refusal whose choices are all wrong (a different namespace is a different command)
    CASES[4].question: _translation(CASES[4].question, None, "kubectl get pods -n payments"),
}


def test_misses_are_told_apart_overall_and_per_tag() -> None:
    report = evaluate(CASES, _Answers(ANSWERS))
    assert report.structural_accuracy == 1 / 5
    assert report.wrong_answers == 2
    assert report.refusals == 2
    assert report.refusals_with_right_choice == 1
    assert report.reads_answered_by_writes == 1
    assert report.misses_by_tag == {"idiom": (1, 1, 1, 0), "lookalike": (1, 0, 0, 1),
                                    "named": (0, 1, 0, 0)}
    summary = report.summary()
    assert summary["wrong_answers"] == 2 and summary["wrong_answer_rate"] == 0.4
    assert summary["refusals"] == 2 and summary["refusals_with_right_choice"] == 1
    by_tag = summary["by_tag"]
    assert isinstance(by_tag, dict)
    assert by_tag["idiom"] | {} == {"right": 0, "right_level": 0, "total": 2, "accuracy": 0.0,
                                    "safety_accuracy": 0.0, "wrong_answers": 1, "refusals": 1,
                                    "refusals_with_right_choice": 1,
                                    "reads_answered_by_writes": 0}
    failures = summary["failures"]
    assert isinstance(failures, list)
    first = failures[0]
    assert first["right_choice"] is True and first["refused"] is True
    assert first["choices"] == ["kubectl get nodes kwok-worker-2", "kubectl cordon kwok-worker-2"]


def test_the_text_report_keeps_its_first_lines_and_adds_the_misses() -> None:
    table = evaluate(CASES, _Answers(ANSWERS)).format_table()
    head = table.splitlines()[:7]
    assert head[1].startswith("structural accuracy:") and "20.0%" in head[1]
    assert head[2].startswith("safety accuracy:")
    assert head[3] == "reads answered by a write: 1"
    assert head[4] == "wrong answers: 2 (40.0%)"
    assert head[5] == "refusals with a right choice: 1 of 2 refusals"
    assert head[6].startswith("latency ms:")
    assert "[refused, right choice] (idiom) take kwok-worker-2 out of rotation" in table
    assert "      choice: kubectl cordon kwok-worker-2" in table
    assert "[command] (idiom) bounce checkout" in table  # a wrong answer
    assert "[READ AS WRITE] (lookalike)" in table
    idiom_row = next(line for line in table.splitlines() if line.startswith("idiom "))
    assert idiom_row.split()[-4:] == ["1", "1", "1", "0"]


def test_a_refusal_that_is_right_is_neither_wrong_nor_a_miss() -> None:
    case = EvalCase("exec into it", ())
    report = EvalReport("t", (evaluate((case,), _Answers({case.question: _translation(
        case.question, None)})).results[0],))
    assert report.structural_accuracy == 1.0
    assert report.wrong_answers == 0 and report.refusals == 1
    assert report.refusals_with_right_choice == 0
