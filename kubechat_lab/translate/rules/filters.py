"""Phrase extractors of the rules translator: sorting, states, nodes, containers, selectors."""

from __future__ import annotations

import re

from kubechat_lab.translate._types import TranslationContext
from kubechat_lab.translate.rules.account import FILLERS
from kubechat_lab.translate.rules.draft import NAME, Draft
from kubechat_lab.translate.rules.lexicon import RESOURCE_WORDS
from kubechat_lab.translate.rules.scan import Scan, rx

__all__ = [
    "extract_containers",
    "extract_event_reasons",
    "extract_node_details",
    "extract_nodes",
    "extract_selectors",
    "extract_sorting",
    "extract_states",
]

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
_KV = re.compile(r"^([a-z0-9][a-z0-9./_\-]*)(!=|==|=)([a-z0-9._\-]*)$")


def extract_sorting(scan: Scan, draft: Draft) -> None:
    """Find sort requests: restarts, age, memory, cpu, name, capacity."""
    table = (
        (
            "restarts",
            r"\b(?:most|highest|(?<!how\x20)many|max|maximum|top|biggest|largest|more|frequent) "
            r"(?:number of )?"
            r"(?:restarts|restart counts?|restarted)\b|\brestart(?:ed|ing|s)? (?:the )?most\b"
            r"|\b(?:by|sorted by|order by|ordered by|sort by|sort them by|sort it by) (?:the )?"
            r"(?:number of )?(?:restarts?|restart counts?)\b|\brestart counts?\b|\bmost often "
            r"restarted\b|\brestarting (?:a lot|often|frequently)\b|\bkeep(?:s)? restarting\b",
        ),
        (
            "memory",
            r"\b(?:most|highest|heaviest|top|biggest|more|largest|least|lowest|smallest|fewest) "
            r"(?:memory|ram|mem)\b"
            r"|\b(?:memory|ram)[- ](?:hungry|hogs?|heavy|intensive)\b|\b(?:by|sorted by|order by|"
            r"ordered by|sort by) (?:memory|ram|mem)(?: usage| use| consumption)?\b"
            r"|\b(?:hogging|eating|using|consuming|burning|uses|eats|consumes|eat|use|burn) "
            r"(?:the most |a lot "
            r"of |lots of |too much |most |the least |least )?(?:memory|ram)\b|\buse (?:the )?"
            r"(?:most|least) (?:memory|ram)\b|\b(?:memory|ram|mem) (?:users|consumers|eaters)\b",
        ),
        (
            "cpu",
            r"\b(?:most|highest|heaviest|top|biggest|more|largest|least|lowest|smallest|fewest) cpu"
            r"\b|\bcpu[- ](?:hungry|"
            r"hogs?|heavy|intensive)\b|\b(?:by|sorted by|order by|ordered by|sort by) cpu"
            r"(?: usage| use| consumption)?\b|\b(?:hogging|eating|using|consuming|burning|uses|"
            r"eats|consumes|eat|use|burn) (?:the most |a lot of |lots of |too much |most "
            r"|the least |least )?"
            r"cpu\b|\b(?:biggest|largest|top|heaviest) cpu (?:consumers|users)\b"
            r"|\bcpu (?:users|consumers|hogs|eaters)\b"
            r"|\b(?:busiest|hottest)(?: first| on top)?\b|\bworking (?:the )?hardest\b",
        ),
        (
            "start",
            r"\b(?:by|order (?:them |it )?by|sort (?:them |it )?by|sorted by|ordered by) "
            r"(?:their |the )?start(?:ed)?(?: time| times|ing time)?\b"
            r"|\bwhen (?:did |do )?(?:each|they|the \S+) (?:pods? )?start(?:ed)?\b",
        ),
        (
            "age",
            r"\b(?:oldest|newest|youngest|most recent(?:ly created)?|latest|recently created|"
            r"by age|sorted by age|order by age|ordered by age|by creation(?: time| date)?"
            r"|by (?:creation )?timestamp|sorted by time|by date|in order of (?:creation|age)"
            r"|by time|chronological(?:ly)?|most recent first|recent|(?:in )?time order|"
            r"time[- ]ordered|(?:in )?order of (?:time|age)|by (?:their )?age)\b",
        ),
        (
            "replicas",
            r"\b(?:by|sorted by|order by|ordered by|sort by) (?:the )?(?:number of |desired )?"
            r"replicas?(?: counts?)?\b|\b(?:most|fewest|least) replicas\b",
        ),
        ("name", r"\b(?:by|sorted by|order by|ordered by|sort by) name\b|\balphabetical(?:ly)?\b"),
        (
            "capacity",
            r"\b(?:by|sorted by|order by|ordered by|sort by) (?:capacity|size|storage)\b",
        ),
    )
    top = scan.search(r"\btop (\d+)\b|\b(\d+) (?=(?:most|least|biggest|largest|newest|oldest|"
                      r"latest|highest|lowest|heaviest|recent|last)\b)"
                      r"|\b(?:which|what|the|show|list) (\d+) (?=[a-z]+ (?:\S+ )?(?:the )?"
                      r"(?:most|least|biggest|largest|highest|lowest|heaviest|newest|oldest)\b)")
    if top is not None:
        count = top.group(1) or top.group(2) or top.group(3)
        draft.extra["top-n"] = count
        scan.take(top)
        draft.assumptions.append(
            f"all rows come back, sorted; keep the first {count} in the DataFrame with "
            f".head({count}) (kubectl has no limit flag here)")
    for key, pattern in table:
        match = scan.search(pattern)
        if match:
            draft.sort = key
            scan.take(match)
            if rx(r"\b(?:least|lowest|smallest|fewest)\b").search(match.group(0)):
                draft.assumptions.append(
                    "kubectl sorts one way only: the least come last with top (highest first) "
                    "and first with --sort-by on get")
            break


