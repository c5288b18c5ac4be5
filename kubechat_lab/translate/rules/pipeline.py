"""The order in which the rules translator reads a question (:func:`understand`).

Phrases that never name objects are taken first (output format, namespaces, line counts and
time windows, sorting), then the intent is read, then states, nodes, containers,
intent-specific values and label selectors; what is left holds the resources and object
names. Cluster inventory, when the server passes it, fills in the namespace of a named object
and the kind of a bare name.
"""

from __future__ import annotations

import re
import shlex

from kubechat_lab.command import Command
from kubechat_lab.translate._types import TranslationContext
from kubechat_lab.translate.rules.account import (
    FILLERS,
    FRAME_WORDS,
    SYMPTOMS,
    intent_words,
    stems,
    unaccounted,
)
from kubechat_lab.translate.rules.build_reads import (
    BUILDERS,
    CantTranslateError,
    NotUnderstoodError,
    read_model_field,
)
from kubechat_lab.translate.rules.build_writes import WRITE_BUILDERS
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.filters import (
    extract_containers,
    extract_event_reasons,
    extract_node_details,
    extract_nodes,
    extract_selectors,
    extract_sorting,
    extract_states,
)
from kubechat_lab.translate.rules.followup import (
    is_followup,
    modify_previous,
    previous_target,
    undo_previous,
)
from kubechat_lab.translate.rules.intents import (
    FORBIDDEN_INTENTS,
    INTENT_PATTERNS,
    WRITE_INTENTS,
    WRITE_WORDS,
    asked_about,
    detect_intent,
    take_planned,
)
from kubechat_lab.translate.rules.lexicon import NOT_NAMES, number
from kubechat_lab.translate.rules.objects import (
    NEEDS_NAME,
    find_objects,
    leftover_names,
    resolve_inventory,
    resource_words,
)
from kubechat_lab.translate.rules.phrases import (
    extract_counts,
    extract_namespaces,
    extract_output,
)
from kubechat_lab.translate.rules.scan import Scan, rx, split_evidence, split_narrative
from kubechat_lab.translate.rules.shapes import (
    extract_grouping,
    extract_owner_lookup,
    extract_placement,
    extract_shapes,
)
from kubechat_lab.translate.rules.spelling import correct_spelling
from kubechat_lab.translate.rules.write_values import pre_extract

__all__ = ["GENERIC_HINT", "understand"]

_ALL_BUILDERS = {**BUILDERS, **WRITE_BUILDERS}
#: Intents where "namespace X" alone can be the object ("delete namespace scratch").
_OBJECT_INTENTS = frozenset({"get", "describe", "delete", "create", "label", "unlabel",
                             "annotate", "unannotate", "edit"})
_NODE_TARGETS = frozenset({"cordon", "uncordon", "drain", "taint", "untaint"})
#: What to suggest when a question cannot be mapped at all.
GENERIC_HINT = (
    "a question about one resource, such as 'list pods in namespace shop', 'logs of pod web-1 "
    "from the last hour', 'restart deployment checkout in shop' or 'scale deployment web to 3'"
)


def _extract_previous(scan: Scan, draft: Draft) -> None:
    match = scan.search(
        r"\b(?:previous|prior|crashed|crashing|terminated|dead|died|earlier|old|previously"
        r"|last terminated|restarted)\b|\b(?:its |the )?(?:last|latest|previous|most recent) "
        r"(?:crash|restart|failure)\b|\b(?:from )?before (?:it |the (?:last )?)?(?:crash(?:ed)?|"
        r"restart(?:ed)?|died|failed)\b|\blast (?:run|instance|incarnation)\b"
    )
    if match:
        draft.previous = True
        scan.take(match)


#: "who can delete pods?": a question about other people's permissions (no kubectl answers it).
_WHO_MAY = (r"\bwho (?:else )?(?:can|could|may|might|is allowed|are allowed|is permitted|"
            r"has (?:the )?(?:right|permission|access|rights)|have (?:the )?(?:right|permission|"
            r"access|rights))\b")


