"""Phrase extractors of the rules translator: namespaces, output format, counts, time.

Each extractor reads a :class:`~kubechat_lab.translate.rules.scan.Scan`, takes what it understood
and records it on a :class:`Draft`. They run in a fixed order (see ``_rules``) so that, for
example, ``in yaml`` is an output request before ``in NAME`` can be read as a namespace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kubechat_lab.translate._types import TranslationContext
from kubechat_lab.translate.rules.draft import NAME, Draft
from kubechat_lab.translate.rules.lexicon import NUMBER_WORDS, number
from kubechat_lab.translate.rules.scan import Scan, rx

__all__ = [
    "extract_counts",
    "extract_namespaces",
    "extract_output",
]

_NUM = r"(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r"|few|couple of)"
_UNIT = r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|[smhd])"

_NOT_AFTERNAMESPACE = frozenset(
    {"app", "application", "container", "containers", "image", "node", "cluster", "label",
     "order", "form", "format", "detail", "details", "total", "full", "yaml", "json", "table",
     "columns", "mode", "words", "general", "time", "one"}
)
#: A namespace name (DNS-1123 label: no dots, at most 63 characters).
NAMESPACE_RE = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
#: Generated names: a pod's hash suffix or a StatefulSet ordinal (``cart-5f7``, ``db-0``).
_POD_LIKE = re.compile(r"-(?:\d+|[a-z0-9]*\d[a-z0-9]*)$")


_TIMES = frozenset("noon midnight today yesterday tonight morning afternoon evening night now "
                   "then earlier months month weeks week days day years year ages hours minutes "
                   "forever while".split())
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _spoken_date(scan: Scan, draft: Draft) -> None:
    """Read "from 14 mar 2025 09:30 utc onwards" (or "mar 14, 2025") as ``--since-time``."""
    month = r"(" + "|".join(_MONTHS) + r")[a-z]*"
    found = scan.search(r"\b(?:since|after|from) (?:(\d{1,2}) " + month + r"|" + month
                        + r" (\d{1,2}))(?: ,)? (\d{4})(?: (?:at )?(\d{1,2}):(\d\d))?"
                        r"(?: ?(?:utc|z|gmt))?(?: onwards| on)?\b")
    if found is not None:
        day1, mon1, mon2, day2, year, hour, minute = found.groups()
    else:  # "since 12:03 on 1 jan 2025", "from noon on jan 1 2025 (utc) onwards"
        found = scan.search(r"\b(?:since|after|from) (?:(noon|midnight)|(\d{1,2}):(\d\d)"
                            r"(?::\d\d)?) (?:on )?(?:(\d{1,2}) " + month + r"|" + month
                            + r" (\d{1,2}))(?: ,)? (\d{4})(?: ,)?(?: \(? ?(?:utc|z|gmt) ?\)?)?"
                            r"(?: onwards?| on)?\b")
        if found is None:
            return
        named, hour, minute, day1, mon1, mon2, day2, year = found.groups()
        if named:
            hour, minute = ("12" if named == "noon" else "0"), "00"
    day, mon = int(day1 or day2), _MONTHS.index((mon1 or mon2)[:3]) + 1
    if not 1 <= day <= 31:
        return
    draft.extra["since-time"] = (f"{year}-{mon:02d}-{day:02d}T{int(hour or 0):02d}:"
                                 f"{minute or '00'}:00Z")
    scan.take(found)


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
        r"(?:kubernetes )?cluster\b|\b(?:the )?(?:whole|entire) cluster\b",
        r"\b(?:all|every|any|each) (?:namespaces?|ns)\b|\beverywhere\b|\banywhere\b"
        r"|\bcluster[- ]?wide\b"
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
        r"(?:^| )(?:-n|--namespace)[= ]" + NAME,
        r"\b(?:in|from|within|inside|under|for|of|on) (?:the )?(?:namespace|ns)"
        r"(?: named| called)?[:=]? " + NAME,
        r"\b(?:in|from|within|inside|for|of|on) (?:the )?" + NAME + r" (?:namespace|ns)\b",
    ):
        match = scan.search(pattern)
        if match and NAMESPACE_RE.match(match.group(1)) and scan.is_name(match.group(1)):
            draft.namespace = match.group(1)
            scan.take(match)
            return
    for pattern in (r"\b(?:namespace|ns)[:=]? " + NAME, r"\b" + NAME + r" (?:namespace|ns)\b"):
        match = scan.search(pattern)
        if match and scan.is_name(match.group(1)) and match.group(1) not in words and (
            NAMESPACE_RE.match(match.group(1))
        ):
            # "describe namespace scratch" names a namespace; "pods namespace shop" filters.
            draft.namespace_object = match.group(1)
            scan.take(match)
            return
    candidates: list[tuple[re.Match[str], bool]] = []
    for match in scan.finditer(r"\b(?:in|inside|within|from|for|of) (?:the )?" + NAME + r"\b"):
        word = match.group(1)
        known = ctx.knows_namespace(word)
        if not known and (word in _TIMES or word[:3] in _MONTHS):
            continue  # "from noon on jan 1": a time, not a namespace
        if match.group(0).startswith(("for", "of")) and not known:
            continue
        if not scan.is_name(word) or not NAMESPACE_RE.match(word):
            continue
        if word in words and not _other_resource_before(scan, words, word, match.start()):
            continue
        if ctx.namespaces and not known and (ctx.locate(word) or any(
                name.startswith(word) and len(word) >= 4 for items in ctx.inventory.values()
                for _, name in items)):
            continue  # an object ("in front": frontend), not a namespace
        after = scan.live[match.end() :].split(None, 1)
        if after and (after[0] in words or after[0] in _NOT_AFTERNAMESPACE):
            continue  # "in the checkout deployment", "from the sidecar container"
        if " the " in f"{match.group(0)} " and not known:
            continue  # "back in the pool", "from the start": a place, not a namespace
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
    more = rx(r"^ (?:and|or|,) (?:in )?(?:namespace )?" + NAME + r"\b").match(
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
            r"(?<!cluster\x20)(?<!cluster-)\b(?:-o )?wide\b|\bmore (?:columns|details|info|"
            r"information)\b|\b(?:which|what) "
            r"node (?=(?:is|are|does|do|did)\b.{0,60}\b(?:on|run|running|scheduled|placed)\b)"
            r"|\b(?:with|including|"
            r"and|plus|showing) (?:their |the |its )?(?:nodes?|node names?|ips?|ip addresses|"
            r"pod ips)\b|\b(?:which|what) nodes? (?:are |is )?(?:they|each|it|those|these)"
            r"(?: one)? (?:are |is )?(?:on|running on|"
            r"run on|scheduled on|sits? on|lives? on|landed on)\b|\bwhere (?:they|each|it) "
            r"(?:is |are )?(?:running|scheduled|runs?)\b"
            r"|\b(?:with|including|plus|showing) (?:their |the |its )?(?:container )?images"
            r"(?: and (?:their |the )?selectors)?\b"
        )
        if match:
            draft.output = "wide"
            if re.search(r"\bnodes?\b|\bwhere\b", match.group(0)):
                draft.extra["placement"] = "1"  # where pods run: the pods' NODE column
            scan.take(match)
    if draft.output is None:
        match = scan.search(r"\b(?:what|which) (?:container )?(?:image versions?|images?)\b")
        if match:
            draft.output = "wide"
            draft.assumptions.append("-o wide shows each workload's container images")
            scan.take(match)
    if draft.output is None:
        # a node's -o wide columns: "internal ip, os image and kernel version"
        columns = list(scan.finditer(r"\b(?:internal|external) ips?\b|\bos[- ]?images?\b"
                                     r"|\bkernel(?: versions?)?\b|\bcontainer[- ]?runtimes?\b"))
        if columns:
            draft.output = "wide"
            for each in columns:
                scan.take(each)
    if draft.output is None:
        match = scan.search(r"\b(?:pod |node )?ips?\b|\bip addresses\b")
        if match:
            draft.output = "wide"
            scan.take(match)
    if draft.output is None:
        match = scan.search(r"\b(?:just|only|bare|nothing but) (?:the )?names\b|\bnames only\b"
                            r"|\bnames of (?=(?:the |all (?:the )?)?\S+\b.{0,20}\b(?:only|nothing "
                            r"(?:else|more))\b)")
        spaced = scan.search(r"\b((?:just|only|bare|nothing but) (?:the )?)\S+ (names)\b") or \
            scan.search(r"\b()(?:pod|node|deploy\w*|service|svc|job|configmap|secret)s? (names)\b"
                        r"(?=.{0,30}\b(?:only|nothing (?:else|more))\b)")
        if match:
            draft.output = "name"
            scan.take(match)
        elif spaced:  # "just the deploy names": the kind in between stays for the objects
            draft.output = "name"
            scan.take(spaced, 1)
            scan.take(spaced, 2)
        if draft.output == "name":
            extra = scan.search(r"\b(?:one|1) per line\b|\bno headers?\b|\bwithout headers?\b")
            if extra:
                scan.take(extra)
    if draft.output in (None, "yaml", "json"):
        match = scan.search(r"\b(?:whole|entire) (?:thing|object)\b|\b(?:whole|full|entire) spec\b"
                            r"|\b(?:full |complete |raw )?(?:manifest|definition|full spec|"
                            r"full object|raw object)\b")
        if match:
            draft.output_hint = True
            scan.take(match)
    if draft.output is None:
        match = scan.search(r"\bwhat(?: i)?s in\b|\bwhat is in\b|\bcontents?(?: of)?\b")
        if match:  # "what's in the api configmap": its data, the whole object
            draft.output_hint = True
            scan.take(match)
    if draft.output is None:
        # parts of a spec only the whole object shows: "does it mount anything at /models"
        for match in list(scan.finditer(r"\b(?:volume ?mounts?|mount(?:s|ed|ing)?|volumes?)"
                                        r"(?: anything)?(?: (?:at|under) \S+)?")):
            draft.output_hint = True
            scan.take(match)
    match = scan.search(r"\b(?:show|showing|with|including|display|and|plus) (?:all )?(?:their |"
                        r"the |its )?labels\b(?! \S*=)|\b(?:every|all(?: the)?|each) labels?\b"
                        r"(?! \S*=)")
    if match:
        draft.show_labels = True
        scan.take(match)
    asked = scan.search(r"\b((?:what|which) labels (?:do|does))\b.{0,40}?"
                        r"\b(carry|have|wear|hold)\b")
    if asked:  # "what labels do the nodes carry": the kind in between stays for the objects
        draft.show_labels = True
        scan.take(asked, 1)
        scan.take(asked, 2)


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
    _spoken_date(scan, draft)
    stamp = scan.search(r"\b(?:since|after|from|starting) (\d{4}-\d\d-\d\d)(?:[ t](\d{1,2}):"
                        r"(\d\d)(?::(\d\d))?)?(?: ?(?:utc|z|gmt))?(?: onwards?| on)?(?!\S)")
    if "since-time" not in draft.extra and stamp:
        # an absolute start: kubectl takes RFC 3339 (UTC unless the question says otherwise)
        day, hour, minute, second = stamp.groups()
        clock = f"{int(hour or 0):02d}:{minute or '00'}:{second or '00'}"
        draft.extra["since-time"] = f"{day}T{clock}Z"
        scan.take(stamp)
        return
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
                half = scan.search(r"\band a half\b")
                if half and half.start() == match.end() + 1 and draft.since.endswith("h"):
                    # "the past hour and a half": 90 minutes
                    draft.since = f"{int(draft.since[:-1]) * 60 + 30}m"
                    scan.take(half)
            scan.take(match)
            return
    match = scan.search(r"\b(?:in |from |over |during |within |for )?(?:the )?(?:last|past) "
                        r"half (?:an )?hour\b|\bhalf an hour\b")
    if match:
        draft.since = "30m"
        scan.take(match)
