"""The offline ``rules`` translator: deterministic phrase rules from a question to one command.

The pipeline (see :func:`understand`): phrases that never name objects are taken first
(output format, namespaces, line counts and time windows, sorting), then the intent is read,
then states, nodes, containers, intent-specific values and label selectors; what is left holds
the resources and object names. Cluster inventory, when the server passes it, fills in the
namespace of a named object and the kind of a bare name. The result is rendered to a kubectl
line and parsed with the same grammar as everything else, so the rules can never emit a
command the grammar would refuse without saying so.
"""

from __future__ import annotations

import logging
import shlex
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import ClassVar

from kubechat_lab.command import DEFAULT_RESOURCES, Command, ResourceTable, parse
from kubechat_lab.errors import CommandError
from kubechat_lab.translate._base import Translation, TranslationContext
from kubechat_lab.translate._build import BUILDERS, CantTranslateError
from kubechat_lab.translate._build_write import WRITE_BUILDERS, pre_extract
from kubechat_lab.translate._extract import (
    Draft,
    extract_counts,
    extract_namespaces,
    extract_output,
)
from kubechat_lab.translate._filters import (
    extract_containers,
    extract_nodes,
    extract_selectors,
    extract_sorting,
    extract_states,
)
from kubechat_lab.translate._intents import FORBIDDEN_INTENTS, detect_intent
from kubechat_lab.translate._lexicon import NOT_NAMES, RESOURCE_WORDS
from kubechat_lab.translate._scan import Scan

__all__ = ["RulesTranslator", "understand"]

logger = logging.getLogger(__name__)

_ALL_BUILDERS = {**BUILDERS, **WRITE_BUILDERS}
_EMPTY = TranslationContext()
_NAME = r"([a-z0-9][a-z0-9.\-]*[a-z0-9]|[a-z0-9])"
_DETERMINERS = frozenset({"the", "my", "our", "this", "that", "your", "its", "their"})
_NEEDS_NAME = frozenset(
    {
        "describe", "logs", "delete", "scale", "cordon", "uncordon", "drain", "taint", "untaint",
        "label", "unlabel", "annotate", "unannotate", "set-image", "create", "rollout-restart",
        "rollout-undo", "rollout-history", "rollout-status", "rollout-pause", "rollout-resume",
        *FORBIDDEN_INTENTS,
    }
)
#: Intents where "namespace X" alone can be the object ("delete namespace scratch").
_OBJECT_INTENTS = frozenset({"get", "describe", "delete", "create", "label", "unlabel",
                             "annotate", "unannotate", "edit"})
_NODE_TARGETS = frozenset({"cordon", "uncordon", "drain", "taint", "untaint"})
#: Which kind a bare inventory name most likely is, by intent.
_KIND_PREFERENCE: dict[str, tuple[str, ...]] = {
    "logs": ("pods", "deployments", "statefulsets", "daemonsets", "jobs"),
    "scale": ("deployments", "statefulsets", "replicasets"),
    "set-image": ("deployments", "statefulsets", "daemonsets"),
    "cordon": ("nodes",),
    "uncordon": ("nodes",),
    "drain": ("nodes",),
    "taint": ("nodes",),
    "untaint": ("nodes",),
}
_ROLLOUT_KINDS = ("deployments", "statefulsets", "daemonsets")
_DEFAULT_KINDS = ("pods", "deployments", "statefulsets", "daemonsets", "services", "jobs",
                  "cronjobs", "configmaps", "secrets", "nodes", "namespaces")
_GENERIC_HINT = (
    "a question about one resource, such as 'list pods in namespace shop', 'logs of pod web-1 "
    "from the last hour', 'restart deployment checkout in shop' or 'scale deployment web to 3'"
)
_REFUSED_WHY = {
    "exec": "runs a process inside a container",
    "attach": "attaches an interactive terminal",
    "port-forward": "opens a network tunnel",
    "proxy": "opens a proxy to the API server",
    "cp": "copies files between the pod and this machine",
    "edit": "opens an interactive editor",
    "debug": "starts an interactive debug container",
}


@lru_cache(maxsize=32)
def resource_words(table: ResourceTable) -> Mapping[str, tuple[str, bool]]:
    """Natural-language resource words: the built-in lexicon plus CRDs of ``table``."""
    words = dict(RESOURCE_WORDS)
    for info in table:
        spelled = f"{info.plural}.{info.group}" if info.group else info.plural
        if DEFAULT_RESOURCES.lookup(spelled) is not None:
            continue
        found = table.lookup(spelled)
        if found is None:
            continue
        canonical = found[0]
        words.setdefault(info.plural.lower(), (canonical, True))
        for word in (info.singular, info.kind, *info.short_names):
            word = word.lower()
            if word and word not in NOT_NAMES:
                words.setdefault(word, (canonical, False))
    return words


