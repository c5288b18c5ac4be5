"""Benchmark: per-question latency of the offline ``rules`` translator.

A script, not a timed test. It prints p50/p90/p99/max milliseconds per question for
``RulesTranslator.translate`` over the eval questions (questions-dev.jsonl and
questions-dev2.jsonl beside the repo, with each follow-up's previous turn, and
tests/translate/data/questions-extra.jsonl), each question ``--rounds`` times, and, measured
in the same run, the obvious floor: ``parse()`` of the command the rules produced (the grammar
alone, which every translation ends with). The ratio says what the phrase rules cost on top of
parsing. The target is a p50 under 5 ms per question.

    .venv/bin/python tests/benchmarks/bench_translate.py [--rounds 20] [--grounded]
        [--objects 10000]

``--grounded`` passes a context with 50 namespaces and ``--objects`` inventory objects
(default 10,000: deployments, their ReplicaSets and pods, services, configmaps, plus the demo
workload the questions name), as the server would for a large cluster. Typo correction
compares unknown words against every object name, so this is the case the target is about.
"""

from __future__ import annotations

import argparse
import gc
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kubechat_lab.command import parse  # noqa: E402
from kubechat_lab.translate import (  # noqa: E402
    RulesTranslator,
    TranslationContext,
    Turn,
    load_cases,
)

SETS = (
    ROOT.parent / "shared" / "eval" / "questions-dev.jsonl",
    ROOT.parent / "shared" / "eval" / "questions-dev2.jsonl",
    ROOT / "tests" / "translate" / "data" / "questions-extra.jsonl",
)

Question = tuple[str, Turn | None]


def _questions() -> list[Question]:
    questions: list[Question] = []
    for path in SETS:
        if path.exists():
            questions += [(case.question, case.previous_turn()) for case in load_cases(path)]
    if not questions:
        raise SystemExit(f"no question files found: {', '.join(map(str, SETS))}")
    return questions


def _grounding(objects: int) -> TranslationContext:
    from kubechat_lab.sandbox import demo_grounding

    demo = TranslationContext.from_dict(demo_grounding())
    namespaces = [f"team-{i}" for i in range(46)] + list(demo.namespaces)
    inventory: dict[str, list[tuple[str, str]]] = {
        kind: list(pairs) for kind, pairs in demo.inventory.items()}
    kinds = ("deployments", "replicasets", "pods", "pods", "services", "configmaps")
    count = sum(len(pairs) for pairs in inventory.values())
    i = 0
    while count < objects:
        ns = namespaces[i % 46]
        kind = kinds[i % len(kinds)]
        suffix = {"replicasets": "-7d9f8", "pods": f"-7d9f8-x{i % 97}"}.get(kind, "")
        inventory.setdefault(kind, []).append((ns, f"svc-{i // len(kinds)}{suffix}"))
        count += 1
        i += 1
    return TranslationContext(namespace="default", namespaces=tuple(namespaces),
                              inventory=inventory)


def _pct(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--grounded", action="store_true")
    parser.add_argument("--objects", type=int, default=10_000)
    args = parser.parse_args()
    questions = _questions()
    base = _grounding(args.objects) if args.grounded else TranslationContext()
    asked = [(q, base.with_previous(turn) if turn is not None else
              (base if args.grounded else None)) for q, turn in questions]
    rules = RulesTranslator()

    start = time.perf_counter()
    first = [rules.translate(q, ctx) for q, ctx in asked]  # cold: compiles the regexes
    cold = (time.perf_counter() - start) * 1000
    commands = [t.text for t in first if t.command is not None]

    gc.disable()
    translate_ms: list[float] = []
    parse_ms: list[float] = []
    for _ in range(args.rounds):
        for question, ctx in asked:
            t0 = time.perf_counter()
            rules.translate(question, ctx)
            translate_ms.append((time.perf_counter() - t0) * 1000)
        for command in commands:
            t0 = time.perf_counter()
            parse(command)
            parse_ms.append((time.perf_counter() - t0) * 1000)
    gc.enable()

    size = sum(len(pairs) for pairs in base.inventory.values())
    print(f"questions: {len(questions)} x {args.rounds} rounds"
          f"{f' (grounded: {len(base.namespaces)} namespaces, {size} objects)' if size else ''}")
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
