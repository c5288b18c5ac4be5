"""The values a write needs, taken before names are looked for: counts, images, keys, taints."""

from __future__ import annotations

import re

from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.scan import Scan

__all__ = ["pre_extract"]

_COUNT = (
    r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
)
_IMAGE = r"([a-z0-9][a-z0-9._\-/]*(?::[a-z0-9._\-]+)?(?:@sha256:[a-f0-9]+)?)"
_KEY = r"([a-z0-9][a-z0-9./_\-]*)"
_EFFECTS = {
    "noschedule": "NoSchedule",
    "no schedule": "NoSchedule",
    "prefernoschedule": "PreferNoSchedule",
    "prefer no schedule": "PreferNoSchedule",
    "noexecute": "NoExecute",
    "no execute": "NoExecute",
}
_AUTH_VERBS = {
    "delete": "delete", "remove": "delete", "create": "create", "make": "create",
    "update": "update", "edit": "update", "change": "update", "modify": "update",
    "patch": "patch", "list": "list", "watch": "watch", "get": "get", "see": "get",
    "read": "get", "view": "get", "scale": "update", "restart": "patch", "deploy": "create",
    "exec": "create", "drain": "update", "shell": "create", "cordon": "patch", "label": "patch",
    "annotate": "patch", "kill": "delete", "nuke": "delete", "wipe": "delete",
    "destroy": "delete", "terminate": "delete", "purge": "delete", "evict": "delete",
    "uncordon": "patch", "taint": "patch", "bounce": "patch", "redeploy": "patch",
    "recycle": "patch", "roll": "patch", "rollback": "patch", "undo": "patch", "pause": "patch",
    "resume": "patch", "set": "patch", "upgrade": "patch", "add": "create", "apply": "create",
}


