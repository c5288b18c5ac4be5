"""Per-intent builders of the rules translator: a :class:`Draft` becomes kubectl arguments."""

from __future__ import annotations

import re
from collections.abc import Callable

from kubechat_lab.command import DEFAULT_RESOURCES, ResourceTable
from kubechat_lab.translate.rules.account import FILLERS
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.fields import field_jsonpath, field_path
from kubechat_lab.translate.rules.lexicon import NOT_NAMES
from kubechat_lab.translate.rules.scan import Scan
from kubechat_lab.translate.rules.shapes import shape_output

__all__ = [
    "BUILDERS",
    "read_model_field",
    "AmbiguousNameError",
    "Builder",
    "CantTranslateError",
    "NotUnderstoodError",
    "one_resource",
    "phase_fields",
    "scope",
    "selector",
    "sort_flag",
]

_RESTART_SORT = ".status.containerStatuses[0].restartCount"
_AGE_SORT = ".metadata.creationTimestamp"
#: The label a workload's pods usually carry (the controller's own for jobs).
_OWNER_LABELS = {
    "deployments": "app",
    "statefulsets": "app",
    "daemonsets": "app",
    "replicasets": "app",
    "services": "app",
    "jobs": "job-name",
}
_POD_PHASES = {
    "not-running": "status.phase!=Running",
    "pending": "status.phase=Pending",
    "failed": "status.phase=Failed",
    "evicted": "status.phase=Failed",
    "succeeded": "status.phase=Succeeded",
    "running": "status.phase=Running",
    "unknown": "status.phase=Unknown",
}


class CantTranslateError(Exception):
    """The rules cannot map the question; ``hint`` is what to try instead."""

    def __init__(self, why: str, hint: str) -> None:
        super().__init__(why)
        self.why = why
        self.hint = hint


class AmbiguousNameError(CantTranslateError):
    """A name fits several objects: pick none, ask which (``candidates`` lists them).

    ``objects`` are the same as ``(kind, namespace, name)``: the translator offers the
    question read with each as a choice.
    """

    def __init__(self, name: str, objects: list[tuple[str, str, str]], example: str) -> None:
        candidates = [f"{kind[:-1]} {obj} in {ns}" if ns else f"{kind[:-1]} {obj}"
                      for kind, ns, obj in objects]
        listed = ", ".join(candidates)
        super().__init__(f"{name!r} matches {len(candidates)} objects: {listed}",
                         f"say which, such as {example.format(candidates[0])!r}")
        self.name = name
        self.candidates = tuple(candidates)
        self.objects = tuple(objects)
        self.example = example.format(candidates[0])


class NotUnderstoodError(CantTranslateError):
    """Words of the question that no part of its reading accounts for: refuse, don't guess.

    ``draft`` and ``argv`` are the partial reading, from which the translator offers choices.
    """

    def __init__(self, words: list[str], draft: Draft, argv: list[str]) -> None:
        quoted = ", ".join(repr(w) for w in words)
        super().__init__(f"I don't know what {quoted} means here",
                         "rephrase with a kubectl verb, a kind and a name")
        self.words = tuple(words)
        self.draft = draft
        self.argv = tuple(argv)


Builder = Callable[[Draft, Scan, ResourceTable], list[str]]


def _namespaced(table: ResourceTable, resource: str) -> bool:
    found = table.lookup(resource)
    return True if found is None else found[1].namespaced


def scope(draft: Draft, table: ResourceTable, resource: str | None) -> list[str]:
    """Return ``-n NS`` / ``-A`` / nothing for ``resource`` (cluster-scoped: nothing)."""
    if resource is not None and not _namespaced(table, resource):
        if draft.namespace:
            draft.assumptions.append(f"{resource} are cluster-scoped; ignored namespace "
                                     f"{draft.namespace!r}")
        return []
    if draft.namespace:
        return ["-n", draft.namespace]
    if draft.all_namespaces:
        return ["-A"]
    return []


def selector(draft: Draft) -> list[str]:
    """Return ``-l a=b,c`` for the draft's labels, or nothing."""
    labels = [kv for kv in draft.kvs if "=" in kv] + draft.selectors
    return ["-l", ",".join(labels)] if labels else []


