"""Checks every translator's command against the question, whoever wrote the command.

The rules translator and the LLM translators answer the same three product rules:

- *read intent wins*: a question whose main verb reads never gets a write;
- *refuse, don't trim*: a question with a refused part (a pipe, a token, another identity,
  curl, a secret's value) gets no command at all;
- *the namespace asked for is the namespace used*: a namespace the question names is the
  command's ``-n``, "across the cluster" is ``-A``, and an object the inventory knows in one
  namespace is looked for there.

:func:`read_question` reads the question once (with the rules translator's scanner);
:func:`check_command` lists what a command does wrong against it.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubechat_lab.command import Command
from kubechat_lab.translate._types import TranslationContext
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.intents import (
    FORBIDDEN_INTENTS,
    WRITE_INTENTS,
    asks_for_change,
    detect_intent,
    is_permission_question,
    take_planned,
)
from kubechat_lab.translate.rules.objects import resource_words
from kubechat_lab.translate.rules.phrases import extract_namespaces
from kubechat_lab.translate.rules.refusals import Refusal, find_refusals
from kubechat_lab.translate.rules.scan import Scan, rx
from kubechat_lab.translate.rules.spelling import correct_spelling

__all__ = ["QuestionFacts", "check_command", "read_question"]

_READ_VERBS = (r"\b(?:show|list|get|display|describe|see|check|view|print|tell|look|find|count|"
               r"watch|inspect|explain|what|which|how many)\b")


#: "don't drain anything", "without changing it", "preview only": whatever else it says, the
#: question forbids a change.
_NO_CHANGE = (r"\b(?:do not|never|without) (?:actually |really |yet )?(?:\w+ )?(?:drain|delete|"
              r"change|changing|touch|touching|modify|restart|scale|apply|evict|kill|remove|"
              r"anything)\b|\b(?:preview|read[- ]only|look only|just looking)\b")


@dataclass(frozen=True, slots=True)
class QuestionFacts:
    """What a question asks, independent of any translator.

    Parameters
    ----------
    question
        The question as asked.
    intent
        The rules' reading of what it asks to do (``get``, ``rollout-restart``, ...).
    looks_only
        True when its main verb reads: no write may answer it.
    refusals
        Refused parts; when any, the right answer is no command.
    namespace
        The namespace it names, if any.
    all_namespaces
        True when it asks across the cluster.
    planned
        Write words it mentions only as a plan ("before I delete ...").
    """

    question: str
    intent: str
    looks_only: bool
    refusals: tuple[Refusal, ...] = ()
    namespace: str | None = None
    all_namespaces: bool = False
    planned: tuple[str, ...] = ()


def read_question(question: str, context: TranslationContext | None = None) -> QuestionFacts:
    """Return the :class:`QuestionFacts` of ``question`` (spelling corrected as the rules do)."""
    ctx = context if context is not None else TranslationContext()
    corrected, _ = correct_spelling(question, ctx)
    scan = Scan(corrected)
    refusals = find_refusals(question, permission_question=is_permission_question(scan))
    planned = take_planned(scan, lambda w: ctx.knows_namespace(w) or bool(ctx.locate(w)))
    draft = Draft()
    extract_namespaces(scan, draft, ctx, resource_words(ctx.resources))
    intent = detect_intent(scan)
    looks_only = (intent not in WRITE_INTENTS and intent not in FORBIDDEN_INTENTS
                  and not asks_for_change(scan)) or bool(rx(_NO_CHANGE).search(scan.text))
    previous = ctx.previous.command if ctx.previous is not None else None
    if looks_only and previous is not None and previous.is_write and intent == "get" and (
        not rx(_READ_VERBS).search(scan.text)
    ):
        looks_only = False  # "and in payments?" after a write asks for the same write there
    return QuestionFacts(
        question=question,
        intent=intent,
        looks_only=looks_only,
        refusals=tuple(refusals),
        namespace=draft.namespace,
        all_namespaces=draft.all_namespaces,
        planned=tuple(planned),
    )


def check_command(facts: QuestionFacts, command: Command,
                  context: TranslationContext | None = None) -> list[str]:
    """Return what ``command`` does wrong as an answer to the question (empty: nothing).

    Each problem is one sentence a model can act on in a repair round.
    """
    ctx = context if context is not None else TranslationContext()
    problems: list[str] = []
    if facts.refusals:
        refusal = facts.refusals[0]
        problems.append(
            f"the question asks for something refused ({refusal.kind}: "
            f"{refusal.phrase.strip()!r}); refuse the whole question with an empty command "
            "instead of answering the rest of it")
    if facts.looks_only and command.is_write:
        plan = f" (it only mentions {' '.join(facts.planned)!r} as a plan)" if facts.planned else ""
        problems.append(
            f"the question asks to look{plan}, but {command.verb} changes the cluster; answer "
            "with a read-only command (get, describe, logs, rollout history, auth can-i)")
    invented = _invented_names(facts, command, ctx)
    if invented:
        problems.append(
            f"the command names {', '.join(repr(n) for n in invented)}, which neither the "
            "cluster's inventory nor the question has; use only names the question gives or "
            "the cluster lists, or refuse with an empty command")
    namespaced = _namespaced(command, ctx)
    if facts.namespace and namespaced and command.namespace != facts.namespace and not (
        command.all_namespaces and facts.all_namespaces
    ):
        problems.append(f"the question names namespace {facts.namespace!r}; the command must "
                        f"use -n {facts.namespace}")
    elif facts.all_namespaces and not facts.namespace and namespaced and (
        not command.all_namespaces and command.verb in ("get", "top", "describe")
        and not command.names
    ):
        problems.append("the question asks across the cluster; the command must use -A")
    elif namespaced and command.namespace is None and not command.all_namespaces:
        home = _home(command, ctx)
        if home is not None and home[2] != ctx.namespace:
            kind, name, namespace = home
            problems.append(f"{kind} {name!r} lives in namespace {namespace!r}; the command "
                            f"must say -n {namespace}")
    return problems


def _invented_names(facts: QuestionFacts, command: Command,
                    ctx: TranslationContext) -> list[str]:
    """Return the object names of ``command`` that come from nowhere (precise or silent).

    A name is grounded when the inventory has it, or when the question writes it as a name:
    quoted, shaped like one (a digit, a dash or a dot), or right after a singular kind
    ("pod web"). An ordinary word of the question ("clean up the mess") is no name.
    """
    scan = Scan(facts.question)
    kinds = resource_words(ctx.resources)
    written = {scan.words[i] for i in range(len(scan.words)) if scan.is_written_name(i) or (
        i > 0 and scan.words[i - 1] in kinds and not kinds[scan.words[i - 1]][1])}
    names = [*command.names, *(name for _, name in command.targets)]
    return [name for name in names
            if not ctx.locate(name) and name.lower() not in written
            and not ctx.knows_namespace(name)]


def _namespaced(command: Command, ctx: TranslationContext) -> bool:
    kinds = command.resources or tuple(kind for kind, _ in command.targets)
    if not kinds:
        return command.verb in ("logs", "top") and command.subverb != "nodes"
    found = ctx.resources.lookup(kinds[0])
    return found is None or found[1].namespaced


def _home(command: Command, ctx: TranslationContext) -> tuple[str, str, str] | None:
    """Return ``(kind, name, namespace)`` of the first object when only one place has it."""
    if command.targets:
        kind, name = command.targets[0]
    elif command.names and command.resources:
        kind, name = command.resources[0], command.names[0]
    else:
        return None
    spaces = {ns for _, ns in ctx.locate(name, kind)}
    return (kind, name, spaces.pop()) if len(spaces) == 1 else None