def _find_objects(
    scan: Scan, draft: Draft, ctx: TranslationContext, words: Mapping[str, tuple[str, bool]]
) -> None:
    """Resources and object names from what the extractors left."""
    for index in scan.free():
        left, slash, right = scan.words[index].partition("/")
        if slash and left in words and scan.is_name(right):
            if words[left][0] not in draft.resources:
                draft.resources.append(words[left][0])
            draft.names.append(right)
            scan.take_token(index)
    for match in scan.finditer(r"\b(?:named|called|with (?:the )?name|name) " + _NAME + r"\b"):
        if scan.is_name(match.group(1)) and match.group(1) not in words:
            draft.names.append(match.group(1))
            scan.take(match)
    count = len(scan.words)
    for index in range(count):
        word = scan.words[index]
        if scan.used[index] or word not in words:
            continue
        canonical, plural = words[word]
        scan.take_token(index)
        if canonical not in draft.resources:
            draft.resources.append(canonical)
        after = index + 1
        found = False
        while after < count and not scan.used[after]:
            name = scan.words[after]
            if name in words or not scan.is_name(name, strict=plural):
                break
            draft.names.append(name)
            scan.take_token(after)
            found = True
            if after + 2 < count and scan.words[after + 1] in ("and", "or"):
                scan.take_token(after + 1)
                after += 2
            else:
                break
        before = index - 1
        if found or before < 0 or scan.used[before]:
            continue
        name = scan.words[before]
        if name in words or not scan.is_name(name):
            continue
        lead = scan.words[before - 1] if before > 0 else ""
        if not plural and (
            before == 0 or lead in _DETERMINERS or lead in NOT_NAMES
            or scan.is_name(name, strict=True)
        ):
            draft.names.append(name)
            scan.take_token(before)
        elif plural and draft.namespace is None and not draft.all_namespaces and (
            ctx.knows_namespace(name)
            or (scan.is_name(name, strict=True) and not ctx.locate(name))
        ):
            draft.namespace = name
            scan.take_token(before)
            if not ctx.knows_namespace(name):
                draft.assumptions.append(f"{name!r} read as the namespace")


def _leftover_names(scan: Scan, draft: Draft, ctx: TranslationContext,
                    words: Mapping[str, tuple[str, bool]]) -> None:
    """Bare names with no resource word around them (``drain node-c``, ``logs of gw-0``)."""
    free = [i for i in scan.free() if scan.words[i] not in words]
    known = [i for i in free if scan.is_name(scan.words[i]) and ctx.locate(scan.words[i])]
    if draft.names:
        return
    if draft.namespace is None and not draft.all_namespaces:
        for index in free:
            if ctx.knows_namespace(scan.words[index]) and not ctx.locate(scan.words[index]):
                draft.namespace = scan.words[index]
                scan.take_token(index)
                free.remove(index)
                break
    picked = known or [i for i in free if scan.is_name(scan.words[i], strict=True)]
    if not picked and draft.intent in _NEEDS_NAME:
        picked = [i for i in free if scan.is_name(scan.words[i])][:1]
    for index in picked:
        draft.names.append(scan.words[index])
        scan.take_token(index)


def _resolve_inventory(draft: Draft, ctx: TranslationContext) -> None:
    """Fill in the kind of a bare name and the namespace of a named object."""
    if not ctx.inventory or not draft.names:
        return
    name = draft.names[0]
    if not draft.resources:
        hits = ctx.locate(name)
        order: tuple[str, ...]
        if draft.intent.startswith("rollout"):
            order = _ROLLOUT_KINDS
        else:
            order = _KIND_PREFERENCE.get(draft.intent, _DEFAULT_KINDS)
        kinds = [kind for kind in order if any(k == kind for k, _ in hits)]
        kinds += [k for k, _ in hits if k not in kinds]
        if kinds:
            draft.resources.append(kinds[0])
            draft.assumptions.append(f"{name!r} is the {kinds[0]} object of that name")
    if not draft.resources or draft.namespace or draft.all_namespaces:
        return
    resource = draft.resources[0]
    found = ctx.resources.lookup(resource)
    if found is not None and not found[1].namespaced:
        return
    spaces = sorted({ns for _, ns in ctx.locate(name, resource)})
    if len(spaces) == 1:
        if spaces[0] != ctx.namespace:
            draft.namespace = spaces[0]
        draft.assumptions.append(
            f"namespace {spaces[0]!r}: the only one with {resource} {name!r}"
        )
    elif spaces and ctx.namespace in spaces:
        draft.assumptions.append(f"{resource} {name!r} exists in {', '.join(spaces)}; "
                                 f"using the current namespace {ctx.namespace!r}")
    elif spaces:
        draft.notes.append(f"{resource} {name!r} exists in namespaces {', '.join(spaces)}; "
                           "say which with 'in NAMESPACE'")
    elif ctx.inventory.get(resource):
        draft.notes.append(f"no {resource} named {name!r} in the cluster inventory")