_STATE_TABLE: tuple[tuple[str, str], ...] = (
    ("terminating", r"\b(?:stuck )?(?:in )?terminating\b"),
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
            if key == "running" and (rx(r"^ (?:on|in|at|inside|under|across|everywhere|there|"
                                        r"here)\b").match(scan.text[match.end():])
                                     or rx(r"\b(?:what|which|whatever) (?:is|are) (?:still )?$"
                                           ).search(scan.text[:match.start()])):
                continue  # "running in shop" says where; "what is running" means deployed
            draft.states.append(key)
            scan.take(match)
            break
    if scan.search(r"\b(?:all|every|everything)\b"):
        draft.want_all = True


def extract_nodes(scan: Scan, draft: Draft, ctx: TranslationContext, *, target: bool) -> None:
    """Find ``on node-b`` / ``on node worker-2``; a filter, or the target when ``target``."""
    match = scan.search(r"\b(?:on|in|at|from|off) (?:the )?(?:node|host|machine|worker|server) "
                        + NAME + r"\b")
    if match is None:
        match = scan.search(r"\b(?:on|at|off) (?:the )?" + NAME + r"\b")
        if match is not None:
            word = match.group(1)
            known = bool(ctx.locate(word, "nodes"))
            if not known and not (scan.is_name(word, strict=True) and word not in RESOURCE_WORDS):
                match = None
            elif not known and (ctx.locate(word) or ctx.knows_namespace(word)):
                match = None  # an object or a namespace the cluster knows, not a node
            elif not known and "-" not in word and ctx.inventory.get("nodes"):
                # "on worker3": the one node whose name ends so (a dashed name stays as typed)
                ends = [n for _, n in ctx.inventory["nodes"] if n.replace("-", "").endswith(word)]
                node = ends[0] if len(ends) == 1 else None
                if node is not None:
                    draft.assumptions.append(f"{word!r} read as node {node}")
                    scan.take(match)
                    _on_node(draft, node, target or (draft.intent == "describe"
                                                     and not draft.resources))
                    return
    if match is None and not target and scan.has(r"\bpods?\b|\brunning\b|\bscheduled\b"):
        for index in scan.free():
            if ctx.locate(scan.words[index], "nodes") and not ctx.locate(scan.words[index], "pods"):
                draft.node = scan.words[index]
                scan.take_token(index)
                draft.assumptions.append(f"{draft.node!r} is a node: pods scheduled on it")
                return
    if match is None or not scan.is_name(match.group(1)):
        return
    _on_node(draft, match.group(1), target or (draft.intent == "describe"
                                               and not draft.resources))
    scan.take(match)


def _on_node(draft: Draft, node: str, target: bool) -> None:
    """Make ``node`` the object (a node verb, "the rundown on X") or the pods' filter."""
    if target:
        draft.names.append(node)
        draft.resources[:] = ["nodes"]
    else:
        draft.node = node


def extract_node_details(scan: Scan, draft: Draft) -> None:
    """Node details only ``describe`` shows: "the taints on kwok-worker-1", "conditions of X"."""
    match = scan.search(r"\b(?:taints?|conditions|capacity|allocatable(?: resources)?|pressure)"
                        r" (?:on|of|for) (?:the )?(?:node )?" + NAME + r"\b")
    if match is None:
        if scan.has(r"\b(?:taint(?:s|ed)?|(?:disk|memory|pid) ?pressure|conditions)\b"):
            draft.extra["describe"] = "node details"  # shown only for a node (build_reads)
        return
    if match.group(1) in ("nodes", "workers", "machines"):  # "the taints on the workers"
        draft.resources[:] = ["nodes"]
        draft.extra["describe"] = "node details"
        draft.intent = "describe" if draft.intent == "get" else draft.intent
        scan.take(match)
        return
    if not scan.is_name(match.group(1)):
        return
    draft.resources[:] = ["nodes"]
    draft.names.append(match.group(1))
    draft.extra["describe"] = "node details"
    scan.take(match)


def extract_containers(scan: Scan, draft: Draft, known: frozenset[str] = frozenset()) -> None:
    """Find the container (``-c proxy``, ``container proxy``, ``the proxy container``).

    ``known`` are the containers the inventory's workloads run: where there are some, an
    English word after "container" is one of them or no container ("the container say").
    """
    match = scan.search(r"\b(?:all|every|each) (?:of (?:its|the|their) )?(?:the )?containers\b")
    if match:
        draft.all_containers = True
        scan.take(match)
        return
    for pattern in (
        r"(?:^| )-c[= ]" + NAME,
        r"\bcontainers? (?:named |called )?" + NAME + r"\b",
        r"\b" + NAME + r" containers?\b",
    ):
        for match in scan.finditer(pattern):
            word = match.group(1)
            if known and word not in known and word in FILLERS:
                continue  # "the fraud-detector container say ...": a verb, no container
            if (scan.is_name(word) or word == "application") and word not in RESOURCE_WORDS:
                draft.container = word
                scan.take(match)
                return


_REASON = re.compile(r"^(?:[A-Z][a-z]+){2,}$|^[A-Z][a-z]+$")
#: Event reasons people name in lower case too.
_REASONS = {
    reason.lower(): reason for reason in (
        "FailedScheduling", "BackOff", "Killing", "Unhealthy", "FailedMount", "OOMKilling",
        "Evicted", "Pulled", "Pulling", "Failed", "Created", "Started", "Scheduled",
        "Preempted", "NodeNotReady", "FailedCreate", "SuccessfulCreate", "ScalingReplicaSet",
        "FailedAttachVolume", "ProbeWarning", "SandboxChanged", "Rebooted", "NodeNotSchedulable",
    )
}


def extract_event_reasons(scan: Scan, draft: Draft) -> None:
    """Find an event reason: "the Killing events", "FailedScheduling events", "reason BackOff"."""
    match = scan.search(r"\b(?:with |of |whose )?(?:the )?reason (?:is |= ?)?"
                        r"([a-z][a-z0-9]+)\b")
    if match is not None and (match.group(1) in _REASONS or _REASON.match(
            scan.orig[scan.index_at(match.start(1))]) and match.group(1) not in FILLERS):
        # a reason by name ("reason BackOff"), never a word ("reason and exit code")
        index = scan.index_at(match.start(1))
        draft.fields.append(f"reason={_REASONS.get(match.group(1), scan.orig[index])}")
        if "events" not in draft.resources:
            draft.resources.append("events")
        scan.take(match)
        return
    for index in scan.free():
        if index + 1 >= len(scan.words) or scan.words[index + 1] not in ("events", "event"):
            continue
        word, orig = scan.words[index], scan.orig[index]
        camel = bool(_REASON.match(orig)) and (index > 0 or any(c.isupper() for c in orig[1:]))
        if word in _REASONS and word not in ("failed", "created", "started") or camel and (
            word not in ("warning", "normal")
        ):
            draft.fields.append(f"reason={_REASONS.get(word, orig)}")
            scan.take_token(index)
            return


def extract_selectors(scan: Scan, draft: Draft) -> None:
    """Find ``key=value`` pairs (label selectors, or labels to set) and ``app NAME`` phrases."""
    _set_based(scan, draft)
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
        r"(?: called| named)? " + NAME + r"\b|\bthe " + NAME + r" (?:app|application)\b"
        r"|\b(?:app|application) (?:called |named )?" + NAME + r"\b"
    )
    if match:
        name = next(g for g in match.groups() if g)
        if scan.is_name(name) and name not in RESOURCE_WORDS:
            draft.selectors.append(f"app={name}")
            draft.assumptions.append(f"the app's pods carry the label app={name}")
            scan.take(match)


