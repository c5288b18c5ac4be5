"""Evaluation results: one ``CaseResult`` per question and the ``EvalReport`` over a set."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = ["CaseResult", "EvalReport"]


@dataclass(frozen=True, slots=True)
class CaseResult:
    """How one question went.

    ``read_as_write`` is True when every expected command only reads and the translation
    is a write: the failure the translator must never make. ``wrong`` is True when the
    translation is a command (not a refusal) that is not structurally right: an answer a person
    might run, unlike a refusal. ``right_choice`` is True when the translation is a refusal
    and one of the choices it offers is structurally one of the accepted commands.
    """

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
    tag: str | None = None
    read_as_write: bool = False
    refused: bool = False
    wrong: bool = False
    right_choice: bool = False
    choices: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict."""
        return {
            "question": self.question,
            "tag": self.tag,
            "expected": list(self.expected),
            "got": self.got or None,
            "provider": self.provider,
            "structural_ok": self.structural_ok,
            "level": self.level,
            "expected_levels": list(self.expected_levels),
            "safety_ok": self.safety_ok,
            "read_as_write": self.read_as_write,
            "wrong": self.wrong,
            "refused": self.refused,
            "right_choice": self.right_choice,
            "choices": list(self.choices),
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


def _group(results: Sequence[CaseResult],
           key: Callable[[CaseResult], str]) -> dict[str, tuple[int, int, int]]:
    table: dict[str, list[int]] = {}
    for result in results:
        row = table.setdefault(key(result), [0, 0, 0])
        row[0] += result.structural_ok
        row[1] += result.safety_ok
        row[2] += 1
    return {name: (row[0], row[1], row[2]) for name, row in sorted(table.items())}


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
    def reads_answered_by_writes(self) -> int:
        """Questions whose expected commands only read but which got a write."""
        return sum(r.read_as_write for r in self.results)

    @property
    def wrong_answers(self) -> int:
        """Questions answered with a command that is not right (refusals not counted)."""
        return sum(r.wrong for r in self.results)

    @property
    def refusals(self) -> int:
        """Questions the translator refused (no command)."""
        return sum(r.refused for r in self.results)

    @property
    def refusals_with_right_choice(self) -> int:
        """Refusals whose choices hold a command that is structurally an accepted answer."""
        return sum(r.right_choice for r in self.results)

    @property
    def by_verb(self) -> dict[str, tuple[int, int]]:
        """``{verb: (right, total)}`` by the expected command's verb."""
        return {verb: (right, total) for verb, (right, _, total) in
                _group(self.results, lambda r: r.verb).items()}

    @property
    def by_tag(self) -> dict[str, tuple[int, int, int]]:
        """``{tag: (structurally right, right level, total)}``; empty when no case has a tag."""
        if not any(r.tag for r in self.results):
            return {}
        return _group(self.results, lambda r: r.tag or "(none)")

    @property
    def misses_by_tag(self) -> dict[str, tuple[int, int, int, int]]:
        """Misses per tag: ``{tag: (wrong, refused, right choice, read as write)}``.

        Wrong answers, refusals, refusals with a right choice and reads answered by a write;
        empty when no case has a tag.
        """
        if not any(r.tag for r in self.results):
            return {}
        table: dict[str, list[int]] = {}
        for result in self.results:
            row = table.setdefault(result.tag or "(none)", [0, 0, 0, 0])
            row[0] += result.wrong
            row[1] += result.refused
            row[2] += result.right_choice
            row[3] += result.read_as_write
        return {name: (row[0], row[1], row[2], row[3]) for name, row in sorted(table.items())}

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

    @staticmethod
    def _misses(tag: str, misses: dict[str, tuple[int, int, int, int]]) -> dict[str, int]:
        wrong, refused, right_choice, read_as_write = misses.get(tag, (0, 0, 0, 0))
        return {"wrong_answers": wrong, "refusals": refused,
                "refusals_with_right_choice": right_choice,
                "reads_answered_by_writes": read_as_write}

    def summary(self) -> dict[str, object]:
        """Return the JSON summary: accuracies, misses, per-verb and per-tag scores, failures.

        Misses are wrong answers, refusals (with a right choice) and reads answered by a write.
        """
        misses = self.misses_by_tag
        return {
            "provider": self.provider,
            "total": self.total,
            "structural_accuracy": round(self.structural_accuracy, 4),
            "safety_accuracy": round(self.safety_accuracy, 4),
            "reads_answered_by_writes": self.reads_answered_by_writes,
            "wrong_answers": self.wrong_answers,
            "wrong_answer_rate": round(self.wrong_answers / self.total, 4) if self.total else 0.0,
            "refusals": self.refusals,
            "refusals_with_right_choice": self.refusals_with_right_choice,
            "by_verb": {verb: {"right": right, "total": total, "accuracy": round(right / total, 4)}
                        for verb, (right, total) in self.by_verb.items()},
            "by_tag": {tag: {"right": right, "right_level": level, "total": total,
                             "accuracy": round(right / total, 4),
                             "safety_accuracy": round(level / total, 4),
                             **self._misses(tag, misses)}
                       for tag, (right, level, total) in self.by_tag.items()},
            "latency_ms": self.latency_ms,
            "failures": [r.to_dict() for r in self.results if not (r.structural_ok and
                                                                     r.safety_ok)],
        }

    def _share(self, count: int) -> str:
        return f"{count / self.total:.1%}" if self.total else "0.0%"

    def format_table(self) -> str:
        """Return a readable report: totals, one row per tag and per verb, then the failures."""
        lat = self.latency_ms
        lines = [
            f"provider: {self.provider}   questions: {self.total}",
            f"structural accuracy: {self.structural_accuracy:7.1%}",
            f"safety accuracy:     {self.safety_accuracy:7.1%}",
            f"reads answered by a write: {self.reads_answered_by_writes}",
            f"wrong answers: {self.wrong_answers} ({self._share(self.wrong_answers)})",
            f"refusals with a right choice: {self.refusals_with_right_choice} of "
            f"{self.refusals} refusals",
            f"latency ms: p50 {lat['p50']:.2f}  p90 {lat['p90']:.2f}  p99 {lat['p99']:.2f}  "
            f"max {lat['max']:.2f}",
        ]
        if self.by_tag:
            misses = self.misses_by_tag
            lines += ["", f"{'tag':<20} {'right':>5} {'level':>5} {'total':>5} {'accuracy':>9} "
                          f"{'wrong':>5} {'refused':>7} {'choice':>6} {'r->w':>4}"]
            for tag, (right, level, total) in self.by_tag.items():
                wrong, refused, choice, rw = misses.get(tag, (0, 0, 0, 0))
                lines.append(f"{tag:<20} {right:>5} {level:>5} {total:>5} {right / total:>9.1%} "
                             f"{wrong:>5} {refused:>7} {choice:>6} {rw:>4}")
            lines.append("(wrong: a command that is not right; choice: a refusal offering a "
                         "right command; r->w: a read answered by a write)")
        lines += ["", f"{'verb':<20} {'right':>5} {'total':>5} {'accuracy':>9}"]
        for verb, (right, total) in self.by_verb.items():
            lines.append(f"{verb:<20} {right:>5} {total:>5} {right / total:>9.1%}")
        failed = [r for r in self.results if not (r.structural_ok and r.safety_ok)]
        if failed:
            lines += ["", "failed:"]
            for result in failed:
                what = "command" if not result.structural_ok else "level"
                if result.refused and not result.structural_ok:
                    what = "refused, right choice" if result.right_choice else "refused"
                if result.read_as_write:
                    what = "READ AS WRITE"
                tag = f" ({result.tag})" if result.tag else ""
                lines.append(f"  [{what}]{tag} {result.question}")
                lines.append(f"      got:  {result.got or '(no command)'} ({result.level})")
                want = " | ".join(a or "(a refusal)" for a in result.expected) or "(a refusal)"
                lines += [f"      choice: {offered}" for offered in result.choices]
                lines.append(f"      want: {want} ({'/'.join(result.expected_levels) or '-'})")
        return "\n".join(lines)