def _extract_previous(scan: Scan, draft: Draft) -> None:
    match = scan.search(
        r"\b(?:previous|prior|crashed|crashing|terminated|dead|died|earlier|old|previously"
        r"|last terminated|restarted)\b|\b(?:from )?before (?:it |the (?:last )?)?(?:crash(?:ed)?|"
        r"restart(?:ed)?|died|failed)\b|\blast (?:run|instance|incarnation)\b"
    )
    if match:
        draft.previous = True
        scan.take(match)


def understand(question: str, ctx: TranslationContext) -> tuple[Draft, list[str]]:
    """Return the draft and the kubectl arguments (without ``kubectl``) for ``question``.

    Raises
    ------
    CantTranslateError
        When the rules cannot map the question; its ``hint`` says what to try.
    """
    scan = Scan(question)
    if not scan.words:
        raise CantTranslateError("the question is empty", _GENERIC_HINT)
    words = resource_words(ctx.resources)
    draft = Draft()
    extract_output(scan, draft)
    extract_namespaces(scan, draft, ctx, words)
    extract_counts(scan, draft)
    extract_sorting(scan, draft)
    if scan.has(r"\blogs?\b|\blogging\b"):
        # before the intent: "logs from before the last restart" is not a restart
        _extract_previous(scan, draft)
    draft.intent = detect_intent(scan)
    if draft.tail and draft.intent in ("get", "describe"):
        draft.intent = "logs"  # "30 lines from pod web-0": only logs have lines
    if draft.intent == "logs":
        _extract_previous(scan, draft)
    else:
        draft.previous = False
    extract_states(scan, draft)
    if draft.intent in ("logs", "exec", "top", "set-image", "attach", "cp", "debug"):
        extract_containers(scan, draft)
    extract_nodes(scan, draft, ctx, target=draft.intent in _NODE_TARGETS)
    pre_extract(scan, draft)
    extract_selectors(scan, draft)
    _find_objects(scan, draft, ctx, words)
    if draft.namespace_object:
        if draft.intent in _OBJECT_INTENTS and (
            draft.resources == ["namespaces"] or (not draft.resources and not draft.names)
        ):
            draft.resources[:] = ["namespaces"]
            draft.names.insert(0, draft.namespace_object)
        elif draft.namespace is None:
            draft.namespace = draft.namespace_object
    if "more-namespaces" in draft.extra:
        raise CantTranslateError(
            "kubectl lists one namespace at a time",
            f"one question per namespace, or 'across the cluster' (-A) instead of "
            f"{draft.namespace} and {draft.extra['more-namespaces']}",
        )
    if (draft.intent in _NEEDS_NAME and not draft.names and draft.namespace is not None
            and draft.extra.get("loose-namespace") == draft.namespace
            and scan.is_name(draft.namespace, strict=True)
            and not any(scan.is_name(scan.words[i], strict=True) for i in scan.free())):
        # "logs from web-0": a pod-like name after a bare "from"/"in" is the object.
        draft.names.append(draft.namespace)
        draft.namespace = None
    _leftover_names(scan, draft, ctx, words)
    if draft.intent in _NODE_TARGETS and not draft.resources:
        draft.resources.append("nodes")
    _resolve_inventory(draft, ctx)
    return draft, _ALL_BUILDERS[draft.intent](draft, scan, ctx.resources)


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
        start = time.perf_counter()
        ctx = context if context is not None else _EMPTY
        try:
            draft, argv = understand(question, ctx)
        except CantTranslateError as exc:
            return Translation(
                question=question,
                command=None,
                text="",
                explanation=f"I can't translate this; try {exc.hint}.",
                provider=self.id,
                notes=(f"not understood: {exc.why}",),
                latency=time.perf_counter() - start,
            )
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
                           "reason=%s", question, text, exc.reason)
            return Translation(
                question=question,
                command=None,
                text="",
                explanation=f"I can't translate this; try {_GENERIC_HINT}.",
                provider=self.id,
                notes=(f"the rules built {text!r}, which the grammar refused: {exc}",),
                latency=time.perf_counter() - start,
            )
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
