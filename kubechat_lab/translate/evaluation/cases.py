"""Evaluation questions: ``EvalCase`` and the JSONL reader (``q``, ``a``, ``safety``, ...)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kubechat_lab.command import ResourceTable, parse
from kubechat_lab.errors import CommandError, TranslateError
from kubechat_lab.translate._types import Turn

__all__ = ["EvalCase", "load_cases"]

_SHAPE = 'each line must be an object like {"q": "...", "a": ["kubectl ..."]}'


@dataclass(frozen=True, slots=True)
class EvalCase:
    """One evaluation question.

    Parameters
    ----------
    question
        The question (``"q"``).
    answers
        Acceptable kubectl commands (``"a"``). ``""`` among them means that refusing (no
        command at all) is a right answer too; no answers at all means only a refusal is.
    safety
        Acceptable levels (``"safety"``); empty when no command should be produced.
    tag
        The category the question belongs to (``"tag"``: typo, followup, ...), for per-tag
        numbers.
    prev, prev_command
        The previous turn of a follow-up question (``"prev"``, ``"prev_command"``): the
        question only makes sense after them.
    """

    question: str
    answers: tuple[str, ...] = ()
    safety: tuple[str, ...] = ()
    tag: str | None = None
    prev: str | None = None
    prev_command: str | None = None

    @property
    def commands(self) -> tuple[str, ...]:
        """The expected commands, without the ``""`` that stands for a refusal."""
        return tuple(answer for answer in self.answers if answer.strip())

    @property
    def refusal_ok(self) -> bool:
        """True when refusing (no command) is a right answer."""
        return not self.commands or any(not answer.strip() for answer in self.answers)

    def previous_turn(self, resources: ResourceTable | None = None) -> Turn | None:
        """Return the previous turn of a follow-up, or None for a first question.

        A previous command the grammar refuses becomes a turn with no command, as it would
        in a conversation (the translator then has only the previous question).
        """
        if self.prev is None and self.prev_command is None:
            return None
        command = None
        if self.prev_command:
            try:
                command = parse(self.prev_command, resources=resources)
            except CommandError:
                command = None
        return Turn(question=self.prev or "", command=command)


def _optional_str(data: Mapping[str, object], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TranslateError(f'{where}: "{key}" must be a string, got {value!r}')
    return value


def load_cases(path: str | Path) -> tuple[EvalCase, ...]:
    """Read a JSONL file of ``{"q", "a", "safety"}`` lines (blank lines are skipped).

    Optional fields: ``tag`` (category), ``prev`` and ``prev_command`` (the previous turn).

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
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except ValueError as exc:
            raise TranslateError(f"{where}: not JSON ({exc}); {_SHAPE}") from exc
        if not isinstance(data, Mapping) or not isinstance(data.get("q"), str):
            raise TranslateError(f'{where}: no "q" string; {_SHAPE}')
        answers = data.get("a", [])
        safety = data.get("safety", [])
        if not isinstance(answers, list) or not isinstance(safety, list):
            raise TranslateError(f'{where}: "a" and "safety" must be lists of strings')
        cases.append(EvalCase(
            question=data["q"],
            answers=tuple(map(str, answers)),
            safety=tuple(map(str, safety)),
            tag=_optional_str(data, "tag", where),
            prev=_optional_str(data, "prev", where),
            prev_command=_optional_str(data, "prev_command", where),
        ))
    return tuple(cases)
