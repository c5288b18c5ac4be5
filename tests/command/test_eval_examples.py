"""Every kubectl usage example either parses and round-trips, or is refused with a cause."""

from __future__ import annotations

from collections import Counter

from kubechat_lab.command import CommandError, parse, render
from kubechat_lab.policy import Level, classify
from tests.command._evaldata import load_jsonl


def test_every_example_is_understood_or_refused_with_a_reason() -> None:
    examples = load_jsonl("kubectl-examples.jsonl")
    understood = 0
    refused: Counter[str] = Counter()
    for example in examples:
        line = str(example["command"])
        try:
            command = parse(line)
        except CommandError as exc:
            assert exc.reason, line
            assert str(exc).strip(), line
            refused[exc.reason] += 1
            _, assessment = classify(line)
            assert assessment.level is Level.FORBIDDEN
            assert assessment.rule_ids == (f"parse:{exc.reason}",)
            continue
        understood += 1
        canonical = render(command)
        assert parse(canonical) == command, (line, canonical)
        assert render(parse(canonical)) == canonical
        _, assessment = classify(line)
        assert assessment.level is not Level.FORBIDDEN, line
        assert assessment.reasons and assessment.rule_ids
    total = len(examples)
    print(f"\nkubectl-examples: {total} lines, understood {understood} "
          f"({100 * understood / total:.0f}%), refused {sum(refused.values())}")
    for reason, count in refused.most_common():
        print(f"  refused {reason}: {count}")
    assert understood + sum(refused.values()) == total
    assert understood > total / 2