def read(question: str, ctx: TranslationContext, told: str = "") -> tuple[Draft, Scan]:
    """Read ``question`` into a :class:`Draft` (nothing is built yet).

    ``told`` is what the person said happened before asking (see :func:`understand`): it is
    evidence, like a pasted message, never part of the request.

    Raises
    ------
    CantTranslateError
        When the question is empty or names two namespaces.
    """
    corrected, fixes = correct_spelling(question, ctx)
    scan = Scan(corrected)
    if not scan.words:
        raise CantTranslateError("the question is empty", GENERIC_HINT)
    if scan.has(_WHO_MAY):
        raise CantTranslateError(
            "kubectl cannot list who may do something",
            "'can I delete pods in shop?' (kubectl auth can-i checks your own access); who "
            "else may is in the cluster's RBAC bindings, which an admin can read")
    words = resource_words(ctx.resources)
    draft = Draft()
    draft.assumptions.extend(fixes)
    if told:
        said, told_fixes = correct_spelling(told, ctx)
        scan.told, pasted = split_evidence(said)
        scan.evidence.extend(pasted)
        draft.assumptions.extend(told_fixes)
        draft.assumptions.append(f"{told!r} read as what happened, not as the request")
    dry_run = scan.search(_DRY_RUN)
    if dry_run:
        # "what would scaling frontend to 5 look like? dry run only": the write, previewed
        draft.extra["dry-run"] = "server"
        scan.take(dry_run)
    planned = [] if dry_run else take_planned(
        scan, lambda w: ctx.knows_namespace(w) or bool(ctx.locate(w)))
    if planned:
        draft.assumptions.append(
            f"'{' '.join(planned)}' is what you plan to do next, not what you asked for now: "
            "this only looks")
        draft.extra["planned"] = " ".join(planned)
    extract_shapes(scan, draft)
    extract_output(scan, draft)
    extract_placement(scan, draft)
    extract_grouping(scan, draft)
    where = scan.search(r"\b(?:what|which) (?:namespace|ns) (?:is|are|does|do) (?:it|they|\S+)"
                        r"(?: \S+)? (?:in|live|lives|living|run|running|sit|sits|belong|belongs)\b"
                        r"|\bwhere (?:does|do|is|are) (?:it|they|the \S+ \S+|\S+) (?:live|run|sit|"
                        r"reside|living|running)\b")
    if where is not None:  # "what ns is checkout in": every namespace, that name
        draft.extra["where"] = "1"
        for word in ("namespace", "ns", "what", "which", "where", "in", "is", "does", "live",
                     "lives", "run", "running", "sit", "belong"):
            for hit in list(scan.finditer(rf"\b{word}\b")):
                if where.start() <= hit.start() < where.end():
                    scan.take(hit)
    extract_namespaces(scan, draft, ctx, words)
    extract_owner_lookup(scan, draft)
    extract_counts(scan, draft)
    extract_sorting(scan, draft)
    extract_event_reasons(scan, draft)
    extract_node_details(scan, draft)
    if scan.has(r"\blogs?\b|\blogging\b|\blines?\b"):
        # before the intent: "logs from before the last restart" is not a restart
        _extract_previous(scan, draft)
        prefix = scan.search(r"\b(?:prefixed|labell?ed|tagged|marked) (?:with|by) (?:which|the|"
                             r"its|their) (?:pod|pods|source)(?: names?)?\b|\bwith (?:the |a )?"
                             r"pod (?:name )?prefix(?:es)?\b|\bprefix(?:ed)? (?:each |every )?"
                             r"(?:line )?(?:with|by) (?:the |its |their )?pod(?: names?)?\b"
                             r"|\b(?:with )?(?:the )?pod names? in front"
                             r"(?: of (?:each|every) line)?\b")
        if prefix:
            draft.extra["prefix"] = "1"
            scan.take(prefix)
    draft.intent = detect_intent(scan, unmask=bool(dry_run))
    if draft.intent == "describe" and scan.has(r"\b(?:requested|allocated|reserved)\b") \
            and scan.has(r"\bnodes?\b|\bworkers?\b"):
        # "how much cpu is requested on each node": describe shows each node's allocation
        draft.resources[:], draft.all_namespaces, draft.output = ["nodes"], False, None
        draft.extra.pop("group", None)
    if draft.extra.get("group") == "node" and draft.intent in ("get", "top") and scan.has(
            r"\b(?:memory|mem|ram|cpu)\b"):
        draft.intent, draft.output = "top", None  # "is memory spread evenly over the nodes"
        draft.resources[:] = ["nodes"]
        draft.all_namespaces = False
    if draft.tail and draft.intent in ("get", "describe"):
        draft.intent = "logs"  # "30 lines from pod web-0": only logs have lines
    if (draft.since or "since-time" in draft.extra) and draft.intent == "get" and scan.has(
            r"^(?:anything|what|whats) (?:\S+ )?from\b|\bsay(?:ing)?\b|\boutput\b"):
        draft.intent = "logs"  # "anything from postgres-0 in the past hour": what it printed
    if draft.intent == "logs":
        _extract_previous(scan, draft)
        each = scan.search(r"\b((?:each|every|all)(?: the| of the)?) (?:\S+ )?"
                           r"(replicas?|instances?)\b")
        if each:  # "each postgres replica": every pod of the workload, not one of them
            scan.take(each, 1)
            scan.take(each, 2)
            if "pods" not in draft.resources:
                draft.resources.insert(0, "pods")
    else:
        draft.previous = False
    if draft.intent in WRITE_INTENTS:
        _set_asides_aside(scan, ctx)
    extract_states(scan, draft)
    if draft.intent in ("logs", "exec", "top", "set-image", "attach", "cp", "debug"):
        extract_containers(scan, draft, frozenset(
            name for _, containers in ctx.workloads.values() for name, _ in containers))
        if draft.container and draft.intent == "logs" and ctx.locate(draft.container) and not any(
                scan.words[i] not in FILLERS and ctx.locate(scan.words[i]) for i in scan.free()):
            # "the fraud-detector container": the workload of that name, its own container
            draft.names.append(draft.container)
            draft.container = None
    extract_nodes(scan, draft, ctx, target=draft.intent in _NODE_TARGETS)
    pre_extract(scan, draft)
    extract_selectors(scan, draft)
    find_objects(scan, draft, ctx, words)
    if draft.intent == "autoscale":  # "slap an hpa on checkout": the hpa is what it makes
        draft.resources[:] = [r for r in draft.resources if r != "horizontalpodautoscalers"]
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
    if (draft.intent in NEEDS_NAME and not draft.names and draft.namespace is not None
            and draft.extra.get("loose-namespace") == draft.namespace
            and scan.is_name(draft.namespace, strict=True)
            and not any(scan.is_name(scan.words[i], strict=True) for i in scan.free())):
        # "logs from web-0": a pod-like name after a bare "from"/"in" is the object.
        draft.names.append(draft.namespace)
        draft.namespace = None
    leftover_names(scan, draft, ctx, words)
    if draft.intent in _NODE_TARGETS:
        # a node verb's object is a node: "drain X but leave the daemonsets alone" is no
        # daemonset, and a Lease named like the node is not it
        draft.resources[:] = ["nodes"]
        strangers = [n for n in draft.names if ctx.locate(n) and not ctx.locate(n, "nodes")]
        if strangers:  # "put checkout back": checkout is no node, so this is no uncordon
            kinds = ", ".join(sorted({kind[:-1] for kind, _ in ctx.locate(strangers[0])}))
            raise CantTranslateError(f"{strangers[0]!r} is a {kinds}, not a node",
                                     f"'{draft.intent} NODE' naming a node")
    if draft.intent == "set-env" and "env-from" not in draft.extra:
        _env_source(draft, scan, ctx)
    if scan.told and draft.namespace is None and not draft.all_namespaces:
        spaces = {w for w in scan.told.lower().split() if ctx.knows_namespace(w)}
        if len(spaces) == 1:  # "KubeJobFailed in ci. show me the jobs there": ci
            draft.namespace = spaces.pop()
            draft.assumptions.append(f"namespace {draft.namespace!r}: the one you told of")
    resolve_inventory(draft, ctx, scan)
    if draft.sort and not draft.names and draft.namespace is None and not draft.all_namespaces \
            and scan.has(r"^(?:which|what) (?:one |\S+ )?(?:has|have|is|are|uses?|runs?|got)\b"):
        # "which deployment has the most replicas": of all of them, not the current namespace's
        draft.all_namespaces = True
        draft.assumptions.append("the most of every namespace: -A")
    if "where" in draft.extra and len(draft.names) == 1 and draft.resources and (
            draft.resources[0] != "namespaces"):
        name = draft.names.pop()
        draft.namespace = None
        draft.all_namespaces = True
        draft.fields.append(f"metadata.name={name}")
        draft.assumptions.append(f"every namespace, the {draft.resources[0]} named {name}: the "
                                 "NAMESPACE column says where")
    if draft.resources == ["nodes"] and len(draft.names) == 1 and draft.intent == "get" and (
            scan.has(r"\b(?:leave|left) (?:anything|something|stuff|pods?|workloads?) "
                     r"(?:behind|on it|there)\b|\b(?:anything|what|pods?) (?:still|left) (?:on|"
                     r"running on)\b")):
        # "did it leave anything behind": the pods still on that node
        draft.node = draft.names.pop()
        draft.resources[:] = ["pods"]
        draft.all_namespaces = True
        draft.assumptions.append(f"the pods still on node {draft.node}")
    _one_kind_per_name(draft, ctx)
    if unread_condition(scan) is None:  # "of type LoadBalancer" is a condition, not a field
        read_model_field(scan, draft, ctx.resources)
    if draft.intent == "scale" and "delta" in draft.extra:
        _relative_count(draft, ctx)
    if draft.intent == "set-image" and "tag" in draft.extra and "image" not in draft.extra:
        _new_tag(draft, ctx, scan)
    if "events" in draft.resources and any(ctx.locate(n, "nodes") for n in draft.names):
        draft.extra["node-events"] = "1"
    return draft, scan


