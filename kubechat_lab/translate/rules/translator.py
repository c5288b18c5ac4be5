"""The offline ``rules`` translator: deterministic phrase rules from a question to one command.

How a question is read is in :mod:`.pipeline`; this module renders the result to a kubectl
line and parses it with the same grammar as everything else, so the rules can never emit a
command the grammar would refuse without saying so.
"""

from __future__ import annotations

import logging
import re
import shlex
import time
from typing import ClassVar

from kubechat_lab.command import Command, parse, redact_text
from kubechat_lab.errors import CommandError
from kubechat_lab.translate._options import TranslatorOption
from kubechat_lab.translate._types import MAX_CHOICES, Choice, Translation, TranslationContext
from kubechat_lab.translate.rules.build_reads import (
    AmbiguousNameError,
    CantTranslateError,
    NotUnderstoodError,
)
from kubechat_lab.translate.rules.choices import choices_for
from kubechat_lab.translate.rules.intents import FORBIDDEN_INTENTS
from kubechat_lab.translate.rules.pipeline import GENERIC_HINT, understand
from kubechat_lab.translate.rules.refusals import Refusal, refusal_explanation

__all__ = ["RulesTranslator"]

logger = logging.getLogger(__name__)

_EMPTY = TranslationContext()
_REFUSED_WHY = {
    "exec": "runs a process inside a container",
    "attach": "attaches an interactive terminal",
    "port-forward": "opens a network tunnel",
    "proxy": "opens a proxy to the API server",
    "cp": "copies files between the pod and this machine",
    "edit": "opens an interactive editor",
    "debug": "starts an interactive debug container",
}


def _explain(command: Command) -> str:
    what = " ".join(command.names) or ", ".join(command.resources) or "the cluster"
    if command.names and command.resources:
        what = f"{command.resources[0]} {what}"
    where = (f" in namespace {command.namespace}" if command.namespace
             else " in all namespaces" if command.all_namespaces else "")
    verb = command.verb if command.subverb is None else f"{command.verb} {command.subverb}"
    return f"kubectl {verb}: {what}{where}."


