"""The reference commands of questions-dev.jsonl get the safety levels listed there."""

from __future__ import annotations

from kubechat_lab.policy import classify
from tests.command._evaldata import load_jsonl


def test_reference_commands_get_their_levels() -> None:
    checked = 0
    wrong = []
    for record in load_jsonl("questions-dev.jsonl"):
        answers, levels = record["a"], record["safety"]
        assert isinstance(answers, list) and isinstance(levels, list)
        for answer in answers:
            _, assessment = classify(str(answer))
            checked += 1
            if assessment.level.value not in levels:
                wrong.append((answer, assessment.level.value, levels, assessment.reasons))
    assert checked >= 40
    assert not wrong, wrong