#: Words that open a clause saying why, not what: its names are context, not objects.
_REASON_OPENERS = frozenset("theyre they its it because since as cause cuz bc seems looks "
                            "think till til until while so we i".split())

#: Verbs that open a request after a narrative ("... it is paging us. switch it off").
_REQUEST_VERBS = frozenset("show list get describe check display print tail find give switch "
                        "turn put take let bring make stop start pause resume roll bounce cycle "
                        "kick pull grab fetch dump see".split())

#: Words that open a reason inside a clause ("... till the nodes show up").
_SUBORDINATORS = frozenset("till til until while because since".split())

#: "give it more memory": a change, whatever else read its words.
_MORE_OF = r"\b(?:give|add|grant) (?:it|them|\S+) (?:more|less|extra|another)\b"

#: Words that turn a change into its refusal ("don't actually change anything").
_NEGATIONS = frozenset("dont don't not never without no nothing".split())

#: Words after which a verb is a noun ("the last deploy", "a restart", "that rollout").
_NOUN_MARKERS = frozenset("the a an this that last latest previous recent new my our your its "
                          "their".split())


def _asks_change(words: list[str]) -> bool:
    """Return True when ``words`` ask for a change: a write verb, not a noun or a report.

    "the last deploy broke the page" (a noun after a determiner) and "it restarted twice" (a
    report of the past) ask for nothing.
    """
    text = " ".join(words)
    if re.search(_MORE_OF, text):
        return True  # "give it more memory": a change, whatever the verb
    if re.search(INTENT_PATTERNS["autoscale"] + "|" + INTENT_PATTERNS["set-resources"], text):
        return True  # "slap an hpa on checkout": a request, though no write word says so
    return any(word in WRITE_WORDS and not word.endswith("ed")
               and (index == 0 or words[index - 1] not in _NOUN_MARKERS)
               and not _NEGATIONS & set(words[max(0, index - 3):index])  # "don't change it"
               for index, word in enumerate(words))


