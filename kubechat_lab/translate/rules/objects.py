"""Resources and object names in a question, and what the cluster inventory says about them."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from functools import lru_cache

from kubechat_lab.command import DEFAULT_RESOURCES, ResourceTable
from kubechat_lab.translate._types import MAX_CHOICES, TranslationContext
from kubechat_lab.translate.rules.account import FILLERS
from kubechat_lab.translate.rules.build_reads import AmbiguousNameError, CantTranslateError
from kubechat_lab.translate.rules.draft import NAME, Draft
from kubechat_lab.translate.rules.intents import FORBIDDEN_INTENTS, WRITE_INTENTS, WRITE_WORDS
from kubechat_lab.translate.rules.lexicon import NOT_NAMES, RESOURCE_WORDS, is_english, number
from kubechat_lab.translate.rules.scan import Scan

__all__ = [
    "NEEDS_NAME",
    "WELL_KNOWN",
    "find_objects",
    "leftover_names",
    "resolve_inventory",
    "resource_words",
]

_DETERMINERS = frozenset({"the", "my", "our", "this", "that", "your", "its", "their"})
#: Intents that act on a named object.
NEEDS_NAME = frozenset(
    {
        "describe", "logs", "delete", "scale", "cordon", "uncordon", "drain", "taint", "untaint",
        "label", "unlabel", "annotate", "unannotate", "set-image", "set-env", "env", "create",
        "set-resources", "autoscale",
        "rollout-restart",
        "rollout-undo", "rollout-history", "rollout-status", "rollout-pause", "rollout-resume",
        *FORBIDDEN_INTENTS,
    }
)
#: Which kind a bare inventory name most likely is, by intent.
_KIND_PREFERENCE: dict[str, tuple[str, ...]] = {
    "logs": ("pods", "deployments", "statefulsets", "daemonsets", "jobs"),
    "scale": ("deployments", "statefulsets", "replicasets"),
    "set-image": ("deployments", "statefulsets", "daemonsets"),
    "set-env": ("deployments", "statefulsets", "daemonsets"),
    "set-resources": ("deployments", "statefulsets", "daemonsets"),
    "autoscale": ("deployments", "statefulsets"),
    "env": ("deployments", "statefulsets", "daemonsets", "pods"),
    "cordon": ("nodes",),
    "uncordon": ("nodes",),
    "drain": ("nodes",),
    "taint": ("nodes",),
    "untaint": ("nodes",),
}
_ROLLOUT_KINDS = ("deployments", "statefulsets", "daemonsets")
_DEFAULT_KINDS = ("pods", "deployments", "statefulsets", "daemonsets", "services", "jobs",
                  "cronjobs", "configmaps", "secrets", "nodes", "namespaces")


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


def find_objects(
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
    for match in scan.finditer(r"\b(?:named|called|with (?:the )?name|name) " + NAME + r"\b"):
        if scan.is_name(match.group(1)) and match.group(1) not in words:
            draft.names.append(match.group(1))
            scan.take(match)
    count = len(scan.words)
    for index in range(count):
        word = scan.words[index]
        if scan.used[index] or word not in words:
            continue
        canonical, plural = words[word]
        if _numbered(scan, index, canonical, draft, ctx):  # "worker 2": kwok-worker-2
            if canonical not in draft.resources:
                draft.resources.append(canonical)
            continue
        scan.take_token(index)
        if canonical not in draft.resources:
            draft.resources.append(canonical)
        after = index + 1
        found = False
        while after < count and not scan.used[after]:
            name = scan.words[after]
            if _numbered(scan, after, canonical, draft, ctx):
                found = True
                break
            if _namespace_word(name, draft, ctx):
                draft.namespace = name  # "po shop wide": a namespace, not a pod named shop
                scan.take_token(after)
                break
            if name in words or not scan.is_name(name) or not (
                    scan.is_written_name(after) or ctx.locate(name)
                    or (not plural and name not in FILLERS and _opens_name_slot(scan, index)
                        and not (_lists(canonical, draft, ctx) and is_english(name)))):
                # an ordinary word after a kind is no name ("jobs hanging"), nor one the
                # inventory lacks ("its node selector")
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
        if _namespace_word(name, draft, ctx):
            draft.namespace = name  # "payments pod", "shop deployments"
            scan.take_token(before)
        elif not plural and (scan.is_written_name(before) or ctx.locate(name) or (
                before == 0 or scan.words[before - 1] in _DETERMINERS)):
            draft.names.append(name)
            scan.take_token(before)
        elif plural and draft.namespace is None and not draft.all_namespaces and (
                _namespace_and_name(name, draft, ctx)):
            scan.take_token(before)  # "payments-api pods": the api's pods in payments
        elif plural and draft.namespace is None and not draft.all_namespaces and (
            ctx.knows_namespace(name)
            # a namespace the cluster does not list is no guess where it lists them
            or (scan.is_name(name, strict=True) and not ctx.locate(name) and not ctx.namespaces)
        ):
            draft.namespace = name
            scan.take_token(before)
            if not ctx.knows_namespace(name):
                draft.assumptions.append(f"{name!r} read as the namespace")


#: Words after which a singular kind opens kubectl's own NAME slot ("describe deployment cart").
_SLOT_OPENERS = frozenset(
    "of for about on to a an describe get show list display print inspect view check explain "
    "logs log tail watch status history down up from is in".split())


def _namespace_and_name(word: str, draft: Draft, ctx: TranslationContext) -> bool:
    """Read "payments-api" as the object api in namespace payments, when exactly that exists."""
    for cut in range(1, word.count("-") + 1):
        space, name = word.split("-", cut)[:cut], word.split("-", cut)[cut]
        namespace = "-".join(space)
        if ctx.knows_namespace(namespace) and any(ns == namespace for _, ns in ctx.locate(name)):
            draft.namespace = namespace
            draft.names.append(name)
            draft.assumptions.append(f"{word!r} read as {name} in namespace {namespace}")
            return True
    return False


def _lists(kind: str, draft: Draft, ctx: TranslationContext) -> bool:
    """Return True when the inventory can say which ``kind`` objects exist where asked."""
    return bool(ctx.inventory.get(kind)) and (draft.namespace is None
                                              or ctx.knows_namespace(draft.namespace))


def _opens_name_slot(scan: Scan, index: int) -> bool:
    """Return True when the kind word at ``index`` is the object of the verb, in kubectl order.

    "scale deployment cart in orders", "describe the pod web": the word after the kind is its
    name. "the last deploy broke the page", "does that service even exist": it is not (the
    kind word is not the verb's object).
    """
    if index == 0:
        return True
    previous = scan.words[index - 1]
    if previous in _DETERMINERS:  # "delete the statefulset db", not "does that service even"
        if index == 1:
            return False
        previous = scan.words[index - 2]
    return previous in _SLOT_OPENERS or previous in WRITE_WORDS


def _namespace_word(word: str, draft: Draft, ctx: TranslationContext) -> bool:
    """Return True for a known namespace, not an object name, while no namespace is set."""
    return (draft.namespace is None and not draft.all_namespaces
            and ctx.knows_namespace(word) and not ctx.locate(word))


def leftover_names(scan: Scan, draft: Draft, ctx: TranslationContext,
                    words: Mapping[str, tuple[str, bool]]) -> None:
    """Bare names with no resource word around them (``drain node-c``, ``logs of gw-0``)."""
    free = [i for i in scan.free() if scan.words[i] not in words]
    if not draft.names and _numbered_any(scan, draft, ctx, free):
        return  # "postgres zero": postgres-0, before postgres alone
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
    # a write acts only on what the cluster has or what is quoted: "quick tidy-up: clear out
    # the completed pods" names no pod tidy-up
    writes = draft.intent in WRITE_INTENTS and bool(ctx.inventory)
    picked = known or [i for i in free if (scan.is_written_name(i) and not (
                           writes and i not in scan.quoted and _english_compound(scan.words[i])))
                       or scan.words[i] in WELL_KNOWN]
    if not picked and not draft.names:
        if _segment_name(scan, draft, ctx, free) or (
                _evidence_name(scan, draft, ctx) or _two_word_name(scan, draft, ctx, free)
                or _shortened(scan, draft, ctx, free)):
            return
    if not picked and draft.intent in NEEDS_NAME:
        # kubectl order: the word right after the verb ("redeploy cart in orders")
        picked = [i for i in free if i > 0 and scan.is_name(scan.words[i])
                  and scan.words[i] not in FILLERS
                  and scan.words[i - 1] in WRITE_WORDS | {"for", "of"}][:1]
    for index in picked:
        draft.names.append(scan.words[index])
        scan.take_token(index)


def _segment_name(scan: Scan, draft: Draft, ctx: TranslationContext, free: list[int]) -> bool:
    """Read "the seed job" as the one job whose name has ``seed`` as a dash-separated part.

    Only when exactly one object of the kind asked for (in the namespace asked for) has it;
    the reading is shown as an assumption.
    """
    preferred = _KIND_PREFERENCE.get(draft.intent, ())
    kind = draft.resources[0] if draft.resources else (
        preferred[0] if len(preferred) == 1 else None)
    if kind is None or not ctx.inventory:
        return False
    for index in free:  # "worker 2": the one node whose name ends with worker-2
        if index + 1 in free and _numbered(scan, index, kind, draft, ctx):
            return True
    # one word, or two written apart that the name writes as one ("front end": frontend)
    pairs = [(i, i + 1) for i in free if i + 1 in free]
    spans: list[tuple[int, ...]] = [*pairs, *[(index,) for index in free], *pairs]
    for place, span in enumerate(spans):
        # pairs first as dash-separated parts ("report seed"), then as one word ("front end")
        joiner = "-" if place < len(pairs) else ""
        word = joiner.join(scan.words[i] for i in span)
        if len(span) == 1 and (word in NOT_NAMES or word in FILLERS) or len(word) < 3:
            continue
        name = _one_with_segment(word, kind, draft.namespace, ctx,
                                 first=len(span) > 1 and not joiner, parts=bool(joiner))
        if name is not None:
            draft.names.append(name)
            for index in span:
                scan.take_token(index)
            draft.assumptions.append(f"{' '.join(scan.words[i] for i in span)!r} read as "
                                     f"{kind[:-1]} {name}, the only one with that in its name")
            return True
    return False


def _numbered_any(scan: Scan, draft: Draft, ctx: TranslationContext, free: list[int]) -> bool:
    """Read "postgres zero" as postgres-0 whatever its kind, when exactly one object is so named."""
    kinds = draft.resources[:1] or [k for k in ctx.inventory if k not in ("events", "namespaces")]
    return any(index + 1 in free and _numbered(scan, index, kind, draft, ctx)
               for index in free for kind in kinds)


def _shortened(scan: Scan, draft: Draft, ctx: TranslationContext, free: list[int]) -> bool:
    """Read "recs", "reco" as the one object whose name they shorten (not an English word)."""
    for index in free:
        word = scan.words[index]
        if len(word) < 3 or not word.isalpha() or word in FILLERS or word in NOT_NAMES or (
                is_english(word)):
            continue
        hits = {(k, n) for k, items in ctx.inventory.items() if k not in ("events", "namespaces")
                and (not draft.resources or k == draft.resources[0] or draft.resources == ["pods"])
                for _, n in items if _abbreviates(word, n, loose=False)}
        if len({n for _, n in hits}) == 1:
            name = next(iter(hits))[1]
            draft.names.append(name)
            scan.take_token(index)
            draft.assumptions.append(f"{word!r} read as {name}, the one object it shortens")
            return True
    return False


def _two_word_name(scan: Scan, draft: Draft, ctx: TranslationContext, free: list[int]) -> bool:
    """Read "the fraud detecter pod" as fraud-detector: two words the one name spells, near.

    Only one object's name (of the kind asked for, if any) may be that close; the reading is
    shown as an assumption.
    """
    kinds = draft.resources[:1] or [k for k in ctx.inventory if k not in ("events",
                                                                        "namespaces")]
    if kinds == ["pods"]:  # "the fraud detecter pod": the pods of that workload
        kinds += sorted(_WORKLOADS)
    names = {n for kind in kinds for _, n in ctx.inventory.get(kind, ())}
    for index in free:
        if index + 1 not in free or not all(
                scan.words[i].isalpha() and scan.words[i] not in FILLERS for i in (index,
                                                                                   index + 1)):
            continue
        joined = f"{scan.words[index]}-{scan.words[index + 1]}"
        near = {n for n in names if n.replace("-", "") == joined.replace("-", "")} or {
            n for n in names  # the lengths bound the ratio: a cheap test before difflib's
            if 2 * min(len(n), len(joined)) >= 0.85 * (len(n) + len(joined))
            and difflib.SequenceMatcher(None, joined, n).ratio() >= 0.85}
        if len(near) == 1:
            draft.names.append(found := near.pop())
            scan.take_token(index)
            scan.take_token(index + 1)
            draft.assumptions.append(f"'{scan.words[index]} {scan.words[index + 1]}' read as "
                                     f"{found}, the one name that close")
            return True
    return False


def _numbered(scan: Scan, index: int, kind: str, draft: Draft, ctx: TranslationContext) -> bool:
    """Read "worker 2" as the one ``kind`` object whose name ends with ``worker-2``; take both."""
    word, digits = scan.words[index], scan.words[index + 1] if index + 1 < len(scan.words) else ""
    count = number(digits) if digits not in ("a", "an", "no", "couple", "single") else None
    if count is None or not word.isalpha() or scan.used[index + 1]:
        return False
    digits = str(count)  # "postgres zero": postgres-0
    suffix = f"{word}-{digits}"
    itself = RESOURCE_WORDS.get(word, ("",))[0] == kind  # "node 3": the node numbered 3
    hits = {name for ns, name in ctx.inventory.get(kind, ())
            if (name == suffix or name.endswith("-" + suffix)
                or itself and name.endswith(f"-{digits}"))
            and (draft.namespace is None or ns in (draft.namespace, ""))}
    if len(hits) != 1:
        return False
    draft.names.append(found := hits.pop())
    scan.take_token(index)
    scan.take_token(index + 1)
    draft.assumptions.append(f"'{word} {digits}' read as {kind[:-1]} {found}, the only one "
                             "so named")
    return True


def _one_with_segment(word: str, kind: str, namespace: str | None, ctx: TranslationContext,
                      *, first: bool, parts: bool = False) -> str | None:
    """Return the one ``kind`` object with ``word`` as a dash-separated part of its name.

    The first part counts only when ``first`` (it is usually another object's name: the
    ``checkout`` in ``checkout-config`` is the Deployment's). With ``parts``, ``word`` may be
    several parts in a row ("report-seed" of ``nightly-report-seed``).
    """
    hits = {name for ns, name in ctx.inventory.get(kind, ())
            if (word in name.split("-")[0 if first else 1:]
                or parts and f"-{word}-" in f"-{name}-")  # "report seed": ...-report-seed
            and name != word and (namespace is None or ns == namespace)}
    return hits.pop() if len(hits) == 1 else None


#: A Service's cluster DNS name: ``NAME.NAMESPACE.svc`` with the cluster domain or not.
_SERVICE_DNS = re.compile(r"\b([a-z0-9][a-z0-9-]*)\.([a-z0-9][a-z0-9-]*)\.svc(?:\.[a-z0-9.-]+)?\b")


def _evidence_name(scan: Scan, draft: Draft, ctx: TranslationContext) -> bool:
    """Use the one inventory object a pasted message names, when the question names none.

    A Service's DNS name in the message (``postgres.data.svc.cluster.local``) names that
    Service in that namespace, when the inventory has it.
    """
    if "owner-lookup" in draft.extra:
        return False  # "which service owns that ip?" asks which: a list, not the one named
    if draft.namespace is not None and not scan.has(_BACK_REFERENCE):
        return False  # "the BackOff events in payments": the list asked for, not the one told
    services = {(match.group(1), match.group(2)) for text in (*scan.evidence, scan.told)
                for match in _SERVICE_DNS.finditer(text.lower())
                if ("services", match.group(2)) in ctx.locate(match.group(1))}
    if len(services) == 1 and draft.resources in ([], ["services"]):
        name, namespace = services.pop()
        draft.resources[:] = ["services"]
        draft.names.append(name)
        if draft.namespace is None and not draft.all_namespaces:
            draft.namespace = namespace
        draft.assumptions.append(f"service {name} in {namespace}: the DNS name the pasted "
                                 "message looks up")
        return True
    for text in scan.evidence:  # kubectl's own words: 'deployments.apps "checkout" not found'
        for kind, name in re.findall(r"\b([a-z]+)(?:\.[a-z.]+)? \"([a-z0-9][a-z0-9.-]*)\"", text):
            plural = resource_words(ctx.resources).get(kind, ("",))[0]
            if plural and ctx.locate(name, plural) and draft.resources in ([], [plural]):
                draft.resources[:] = [plural]
                draft.names.append(name)
                draft.assumptions.append(f"{plural[:-1]} {name}: the one the message names")
                return True
    for text in (*scan.evidence, scan.told, scan.text):
        for space, name in re.findall(r"\b([a-z0-9-]+)/([a-z0-9][a-z0-9-]*)\b", text.lower()):
            if ctx.knows_namespace(space) and any(ns == space for _, ns in ctx.locate(name)) and (
                    draft.namespace in (None, space)):
                # an alert's "payments/fraud-detector": that object in that namespace
                draft.names.append(name)
                draft.namespace = space
                draft.assumptions.append(f"{space}/{name}: {name} in namespace {space}")
                return True
    found = {word for text in scan.evidence
             for word in re.findall(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", text.lower())
             if ctx.locate(word) and not ctx.knows_namespace(word)
             and scan.is_name(word, strict=True)}  # "API" in a message is no object name
    # what the person told in their own words names objects as they say them ("checkout",
    # "postgres zero": postgres-0)
    told = re.sub(r"\b([a-z][a-z0-9-]*) (zero|one|two|three|four|five|\d+)\b",
                  lambda m: f"{m.group(1)}-{number(m.group(2))}" if ctx.locate(
                      f"{m.group(1)}-{number(m.group(2))}") else m.group(0), scan.told.lower())
    said = re.findall(r"[a-z0-9][a-z0-9.-]*[a-z0-9]", told)
    found |= {word for word in said
              if ctx.locate(word) and not ctx.knows_namespace(word) and scan.is_name(word)
              and word not in FILLERS}
    joined = {f"{a}-{b}" for a, b in zip(said, said[1:], strict=False) if ctx.locate(f"{a}-{b}")}
    if joined:  # "the api credentials secret": api-credentials, not the api Deployment
        found = (found - {part for name in joined for part in name.split("-")}) | joined
    if draft.resources:  # "... what labels do the nodes carry?": only an object of that kind
        kind = draft.resources[0]
        fits = {word for word in found if kind == "events" or ctx.locate(word, kind) or (
            kind == "pods" and any(k in _WORKLOADS for k, _ in ctx.locate(word)))}
        spaces = {ns for word in found - fits for _, ns in ctx.locate(word) if ns}
        info = ctx.resources.lookup(kind)
        if not fits and len(spaces) == 1 and draft.namespace is None and not (
                draft.all_namespaces) and info is not None and info[1].namespaced:
            # "postgres-0 is out of disk, any pvcs?": the pvcs where it lives
            draft.namespace = spaces.pop()
            draft.assumptions.append(f"namespace {draft.namespace!r}: where "
                                     f"{', '.join(sorted(found))} is")
        found = fits
    if len(found) > 1 and scan.told:
        # "api logs X. is fraud-detector even up? show its pods": the one told of last
        last = re.split(r"[.?!;]\s", scan.told.lower())[-1]
        found = {word for word in found if re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])",
                                                     last)} or found
    if len(found) != 1:
        return False
    name = found.pop()
    draft.names.append(name)
    draft.assumptions.append(f"{name}: the object the pasted message names")
    return True


#: Words that point back at something said before the question.
_BACK_REFERENCE = r"\b(?:it|its|it's|them|those|these|that|this|they|their|same)\b"


#: Components every cluster runs, and where (used when the inventory does not list them).
WELL_KNOWN: dict[str, tuple[str, str]] = {
    "coredns": ("deployments", "kube-system"),
    "kube-dns": ("deployments", "kube-system"),
    "metrics-server": ("deployments", "kube-system"),
    "kube-proxy": ("daemonsets", "kube-system"),
    "kube-state-metrics": ("deployments", "kube-system"),
}
_WORKLOADS = frozenset({"deployments", "statefulsets", "daemonsets"})
#: The label a workload's pods usually carry.
_POD_LABEL = {"deployments": "app", "statefulsets": "app", "daemonsets": "app",
              "replicasets": "app", "jobs": "job-name"}


def _pick_kind(name: str, draft: Draft, ctx: TranslationContext) -> None:
    """Give a bare name its kind (and namespace) from the inventory; ask when two fit."""
    hits = ctx.locate(name)
    if not hits:
        if name in WELL_KNOWN and draft.intent not in ("cordon", "uncordon", "drain"):
            kind, namespace = WELL_KNOWN[name]
            draft.resources.append(kind)
            if draft.namespace is None and not draft.all_namespaces:
                draft.namespace = namespace
            draft.assumptions.append(f"{name!r} is the {kind[:-1]} every cluster runs in "
                                     f"{namespace} (not in the inventory)")
        return
    order: tuple[str, ...]
    if draft.intent.startswith("rollout"):
        order = _ROLLOUT_KINDS
    else:
        order = _KIND_PREFERENCE.get(draft.intent, _DEFAULT_KINDS)
    if draft.namespace is not None:
        hits = tuple(hit for hit in hits if hit[1] in (draft.namespace, "")) or hits
    kinds = [kind for kind in order if any(k == kind for k, _ in hits)]
    kinds += [k for k, _ in hits if k not in kinds]
    if not kinds:
        return
    best = kinds[0]
    tier = _WORKLOADS if best in _WORKLOADS else frozenset({best})
    candidates = sorted({hit for hit in hits if hit[0] in tier})
    if len(candidates) > 1 and ctx.namespace is not None:
        here = [hit for hit in candidates if hit[1] == ctx.namespace]
        candidates = here if len(here) == 1 else candidates
    if len(candidates) > 1:
        raise AmbiguousNameError(name, [(kind, ns, name) for kind, ns in candidates],
                                 f"{draft.intent.split('-')[-1]} {{}}")
    kind, namespace = candidates[0]
    draft.resources.append(kind)
    others = sorted({k for k, _ in hits} - {kind})
    also = f" (also a {', '.join(k[:-1] for k in others)} of that name)" if others else ""
    draft.assumptions.append(f"{name!r} is the {kind[:-1]}{also}")


def _near_name(name: str, draft: Draft, ctx: TranslationContext) -> str:
    """Return the inventory's name for ``name`` ("reco", "pg", "worker3"), or refuse.

    Where the inventory lists the kind asked for (in the namespace asked for), a name it does
    not have is read as the one object it abbreviates: its start ("reco":
    recommendations), its letters in order from the first ("pg": postgres, within the kind),
    its dashes left out ("worker3": kwok-worker-3) or a near spelling. One such object is a
    correction, shown; several are a question back, with each offered; none leaves a
    name-shaped name as typed (the object may be newer than the inventory) and refuses an
    ordinary word ("the workers", "heartbeats").

    Raises
    ------
    AmbiguousNameError
        When the name abbreviates several objects.
    CantTranslateError
        When it is an ordinary word that names no object.
    """
    kind = draft.resources[0] if draft.resources else None
    namespace = draft.namespace
    if kind is not None and not ctx.inventory.get(kind):
        return name  # the inventory does not list this kind: it cannot say
    if namespace is not None and not ctx.knows_namespace(namespace):
        return name
    pool = sorted({(k, ns, n) for k, items in ctx.inventory.items()
                   if (kind is None or k == kind) and k not in ("namespaces", "events")
                   for ns, n in items if namespace is None or ns in (namespace, "")})
    if _english_compound(name) and draft.intent in WRITE_INTENTS and draft.intent not in (
            "create", "create-job") and kind is not None:
        # a change acts only on what the cluster has: "restart the cart-service deployment"
        # (English words joined; a generated name such as worker-3 or api-7c9 stays as typed)
        near = [obj for obj in pool
                if difflib.SequenceMatcher(None, name, obj[2]).ratio() >= 0.6][:MAX_CHOICES]
        if near:
            raise AmbiguousNameError(name, near, f"{draft.intent.split('-')[-1]} {{}}")
        raise CantTranslateError(f"the cluster has no {kind[:-1]} named {name!r}",
                                 f"'get {kind}' lists them; a change acts only on one that "
                                 "exists")
    head, dash, number_part = name.rpartition("-")
    if dash and number_part.isdigit() and "-" not in head:
        # "pg-1": the numbered object of the one workload "pg" shortens (postgres-1)
        numbered = {n for _, _, n in pool if n.endswith(f"-{number_part}") and _abbreviates(
            head, n.rsplit("-", 1)[0], loose=True)}
        if len(numbered) == 1:
            meant = numbered.pop()
            draft.names[0] = meant
            draft.assumptions.append(f"{name!r} read as {meant}, the one object it shortens")
            return meant
    if "-" in name or "." in name:
        return name  # written as a name ("worker-3"): as typed, even where none has it yet
    near = [obj for obj in pool if _abbreviates(name, obj[2], loose=kind is not None)]
    if not near and kind is not None:  # "the seed job": the one job with "seed" in its name
        part = _one_with_segment(name, kind, namespace, ctx, first=True)
        near = [obj for obj in pool if obj[2] == part]
    if not near:
        near = [obj for obj in pool
                if difflib.SequenceMatcher(None, name, obj[2]).ratio() >= 0.85]
    if len({obj[2] for obj in near}) == 1:
        found = near[0][2]
        draft.names[0] = found
        draft.assumptions.append(f"{name!r} read as {found}, the one object it names")
        return found
    if near:
        raise AmbiguousNameError(name, near[:MAX_CHOICES], f"{draft.intent.split('-')[-1]} {{}}")
    if is_english(name):
        what = kind[:-1] if kind else "object"
        raise CantTranslateError(f"no {what} is named {name!r}, an ordinary word",
                                 f"'{kind or 'get all'}' lists them; name one as the cluster does")
    if kind is None and draft.intent in WRITE_INTENTS and draft.intent not in (
            "create", "create-job") and not _generated(name):
        # "scale redis to 3": a bare name the cluster has under no kind is no object to change
        raise CantTranslateError(f"the cluster has no object named {name!r}",
                                 "'get all -A' lists them; name the kind too ('scale deployment "
                                 f"{name} in NAMESPACE') if it is newer than what kubechat saw")
    return name  # "statefulset db": a name in kubectl's own slot, as typed


def _generated(word: str) -> bool:
    """Return True for a name shaped as a controller or a numbering makes one.

    ``api-7c9``, ``worker-3``, ``node-c``: such an object may be newer than the inventory.
    """
    return any(ch.isdigit() for ch in word) or any(len(part) == 1 for part in word.split("-"))


def _english_compound(word: str) -> bool:
    """Return True for words joined by dashes ("tidy-up", "follow-up"), not a generated name."""
    parts = word.split("-")
    return len(parts) > 1 and all(len(part) > 1 and part.isalpha() and is_english(part)
                                  for part in parts)


def _abbreviates(short: str, name: str, *, loose: bool) -> bool:
    """Return True when ``short`` is how people shorten ``name`` (see :func:`_near_name`)."""
    if short == name or len(short) < 2:
        return False
    if len(short) >= 3 and name.startswith(short):
        return True
    if len(short) >= 4 and short.endswith("s") and name.startswith(short[:-1]):
        return True  # "recs": the recommendations
    flat = short.replace("-", "")
    if any(ch.isdigit() for ch in flat) and len(flat) >= 4 and name.replace("-", "").endswith(
            flat):
        return True
    if loose and short[0] == name[0] and len(short) <= 4:
        rest = iter(name)
        return all(ch in rest for ch in short)
    return False


def _pods_of_workload(draft: Draft, ctx: TranslationContext) -> bool:
    """Read "the checkout pods" as the pods the checkout workload runs (by its label)."""
    name = draft.names[0]
    if ctx.locate(name, "pods"):
        return False
    owners = [(kind, ns) for kind, ns in ctx.locate(name) if kind in _POD_LABEL]
    if draft.namespace is not None:
        owners = [hit for hit in owners if hit[1] == draft.namespace] or owners
    if len({ns for _, ns in owners}) != 1:
        return False
    kind, namespace = owners[0]
    label = f"{_POD_LABEL[kind]}={name}"
    draft.names.remove(name)
    draft.selectors.append(label)
    draft.extra["workload"] = f"{kind}/{name}"
    if draft.namespace is None and not draft.all_namespaces:
        draft.namespace = namespace
    draft.assumptions.append(f"the pods of {kind[:-1]} {name} in {namespace}: those with the "
                             f"label {label}")
    return True


#: What only a pod has: restarts, exit codes, OOM kills, containers, usage.
_POD_PROPERTIES = re.compile(
    r"\b(?:restarts?|restart count|restarted|exit(?:ed)? (?:code|status)|oom ?killed|"
    r"crash(?:ing|es|ed|looping)?|containers?|qos|pending|unschedulable|evicted)\b")


def _of_another_kind(name: str, resource: str, draft: Draft, ctx: TranslationContext) -> bool:
    """Read "checkout's PDB", "the nightly-report jobs": the ``resource`` list where it lives.

    ``name`` is another kind's object (one namespace) and none of ``resource``: kubectl cannot
    select by owner, so every one in that namespace comes back, said as an assumption.
    """
    if ctx.locate(name, resource) or len(draft.resources) != 1 or len(draft.names) != 1 or (
            resource in ("endpoints", "endpointslices") and ctx.locate(name, "services")):
        return False  # a Service's endpoints share its name
    owners = {(kind, ns) for kind, ns in ctx.locate(name) if ns and kind != resource}
    if len({ns for _, ns in owners}) != 1:
        return False
    kind, namespace = sorted(owners)[0]
    if draft.namespace not in (None, namespace):
        return False
    draft.names.clear()
    draft.namespace = namespace
    draft.assumptions.append(f"{name} is a {kind[:-1]}, not one of the {resource}: every one "
                             f"in {namespace} comes back (kubectl cannot select {resource} by "
                             "what they belong to)")
    return True


def resolve_inventory(draft: Draft, ctx: TranslationContext, scan: Scan | None = None) -> None:
    """Fill in the kind of a bare name and the namespace of a named object.

    Raises
    ------
    CantTranslateError
        When a bare name fits two objects equally well (the message lists them).
    """
    if draft.intent == "set-image" and not draft.names and draft.container and (
        ctx.locate(draft.container)
    ):
        draft.names.append(draft.container)  # "update the api container": the api workload
    if not draft.names:
        return
    name = draft.names[0]
    if ctx.inventory and not ctx.locate(name) and name not in WELL_KNOWN and (
            draft.intent != "explain"):  # explain names fields, not objects
        name = _near_name(name, draft, ctx)
    if not draft.resources:
        _pick_kind(name, draft, ctx)
        if scan is not None and draft.intent in ("get", "describe", "top") and draft.resources[
                :1] in (["deployments"], ["statefulsets"], ["daemonsets"]) and (
                draft.intent == "top" or "placement" in draft.extra
                or _POD_PROPERTIES.search(f"{scan.text} {scan.told.lower()}")
        ) and not scan.has(
                r"\bwhy\b"):
            # "how many restarts is fraud-detector at": restarts are its pods'
            draft.resources[:] = ["pods"]
    if not ctx.inventory or not draft.resources or draft.all_namespaces:
        return
    resource = draft.resources[0]
    if resource == "customresourcedefinitions" and "." not in name and draft.intent == "get":
        # "is the ServiceMonitor CRD installed": a CRD's name is plural.group; list them all
        draft.names.remove(name)
        draft.assumptions.append(f"a CRD is named PLURAL.GROUP: every CRD comes back, look "
                                 f"for {name}")
        return
    if set(draft.resources) <= {"pods", *_WORKLOADS} and "pods" in draft.resources and (
            len(draft.resources) > 1) and any(k in _WORKLOADS for k, _ in ctx.locate(name)):
        draft.resources[:] = ["pods"]  # "the pods of the frontend deployment"
        resource = "pods"
    if resource == "pods" and len(draft.resources) == 1 and _pods_of_workload(draft, ctx):
        return
    if resource == "events" or "events" in draft.resources:
        spaces = sorted({ns for _, ns in ctx.locate(name) if ns})
        if len(spaces) == 1 and draft.namespace is None:
            draft.namespace = spaces[0]
            draft.assumptions.append(f"namespace {spaces[0]!r}: where {name!r} is")
        return
    if ctx.inventory.get(resource) and not ctx.locate(name, resource):
        # "the checkout configmap": checkout is the Deployment; its ConfigMap is checkout-config
        owned = _one_with_segment(name, resource, draft.namespace, ctx, first=True)
        if owned is not None:
            draft.names[0] = name = owned
            draft.assumptions.append(f"{draft.names[0]}: the only {resource[:-1]} named "
                                     f"after {name.split('-')[0]!r}")
    found = ctx.resources.lookup(resource)
    if found is not None and found[1].namespaced and draft.intent in ("get", "describe") and (
            _of_another_kind(name, resource, draft, ctx)):
        return
    if (found is not None and not found[1].namespaced) or draft.namespace:
        return
    # a Service's Endpoints share its name and namespace (the inventory lists the Service)
    spaces = sorted({ns for _, ns in ctx.locate(
        name, "services" if resource == "endpoints" else resource)})
    if len(spaces) == 1:
        draft.namespace = spaces[0]
        draft.assumptions.append(
            f"namespace {spaces[0]!r}: the only one with {resource} {name!r}"
        )
    elif spaces and ctx.namespace in spaces:
        draft.namespace = ctx.namespace
        draft.assumptions.append(f"{resource} {name!r} exists in {', '.join(spaces)}; "
                                 f"using the current namespace {ctx.namespace!r}")
    elif spaces:
        raise AmbiguousNameError(name, [(resource, ns, name) for ns in spaces],
                                 f"{draft.intent.split('-')[-1]} {{}}")
    elif ctx.inventory.get(resource):
        draft.notes.append(f"no {resource} named {name!r} in the cluster inventory")