class RulesTranslator:
    """The offline, deterministic translator; always available and the default.

    .. versionadded:: 0.1
    """

    id: ClassVar[str] = "rules"
    display_name: ClassVar[str] = "Rules (offline)"
    requires_network: ClassVar[bool] = False
    api_key_env: ClassVar[str | None] = None
    options: ClassVar[tuple[TranslatorOption, ...]] = ()

    def translate(self, question: str, context: TranslationContext | None = None) -> Translation:
        """Translate ``question``; a question the rules cannot map gets ``command=None``.

        Parameters
        ----------
        question
            The question in plain language.
        context
            Grounding from the server (current namespace, namespaces, inventory, CRDs).

        Returns
        -------
        Translation
            ``command`` is None when nothing could be mapped (``explanation`` says what to
            try) or when the intent is one the grammar refuses (``text`` holds that command).
        """
        from kubechat_lab.translate._checks import check_command, read_question

        start = time.perf_counter()
        ctx = context if context is not None else _EMPTY
        facts = read_question(question, ctx)
        if facts.refusals:
            return self._refuse(question, facts.refusals, start)
        try:
            draft, argv = understand(question, ctx)
        except AmbiguousNameError as exc:
            return self._unsure(
                question, start, f"ambiguous: {exc.why}",
                f"Which one? {exc.name!r} could be {', '.join(exc.candidates)}. "
                f"Say which, such as {exc.example!r}.",
                self._each_object(question, exc, ctx, looks_only=facts.looks_only))
        except NotUnderstoodError as exc:
            choices = choices_for(exc, ctx, looks_only=facts.looks_only)
            offered = " Did you mean one of the choices below?" if choices else ""
            return self._unsure(
                question, start, f"not understood: {exc.why}",
                f"I'm not sure what you want: {exc.why}.{offered} Or try {exc.hint}.", choices)
        except CantTranslateError as exc:
            return self._unsure(question, start, f"not understood: {exc.why}",
                                f"I can't translate this: {exc.why}; try {exc.hint}.")
        text = shlex.join(["kubectl", *argv])
        try:
            command = parse(text, resources=ctx.resources)
        except CommandError as exc:
            if draft.intent in FORBIDDEN_INTENTS:
                why = _REFUSED_WHY.get(draft.intent, "is refused")
                explanation = (f"kubectl {draft.intent} {why}; kubechat never runs it. "
                               "Try logs, describe or events to look inside instead.")
                notes = (f"refused by the kubectl grammar ({exc.reason}): {exc}",)
                return Translation(question, None, text, explanation, self.id,
                                   tuple(draft.assumptions), notes, time.perf_counter() - start)
            logger.warning("rules built a command the grammar refused: question=%r text=%r "
                           "reason=%s", redact_text(question), redact_text(text), exc.reason)
            return Translation(
                question=question,
                command=None,
                text="",
                explanation=f"I can't translate this; try {GENERIC_HINT}.",
                provider=self.id,
                notes=(f"the rules built {text!r}, which the grammar refused: {exc}",),
                latency=time.perf_counter() - start,
            )
        if facts.looks_only and command.is_write and ("dry-run", "server") not in command.flags:
            problems = check_command(facts, command, ctx)
            logger.warning("rules turned a read into a write: question=%r text=%r",
                           command.redact(question), command.redacted())
            return Translation(
                question=question, command=None, text="",
                explanation=("I can't translate this safely: the question asks to look, but I "
                             f"could only read it as {command.render()!r}. Ask for what to "
                             "show, such as 'describe deployment checkout in shop'."),
                provider=self.id, notes=tuple(f"refused: {p}" for p in problems),
                latency=time.perf_counter() - start)
        assumptions = list(draft.assumptions)
        if ctx.namespace and command.namespace is None and not command.all_namespaces:
            found = ctx.resources.lookup(command.resources[0]) if command.resources else None
            if found is not None and found[1].namespaced and not any(
                "current namespace" in a for a in assumptions
            ):
                assumptions.append(f"the current namespace {ctx.namespace!r}")
        return Translation(
            question=question,
            command=command,
            text=command.render(),
            explanation=_explain(command),
            provider=self.id,
            assumptions=tuple(assumptions),
            notes=tuple(draft.notes),
            latency=time.perf_counter() - start,
        )

    def _each_object(self, question: str, exc: AmbiguousNameError, ctx: TranslationContext,
                     *, looks_only: bool) -> tuple[Choice, ...]:
        """Offer the question read with each object an ambiguous name may be (up to three)."""
        found: list[Choice] = []
        word = re.compile(rf"(?<![\w-]){re.escape(exc.name)}(?![\w-])", re.IGNORECASE)
        for (_, namespace, name), label in zip(exc.objects, exc.candidates, strict=True):
            named = name if name != exc.name or not namespace else f"{name} in {namespace}"
            try:
                _, argv = understand(word.sub(named, question, count=1), ctx)
                command = parse(shlex.join(["kubectl", *argv]), resources=ctx.resources)
            except (CantTranslateError, CommandError):
                continue
            if not (looks_only and command.is_write) and command not in (
                    c.command for c in found):
                found.append(Choice(command, label))
        return tuple(found[:MAX_CHOICES])

    def _unsure(self, question: str, start: float, note: str, explanation: str,
                choices: tuple[Choice, ...] = ()) -> Translation:
        """Answer nothing because of doubt: why, what to try, and the readings it has."""
        return Translation(question=question, command=None, text="", explanation=explanation,
                           provider=self.id, notes=(note,),
                           latency=time.perf_counter() - start, choices=choices)

    def _refuse(self, question: str, refusals: tuple[Refusal, ...], start: float) -> Translation:
        """Refuse the whole question (refuse, don't trim), with the reason and a way forward."""
        return Translation(
            question=question,
            command=None,
            text="",
            explanation=refusal_explanation(refusals),
            provider=self.id,
            notes=tuple(f"refused ({r.kind}): {r.phrase.strip()!r}" for r in refusals),
            latency=time.perf_counter() - start,
        )