def _set_asides_aside(scan: Scan, ctx: TranslationContext) -> None:
    """Take the clauses after a write's own clause that ask for nothing of their own.

    "freeze the frontend rollout for a sec, I want to look at the new pods first": the
    second clause says why; its "pods" is not what the rollout is about.
    """
    request = next((i for i, seen in enumerate(scan.seen) if seen), None)
    if request is None:
        return
    for index in range(request + 1, len(scan.words)):
        # "park recommendations at 0 till the a100 nodes show up": a reason inside the clause
        if scan.words[index] in _SUBORDINATORS and not scan.used[index]:
            end = next((b + 1 for b in sorted(scan.breaks) if b >= index), len(scan.words))
            if not _asks_change(scan.words[index:end]):
                scan.set_aside(index, end)
    for first, end in scan.clauses():
        if first <= request:
            continue
        if scan.words[first].replace("'", "") in _REASON_OPENERS and not _asks_change(
                scan.words[first:end]):
            scan.set_aside(first, end)  # "..., they're holding a stale dns entry for postgres"
            continue
        names = any(scan.is_written_name(i) or ctx.locate(scan.words[i])
                    or ctx.knows_namespace(scan.words[i]) for i in range(first, end))
        if not names and not _asks_change(scan.words[first:end]) and not any(
                scan.used[first:end]):
            scan.set_aside(first, end)


_WORKLOAD_KINDS = frozenset({"deployments", "statefulsets", "daemonsets"})


def _env_source(draft: Draft, scan: Scan, ctx: TranslationContext) -> None:
    """Take the Secret or ConfigMap a workload's variables come from out of the draft's names.

    "let fraud-detector pick up api-credentials as env vars": api-credentials is the Secret
    (the inventory says so), fraud-detector the workload that gets ``--from=secret/...``.
    """
    for index in scan.free():  # "load the X secret into fraud-detector": the workload too
        if any(kind in _WORKLOAD_KINDS for kind, _ in ctx.locate(scan.words[index])):
            draft.names.append(scan.words[index])
            scan.take_token(index)
    for name in list(draft.names):
        kinds = [kind for kind, _ in ctx.locate(name) if kind in ("secrets", "configmaps")]
        if len(kinds) == 1 and len(draft.names) > 1:
            draft.names.remove(name)
            draft.extra["env-from"] = f"{kinds[0][:-1]}/{name}"
            draft.resources[:] = [r for r in draft.resources if r not in ("secrets",
                                                                          "configmaps")]
            return


_RELATED_KINDS = frozenset({"pods", "events", "endpoints", "endpointslices"})


def _one_kind_per_name(draft: Draft, ctx: TranslationContext) -> None:
    """Refuse two kinds of one name where the cluster has only one of them.

    "the image pull secrets of checkout" is no Secret called checkout. The builders' own
    readings of two kinds (a workload's pods, an object's events, a service's endpoints) stand.

    Raises
    ------
    CantTranslateError
        A name the inventory has under one of the kinds only.
    """
    kinds = [k for k in draft.resources if k not in _RELATED_KINDS]
    if len(draft.resources) < 2 or len(kinds) != len(draft.resources) or not draft.names or (
            not ctx.inventory or (draft.namespace and not ctx.knows_namespace(draft.namespace))):
        return
    if sorted(kinds) == ["deployments", "replicasets"] and len(draft.names) == 1 and (
            ctx.locate(draft.names[0], "deployments")):
        # "checkout deploy ... show me its replicasets": the ReplicaSets it owns, by its label
        name = draft.names.pop()
        draft.resources[:] = ["replicasets"]
        draft.selectors.append(f"app={name}")
        draft.namespace = draft.namespace or ctx.locate(name, "deployments")[0][1]
        draft.assumptions.append(f"the replicasets of deployment {name} carry app={name}")
        return
    for name in draft.names:
        missing = [kind for kind in kinds if not ctx.locate(name, kind)]
        if missing and (len(missing) < len(kinds) or ctx.locate(name)):
            raise CantTranslateError(
                f"{name!r} is no {missing[0][:-1]} in the cluster; this reads as "
                f"{' and '.join(k[:-1] for k in kinds)} {name}",
                f"ask about one kind: '{kinds[0][:-1]} {name}'")


