"""Follow-up questions: read against the previous turn of the conversation.

"and in payments?", "same but sorted by age", "give me that as yaml", "actually make it 5"
change the previous command; "now restart it", "show its logs", "ok just delete it" apply a
new verb to the object the previous command was about; "undo that" inverts the previous
write where kubectl can. The previous turn comes from the server
(:attr:`~kubechat_lab.translate.TranslationContext.previous`); what changed is said in an
assumption.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
from collections.abc import Mapping

from kubechat_lab.command import Command, ResourceTable, parse
from kubechat_lab.errors import CommandError
from kubechat_lab.translate._types import TranslationContext, Turn
from kubechat_lab.translate.rules.build_reads import CantTranslateError, phase_fields, sort_flag
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.lexicon import number
from kubechat_lab.translate.rules.scan import Scan, rx

__all__ = ["is_followup", "modify_previous", "previous_target", "undo_previous"]

_LEAD = (r"^(?:and|what about|how about|now|ok|okay|then|also|actually|instead|same|just|only"
         r"|but|so|again|plus|rather|oh|hmm|right)\b")
_ANAPHORA = r"\b(?:it|its|they|them|their|that|those|these|this one|same|ones)\b"
_UNDO = (r"^(?:(?:ok|okay|now|actually|please|and|then|oops|no) )*(?:undo|revert|reverse|"
         r"roll ?back|take back|cancel) ?(?:that|it|this|the last (?:one|change|command)|"
         r"what you did)?\b")
#: Inverse verbs: what "undo that" runs after each write.
_INVERSE = {"cordon": "uncordon", "uncordon": "cordon"}
_INVERSE_ROLLOUT = {"pause": "resume", "resume": "pause", "restart": "undo"}
_WORKLOADS = ("deployments", "statefulsets", "daemonsets", "replicasets")


def is_followup(scan: Scan, ctx: TranslationContext,
                words: Mapping[str, tuple[str, bool]]) -> bool:
    """Return True when the question only makes sense after the previous turn."""
    previous = ctx.previous
    if previous is None or previous.command is None:
        return False
    if rx(_LEAD).search(scan.text) or rx(_ANAPHORA).search(scan.text) or rx(_UNDO).search(
        scan.text
    ):
        return True
    named = any(w in words or ctx.locate(w) for w in scan.words)
    return not named


def previous_target(turn: Turn) -> tuple[str | None, list[str], str | None]:
    """Return ``(resource, names, namespace)`` the previous command was about."""
    command = turn.command
    if command is None:
        return None, [], None
    kind: str | None
    if command.targets:
        kind = command.targets[0][0]
        names = [name for k, name in command.targets if k == kind]
    else:
        kind = command.resources[0] if command.resources else None
        if command.verb == "top":
            kind = command.subverb
        if kind is None and command.verb in ("cordon", "uncordon", "drain", "taint"):
            kind = "nodes"
        names = list(command.names)
    if not names and turn.names and (turn.kind is None or turn.kind == kind):
        names = list(turn.names)
    return kind, names, command.namespace


def undo_previous(turn: Turn) -> list[str]:
    """Return the arguments that invert the previous write.

    Raises
    ------
    CantTranslateError
        When the previous command cannot be inverted (a delete, a scale from an unknown count).
    """
    command = turn.command
    if command is None or not command.is_write:
        raise CantTranslateError("the previous command changed nothing",
                                 "say what to change, such as 'uncordon kwok-worker-2'")
    kind, names, namespace = previous_target(turn)
    scope = ["-n", namespace] if namespace else []
    if command.verb in _INVERSE:
        return [_INVERSE[command.verb], *names]
    if command.verb == "rollout" and command.subverb in _INVERSE_ROLLOUT:
        targets = [f"{kind}/{name}" for name in names]
        return ["rollout", _INVERSE_ROLLOUT[command.subverb], *targets, *scope]
    if command.verb == "set" and command.subverb == "image":
        return ["rollout", "undo", *[f"{kind}/{name}" for name in names], *scope]
    if command.verb in ("label", "annotate", "taint") and all(
        not arg.endswith("-") for arg in command.args
    ):
        keys = [arg.split("=")[0].split(":")[0] + "-" for arg in command.args]
        return [command.verb, kind or "", *names, *scope, *keys]
    flipped = _flipped_patch(command)
    if flipped is not None:
        return ["patch", kind or "", *names, *scope, "-p", flipped]
    if command.verb == "delete":
        raise CantTranslateError("a delete cannot be undone",
                                 "recreate the object from its manifest (apply), or let its "
                                 "controller recreate it")
    raise CantTranslateError(f"kubectl has no inverse of {command.verb} that I can be sure of",
                             "say the change you want, such as 'scale checkout in shop to 2'")


def _flipped_patch(command: Command) -> str | None:
    """Return the inverse of a patch that sets only booleans ("suspend": true), or None."""
    if command.verb != "patch" or (command.flag("type") or "strategic") == "json":
        return None
    try:
        body = json.loads(command.flag("patch") or "")
    except ValueError:
        return None

    def flip(value: object) -> object:
        if isinstance(value, bool):
            return not value
        if isinstance(value, dict) and value:
            flipped = {k: flip(v) for k, v in value.items()}
            return None if None in flipped.values() else flipped
        return None

    inverse = flip(body)
    return json.dumps(inverse, separators=(",", ":")) if inverse is not None else None


def _flag(command: Command, name: str, value: str | None) -> Command:
    flags = [(k, v) for k, v in command.flags if k != name]
    if value is not None:
        flags.append((name, value))
    return dataclasses.replace(command, flags=tuple(sorted(flags)))


def _count(scan: Scan) -> int | None:
    """Return the count a follow-up gives ("make it 6"), taking it."""
    match = scan.search(r"\b(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
                        r"twelve|fifteen|twenty)\b")
    if match is None:
        return None
    scan.take(match)
    return number(match.group(1))


def _count_before(turn: Turn, command: Command) -> int | None:
    """Return the count the previous question says the workload had ("it is at 2 replicas")."""
    counts = {int(n) for n in re.findall(r"\b(\d+)\b", turn.question)}
    counts.discard(int(command.flag("replicas") or -1))
    return counts.pop() if len(counts) == 1 else None


def modify_previous(scan: Scan, draft: Draft, ctx: TranslationContext,
                    table: ResourceTable) -> tuple[list[str], list[str]] | None:
    """Apply what the follow-up changes to the previous command.

    Returns the new arguments and what changed, or None when the follow-up changes nothing
    the rules can see (the question is then read on its own).
    """
    turn = ctx.previous
    if turn is None or turn.command is None:
        return None
    command = turn.command
    resource = command.subverb if command.verb == "top" else (
        command.resources[0] if command.resources else None)
    changed: list[str] = []
    found = table.lookup(resource) if resource else None
    namespaced = found is None or found[1].namespaced
    if draft.all_namespaces and namespaced and not command.all_namespaces:
        command = dataclasses.replace(command, namespace=None, all_namespaces=True)
        changed.append("across all namespaces")
    elif draft.namespace and namespaced and draft.namespace != command.namespace:
        command = dataclasses.replace(command, namespace=draft.namespace, all_namespaces=False)
        changed.append(f"in namespace {draft.namespace}")
    if draft.sort is not None:
        if command.verb == "top" and draft.sort in ("cpu", "memory"):
            command = _flag(command, "sort-by", draft.sort)
        elif command.verb == "get" and resource is not None:
            flag = sort_flag(draft, resource)
            if flag:
                command = _flag(command, "sort-by", flag[0].split("=", 1)[1])
        changed.append(f"sorted by {draft.sort}")
    output = draft.output or ("yaml" if draft.output_hint else None)
    if output and command.verb == "get":
        command = dataclasses.replace(command, output=output)
        changed.append(f"as {output}")
    if draft.node and command.verb == "get" and resource == "pods":
        # "only the ones sitting on kwok-worker-2": the same pods, on that node
        old = command.field_selector.split(",") if command.field_selector else []
        wanted = f"spec.nodeName={draft.node}"
        if wanted not in old:
            command = dataclasses.replace(command, field_selector=",".join([*old, wanted]))
            changed.append(f"on node {draft.node}")
    if draft.states and command.verb in ("get", "delete") and resource is not None:
        fields = phase_fields(draft, resource)
        old = command.field_selector.split(",") if command.field_selector else []
        merged = [*old, *[f for f in fields if f not in old]]
        if merged != old:
            command = dataclasses.replace(command, field_selector=",".join(merged))
            changed.append(f"only {', '.join(draft.states)}")
    if command.verb == "logs" and draft.tail is None:
        # "only the last 50" after a logs command: its lines
        last = scan.search(r"\b(?:the )?(?:last|latest|final|newest) (\d+)\b(?! ?[a-z])")
        if last is not None:
            draft.tail = last.group(1)
            scan.take(last)
    if command.verb == "logs":
        stamps = "true" if scan.has(r"\btimestamps?\b|\btimestamped\b") else None
        prefix = "true" if "prefix" in draft.extra else None
        for name, value in (("tail", draft.tail), ("since", draft.since),
                            ("previous", "true" if draft.previous else None),
                            ("container", draft.container), ("timestamps", stamps),
                            ("prefix", prefix)):
            if value is not None:
                command = _flag(command, name, value)
                changed.append(f"--{name}" + ("" if value == "true" else f"={value}"))
    if command.verb == "top" and scan.has(r"\b(?:per|by|each) container\b|\bcontainers\b"):
        command = _flag(command, "containers", "true")  # "break that down per container"
        changed.append("per container")
    count = number(draft.extra["replicas"].lower()) if "replicas" in draft.extra else None
    factor = scan.search(r"\b(double|triple|halve)\b")
    if command.verb == "scale" and count is None and factor:  # "double it": from what it was
        was = command.flag("replicas")
        if was is not None and was.isdigit():
            count = {"double": 2 * int(was), "triple": 3 * int(was),
                     "halve": max(1, int(was) // 2)}[factor.group(1)]
            scan.take(factor)
    if command.verb == "scale" and count is None and scan.has(r"\bback\b"):
        count = _count_before(turn, command)
    if command.verb == "scale" and (count is not None or (count := _count(scan)) is not None):
        command = _flag(command, "replicas", str(count))
        changed.append(f"{count} replicas")
    if not changed:
        return None
    try:
        command = parse(command.render(), resources=table)
    except CommandError:
        return None
    return shlex.split(command.render())[1:], changed
