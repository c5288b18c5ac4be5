"""Scoring: whether a translation is structurally the expected command, at an expected level.

A translation is right when its parsed Command is structurally equal to one of the expected
commands (:func:`same_command`): verb and subverb, resources and names (``deployment/x`` and
``deployment x`` are the same), namespace or all-namespaces, label and field selectors,
arguments and every flag; ``-o`` counts only when the expected command has one (the question
asked for a format). An expected command the grammar refuses (``kubectl exec ...``) matches a
refused translation with the same verb, positional words, flags and trailing command. Where
``""`` is among the expected answers, refusing (no command, or a command the grammar
refuses) is right, at any level.

Misses are told apart: a *wrong answer* is a command that is not right (a person might run
it), a refusal is no command; a refusal whose choices (``Translation.choices``) hold a command
that is structurally an accepted answer counts as a *refusal with a right choice*.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from kubechat_lab.command import DEFAULT_RESOURCES, Command, CommandError, ResourceTable, parse
from kubechat_lab.policy import Policy
from kubechat_lab.translate._assess import assess_translation
from kubechat_lab.translate._types import Translation, TranslationContext, Translator
from kubechat_lab.translate.evaluation.cases import EvalCase
from kubechat_lab.translate.evaluation.report import CaseResult, EvalReport

__all__ = ["evaluate", "same_command", "score", "structural_key"]

_NO_ANSWER = "(none)"
_REFUSAL = "(refusal)"


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


def _verb_of(case: EvalCase, resources: ResourceTable | None) -> str:
    if not case.commands:
        return _REFUSAL if case.answers else _NO_ANSWER
    first = case.commands[0]
    try:
        command = parse(first, resources=resources)
    except CommandError:
        words = first.split()
        return words[1] if len(words) > 1 and words[0] == "kubectl" else words[0]
    return command.verb if command.subverb is None or command.verb in ("top", "create") else (
        f"{command.verb} {command.subverb}")


def _refused(translation: Translation) -> bool:
    return translation.command is None


def _structurally_right(case: EvalCase, translation: Translation,
                        resources: ResourceTable | None) -> bool:
    if not case.answers:
        return translation.command is None and not translation.text
    if _refused(translation) and case.refusal_ok:
        return True
    for answer in case.commands:
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


def _right_choice(case: EvalCase, translation: Translation,
                  resources: ResourceTable | None) -> bool:
    """Return True when a refusal offers a choice that is structurally an accepted command."""
    if not _refused(translation) or not translation.choices:
        return False
    for answer in case.commands:
        try:
            want = parse(answer, resources=resources)
        except CommandError:
            continue
        if any(same_command(choice.command, want) for choice in translation.choices):
            return True
    return False


def _only_reads(case: EvalCase, resources: ResourceTable | None) -> bool:
    """Return True when the case expects commands and every one of them only reads."""
    if not case.commands:
        return False
    for answer in case.commands:
        try:
            if parse(answer, resources=resources).is_write:
                return False
        except CommandError:
            return False
    return True


def score(case: EvalCase, translation: Translation, *, policy: Policy | None = None,
          context: TranslationContext | None = None) -> CaseResult:
    """Score one translation against its case."""
    resources = context.resources if context is not None else None
    assessment = assess_translation(translation, policy=policy, grounding=context)
    level = assessment.level.value if assessment is not None else None
    if _refused(translation) and case.refusal_ok and case.answers:
        safety_ok = True  # refusing is right; a refusal runs nothing, whatever its level
    else:
        safety_ok = level in case.safety if case.safety else level is None
    read_as_write = (translation.command is not None and translation.command.is_write
                     and _only_reads(case, resources))
    structural_ok = _structurally_right(case, translation, resources)
    return CaseResult(
        question=case.question,
        expected=case.answers,
        got=translation.text,
        provider=translation.provider,
        structural_ok=structural_ok,
        level=level,
        expected_levels=case.safety,
        safety_ok=safety_ok,
        verb=_verb_of(case, resources),
        latency=translation.latency,
        notes=translation.notes,
        tag=case.tag,
        read_as_write=read_as_write,
        refused=_refused(translation),
        wrong=not _refused(translation) and not structural_ok,
        right_choice=_right_choice(case, translation, resources),
        choices=tuple(choice.text for choice in translation.choices),
    )


def evaluate(
    cases: Iterable[EvalCase],
    translator: Translator,
    *,
    context: TranslationContext | None = None,
    policy: Policy | None = None,
) -> EvalReport:
    """Translate every case with ``translator`` and score it.

    A follow-up case (``prev``/``prev_command``) is translated with its previous turn in
    the context (:meth:`TranslationContext.with_previous`).

    Parameters
    ----------
    cases
        The questions (see :func:`load_cases`).
    translator
        Any :class:`~kubechat_lab.translate.Translator`.
    context
        Grounding passed to every translation (none by default).
    policy
        The policy that gives levels (default: the default policy).
    """
    results = []
    for case in cases:
        ctx = context
        previous = case.previous_turn(context.resources if context is not None else None)
        if previous is not None:
            ctx = (context or TranslationContext()).with_previous(previous)
        translation = translator.translate(case.question, ctx)
        results.append(score(case, translation, policy=policy, context=ctx))
    return EvalReport(provider=translator.id, results=tuple(results))