def _workload(draft: Draft, ctx: TranslationContext) -> tuple[str, str, str] | None:
    """Return ``(resource, namespace, name)`` of the one workload the draft is about."""
    if "workload" in draft.extra and draft.resources == ["pods"]:
        kind, _, name = draft.extra["workload"].partition("/")
        draft.resources[:], draft.names[:] = [kind], [name]
        draft.selectors.clear()  # "2 more frontend pods": the frontend workload
    if len(draft.names) != 1 or not draft.resources:
        return None
    key = (draft.resources[0], draft.namespace or "", draft.names[0])
    return key if key in ctx.workloads else None


def _relative_count(draft: Draft, ctx: TranslationContext) -> None:
    """Turn "2 more" into an absolute count from the workload's current replicas."""
    key = _workload(draft, ctx)
    if key is None:
        return  # the scale builder refuses: a relative change needs the current count
    current = ctx.workloads[key][0]
    sign, amount = draft.extra["delta"][0], draft.extra["delta"][1:]
    if sign == "*":  # "double it": the factor times what it runs
        if amount == "halve" and current % 2:
            raise CantTranslateError(
                f"{key[2]} runs {current} replicas: half is {current / 2:g}, so 'halve' could "
                f"mean {current // 2} or {current // 2 + 1}",
                f"'scale {key[2]} to {current // 2}' or 'to {current // 2 + 1}'")
        factor = {"double": 2.0, "triple": 3.0, "halve": 0.5}[amount]
        wanted = max(1, int(current * factor))
        draft.extra["replicas"] = str(wanted)
        draft.assumptions.append(f"{key[0][:-1]} {key[2]} runs {current} replicas now: "
                                 f"{amount} is {wanted}")
        return
    delta = number(amount) or 0
    wanted = current + delta if sign == "+" else current - delta
    if wanted < 0:
        raise CantTranslateError(f"{key[2]} runs {current} replicas; {wanted} is not a count",
                                 f"'scale {key[2]} to 0' to stop it")
    draft.extra["replicas"] = str(wanted)
    draft.assumptions.append(f"{key[0][:-1]} {key[2]} runs {current} replicas now: "
                             f"{current} {draft.extra['delta'][0]} {delta} = {wanted}")


def _new_tag(draft: Draft, ctx: TranslationContext, scan: Scan) -> None:
    """Turn "ship checkout 2.4.2" into its image with the tag changed, registry kept.

    The image's own name before the tag ("pin frontend to nginx 1.26") is part of it.
    """
    key = _workload(draft, ctx)
    if key is None:
        return
    containers = ctx.workloads[key][1]
    if len(containers) != 1:
        raise CantTranslateError(
            f"{key[2]} runs {len(containers)} containers", "'set image deployment/"
            f"{key[2]} CONTAINER=IMAGE:{draft.extra['tag']}' naming the container")
    container, image = containers[0]
    repository = image.split("@", 1)[0]
    if ":" in repository.rsplit("/", 1)[-1]:
        repository = repository.rsplit(":", 1)[0]
    draft.extra["image"] = f"{repository}:{draft.extra['tag']}"
    for index in scan.free():
        if scan.words[index] == repository.rsplit("/", 1)[-1]:
            scan.take_token(index)
    draft.container = container
    draft.assumptions.append(f"{key[2]} runs {image} now: same registry and repository, "
                             f"tag {draft.extra['tag']}")


def _intent_of(command: Command) -> str:
    if command.verb in ("rollout", "set") and command.subverb:
        return f"{command.verb}-{command.subverb}"
    return command.verb


def _the_other(scan: Scan, ctx: TranslationContext, kind: str | None, names: list[str],
               previous: Command) -> list[str] | None:
    """Return the previous command on "the other" object of a pair ("and the other replica?").

    Only when the inventory has exactly one sibling (same kind, same name but for its last
    ``-suffix``): otherwise which one is meant is a guess.
    """
    kind = kind or ("pods" if previous.verb == "logs" else None)
    if kind is None or len(names) != 1 or not scan.has(
            r"\b(?:the )?other (?:one|replica|pod|instance|node|member)\b"):
        return None
    stem = names[0].rsplit("-", 1)[0]
    siblings = [name for _, name in ctx.inventory.get(kind, ())
                if name != names[0] and name.rsplit("-", 1)[0] == stem]
    if len(set(siblings)) != 1:
        return None
    argv = shlex.split(previous.render())[1:]
    return [siblings[0] if arg == names[0] else arg.replace(f"/{names[0]}", f"/{siblings[0]}")
            for arg in argv]