def _take_first(scan: Scan, draft: Draft, key: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        match = scan.search(pattern)
        if match:
            for index, group in enumerate(match.groups(), 1):
                if group is not None:
                    draft.extra[key] = scan.original(match, index)
                    break
            scan.take(match)
            return True
    return False


def pre_extract(scan: Scan, draft: Draft) -> None:
    """Take the phrases an intent needs before names are looked for (counts, images, keys)."""
    intent = draft.intent
    if intent == "scale":
        if scan.search(r"\b(?:by|add|another|more|extra) \d+\b|\b\d+ more\b"):
            draft.extra["relative"] = "1"
        delta = scan.search(r"\b" + _COUNT + r" (more|extra|additional|fewer|less)\b"
                            r"|\b(?:scale )?(up|down) by " + _COUNT + r"\b"
                            r"|\b(add|remove|drop) " + _COUNT + r"\b"
                            r"|\b(shave|knock|take|lop|chop) " + _COUNT
                            + r" (?:\S+ )?(?:replicas?|pods?|instances?|copies) off\b")
        factor = scan.search(r"\b(double|triple|halve)\b")
        if factor and not delta:  # "double it": a factor of what it runs now
            draft.extra["delta"] = "*" + factor.group(1)
            draft.extra["relative"] = "1"
            scan.take(factor)
        trim = scan.search(r"\b(trim|shrink|cut|reduce|grow) (?:\S+ )by " + _COUNT + r"\b")
        if trim and not delta:
            # "trim checkout by one pod": the verb and its count, the name left for the objects
            sign = "+" if trim.group(1) == "grow" else "-"
            draft.extra["delta"] = sign + trim.group(2).lower()
            draft.extra["relative"] = "1"
            scan.take(trim, 1)
            count_words = scan.search(r"\bby " + _COUNT + r"(?: pods?| replicas?)?\b")
            if count_words:
                scan.take(count_words)
        if delta:
            count, word, direction, by, verb, added, off, taken = delta.groups()
            sign = "-" if (word in ("fewer", "less") or direction == "down" or off
                           or verb in ("remove", "drop")) else "+"
            draft.extra["delta"] = sign + (count or by or added or taken or "").lower()
            draft.extra["relative"] = "1"
            scan.take(delta)
        _take_first(scan, draft, "replicas", (
            r"(?:^| )--replicas[= ](\d+)\b",
            r"\b(?:to|=|at) " + _COUNT + r"(?: replicas?| pods| instances| copies)?\b",
            r"\b" + _COUNT + r" (?:replicas?|instances|copies|pods)\b",
            r"\breplicas?[= ](\d+)\b",
        ))
        if "replicas" not in draft.extra and "delta" not in draft.extra and scan.has(
                r"\b(?:to|down to) (?:nothing|none)\b|\bshut ?down\b|\bturn off\b|\bstop\b"
                r"|\bpark\b|\b(?:switch|turn) \S+ off\b"):
            draft.extra["replicas"] = "0"
            draft.extra["stop"] = "1"
            draft.assumptions.append("stopping a workload: scaled to 0 replicas")
    elif intent in ("rollout-undo", "rollout-history"):
        _take_first(scan, draft, "revision", (
            r"\bto (?:revision|rev) (?:number |no |#)?(\d+)\b",  # "3 is busted, back to rev 2"
            r"\b(?:revision|rev) (?:number |no |#)?(\d+)\b", r"\bversion (\d+)\b",
        ))
        if "revision" in draft.extra:  # "revision 3 is busted": the one it leaves, told
            for other in list(scan.finditer(r"\b(?:revision|rev) (?:number |no |#)?\d+\b")):
                scan.take(other)
    elif intent in ("set-image", "create"):
        if intent == "set-image":
            # "ship checkout 2.4.2": a new tag for the image it runs (the pipeline keeps the rest)
            _take_first(scan, draft, "tag", (
                r"\bto (v?\d+(?:\.\d+)+(?:-[a-z0-9.]+)?)(?=\s|$)",  # "1.0.3 is broken, go to 1.0.2"
                r"\b(?:version |tag )?(v?\d+(?:\.\d+)+(?:-[a-z0-9.]+)?)(?=\s|$)",))
        _take_first(scan, draft, "image", (
            r"(?:^| )--image[= ]" + _IMAGE,
            r"\b(?:to|with|use|using|running|runs|run|from|=|image) (" + _IMAGE[1:-1] + r"[:/@]"
            r"[a-z0-9._\-/:@]*)",
        ))
        if "image" not in draft.extra:
            for found in scan.finditer(r"\bimage (?:to |=)?" + _IMAGE + r"(?=\s|$)"):
                if scan.is_name(found.group(1)):
                    draft.extra["image"] = scan.original(found, 1)
                    scan.take(found)
                    break
        if intent == "create":
            _take_first(scan, draft, "from", (r"\bfrom (?:the )?cronjobs? ([a-z0-9][a-z0-9.\-]*)",))
            _take_first(scan, draft, "replicas", (
                r"\b(?:with )?" + _COUNT + r" (?:replicas?|instances|copies)\b",
            ))
    elif intent == "autoscale":
        # "2-6 pods", "between 2 and 6", "min 2 max 6"; "at 70% cpu"
        bounds = scan.search(r"\b(?:between |from |min(?:imum)? )?(\d+) ?(?:-|to|and|max(?:imum)?"
                             r"|,) ?(\d+)(?: pods| replicas)?\b")
        if bounds:
            draft.extra["min"], draft.extra["max"] = bounds.group(1), bounds.group(2)
            scan.take(bounds)
        _take_first(scan, draft, "cpu-percent", (
            r"\b(?:scale out |target |at |above |over )?(?:at )?(\d+) ?% ?(?:cpu)?\b",
            r"\bcpu (?:at |target |of )?(\d+) ?%"))
    elif intent == "set-resources":
        cpu = scan.search(r"\b(\d+(?:\.\d+)?) ?(cores?|cpus?|vcpus?|m\b|millicores?)")
        memory = scan.search(r"\b(\d+(?:\.\d+)?) ?(gi|mi|gib|mib|gb|mb|g|m)"
                             r"(?:\s+(?:of )?(?:mem|memory|ram))?\b")
        if cpu and memory and cpu.start() == memory.start():
            memory = None
        parts = []
        if cpu:
            unit = cpu.group(2)
            parts.append(f"cpu={cpu.group(1)}" + ("m" if unit.startswith("m") else ""))
            scan.take(cpu)
        if memory:
            unit = {"gi": "Gi", "gib": "Gi", "gb": "Gi", "g": "Gi", "mi": "Mi", "mib": "Mi",
                    "mb": "Mi", "m": "Mi"}[memory.group(2)]
            parts.append(f"memory={memory.group(1)}{unit}")
            scan.take(memory)
        which = "requests" if scan.has(r"\brequests?\b") and not scan.has(r"\blimits?\b") \
            else "limits"
        if parts:
            draft.extra[which] = ",".join(parts)
        for each in list(scan.finditer(r"\b(?:limits?|requests?|headroom|cpu|memory|mem|ram)\b")):
            scan.take(each)
    elif intent == "set-env":
        # "set env LOG_LEVEL=debug", "--from=secret/api-credentials": as typed
        for found in list(scan.finditer(r"(?:^| )([a-z_][a-z0-9_]*)=(\S+)")):
            key = scan.original(found, 1)
            draft.extra["env"] = " ".join(
                filter(None, (draft.extra.get("env"), f"{key}={scan.original(found, 2)}")))
            scan.take(found)
        _take_first(scan, draft, "env-from", (
            r"(?:^| )--from[= ]((?:secret|configmap)/[a-z0-9][a-z0-9.\-]*)",))
    elif intent == "create-job":
        _take_first(scan, draft, "job-name", (
            r"\b(?:call|name) (?:the (?:new )?(?:job|run) |it )([a-z0-9][a-z0-9.\-]*)\b",
            r"\b(?:job|run) (?:called|named) ([a-z0-9][a-z0-9.\-]*)\b",
        ))
    elif intent == "set-key":
        # "set TIMEOUT_MS to 3000": a ConfigMap key, as typed, and its new value
        pair = scan.search(r"\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+) (?:to|=) ?([a-z0-9][a-z0-9._:/\-]*)")
        if pair:
            draft.extra["key"] = scan.original(pair, 1)
            draft.extra["value"] = scan.original(pair, 2)
            scan.take(pair)
    elif intent in ("unlabel", "unannotate"):
        _take_first(scan, draft, "key", (
            r"\b(?:remove|delete|drop|strip|unset|clear|take off|unlabel) (?:the |a |an )?"
            r"(?:labels?|annotations?) " + _KEY,
            r"\bthe " + _KEY + r" (?:label|annotation)\b",
        ))
    elif intent == "untaint":
        _take_first(scan, draft, "key", (
            r"\btaints? " + _KEY + r"(?::(?:noschedule|prefernoschedule|noexecute))?\b(?<!from)",
            r"\bthe " + _KEY + r" taint\b",
        ))
        draft.extra["key"] = draft.extra.get("key", "").split(":")[0]
    elif intent == "taint":
        match = scan.search(r"\b" + _KEY + r"(?:=([a-z0-9._\-]+))?:(noschedule|prefernoschedule|"
                            r"noexecute)\b")
        if match:
            key = match.group(1) + (f"={scan.original(match, 2)}" if match.group(2) else "")
            draft.extra["taint"] = f"{key}:{_EFFECTS[match.group(3)]}"
            scan.take(match)
        else:
            effect = scan.search(r"\b(noschedule|prefer no ?schedule|prefernoschedule|no ?schedule"
                                 r"|noexecute|no ?execute)\b")
            if effect:
                word = effect.group(1).replace("  ", " ")
                draft.extra["effect"] = _EFFECTS.get(word, _EFFECTS.get(word.replace(" ", ""), ""))
                scan.take(effect)
    elif intent == "exec":
        quoted = re.search(r"[`'\"]([^`'\"]+)[`'\"]", scan.question)
        if quoted:
            draft.extra["cmd"] = quoted.group(1).strip()
        else:
            match = scan.search(r"\b(?:run|execute) (.+?) (?:in|inside|on) (?:the )?"
                                r"(?:pod|container)\b")
            if match and not re.search(r"\b(?:shell|bash|terminal)\b", match.group(1)):
                draft.extra["cmd"] = match.group(1)
    elif intent == "port-forward":
        ports = re.findall(r"\b(\d{2,5})(?::(\d{2,5}))?\b", scan.live)
        if ports:
            local, remote = ports[0]
            if not remote and len(ports) > 1:
                remote = ports[1][0]
            draft.extra["ports"] = f"{local}:{remote}" if remote else local
    elif intent == "auth":
        match = scan.search(r"\b(?:can|may|could) (?:i|we) (\w+)|\b(?:allowed|able|permitted|"
                            r"permission|permissions|rights?|access) to (\w+)|\b(?:i|we) "
                            r"(?:can|may|could) (\w+)")
        if match:
            word = next(g for g in match.groups() if g)
            if word in _AUTH_VERBS:
                draft.extra["verb"] = _AUTH_VERBS[word]
                draft.extra["verb-word"] = word
                scan.take(match)