_KEY = r"([a-z0-9][a-z0-9./_\-]*)"


def _set_based(scan: Scan, draft: Draft) -> None:
    """Label phrases kubectl writes with set-based selectors (``!=``, ``in (...)``, ``!key``)."""
    match = scan.search(r"\b(?:whose |where (?:the )?|with (?:an? |the )?)" + _KEY + r" (?:label )?"
                        r"(?:is|=|equals) (?:either )?" + NAME + r"((?: ?(?:,|or) (?:either )?"
                        + r"(?:[a-z0-9][a-z0-9.\-]*))+)")
    if match is not None:
        values = [match.group(2), *rx(r"[a-z0-9][a-z0-9.\-]*").findall(
            match.group(3).replace(" or ", " "))]
        values = [v for v in values if v not in ("or", "either")]
        draft.selectors.append(f"{match.group(1)} in ({','.join(values)})")
        scan.take(match)
        return
    match = scan.search(r"\b(?:except|excluding|other than|apart from|besides|but not|not part "
                        r"of|not belonging to|not owned by|not from) "
                        r"(?:for )?(?:the |those of |the ones of )?(?:app )?" + NAME
                        + r"(?: ones| pods| app)?\b")
    if match is not None and scan.is_name(match.group(1)) and match.group(1) not in (
        RESOURCE_WORDS
    ) and not rx(r"^not (?:running|ready|scheduled|in|on|a|the)\b").match(match.group(0)):
        draft.selectors.append(f"app!={match.group(1)}")
        draft.assumptions.append(f"the {match.group(1)} pods carry the label "
                                 f"app={match.group(1)}")
        scan.take(match)
        return
    match = scan.search(r"\b(?:with ?out|with no|without (?:an? |the |any )?|missing (?:an? |the )?"
                        r"|lacking (?:an? |the )?|that (?:have|has) no|having no|no) " + _KEY
                        + r" labels?\b")
    if match is not None:
        draft.selectors.append(f"!{match.group(1)}")
        scan.take(match)
        return
    match = scan.search(r"\b(?:with|having|that (?:have|has|carry|carries)) (?:an? |the |any )?"
                        + _KEY + r" labels?\b(?! \S*=)(?! (?:is|of|set|equal))")
    if match is not None:
        draft.selectors.append(match.group(1))
        scan.take(match)