_ROLLED = ("deployments", "statefulsets", "daemonsets")


def _on_another_node(scan: Scan, draft: Draft, ctx: TranslationContext,
                     previous: Command) -> list[str] | None:
    """Return the previous read for another node: "pods on kwok-worker-1" then "and kwok-worker-2?".

    Only when the question names one node and nothing else, and the previous command selected
    by a node (``spec.nodeName``).
    """
    selected = previous.field_selector or ""
    if "spec.nodeName=" not in selected or len(draft.names) != 1 or draft.intent != "get" or (
            not ctx.locate(draft.names[0], "nodes")) or draft.resources not in ([], ["nodes"]):
        return None
    old = re.search(r"spec\.nodeName=([^,]+)", selected)
    if old is None or old.group(1) == draft.names[0]:
        return None
    draft.assumptions.append(f"the previous command ({previous.render()}) for node "
                             f"{draft.names[0]}")
    return [arg.replace(f"spec.nodeName={old.group(1)}", f"spec.nodeName={draft.names[0]}")
            for arg in shlex.split(previous.render())[1:]]


def _same_for(scan: Scan, draft: Draft, ctx: TranslationContext, kind: str | None,
              names: list[str], previous: Command) -> list[str] | None:
    """Return the previous command on another object: "same for kwok-worker-3", "... worker 3".

    The other object is a name the question gives, or the one inventory object of the same
    kind whose name ends with the words it gives ("worker 3" -> ``kwok-worker-3``).
    """
    found = scan.search(r"\b(?:same|likewise|ditto)(?: thing)? (?:for|with|to|on)\b|\bdo (?:the )?"
                        r"same (?:for|to|on|with)\b|\bnow (?:for|do) \b")
    if found is None or kind is None or len(names) != 1:
        return None
    scan.take(found)
    tail = [scan.words[i] for i in scan.free() if scan.words[i] not in ("the", "node", "pod")]
    wanted = draft.names[0] if draft.names else None
    if wanted is None and tail:
        suffix = "-".join(tail)
        hits = {name for _, name in ctx.inventory.get(kind, ())
                if name == suffix or name.endswith("-" + suffix)}
        wanted = hits.pop() if len(hits) == 1 else None
    if wanted is None or wanted == names[0]:
        return None
    for index in scan.free():
        scan.take_token(index)
    draft.assumptions.append(f"the previous command ({previous.render()}) for {wanted}")
    argv = shlex.split(previous.render())[1:]
    return [wanted if arg == names[0] else arg.replace(f"/{names[0]}", f"/{wanted}")
            for arg in argv]


def _follow_up(draft: Draft, scan: Scan, ctx: TranslationContext) -> list[str] | None:
    """Arguments for a follow-up of the previous turn, or None to read the question alone."""
    turn = ctx.previous
    if turn is None or turn.command is None:
        return None
    previous = turn.command
    if rx(r"^(?:(?:ok|okay|now|actually|please|and|then|oops|no) )*(?:undo|revert|reverse|"
          r"take back|cancel)\b").search(scan.text):
        argv = undo_previous(turn)
        draft.assumptions.append(f"undoes the previous command: {previous.render()}")
        return argv
    kind, names, namespace = previous_target(turn)
    if kind == "nodes" and names and draft.intent == "get" and draft.resources in ([], ["pods"]) \
            and scan.has(r"\b(?:running|pods?|scheduled|workloads?|on it|on there)\b"):
        # "what is running on it?" after a node: the pods scheduled there, in every namespace
        draft.resources[:] = ["pods"]
        draft.node = names[0]
        draft.assumptions.append(f"the pods on node {names[0]} from the previous question")
        return _ALL_BUILDERS["get"](draft, scan, ctx.resources)
    other = _the_other(scan, ctx, kind, names, previous) or _on_another_node(
        scan, draft, ctx, previous)
    if other is not None:
        return other
    again = _same_for(scan, draft, ctx, kind, names, previous)
    if again is not None:
        return again
    if previous.is_write and kind in _ROLLED and names and draft.intent in (
            "get", "describe", "rollout-status") and scan.has(
            r"\b(?:done|finished|complete|completed|over|through|rolled out|ready|settled)\b"):
        # "is it done yet?" after a restart, a scale or a new image: the rollout's status
        draft.assumptions.append(f"the rollout of {kind[:-1]} {names[0]} the previous "
                                 "command started")
        return ["rollout", "status", f"{kind}/{names[0]}",
                *(["-n", namespace] if namespace else [])]
    new_verb = draft.intent != "get" and draft.intent != _intent_of(previous)
    new_kind = draft.intent == "get" and draft.resources and draft.resources[0] != kind
    if new_kind and previous.verb == "top" and draft.resources == ["nodes"] and not draft.names:
        draft.intent = "top"  # "top pods in data", then "what about the nodes": top nodes
    if new_verb or new_kind:
        if draft.names:
            return None  # a whole question of its own
        about = f"{kind} {' '.join(names)}" if kind else " ".join(names)
        if draft.resources == ["pods"] and kind in ("deployments", "statefulsets",
                                                    "daemonsets", "replicasets") and names:
            label = f"app={names[0]}"
            draft.selectors.append(label)
            draft.assumptions.append(f"the pods of {about} from the previous question "
                                     f"(they carry the label {label})")
        else:
            if not draft.resources and kind:
                draft.resources.append(kind)
            draft.names.extend(names)
            if not names and previous.selector:
                draft.selectors.append(previous.selector)
            if not names and previous.field_selector and draft.intent in ("delete", "get"):
                draft.fields.extend(previous.field_selector.split(","))
            draft.assumptions.append(f"about {about or 'what'} the previous question showed")
        if draft.namespace is None and not draft.all_namespaces:
            draft.namespace = namespace
        # "double it", "roll it to 1.0.4": counts and tags relative to the object just named
        if draft.intent == "scale" and "delta" in draft.extra and "replicas" not in draft.extra:
            _relative_count(draft, ctx)
        if draft.intent == "set-image" and "tag" in draft.extra and "image" not in draft.extra:
            _new_tag(draft, ctx, scan)
        return _ALL_BUILDERS[draft.intent](draft, scan, ctx.resources)
    if previous.verb == "logs" and not draft.previous:
        _extract_previous(scan, draft)
    modified = modify_previous(scan, draft, ctx, ctx.resources)
    if modified is None:
        return None
    argv, changed = modified
    draft.assumptions.append(f"the previous command ({previous.render()}) "
                             f"{', '.join(changed)}")
    return argv


