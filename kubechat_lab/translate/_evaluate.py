"""Evaluation: structural accuracy, safety accuracy and latency of a translator on a JSONL set.

A translation is right when its parsed Command is structurally equal to one of the expected
commands (:func:`same_command`): verb and subverb, resources and names (``deployment/x`` and
``deployment x`` are the same), namespace or all-namespaces, label and field selectors,
arguments and every flag; ``-o`` counts only when the expected command has one (the question
asked for a format). An expected command the grammar refuses (``kubectl exec ...``) matches a
refused translation with the same verb, positional words, flags and trailing command.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kubechat_lab.command import DEFAULT_RESOURCES, Command, CommandError, ResourceTable, parse
from kubechat_lab.errors import TranslateError
from kubechat_lab.policy import Policy
from kubechat_lab.translate._assess import assess_translation
from kubechat_lab.translate._types import Translation, TranslationContext, Translator

__all__ = [
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "evaluate",
    "load_cases",
    "same_command",
    "score",
    "structural_key",
]

_NO_ANSWER = "(none)"


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One evaluation question.

    Parameters
    ----------
    question
        The question (``"q"``).
    answers
        Acceptable kubectl commands (``"a"``); empty when the right answer is a refusal.
    safety
        Acceptable levels (``"safety"``); empty when no command should be produced.
    """

    question: str
    answers: tuple[str, ...] = ()
    safety: tuple[str, ...] = ()


def load_cases(path: str | Path) -> tuple[EvalCase, ...]:
    """Read a JSONL file of ``{"q", "a", "safety"}`` lines (blank lines are skipped).

    Raises
    ------
    TranslateError
        When the file cannot be read or a line is not such an object (the line is named).
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise TranslateError(f"cannot read evaluation file {str(path)!r}: {exc}") from exc
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise TranslateError(f"{path}:{number}: not JSON ({exc}); each line must be an "
                                 'object like {"q": "...", "a": ["kubectl ..."]}') from exc
        if not isinstance(data, Mapping) or not isinstance(data.get("q"), str):
            raise TranslateError(f'{path}:{number}: no "q" string; each line must be an object '
                                 'like {"q": "...", "a": ["kubectl ..."]}')
        answers = data.get("a", [])
        safety = data.get("safety", [])
        if not isinstance(answers, list) or not isinstance(safety, list):
            raise TranslateError(f'{path}:{number}: "a" and "safety" must be lists of strings')
        cases.append(EvalCase(data["q"], tuple(map(str, answers)), tuple(map(str, safety))))
    return tuple(cases)


def structural_key(command: Command, *, with_output: bool = True) -> tuple[object, ...]:
    """Return the parts of ``command`` that decide whether two commands do the same thing."""
    if command.targets:
        objects = frozenset(command.targets)
        kinds: tuple[str, ...] = tuple(sorted({kind for kind, _ in command.targets}))
    else:
        first = command.resources[0] if len(command.resources) == 1 else ""
        objects = frozenset((first, name) for name in command.names)
        kinds = tuple(sorted(command.resources))
    return (
        command.verb,
        command.subverb,
        kinds,
        objects,
        command.namespace,
        command.all_namespaces,
        _split_sorted(command.selector),
        _split_sorted(command.field_selector),
        command.output if with_output else None,
        tuple(sorted(command.flags)),
        command.args,
        command.manifest,
    )


def _split_sorted(value: str | None) -> tuple[str, ...]:
    return tuple(sorted(part.strip() for part in value.split(","))) if value else ()


def same_command(got: Command, want: Command) -> bool:
    """Return True when ``got`` does what ``want`` does (``-o`` counts if ``want`` has one)."""
    with_output = want.output is not None
    return structural_key(got, with_output=with_output) == structural_key(
        want, with_output=with_output
    )


def _canonical_word(word: str, resources: ResourceTable) -> str:
    kind, slash, name = word.partition("/")
    found = resources.lookup(kind)
    if found is None:
        return word
    if slash:
        return name if found[0] == "pods" else f"{found[0]}/{name}"
    return found[0]


def _refused_key(text: str, resources: ResourceTable | None = None) -> tuple[object, ...]:
    """Return a loose key for a command the grammar refuses: verb, positionals, flags, tail."""
    resources = resources if resources is not None else DEFAULT_RESOURCES
    try:
        words = shlex.split(text)
    except ValueError:
        return (text.strip(),)
    if words and words[0] == "kubectl":
        words = words[1:]
    head, tail = (words[: words.index("--")], words[words.index("--") + 1 :]) if (
        "--" in words) else (words, [])
    flags: set[str] = set()
    positional: list[str] = []
    for word in head[1:]:
        if word.startswith("--"):
            flags.add(word)
        elif word.startswith("-") and len(word) > 2 and "=" not in word:
            flags.update(f"-{ch}" for ch in word[1:])
        elif word.startswith("-"):
            flags.add(word)
        else:
            positional.append(_canonical_word(word, resources))
    return (head[:1], tuple(sorted(positional)), frozenset(flags), tuple(tail))


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one question went."""

    question: str
    expected: tuple[str, ...]
    got: str
    provider: str
    structural_ok: bool
    level: str | None
    expected_levels: tuple[str, ...]
    safety_ok: bool
    verb: str
    latency: float
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict."""
        return {
            "question": self.question,
            "expected": list(self.expected),
            "got": self.got or None,
            "provider": self.provider,
            "structural_ok": self.structural_ok,
            "level": self.level,
            "expected_levels": list(self.expected_levels),
            "safety_ok": self.safety_ok,
            "verb": self.verb,
            "latency_ms": round(self.latency * 1000, 3),
            "notes": list(self.notes),
        }


def _percentile(values: Sequence[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Scores of one translator on one set of questions."""

    provider: str
    results: tuple[CaseResult, ...]

    @property
    def total(self) -> int:
        """Number of questions."""
        return len(self.results)

    @property
    def structural_accuracy(self) -> float:
        """Share of questions whose command is structurally right (0..1)."""
        return sum(r.structural_ok for r in self.results) / self.total if self.total else 0.0

    @property
    def safety_accuracy(self) -> float:
        """Share of questions whose level is one of the expected levels (0..1)."""
        return sum(r.safety_ok for r in self.results) / self.total if self.total else 0.0

    @property
    def by_verb(self) -> dict[str, tuple[int, int]]:
        """``{verb: (right, total)}`` by the expected command's verb."""
        table: dict[str, list[int]] = {}
        for result in self.results:
            row = table.setdefault(result.verb, [0, 0])
            row[0] += result.structural_ok
            row[1] += 1
        return {verb: (row[0], row[1]) for verb, row in sorted(table.items())}

    @property
    def latency_ms(self) -> dict[str, float]:
        """Latency percentiles in milliseconds (p50, p90, p99, max)."""
        values = [r.latency * 1000 for r in self.results]
        return {
            "p50": round(_percentile(values, 50), 3),
            "p90": round(_percentile(values, 90), 3),
            "p99": round(_percentile(values, 99), 3),
            "max": round(max(values, default=0.0), 3),
        }

    def summary(self) -> dict[str, object]:
        """Return the JSON summary: accuracies, per-verb scores, latency, failed questions."""
        return {
            "provider": self.provider,
            "total": self.total,
            "structural_accuracy": round(self.structural_accuracy, 4),
            "safety_accuracy": round(self.safety_accuracy, 4),
            "by_verb": {verb: {"right": right, "total": total, "accuracy": round(right / total, 4)}
                        for verb, (right, total) in self.by_verb.items()},
            "latency_ms": self.latency_ms,
            "failures": [r.to_dict() for r in self.results if not (r.structural_ok and
                                                                     r.safety_ok)],
        }

    def format_table(self) -> str:
        """Return a readable report: the totals, one row per verb, then the failed questions."""
        lat = self.latency_ms
        lines = [
            f"provider: {self.provider}   questions: {self.total}",
            f"structural accuracy: {self.structural_accuracy:7.1%}",
            f"safety accuracy:     {self.safety_accuracy:7.1%}",
            f"latency ms: p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}  "
            f"max {lat['max']:.2f}",
            "",
            f"{'verb':<20} {'right':>5} {'total':>5} {'accuracy':>9}",
        ]
        for verb, (right, total) in self.by_verb.items():
            lines.append(f"{verb:<20} {right:>5} {total:>5} {right / total:>9.1%}")
        failed = [r for r in self.results if not (r.structural_ok and r.safety_ok)]
        if failed:
            lines += ["", "failed:"]
            for result in failed:
                what = "command" if not result.structural_ok else "level"
                lines.append(f"  [{what}] {result.question}")
                lines.append(f"      got:  {result.got or '(no command)'} ({result.level})")
                lines.append(f"      want: {' | '.join(result.expected) or '(a refusal)'} "
                             f"({'/'.join(result.expected_levels) or '-'})")
        return "\n".join(lines)


