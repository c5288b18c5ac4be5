"""Phrase extractors of the rules translator: namespaces, output, counts, time, sorting, states.

Each extractor reads a :class:`~kubechat_lab.translate._scan.Scan`, takes what it understood
and records it on a :class:`Draft`. They run in a fixed order (see ``_rules``) so that, for
example, ``in yaml`` is an output request before ``in NAME`` can be read as a namespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from kubechat_lab.translate._base import TranslationContext
from kubechat_lab.translate._lexicon import NUMBER_WORDS, RESOURCE_WORDS, number
from kubechat_lab.translate._scan import Scan, rx

__all__ = [
    "Draft",
    "extract_containers",
    "extract_counts",
    "extract_namespaces",
    "extract_nodes",
    "extract_output",
    "extract_selectors",
    "extract_sorting",
    "extract_states",
]

_NUM = r"(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"|few|couple of)"
_NAME = r"([a-z0-9][a-z0-9.\-]*[a-z0-9]|[a-z0-9])"
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|[smhd])"

#: Field-selector keys typed directly (``status.phase=Running``) stay field selectors.
_FIELD_KEYS = frozenset(
    {
        "status.phase",
        "spec.nodename",
        "spec.restartpolicy",
        "spec.schedulername",
        "spec.serviceaccountname",
        "status.podip",
        "status.nominatednodename",
        "metadata.name",
        "metadata.namespace",
        "type",
        "reason",
        "involvedobject.name",
        "involvedobject.kind",
        "involvedobject.namespace",
        "spec.unschedulable",
        "status.successful",
    }
)
_FIELD_CASE = {
    "spec.nodename": "spec.nodeName",
    "status.podip": "status.podIP",
    "spec.restartpolicy": "spec.restartPolicy",
    "spec.schedulername": "spec.schedulerName",
    "spec.serviceaccountname": "spec.serviceAccountName",
    "status.nominatednodename": "status.nominatedNodeName",
    "involvedobject.name": "involvedObject.name",
    "involvedobject.kind": "involvedObject.kind",
    "involvedobject.namespace": "involvedObject.namespace",
}
_NOT_AFTER_NAMESPACE = frozenset(
    {"app", "application", "container", "containers", "image", "node", "cluster", "label"}
)
#: A namespace name (DNS-1123 label: no dots, at most 63 characters).
_NAMESPACE_RE = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
#: Generated names: a pod's hash suffix or a StatefulSet ordinal (``cart-5f7``, ``db-0``).
_POD_LIKE = re.compile(r"-(?:\d+|[a-z0-9]*\d[a-z0-9]*)$")
_KV = re.compile(r"^([a-z0-9][a-z0-9./_\-]*)(!=|==|=)([a-z0-9._\-]*)$")


@dataclass
class Draft:
    """What the rules translator has understood so far; rendered to one kubectl line."""

    intent: str = "get"
    resources: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    namespace: str | None = None
    namespace_object: str | None = None
    all_namespaces: bool = False
    selectors: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    kvs: list[str] = field(default_factory=list)
    output: str | None = None
    output_hint: bool = False
    show_labels: bool = False
    tail: str | None = None
    since: str | None = None
    container: str | None = None
    all_containers: bool = False
    previous: bool = False
    node: str | None = None
    sort: str | None = None
    states: list[str] = field(default_factory=list)
    want_all: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _unit_value(count: int, unit: str) -> str:
    unit = unit.rstrip("s") if len(unit) > 1 else unit
    if unit in ("second", "sec", "s"):
        return f"{count}s"
    if unit in ("minute", "min", "m"):
        return f"{count}m"
    if unit in ("hour", "hr", "h"):
        return f"{count}h"
    if unit in ("day", "d"):
        return f"{count * 24}h"
    return f"{count * 168}h"  # weeks


def _count(word: str | None, default: int = 1) -> int:
    if word is None:
        return default
    if word in ("few", "couple of"):
        return 5 if word == "few" else 2
    value = number(word)
    return default if value is None else value


def extract_namespaces(
    scan: Scan, draft: Draft, ctx: TranslationContext, words: Mapping[str, tuple[str, bool]]
) -> None:
    """Find ``-A`` phrases and the namespace (``in shop``, ``namespace shop``, ``shop ns``)."""
    for pattern in (
        r"\b(?:across|in|from|over|throughout|on|for|of) (?:all|every|each|any) (?:of )?(?:the )?"
        r"namespaces?\b",
        r"\b(?:across|in|throughout|over|on|from|of) (?:the )?(?:whole |entire |full )?"
        r"(?:kubernetes )?cluster\b",
        r"\b(?:all|every|any|each) namespaces?\b|\beverywhere\b|\bcluster[- ]?wide\b"
        r"|\bglobally\b|(?:^| )(?:-a|--all-namespaces)\b",
    ):
        for found in scan.finditer(pattern):
            draft.all_namespaces = True
            draft.extra["all-namespaces"] = found.group(0).strip()
            scan.take(found)
    match = scan.search(r"\b(?:in|from|for) (?:my|the current|this|our|current) (?:current )?"
                        r"(?:namespace|ns)\b")
    if match:
        scan.take(match)
        draft.assumptions.append("the current namespace (no -n flag)")
    for pattern in (
        r"(?:^| )(?:-n|--namespace)[= ]" + _NAME,
        r"\b(?:in|from|within|inside|under|for|of|on) (?:the )?(?:namespace|ns)"
        r"(?: named| called)?[:=]? " + _NAME,
        r"\b(?:in|from|within|inside|for|of|on) (?:the )?" + _NAME + r" (?:namespace|ns)\b",
    ):
        match = scan.search(pattern)
        if match and _NAMESPACE_RE.match(match.group(1)) and scan.is_name(match.group(1)):
            draft.namespace = match.group(1)
            scan.take(match)
            return
    for pattern in (r"\b(?:namespace|ns)[:=]? " + _NAME, r"\b" + _NAME + r" (?:namespace|ns)\b"):
        match = scan.search(pattern)
        if match and scan.is_name(match.group(1)) and match.group(1) not in words and (
            _NAMESPACE_RE.match(match.group(1))
        ):
            # "describe namespace scratch" names a namespace; "pods namespace shop" filters.
            draft.namespace_object = match.group(1)
            scan.take(match)
            return
    candidates: list[tuple[re.Match[str], bool]] = []
    for match in scan.finditer(r"\b(?:in|inside|within|from|for|of) (?:the )?" + _NAME + r"\b"):
        word = match.group(1)
        known = ctx.knows_namespace(word)
        if match.group(0).startswith(("for", "of")) and not known:
            continue
        if not scan.is_name(word) or not _NAMESPACE_RE.match(word):
            continue
        if word in words and not _other_resource_before(scan, words, word, match.start()):
            continue
        if ctx.namespaces and not known and ctx.locate(word):
            continue  # an object, not a namespace
        after = scan.live[match.end() :].split(None, 1)
        if after and (after[0] in words or after[0] in _NOT_AFTER_NAMESPACE):
            continue  # "in the checkout deployment", "from the sidecar container"
        if match.group(0).startswith("from the") and not known:
            continue
        candidates.append((match, known))
    if not candidates:
        return
    # "inside cart-5f7 in orders": prefer a known namespace, then one that does not look like
    # a generated pod name.
    match, known = min(
        candidates,
        key=lambda c: (not c[1], scan.is_name(c[0].group(1), strict=True)
                       and bool(_POD_LIKE.search(c[0].group(1)))),
    )
    word = match.group(1)
    draft.namespace = word
    scan.take(match)
    if not known:
        draft.extra["loose-namespace"] = word
    if ctx.namespaces and not known:
        draft.notes.append(f"namespace {word!r} is not one the cluster reported")
    more = rx(r"^ (?:and|or|,) (?:in )?(?:namespace )?" + _NAME + r"\b").match(
        scan.live[match.end() :])
    if more and scan.is_name(more.group(1)) and more.group(1) not in words:
        draft.extra["more-namespaces"] = more.group(1)


def _other_resource_before(
    scan: Scan, words: Mapping[str, tuple[str, bool]], word: str, pos: int
) -> bool:
    """Return True when another resource is named before ``pos`` ("deployment x in jobs")."""
    if scan.text[pos:].split()[2:3] and scan.text[pos:].split()[2] in ("named", "called"):
        return False
    return any(
        w in words and words[w][0] != words[word][0]
        for w in scan.text[:pos].split()
    )


def extract_output(scan: Scan, draft: Draft) -> None:
    """Find output requests: yaml/json, wide, names only, labels, the full manifest."""
    for pattern in (
        r"(?:^| )(?:-o|--output)[= ]?(yaml|json|wide|name)\b",
        r"\b(?:as|in|into|to|with|using) (?:a |the )?(yaml|json)\b(?: format| output)?",
        r"\b(yaml|json)\b(?: format| output)?",
    ):
        match = scan.search(pattern)
        if match:
            draft.output = match.group(1)
            scan.take(match)
            break
    if draft.output is None:
        match = scan.search(
            r"\b(?:-o )?wide\b|\bmore (?:columns|details|info|information)\b|\b(?:which|what) "
            r"node (?=(?:is|are|does|do|did)\b.{0,60}\b(?:on|run|running|scheduled|placed)\b)"
            r"|\b(?:with|including|"
            r"and|plus|showing) (?:their |the |its )?(?:nodes|node names?|ips?|ip addresses|"
            r"pod ips)\b|\b(?:which|what) nodes? (?:they|each|it) (?:are |is )?(?:on|running on|"
            r"run on|scheduled on)\b|\bwhere (?:they|each|it) (?:is |are )?(?:running|scheduled|"
            r"runs?)\b"
        )
        if match:
            draft.output = "wide"
            scan.take(match)
    if draft.output is None:
        match = scan.search(r"\b(?:just|only) (?:the )?names\b|\bnames only\b")
        if match:
            draft.output = "name"
            scan.take(match)
    if draft.output is None:
        match = scan.search(r"\b(?:full |complete |raw )?(?:manifest|definition|full spec|"
                            r"full object|raw object)\b")
        if match:
            draft.output_hint = True
            scan.take(match)
    match = scan.search(r"\b(?:show|showing|with|including|display|and|plus) (?:their |the |"
                        r"all |its )?labels\b(?! \S*=)")
    if match:
        draft.show_labels = True
        scan.take(match)


def extract_counts(scan: Scan, draft: Draft) -> None:
    """Find line counts (``last 50 lines``) and time windows (``last hour``, ``since 10m``)."""
    match = scan.search(r"(?:^| )--tail[= ](\d+)\b|\btail (?:-n )?(\d+)\b")
    if match:
        draft.tail = match.group(1) or match.group(2)
        scan.take(match)
    else:
        match = scan.search(
            r"\b(?:(?:the )?(?:very )?(?:last|latest|final|recent|most recent|tail|only|just|"
            r"first|top) )?(?:the )?" + _NUM + r" (?:log |most recent |recent |last )?"
            r"(?:lines?|entries|log lines?|rows)\b"
        )
        if match and (value := _count(match.group(1), -1)) > 0:
            draft.tail = str(value)
            if "first" in match.group(0) or "top" in match.group(0):
                draft.assumptions.append(
                    "kubectl logs can only show the last lines (--tail), not the first ones"
                )
            scan.take(match)
        else:
            match = scan.search(r"\b(?:the )?(?:very )?last (?:log )?line\b")
            if match:
                draft.tail = "1"
                scan.take(match)
    for pattern in (
        r"(?:^| )--since[= ](\d+)([smh])\b()",
        r"\b(?:in |from |over |during |within |for |of )?(?:the )?(?:last|past|previous|recent|"
        r"latest) (?:" + _NUM + r" ?)?" + _UNIT + r"\b",
        r"\bsince (?:" + _NUM + r" ?)" + _UNIT + r"(?: ago)?\b",
        r"\b(?:from |since )?" + _NUM + r" ?" + _UNIT + r" ago\b",
    ):
        match = scan.search(pattern)
        if match:
            groups = [g for g in match.groups() if g]
            if pattern.startswith("(?:^| )--since"):
                draft.since = groups[0] + groups[1]
            else:
                unit = groups[-1]
                count = _count(groups[0] if len(groups) > 1 else None)
                draft.since = _unit_value(count, unit)
            scan.take(match)
            return
    match = scan.search(r"\b(?:in |from |over |during |within |for )?(?:the )?(?:last|past) "
                        r"half (?:an )?hour\b|\bhalf an hour\b")
    if match:
        draft.since = "30m"
        scan.take(match)


def extract_sorting(scan: Scan, draft: Draft) -> None:
    """Find sort requests: restarts, age, memory, cpu, name, capacity."""
    table = (
        (
            "restarts",
            r"\b(?:most|highest|many|max|maximum|top|biggest|largest|more|frequent) (?:number of )?"
            r"(?:restarts|restart counts?|restarted)\b|\brestart(?:ed|ing|s)? (?:the )?most\b"
            r"|\b(?:by|sorted by|order by|ordered by|sort by|sort them by|sort it by) (?:the )?"
            r"(?:number of )?(?:restarts?|restart counts?)\b|\brestart counts?\b|\bmost often "
            r"restarted\b|\brestarting (?:a lot|often|frequently)\b|\bkeep(?:s)? restarting\b",
        ),
        (
            "memory",
            r"\b(?:most|highest|heaviest|top|biggest|more|largest) (?:memory|ram|mem)\b"
            r"|\b(?:memory|ram)[- ](?:hungry|hogs?|heavy|intensive)\b|\b(?:by|sorted by|order by|"
            r"ordered by|sort by) (?:memory|ram|mem)(?: usage| use| consumption)?\b"
            r"|\b(?:hogging|eating|using|consuming|burning|uses|eats|consumes) (?:the most |a lot "
            r"of |lots of |too much |most )?(?:memory|ram)\b|\buse (?:the )?most (?:memory|ram)\b",
        ),
        (
            "cpu",
            r"\b(?:most|highest|heaviest|top|biggest|more|largest) cpu\b|\bcpu[- ](?:hungry|"
            r"hogs?|heavy|intensive)\b|\b(?:by|sorted by|order by|ordered by|sort by) cpu"
            r"(?: usage| use| consumption)?\b|\b(?:hogging|eating|using|consuming|burning|uses|"
            r"eats|consumes) (?:the most |a lot of |lots of |too much |most )?cpu\b",
        ),
        (
            "age",
            r"\b(?:oldest|newest|youngest|most recent(?:ly created)?|latest|recently created|"
            r"by age|sorted by age|order by age|ordered by age|by creation(?: time| date)?"
            r"|by (?:creation )?timestamp|sorted by time|by date|in order of (?:creation|age)"
            r"|by time|chronological(?:ly)?|most recent first|recent)\b",
        ),
        ("name", r"\b(?:by|sorted by|order by|ordered by|sort by) name\b|\balphabetical(?:ly)?\b"),
        (
            "capacity",
            r"\b(?:by|sorted by|order by|ordered by|sort by) (?:capacity|size|storage)\b",
        ),
    )
    for key, pattern in table:
        match = scan.search(pattern)
        if match:
            draft.sort = key
            scan.take(match)
            return


_STATE_TABLE: tuple[tuple[str, str], ...] = (
    ("not-running", r"\bnot (?:in )?(?:a |the )?running(?: state| phase)?\b|\bnon-?running\b"
                    r"|\bnot up\b|\b(?:are|is) down\b|\bnot (?:in )?(?:a )?healthy\b|\bunhealthy\b"
                    r"|\bbroken\b|\bhaving (?:problems|issues|trouble)\b|\bproblematic\b"),
    ("crashlooping", r"\bcrashlooping\b|\bcrash(?:ing|es|ed)? (?:repeatedly|constantly|over "
                     r"and over|in a loop)\b|\bkeep(?:s)? crashing\b|\bcrashing\b"),
    ("pending", r"\bpending\b|\bwaiting to (?:be )?schedul\w*\b|\bnot (?:yet )?scheduled\b"
                r"|\bunscheduled\b|\bstuck\b|\bcan not be scheduled\b"),
    ("evicted", r"\bevicted\b"),
    ("failed", r"\bfail(?:ing|ed|s)?\b|\berror(?:ed|ing)?\b|\bin error\b"),
    ("succeeded", r"\b(?:succeeded|completed|complete|finished|successful|done)\b"),
    ("unknown", r"\bunknown (?:state|phase|status)\b|\bin unknown\b"),
    ("unschedulable", r"\bunschedulable\b|\bcordoned\b"),
    ("schedulable", r"(?<!un)\bschedulable\b|\buncordoned\b"),
    ("not-ready", r"\bnot ready\b|\bnotready\b"),
    ("warning", r"\bwarnings?\b"),
    ("normal", r"\bnormal\b"),
    ("running", r"(?<!not\x20)\b(?:running|up and running|alive)\b"),
)


def extract_states(scan: Scan, draft: Draft) -> None:
    """Find phases and states (``failing``, ``pending``, ``not running``, ``warning``)."""
    for key, pattern in _STATE_TABLE:
        for match in scan.finditer(pattern):
            if key == "running" and rx(r"^ (?:on|in|at|inside|under|across|everywhere)\b").match(
                scan.text[match.end() :]
            ):
                continue  # "running in shop" says where, not which phase
            draft.states.append(key)
            scan.take(match)
            break
    if scan.search(r"\b(?:all|every|everything)\b"):
        draft.want_all = True


def extract_nodes(scan: Scan, draft: Draft, ctx: TranslationContext, *, target: bool) -> None:
    """Find ``on node-b`` / ``on node worker-2``; a filter, or the target when ``target``."""
    match = scan.search(r"\b(?:on|in|at|from) (?:the )?(?:node|host|machine|worker|server) "
                        + _NAME + r"\b")
    if match is None:
        match = scan.search(r"\b(?:on|at) (?:the )?" + _NAME + r"\b")
        if match is not None:
            word = match.group(1)
            known = bool(ctx.locate(word, "nodes"))
            if not known and not (scan.is_name(word, strict=True) and word not in RESOURCE_WORDS):
                match = None
            elif ctx.inventory.get("nodes") and not known:
                match = None
    if match is None or not scan.is_name(match.group(1)):
        return
    if target:
        draft.names.append(match.group(1))
        draft.resources[:] = ["nodes"]
    else:
        draft.node = match.group(1)
    scan.take(match)


def extract_containers(scan: Scan, draft: Draft) -> None:
    """Find the container (``-c proxy``, ``container proxy``, ``the proxy container``)."""
    match = scan.search(r"\b(?:all|every|each) (?:of (?:its|the|their) )?(?:the )?containers\b")
    if match:
        draft.all_containers = True
        scan.take(match)
        return
    for pattern in (
        r"(?:^| )-c[= ]" + _NAME,
        r"\bcontainers? (?:named |called )?" + _NAME + r"\b",
        r"\b" + _NAME + r" containers?\b",
    ):
        for match in scan.finditer(pattern):
            word = match.group(1)
            if (scan.is_name(word) or word == "application") and word not in RESOURCE_WORDS:
                draft.container = word
                scan.take(match)
                return


def extract_selectors(scan: Scan, draft: Draft) -> None:
    """Find ``key=value`` pairs (label selectors, or labels to set) and ``app NAME`` phrases."""
    match = scan.search(
        r"\b(?:label(?:l)?ed|with (?:the )?labels?|having (?:the )?labels?|where (?:the )?"
        r"label|whose label|label) ([a-z0-9][a-z0-9./_\-]*) (?:is|=|equals|equal to|set to|of|as)"
        r" ([a-z0-9][a-z0-9._\-]*)\b"
    )
    if match:
        draft.kvs.append(f"{match.group(1)}={scan.original(match, 2)}")
        scan.take(match)
    for index in scan.free():
        word = scan.words[index]
        kv = _KV.match(word)
        if kv is None:
            continue
        key, op, _ = kv.groups()
        value = scan.orig[index].split(op, 1)[1]
        if key in _FIELD_KEYS:
            draft.fields.append(f"{_FIELD_CASE.get(key, key)}{op}{value}")
        else:
            draft.kvs.append(f"{key}{op}{value}")
        scan.take_token(index)
    match = scan.search(r"\b(?:label(?:l)?ed|with (?:the )?labels?|having (?:the )?labels?)\b")
    if match:
        scan.take(match)
    if draft.kvs:
        return
    match = scan.search(
        r"\b(?:of|for|from|belonging to|behind|in|that make up) (?:the )?(?:app|application)"
        r"(?: called| named)? " + _NAME + r"\b|\bthe " + _NAME + r" (?:app|application)\b"
        r"|\b(?:app|application) (?:called |named )?" + _NAME + r"\b"
    )
    if match:
        name = next(g for g in match.groups() if g)
        if scan.is_name(name) and name not in RESOURCE_WORDS:
            draft.selectors.append(f"app={name}")
            draft.assumptions.append(f"the app's pods carry the label app={name}")
            scan.take(match)