def understand(question: str, ctx: TranslationContext) -> tuple[Draft, list[str]]:
    """Return the draft and the kubectl arguments (without ``kubectl``) for ``question``.

    A follow-up of the previous turn (``ctx.previous``) is read against it. "What I saw, then
    what I ask" (:func:`~kubechat_lab.translate.rules.scan.split_narrative`) is read as the
    question alone, the narrative as evidence, when the narrative asks for no change and the
    question alone is understood; otherwise the whole text is read.

    Raises
    ------
    CantTranslateError
        When the rules cannot map the question; its ``hint`` says what to try.
    """
    parts = split_narrative(question, WRITE_WORDS | _REQUEST_VERBS)
    if parts is not None and not _asks_change(Scan(parts[0]).words):
        try:
            draft, argv = _understand(parts[1], ctx, parts[0])
        except CantTranslateError:
            pass
        else:  # "the seed job, did it complete": a question that needs its start is one
            if "default-kind" not in draft.extra:
                return draft, argv
    return _understand(question, ctx)


def _understand(question: str, ctx: TranslationContext,
                told: str = "") -> tuple[Draft, list[str]]:
    draft, scan = read(question, ctx, told)
    if ctx.previous is not None and is_followup(scan, ctx, resource_words(ctx.resources)):
        argv = _follow_up(draft, scan, ctx)
        if argv is not None:
            _account(draft, scan, ctx, argv)
            return draft, argv
    if draft.intent == "version" and draft.names and draft.resources:
        # "what version is recs on": the version an object runs is its image's tag
        draft.intent = "get"
        draft.output = draft.output or "wide"
        draft.assumptions.append("an object's version is its image tag (the IMAGES column)")
    argv = _ALL_BUILDERS[draft.intent](draft, scan, ctx.resources)
    if draft.intent in WRITE_INTENTS:
        for first, end in scan.clauses()[1:]:
            words = scan.words[first:end]
            more = re.search(_MORE_OF, " ".join(words)) and draft.intent not in (
                "set-resources", "scale", "autoscale")  # where "more" is the change itself
            touched = any(scan.seen[first:end]) or any(scan.used[first:end])
            if (more or (_asks_change(words) and not touched)) and not (
                    set(range(first, end)) & scan.aside):
                # "restart checkout, give it more memory": a second change, never dropped
                raise CantTranslateError(
                    f"this asks for a second change ({' '.join(words)!r}) beside the "
                    f"{draft.intent.replace('-', ' ')}; kubechat proposes one command at a "
                    "time, so what you approve is all that runs",
                    "ask for each change on its own")
    if "dry-run" in draft.extra and draft.intent in WRITE_INTENTS:
        argv.append("--dry-run=server")
    unread = _account(draft, scan, ctx, argv)
    if unread is not None and draft.intent not in WRITE_INTENTS:
        draft.assumptions.append(
            f"kubectl cannot select rows on {unread!r}: every row comes back; filter the "
            "DataFrame instead (df.query(...) or %kubechat sql)")
    return draft, argv


