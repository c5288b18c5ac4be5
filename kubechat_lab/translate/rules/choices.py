"""Refuse with choices: the plausible readings of a question the rules did not fully understand.

A refusal because of doubt still knows part of the question: the object it names, the verb it
might mean. :func:`choices_for` turns that partial reading into up to three commands a person
can pick from (each is proposed like any typed command and judged by the policy there). A
question that asks only to look is offered only reads.
"""

from __future__ import annotations

import re
import shlex

from kubechat_lab.command import Command, parse
from kubechat_lab.errors import CommandError
from kubechat_lab.translate._types import MAX_CHOICES, Choice, TranslationContext
from kubechat_lab.translate.rules.build_reads import NotUnderstoodError, scope
from kubechat_lab.translate.rules.intents import WRITE_INTENTS

__all__ = ["choices_for"]


def _parse(argv: list[str] | tuple[str, ...], ctx: TranslationContext) -> Command | None:
    try:
        return parse(shlex.join(["kubectl", *argv]), resources=ctx.resources)
    except CommandError:
        return None


def _plausible(command: Command, ctx: TranslationContext) -> bool:
    """Return False for a reading the cluster says is no object: a choice is never a guess.

    A namespace the cluster does not have, or a name the inventory lacks for a kind it lists
    ("describe pods 1.0.4", "get leases new-cart"), is no reading worth offering.
    """
    if command.namespace and ctx.namespaces and not ctx.knows_namespace(command.namespace):
        return False
    for resource in command.resources:
        if ctx.inventory.get(resource) and any(
                not ctx.locate(name, resource) for name in command.names):
            return False
    return not (command.names and any(not ctx.locate(n) for n in command.names)
                and any(not ctx.inventory.get(r) for r in command.resources)
                and any(not re.search(r"[a-z]-[a-z0-9]|\d", n) for n in command.names))


def choices_for(exc: NotUnderstoodError, ctx: TranslationContext, *,
                looks_only: bool) -> tuple[Choice, ...]:
    """Return up to :data:`MAX_CHOICES` readings of the question ``exc`` refused.

    Parameters
    ----------
    exc
        The refusal, with the partial reading (draft and arguments).
    ctx
        The grounding the reading used.
    looks_only
        True when the question only asks to look: no write is offered.
    """
    draft = exc.draft
    unknown = ", ".join(repr(w) for w in exc.words)
    found: list[Choice] = []

    def offer(argv: list[str] | tuple[str, ...], why: str) -> None:
        command = _parse(argv, ctx)
        if command is None or (looks_only and command.is_write) or not _plausible(command, ctx):
            return
        if any(c.command == command for c in found):
            return
        found.append(Choice(command, why))

    if draft.names and draft.resources:
        kind, name = draft.resources[0], draft.names[0]
        where = scope(draft, ctx.resources, kind)
        if draft.intent in WRITE_INTENTS:
            offer(exc.argv, f"{draft.intent.replace('-', ' ')} {name}, without {unknown}")
        offer(["describe", kind, name, *where], f"look at {name} in detail")
        offer(["get", kind, name, *where, "-o", "yaml"], f"the whole {kind[:-1]} {name}")
        if draft.intent not in WRITE_INTENTS:
            offer(exc.argv, f"ignore {unknown}")
    elif draft.resources and draft.intent not in WRITE_INTENTS:
        offer(exc.argv, f"ignore {unknown}")
    return tuple(found[:MAX_CHOICES])
