"""Benchmark: per-question latency of the offline ``rules`` translator.

A script, not a timed test. It prints p50/p90/p99/max milliseconds per question for
``RulesTranslator.translate`` over the eval questions (questions-dev.jsonl beside the repo,
tests/translate/data/questions-extra.jsonl), each question ``--rounds`` times, and, measured
in the same run, the obvious floor: ``parse()`` of the command the rules produced (the grammar
alone, which every translation ends with). The ratio says what the phrase rules cost on top of
parsing. The target is a p50 under 5 ms per question.

    .venv/bin/python tests/benchmarks/bench_translate.py [--rounds 20] [--grounded]

``--grounded`` passes a context with 50 namespaces and 2,000 inventory objects, as the server
would for a mid-size cluster.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kubechat_lab.command import parse  # noqa: E402
from kubechat_lab.translate import RulesTranslator, TranslationContext  # noqa: E402

SETS = (
    ROOT.parent / "shared" / "eval" / "questions-dev.jsonl",
    ROOT / "tests" / "translate" / "data" / "questions-extra.jsonl",
)


def _questions() -> list[str]:
    questions = []
    for path in SETS:
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    questions.append(json.loads(line)["q"])
    if not questions:
        raise SystemExit(f"no question files found: {', '.join(map(str, SETS))}")
    return questions


def _grounding() -> TranslationContext:
    namespaces = [f"team-{i}" for i in range(48)] + ["orders", "shop"]
    inventory: dict[str, list[tuple[str, str]]] = {"deployments": [], "pods": []}
    for i in range(1000):
        ns = namespaces[i % len(namespaces)]
        inventory["deployments"].append((ns, f"svc-{i}"))
        inventory["pods"].append((ns, f"svc-{i}-7d9f8-x{i % 10}"))
    return TranslationContext(namespace="default", namespaces=tuple(namespaces),
                              inventory=inventory)


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--grounded", action="store_true")
    args = parser.parse_args()
    questions = _questions()
    context = _grounding() if args.grounded else None
    rules = RulesTranslator()

    start = time.perf_counter()
    first = [rules.translate(q, context) for q in questions]  # cold: compiles the regexes
    cold = (time.perf_counter() - start) * 1000
    commands = [t.text for t in first if t.command is not None]

    gc.disable()
    translate_ms: list[float] = []
    parse_ms: list[float] = []
    for _ in range(args.rounds):
        for question in questions:
            t0 = time.perf_counter()
            rules.translate(question, context)
            translate_ms.append((time.perf_counter() - t0) * 1000)
        for command in commands:
            t0 = time.perf_counter()
            parse(command)
            parse_ms.append((time.perf_counter() - t0) * 1000)
    gc.enable()

    print(f"questions: {len(questions)} x {args.rounds} rounds"
          f"{' (grounded: 50 namespaces, 2000 objects)' if context else ''}")
    print(f"cold first pass: {cold:.1f} ms for {len(questions)} questions")
    for label, values in (("rules translate", translate_ms), ("parse only", parse_ms)):
        print(f"{label:<16} p50 {_pct(values, 50):6.3f} ms  p90 {_pct(values, 90):6.3f} ms  "
              f"p99 {_pct(values, 99):6.3f} ms  max {max(values):6.3f} ms  "
              f"mean {statistics.fmean(values):6.3f} ms")
    ratio = _pct(translate_ms, 50) / _pct(parse_ms, 50)
    print(f"ratio translate/parse (p50): {ratio:.1f}x")
    verdict = "meets" if _pct(translate_ms, 50) < 5.0 else "MISSES"
    print(f"p50 target < 5 ms: {verdict}")


if __name__ == "__main__":
    main()