def _account(draft: Draft, scan: Scan, ctx: TranslationContext, argv: list[str]) -> str | None:
    """Refuse unless every content word is accounted for; return a condition left unread.

    Raises
    ------
    NotUnderstoodError
        Words no rule read, took or accounts for remain.
    """
    known = _known_words(draft, ctx)
    if draft.intent in ("describe", "logs", "top") or argv[:1] in (["describe"], ["logs"], [
            "top"]) or draft.sort in ("cpu", "memory"):
        known |= SYMPTOMS  # "most cpu hungry pods" is a top, whatever verb read it
    if draft.intent not in WRITE_INTENTS:
        known |= asked_about(scan) | FRAME_WORDS
        # "leases in kube-node-lease, are they being renewed?": their rows answer it
        known |= frozenset(m.group(1) for m in scan.finditer(
            r"\b(?:are|is|were|was) (?:they|it|those|these) (?:being |getting |still )?"
            r"([a-z]+ed)\b"))
    else:
        known |= _CHANGE_WORDS  # "small change: ...": a write restating that it changes
        # "worker 2 is patched, put it back": a state told of the object, not a request
        known |= frozenset(word for before, word in zip(scan.words, scan.words[1:], strict=False)
                           if before in _COPULAS and word.endswith("ed"))
    known |= frozenset(draft.names) | frozenset(n for n in (draft.namespace,) if n)
    unread = unread_condition(scan)
    if unread is not None and draft.intent not in WRITE_INTENTS:
        known |= frozenset(unread.lower().split()) | SYMPTOMS  # "that restarted more than 3"
    known |= modifiers_acted_on(argv)
    if argv[:1] == ["describe"]:
        known |= {"last"}  # "when did it last die": describe shows the last state
    if argv[:2] == ["get", "cronjobs"]:  # "when did it last fire": the LAST SCHEDULE column
        known |= {"last", "fire", "fired", "run", "ran", "trigger", "triggered", "kicked"}
    left = unaccounted(scan, known, tuple(draft.names), stems(argv))
    if left and draft.intent not in FORBIDDEN_INTENTS:
        raise NotUnderstoodError(left, draft, argv)
    return unread


def _known_words(draft: Draft, ctx: TranslationContext) -> frozenset[str]:
    """Words the reading accounts for without taking them: its intent's verbs, the lexicon."""
    intent = INTENT_PATTERNS.get(draft.intent)
    return (intent_words(intent) if intent else frozenset()) | (
        NOT_NAMES - WRITE_WORDS - MODIFIERS) | frozenset(resource_words(ctx.resources))


#: Words that change the answer (how many, which end, what order): a reading accounts for one
#: only when its command carries a flag that acts on it ("only the last 50" is ``--tail``).
_MODIFIERS: dict[str, frozenset[str]] = {
    "order": frozenset("sorted sort order ordered ascending descending reverse sorting oldest "
                       "newest youngest latest".split()),
    "time": frozenset("last latest lines line minutes minute hours hour seconds second days day "
                      "weeks week since ago today yesterday".split()),
}
MODIFIERS = frozenset().union(*_MODIFIERS.values())
_ACTS_ON = {"order": ("--sort-by", "top", "events"),
            "time": ("--tail", "--since", "--since-time", "--previous", "--sort-by", "-p")}


def modifiers_acted_on(argv: list[str]) -> frozenset[str]:
    """Return the modifier words the flags (or verb) of ``argv`` act on."""
    heads = {arg.split("=", 1)[0] for arg in argv}
    return frozenset().union(*(words for group, words in _MODIFIERS.items()
                               if heads & set(_ACTS_ON[group])))


_COPULAS = frozenset("is are was were been being got gets".split())

#: Words that say a request is a change, whatever it changes.
_CHANGE_WORDS = frozenset("change changes tweak update modify fix tidy-up clean-up cleanup "
                          "housekeeping".split())

_DRY_RUN = r"\bdry[- ]?run(?:ning)?(?: only)?\b|--dry-run(?:=server)?\b"

#: Words that open a condition on rows ("older than a day", "without the tier label").
_CONDITION_CUES = frozenset("without older newer younger more less fewer greater over under "
                            "above below exceeding having whose type not bigger larger smaller "
                            "than short lacking missing behind".split())


def unread_condition(scan: Scan) -> str | None:
    """Return the words of a condition the command does not apply, if the question has one.

    A read that cannot select on it still answers, but says so: a silently dropped "older than
    a day" would show every pod as if it were the answer.
    """
    free = set(scan.free())
    for index, word in enumerate(scan.words):
        if index not in free or word not in _CONDITION_CUES:
            continue
        end = index
        while end + 1 in free and scan.words[end + 1] not in ",;":
            end += 1
        if end > index:  # a cue alone ("not", "over") is no condition
            return " ".join(scan.orig[index:end + 1])
    return None