def _verb_of(answers: tuple[str, ...], resources: ResourceTable | None) -> str:
    if not answers:
        return _NO_ANSWER
    try:
        command = parse(answers[0], resources=resources)
    except CommandError:
        words = answers[0].split()
        return words[1] if len(words) > 1 and words[0] == "kubectl" else words[0]
    return command.verb if command.subverb is None or command.verb in ("top", "create") else (
        f"{command.verb} {command.subverb}")


def _structurally_right(case: EvalCase, translation: Translation,
                        resources: ResourceTable | None) -> bool:
    if not case.answers:
        return translation.command is None and not translation.text
    for answer in case.answers:
        try:
            want = parse(answer, resources=resources)
        except CommandError:
            if translation.command is None and translation.text and (
                _refused_key(translation.text, resources) == _refused_key(answer, resources)
            ):
                return True
            continue
        if translation.command is not None and same_command(translation.command, want):
            return True
    return False


def score(case: EvalCase, translation: Translation, *, policy: Policy | None = None,
          context: TranslationContext | None = None) -> CaseResult:
    """Score one translation against its case."""
    resources = context.resources if context is not None else None
    assessment = assess_translation(translation, policy=policy, grounding=context)
    level = assessment.level.value if assessment is not None else None
    safety_ok = level in case.safety if case.safety else level is None
    return CaseResult(
        question=case.question,
        expected=case.answers,
        got=translation.text,
        provider=translation.provider,
        structural_ok=_structurally_right(case, translation, resources),
        level=level,
        expected_levels=case.safety,
        safety_ok=safety_ok,
        verb=_verb_of(case.answers, resources),
        latency=translation.latency,
        notes=translation.notes,
    )


def evaluate(
    cases: Iterable[EvalCase],
    translator: Translator,
    *,
    context: TranslationContext | None = None,
    policy: Policy | None = None,
) -> EvalReport:
    """Translate every case with ``translator`` and score it.

    Parameters
    ----------
    cases
        The questions (see :func:`load_cases`).
    translator
        Any :class:`~kubechat_lab.translate.Translator`.
    context
        Grounding passed to every translation (none by default, like the data files assume).
    policy
        The policy that gives levels (default: the default policy).
    """
    results = tuple(
        score(case, translator.translate(case.question, context), policy=policy, context=context)
        for case in cases
    )
    return EvalReport(provider=translator.id, results=results)