def one_resource(draft: Draft, default: str | None, why: str, hint: str) -> str:
    """Return the draft's resource, else ``default`` (noted), else raise CantTranslateError."""
    if draft.resources:
        return draft.resources[0]
    if default is None:
        raise CantTranslateError(why, hint)
    if draft.names:
        draft.assumptions.append(f"{', '.join(draft.names)}: taken to be {default}")
    return default


def phase_fields(draft: Draft, resource: str) -> list[str]:
    """Return the field selectors for the draft's states (``status.phase=Pending``, ...)."""
    fields = list(draft.fields)
    for state in draft.states:
        if resource == "pods":
            if state in _POD_PHASES:
                fields.append(_POD_PHASES[state])
                if state == "evicted":
                    draft.assumptions.append("evicted pods are in phase Failed")
            elif state == "terminating":
                draft.assumptions.append(
                    "Terminating is no phase the API can filter on (a pod being deleted keeps "
                    "its phase): every pod comes back; those with a deletionTimestamp are it")
            elif state == "crashlooping" and draft.sort is None and not draft.selectors:
                draft.sort = "restarts"
                draft.assumptions.append(
                    "CrashLoopBackOff is not a field the API can filter on: pods sorted by "
                    "restart count instead (crashlooping ones last)"
                )
        elif resource == "nodes":
            if state == "unschedulable":
                fields.append("spec.unschedulable=true")
            elif state == "schedulable":
                fields.append("spec.unschedulable=false")
            elif state == "not-ready":
                draft.notes.append("node readiness cannot be filtered server-side; "
                                   "check the STATUS column")
        elif resource == "events":
            if state == "evicted":
                fields.append("reason=Evicted")
            elif state in ("warning", "failed"):
                fields.append("type=Warning")
            elif state == "normal":
                fields.append("type=Normal")
        elif resource == "jobs" and state == "succeeded" and "failed" not in draft.states:
            fields.append("status.successful=1")  # "succeeded vs failed" compares: every job
    seen: list[str] = []
    for item in fields:
        if item not in seen:
            seen.append(item)
    return seen


def sort_flag(draft: Draft, resource: str) -> list[str]:
    """Return ``--sort-by=PATH`` for the draft's sort on ``resource``, or nothing."""
    sort = draft.sort
    if sort == "restarts" and resource == "pods":
        return [f"--sort-by={_RESTART_SORT}"]
    if sort == "age" and resource == "events":
        return ["--sort-by=.lastTimestamp"]  # when it last happened, as kubectl events sorts
    if sort == "age":
        return [f"--sort-by={_AGE_SORT}"]
    if sort == "start" and resource in ("pods", "jobs"):
        return ["--sort-by=.status.startTime"]
    if sort == "name":
        return ["--sort-by=.metadata.name"]
    if sort == "replicas" and resource in ("deployments", "statefulsets", "replicasets"):
        return ["--sort-by=.spec.replicas"]
    if sort == "capacity" and resource == "persistentvolumes":
        return ["--sort-by=.spec.capacity.storage"]
    if sort == "capacity" and resource == "persistentvolumeclaims":
        return ["--sort-by=.spec.resources.requests.storage"]
    return []


def _build_get(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    if draft.extra.get("describe") and not draft.output and draft.resources == ["nodes"]:
        draft.assumptions.append(f"{draft.extra['describe']} show in describe")
        if not draft.names:  # "the taints on the workers": every node's
            return ["describe", "nodes", *selector(draft)]
        return _build_describe(draft, scan, table)
    if draft.sort in ("memory", "cpu"):
        return _build_top(draft, scan, table)
    if not draft.resources and (any(s in ("warning", "normal") for s in draft.states) or
                                scan.has(r"\bwhat (?:has )?happened\b|\brecent activity\b")):
        draft.resources.append("events")
    if not draft.resources and draft.all_namespaces and not (
        draft.names or draft.node or draft.states or draft.sort
    ) and draft.extra.get("all-namespaces", "").endswith("namespaces"):
        # "list all namespaces": the namespaces themselves.
        draft.resources.append("namespaces")
        draft.all_namespaces = False
    if not draft.resources and scan.has(r"\beverything\b|\ball (?:the )?(?:resources|objects|"
                                        r"workloads)\b|\ball kinds\b"):
        draft.resources.append("all")
        draft.assumptions.append("'everything': kubectl's 'all' (pods, services, workloads; "
                                 "not configmaps or secrets)")
    if not draft.resources:
        if draft.names or draft.node or draft.states or draft.sort == "restarts" or (
            draft.namespace or draft.all_namespaces
        ) or scan.has(r"\b(?:running|workloads?|containers|what is up)\b"):
            draft.resources.append("pods")
            if not draft.names:
                draft.assumptions.append("the question names no resource: listing pods")
                draft.extra["default-kind"] = "pods"
        else:
            raise CantTranslateError(
                "no resource named",
                "'list pods in namespace shop', 'deployments across the cluster' or "
                "'describe deployment checkout in shop'",
            )
    resource = draft.resources[0]
    names = list(draft.names)
    if "pods" in draft.resources and names and len(draft.resources) > 1 and (
            "services" not in draft.resources):  # a service's pods are its endpoints, below
        owner = next(r for r in draft.resources if r != "pods")
        if owner in _OWNER_LABELS and owner != "events":
            # "pods of deployment cart": the workload's pods, by the label they usually carry.
            label = f"{_OWNER_LABELS[owner]}={names[0]}"
            draft.selectors.append(label)
            draft.assumptions.append(f"the pods of {owner} {names[0]} carry the label {label}")
            names = []
            draft.resources[:] = ["pods"]
    if sorted(draft.resources[:2]) in (["endpoints", "services"], ["pods", "services"]) and names:
        # "is the api svc backed by any pods": the pods behind a service are its endpoints
        draft.resources[:] = ["endpoints"]  # a service's endpoints share its name
        resource = "endpoints"
    fields = phase_fields(draft, resource)
    if "events" in draft.resources and len(draft.resources) > 1 or (
        resource == "events" and names
    ):
        # "events for pod X": events about that object.
        for name in names:
            fields.append(f"involvedObject.name={name}")
        owners = [r for r in draft.resources if r != "events"]
        if (owners and not _namespaced(table, owners[0])) or "node-events" in draft.extra:
            draft.all_namespaces = draft.namespace is None  # a node's events land anywhere
        names = []
        draft.resources[:] = ["events"]
        resource = "events"
    if names:
        draft.sort = None  # one named object: nothing to sort
        if fields and draft.states and not draft.node:
            # "did the seed job complete": the state of the one named is the question; its
            # row answers it (a filter would answer with nothing)
            draft.assumptions.append(f"the row of {names[0]} shows whether it is "
                                     f"{' / '.join(draft.states)}")
            fields = []
    if draft.node:
        if resource == "pods":
            fields.append(f"spec.nodeName={draft.node}")
            if not draft.namespace:
                draft.all_namespaces = True
        else:
            draft.notes.append(f"cannot filter {resource} by node {draft.node!r}")
    if resource == "events" and draft.sort is None and scan.has(r"\b(?:recent|latest|newest|"
                                                                 r"last|happened)\b"):
        draft.sort = "age"
    argv = ["get", ",".join(draft.resources), *names, *scope(draft, table, resource)]
    argv += selector(draft)
    if fields:
        argv.append(f"--field-selector={','.join(fields)}")
    argv += sort_flag(draft, resource)
    shaped = shape_output(draft, resource)
    if shaped and (names or "columns" in draft.extra):
        draft.output = shaped
    elif shaped and (draft.extra.get("field") in ("resources", "qos", "annotations")
                     or str(draft.extra.get("field")).startswith("path:")):
        # "memory limits of the pods in shop": one row per object and the field asked for
        field = str(draft.extra["field"]).rsplit(".", 1)[-1].removeprefix("path:").upper()
        draft.output = f"custom-columns=NAME:.metadata.name,{field}:" + shaped[10:-1]
    elif draft.extra.get("field") == "resources":
        raise CantTranslateError(f"{resource} have no containers' requests or limits",
                                 "name a pod or a workload: 'memory limits of pod NAME'")
    elif shaped and draft.extra.get("field") == "selector":
        draft.output = "wide"  # "every svc with their selectors": the SELECTOR column
    output = draft.output or ("yaml" if draft.output_hint and names else None)
    if output:
        argv += ["-o", output]
    if "label-columns" in draft.extra:
        argv += ["-L", draft.extra["label-columns"]]
    if draft.show_labels:
        argv.append("--show-labels")
    return argv


def _build_describe(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    # a why of one workload's pods stays a describe; an object's events are listed
    if not draft.names and (draft.states or scan.has(r"\bwhy\b") and not draft.selectors
                            or not draft.resources) or "events" in draft.resources:
        return _build_get(draft, scan, table)
    if draft.output in ("yaml", "json") or draft.output_hint or {
            "field", "columns", "label-columns"} & set(draft.extra):
        return _build_get(draft, scan, table)
    resource = one_resource(draft, "pods", "", "")
    argv = ["describe", resource, *draft.names, *scope(draft, table, resource)]
    return argv + selector(draft)


def _build_logs(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = draft.resources[0] if draft.resources else "pods"
    if draft.names:
        target = draft.names[0] if resource == "pods" else f"{resource}/{draft.names[0]}"
        argv = ["logs", target]
    elif draft.kvs or draft.selectors:
        argv = ["logs", *selector(draft)]
    else:
        raise CantTranslateError("no pod named",
                                 "'logs of pod web-1 in namespace shop' or "
                                 "'logs of deployment checkout from the last hour'")
    if draft.all_namespaces and not draft.namespace:
        draft.all_namespaces = False
        draft.notes.append("kubectl logs reads one namespace: showing the current one")
    argv += scope(draft, table, "pods")
    if draft.container:
        argv += ["-c", draft.container]
    if draft.all_containers:
        argv.append("--all-containers=true")
    if draft.previous:
        argv.append("--previous")
    if draft.tail:
        argv.append(f"--tail={draft.tail}")
    if draft.since:
        argv.append(f"--since={draft.since}")
    if "since-time" in draft.extra:
        argv.append(f"--since-time={draft.extra['since-time']}")
    if scan.has(r"\btimestamps?\b|\btimestamped\b"):
        argv.append("--timestamps=true")
    if "prefix" in draft.extra:  # "prefixed with which pod": kubectl's --prefix
        argv.append("--prefix=true")
    if scan.has(r"\b(?:follow|stream|streaming|live|watch)\b"):
        draft.notes.append("streaming (-f) is not supported here: showing a snapshot")
    return argv


def _build_top(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    nodes = "nodes" in draft.resources or (not draft.resources and scan.has(r"\bnodes?\b"))
    sub = "nodes" if nodes else "pods"
    if sub == "nodes" and draft.node and not draft.names:
        draft.names.append(draft.node)
        draft.node = None
    argv = ["top", sub, *draft.names]
    if sub == "pods":
        argv += scope(draft, table, "pods") + selector(draft)
        if draft.all_containers or scan.has(r"\b(?:per|by|each|every) container\b"):
            argv.append("--containers")
        if draft.node:
            draft.notes.append("kubectl top cannot filter pods by node")
    if draft.sort in ("memory", "cpu"):
        argv.append(f"--sort-by={draft.sort}")
    return argv


#: Words naming a kind (a field's owner that is the kind itself adds nothing).
_KIND_WORDS = frozenset(word for info in DEFAULT_RESOURCES
                        for word in (info.plural, info.singular, *info.short_names))


def _field_candidates(scan: Scan) -> list[tuple[tuple[int, ...], tuple[str, ...]]]:
    """Return ``(token indices, field words)`` a question may name a field by, best first.

    A camelCase word as typed (``concurrencyPolicy``), then an owner and its field ("a
    container's resources", "the pod spec's tolerations"), then one word ("strategy").
    """
    free = [i for i in scan.free() if re.fullmatch(r"[a-z][a-z0-9]{2,}", scan.words[i])
            and scan.words[i] not in FILLERS and scan.words[i] not in _KIND_WORDS
            and scan.words[i] not in _FIELD_WORDS]
    Candidate = tuple[tuple[int, ...], tuple[str, ...]]
    camel: list[Candidate] = [((i,), (scan.orig[i],)) for i in free
             if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", scan.orig[i])]
    pairs: list[Candidate] = [((i, i + 1), (scan.words[i], scan.words[i + 1]))
                              for i in free if i + 1 in free]
    return camel + pairs + [((i,), (scan.words[i],)) for i in free
                            if scan.words[i] not in NOT_NAMES] + [
        ((i,), (scan.words[i],)) for i in free if scan.words[i] in NOT_NAMES]  # "metrics"


#: Words that say "a field" without naming one ("the hpa metrics field").
_FIELD_WORDS = frozenset("field fields property properties attribute attributes setting "
                         "settings section take takes accept accepts have has".split())


def read_model_field(scan: Scan, draft: Draft, table: ResourceTable) -> None:
    """Read a field the question names on its one kind ("its node selector", "the taints").

    Only words no other rule read, and only a field of the kind's own model near its top
    (:func:`~kubechat_lab.translate.rules.fields.field_jsonpath`): the read shows that field
    (``-o jsonpath`` for one object, a column beside each name for a list). A word that is no
    field stays unread, and the question is refused for it.
    """
    if draft.intent not in ("get", "describe") or len(draft.resources) != 1 or {
            "field", "columns", "label-columns"} & set(draft.extra) or draft.output:
        return
    found = table.lookup(draft.resources[0])
    if found is None:
        return
    candidates = _field_candidates(scan)
    free = [i for i in scan.free() if re.fullmatch(r"[a-z]{2,}", scan.words[i])]
    joined = [((i, i + 1), (scan.words[i] + scan.words[i + 1].capitalize(),))
              for i in free if i + 1 in free]  # "node selector": nodeSelector
    for indices, words in joined + candidates:
        if len(words) == 1 and (words[0] in FILLERS or words[0].lower() in NOT_NAMES) or any(
                scan.seen[i] for i in indices):  # the verb's own words ("exit code": describe)
            continue
        path = field_jsonpath(found[1].kind, found[1].version, words)
        if path is not None:
            for index in indices:
                scan.take_token(index)
            last = path.rsplit(".", 1)[-1]
            if last in _IN_THE_TABLE.get(draft.resources[0], ()):
                draft.assumptions.append(f"kubectl's own table shows {last}")
                return  # "what port is the checkout svc on": the PORT(S) column
            draft.extra["field"] = "path:" + path
            draft.assumptions.append(f"{' '.join(words)!r} read as the field {path[1:]}")
            return


#: Fields kubectl's default table already shows as a column, per kind: a plain read answers.
_IN_THE_TABLE: dict[str, frozenset[str]] = {
    "services": frozenset({"ports", "type", "clusterIP", "externalIPs"}),
    "persistentvolumeclaims": frozenset({"capacity", "storageClassName", "accessModes",
                                         "volumeName"}),
    "persistentvolumes": frozenset({"capacity", "accessModes", "storageClassName",
                                    "persistentVolumeReclaimPolicy", "claimRef"}),
    "cronjobs": frozenset({"schedule", "suspend"}),
    "jobs": frozenset({"completions"}),
    "deployments": frozenset({"replicas"}),
    "statefulsets": frozenset({"replicas"}),
    "nodes": frozenset({"conditions"}),
    "pods": frozenset({"phase"}),
}


def _field_path_word(scan: Scan, draft: Draft, table: ResourceTable, resource: str) -> str | None:
    """Return the field path a question names (``spec.strategy``), checked against the kind.

    Raises
    ------
    CantTranslateError
        When the question names a field the kind does not have (no path is guessed).
    """
    field_words = [w for _, words in _field_candidates(scan) for w in words
                   if w not in ("spec", "status", "metadata")]
    for index in range(len(scan.words)):
        word = scan.orig[index]
        if "." not in word and field_words:
            continue  # "tolerations on a pod spec": the field named, under the spec
        if re.fullmatch(r"(?:spec|status|metadata)(?:\.[a-zA-Z][a-zA-Z0-9]*)*", word) and (
                "." in word or index + 1 == len(scan.words)
                or not scan.is_name(scan.words[index + 1]) or scan.used[index + 1]):
            scan.take_token(index)
            if draft.names and draft.names[-1] == word.lower():
                draft.names.pop()
            return word
    candidates = _field_candidates(scan)
    # explain takes no object name: "explain the deployment strategy" names a field
    candidates += [((), (name,)) for name in draft.names if re.fullmatch(r"[a-z]+", name)]
    found = table.lookup(resource)
    if not candidates or found is None:
        return None
    for indices, words in candidates:
        path = field_path(found[1].kind, found[1].version, words)
        if path is not None:
            for index in indices:
                scan.take_token(index)
            if not indices:
                draft.names.remove(words[0])
            return path
    named = [words for _, words in candidates if not all(w in NOT_NAMES for w in words)]
    if not named:
        return None  # only words of the vocabulary ("explain deployments"): no field named
    asked = " ".join(named[0])
    raise CantTranslateError(
        f"{resource} have no field {asked!r} that kubechat knows of",
        f"'explain {resource}' lists its fields; 'explain {resource}.spec --recursive' all of "
        "them")


def _build_explain(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    path = None
    typed = {scan.words[i]: scan.orig[i] for i in range(len(scan.words))}
    for word in [scan.words[i] for i in scan.free()] + list(draft.names):
        head, dot, rest = word.partition(".")
        found = table.lookup(head) if dot else None
        if found is not None and re.fullmatch(r"[a-z][a-zA-Z0-9.]*", rest):
            # "explain cronjob.spec.schedule": a path, even where it was read as a name
            path = f"{found[0]}.{typed.get(word, word).partition('.')[2]}"
            if word in draft.names:
                draft.names.remove(word)
            break
    recursive = list(scan.finditer(r"\b(?:recursive(?:ly)?|all (?:the )?fields|every field)\b"))
    for each in recursive:
        scan.take(each)
    if path is None:
        # a container's fields live in a pod's spec (and in every pod template)
        default = "pods" if scan.has(r"\bcontainers?\b") or (not draft.resources and any(
            field_path("Pod", "v1", (scan.words[i],)) for i in scan.free()
            if scan.words[i] not in FILLERS and len(scan.words[i]) > 3)) else None
        resource = one_resource(draft, default, "no resource named",
                                "'explain deployments' or 'explain pod.spec.containers'")
        field = _field_path_word(scan, draft, table, resource)
        path = f"{resource}.{field}" if field else resource
    argv = ["explain", path]
    if recursive:
        argv.append("--recursive")
    return argv


def _build_simple(verb: str) -> Builder:
    def build(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
        argv = [verb]
        if verb == "api-resources":
            if scan.has(r"\b(?:cluster[- ]?(?:scoped|wide|level)|non-?namespaced|not namespaced)"):
                argv.append("--namespaced=false")
            elif scan.has(r"\bnamespaced\b"):
                argv.append("--namespaced=true")
            verbs = scan.search(r"\b(?:support|supports|supporting|allow|allows|with|can i|can we|"
                                r"could i|may i) (?:the )?(list|watch|get|create|delete|patch|"
                                r"update)(?: verb)?\b")
            if verbs:  # "resource types that support list"
                argv.append(f"--verbs={verbs.group(1)}")
                scan.take(verbs)
            dotted = [n for n in draft.names if re.fullmatch(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+", n)]
            if dotted:
                argv.append(f"--api-group={dotted[0]}")  # "what does metrics.k8s.io serve"
            for group in [] if dotted else list(scan.finditer(
                    r"\b([a-z0-9][a-z0-9.\-]*) (?:api )?group\b"
                    r"|\b(?:api )?group ([a-z0-9][a-z0-9.\-]*)"
                    r"|\b([a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:io|com|dev|org|net))\b")):
                named = next(g for g in group.groups() if g)
                if named in NOT_NAMES or named in FILLERS or named == "api":
                    continue  # "the api group ...", "does the group have"
                argv.append(f"--api-group={named}")
                scan.take(group)
                break
            if draft.output in ("wide", "name"):
                argv += ["-o", draft.output]
        if verb == "version" and scan.has(r"\bclient\b|\bkubectl version\b") and not scan.has(
                r"\b(?:server|cluster|api ?server|control plane)\b"):  # "client and server"
            argv.append("--client")
        if verb == "version" and draft.output in ("yaml", "json"):
            argv += ["-o", draft.output]
        return argv

    return build


BUILDERS: dict[str, Builder] = {
    "get": _build_get,
    "describe": _build_describe,
    "logs": _build_logs,
    "top": _build_top,
    "explain": _build_explain,
    "version": _build_simple("version"),
    "cluster-info": _build_simple("cluster-info"),
    "api-resources": _build_simple("api-resources"),
    "api-versions": _build_simple("api-versions"),
    "auth-whoami": lambda draft, scan, table: ["auth", "whoami"],
}
