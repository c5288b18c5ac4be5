"""Output shapes: one field (``-o jsonpath``), chosen columns, labels as columns.

"what image is checkout running? just the image string", "cluster ip of the api svc, only
the ip", "TIMEOUT_MS in checkout-config", "table of pod name + image", "show the app and tier
labels as columns". :func:`extract_shapes` reads the request (before the kind is known);
:func:`shape_output` turns it into the ``-o`` value for the kind the builder settles on.
"""

from __future__ import annotations

import re

from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.scan import Scan

__all__ = ["extract_grouping", "extract_owner_lookup", "extract_placement", "extract_shapes",
           "shape_output"]

_WORKLOADS = ("deployments", "statefulsets", "daemonsets", "replicasets", "jobs")
_POD_SPEC = {
    "pods": ".spec",
    "cronjobs": ".spec.jobTemplate.spec.template.spec",
    **{kind: ".spec.template.spec" for kind in _WORKLOADS},
}

#: field -> (pattern that asks for it, whether it needs "just/only" to mean one field).
_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("image", r"\b(?:container )?images?(?: string| tags?| names?| versions?)?\b", True),
    ("cluster-ip", r"\bcluster[- ]?ips?\b", False),
    ("pod-ip", r"\bpod ips?\b", True),
    ("node-name", r"\b(?:which|what) node\b|\bnode name\b", True),
    ("schedule", r"\b(?:cron )?schedule\b|\bcron expression\b|\bcron\b", True),
    ("finalizers", r"\bfinali[sz]ers?\b|\b(?:delete|deletion) protection\b", False),
    ("grace", r"\b(?:termination )?grace ?period\b|\bhow long\b|\bbefore (?:it is |it gets |"
              r"getting )?(?:force |forcibly |hard )?killed\b|\bforce killed\b", False),
    ("restarts", r"\brestart count\b", True),
    ("selector", r"\b(?:(?:with|including|and|plus|show|showing) )?(?:its|their|the) "
                 r"(?:label )?selectors?\b", False),
    ("annotations", r"\b(?:its |their |the )?annotations\b(?! \S*=)", False),
    ("qos", r"\b(?:(?:with|including|and|plus|show|showing) )?(?:its |their |the )?"
            r"(?:qos(?: class(?:es)?)?|quality of service(?: class(?:es)?)?)\b", False),
    ("resources", r"(?<!backoff\x20)(?<!history\x20)\b(?:(?:cpu|memory|mem|ram|resource) )?"
                  r"(?:limits?|requests)"
                  r"(?: (?:and|&|/) (?:limits?|requests))?\b", False),
    ("ready-replicas", r"\breplicas? (?:are |is )?ready\b|\bready replicas\b", True),
    ("replicas", r"\b(?:how many )?replicas?(?: count)?\b", True),
)
_JUST = (r"\b(?:just|only) (?:the |that |this )?(?:value|string|expression|ip|number|field|name|"
         r"image|tag|one|it|bit|part|section)(?: string| value| itself)?\b|\bnothing else\b"
         r"|\b(?:just|only)\b|\bbare(?: string| value)?\b|\bvalue only\b")
#: A ConfigMap key as people write one: ``TIMEOUT_MS``, ``FEATURE_FLAGS``.
_KEY = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_SETTERS = frozenset("set change bump update raise lower make".split())


def extract_shapes(scan: Scan, draft: Draft) -> None:
    """Read a request for one field, chosen columns or label columns, and take its words."""
    _label_columns(scan, draft)
    if _columns(scan, draft):
        return
    key = _config_key(scan)
    if key is not None:
        draft.extra["field"] = f"data:{key}"
        cue = scan.search(_JUST)  # "only the value" is part of it
        if cue:
            scan.take(cue)
        return
    just = scan.search(_JUST) is not None
    setting = scan.has(r"\b(?:set|bump|raise|lower|give|change|update|increase|decrease)\b")
    for field, pattern, needs_just in _FIELDS:
        found = scan.search(pattern)
        if found is None or (needs_just and not just):
            continue
        if field == "resources" and setting and scan.has(r"\d"):
            continue  # "set the cpu limit of web to 500m" changes it: not a read of it
        draft.extra["field"] = field
        for each in list(scan.finditer(pattern)):
            scan.take(each)
        scan.take(found)
        cue = scan.search(_JUST)
        if cue:
            scan.take(cue)
        return


def extract_placement(scan: Scan, draft: Draft) -> None:
    """Read "which node did it land on": the pods with their NODE column (``-o wide``)."""
    found = scan.search(r"\b(?:which|what) (?:nodes?|workers?|hosts?|machines?) (?:did|do|does|"
                        r"is|are|was|were) (?:it|they|them|those|these|\S+) (?:land(?:ed)?|"
                        r"run(?:ning)?|get scheduled|scheduled|placed|sit(?:ting)?|live|"
                        r"end(?:ed)? up)(?: on)?\b")
    if found is None:
        return
    draft.output = draft.output or "wide"
    draft.extra["placement"] = "1"
    draft.assumptions.append("the NODE column of -o wide says where each pod runs")
    scan.take(found)


def extract_grouping(scan: Scan, draft: Draft) -> None:
    """Read "per node", "in each namespace": one list across the cluster, grouped in the frame.

    kubectl cannot count; the answer is every row (``-A``; ``-o wide`` for the node column),
    and the assumption says how to group the DataFrame.
    """
    found = scan.search(r"\b(?:per|each|every|by|on each|on every) (?:node|host|worker)s?\b"
                        r"|\b(?:does|do) (?:each|every) (?:node|host|worker) (?:have|run|hold)\b"
                        r"|\bover the (?:\d+ |three |3 )?(?:nodes|workers|hosts)\b")
    if found is not None:
        draft.extra["group"] = "node"
        draft.output = draft.output or "wide"
        draft.all_namespaces = draft.namespace is None
        draft.assumptions.append("every row comes back; group the DataFrame by its node column")
        scan.take(found)
        return
    across = scan.search(r"\bacross (?:all |every |each )?(?:the )?(?=(?:deployments?|"
                         r"statefulsets?|daemonsets?|pods?|services?|workloads?|jobs?|cronjobs?|"
                         r"configmaps?)\b)")
    if across is not None and draft.namespace is None:
        draft.all_namespaces = True  # "images across deployments": every one of them
        scan.take(across)
    found = scan.search(r"\b(?:per|each|every|by|in each|in every) (?:namespace|ns)s?\b"
                        r"|\bwhich (?:namespace|ns)\b(?= (?:\S+ ){1,2}(?:the )?(?:most|fewest"
                        r"|least|more|fewer)\b)")
    if found is not None:
        draft.extra["group"] = "namespace"
        draft.all_namespaces = draft.namespace is None
        draft.assumptions.append("every row comes back; group the DataFrame by its namespace "
                                 "column")
        scan.take(found)


def extract_owner_lookup(scan: Scan, draft: Draft) -> None:
    """Read "which service owns that cluster ip?": every one, with the columns to find it by.

    Runs after the namespaces are read: a namespace the question names is kept.
    """
    owner = scan.search(r"^(?:which|what) (?=(?:\S+ )?(?:services?|svcs?|pods?|nodes?)"
                        r" (?:owns?|has|holds?|is behind|matches) (?!the most|the least|most|"
                        r"least))")
    if owner is None:
        return
    draft.all_namespaces = draft.namespace is None
    draft.output = draft.output or "wide"
    draft.extra.pop("field", None)
    draft.extra["owner-lookup"] = "1"
    draft.assumptions.append("every one comes back (-o wide): find the value in the frame")


def _config_key(scan: Scan) -> str | None:
    """Return a ConfigMap key written as one (``TIMEOUT_MS``), if the question names one."""
    for index in scan.free():
        if index > 0 and scan.words[index - 1] in _SETTERS:
            continue  # "set TIMEOUT_MS to 3000" changes the key: not a read of it
        if _KEY.match(scan.orig[index]):
            scan.take_token(index)
            return scan.orig[index]
    return None


#: Well-known node labels people name by their last word.
_WELL_KNOWN_LABELS = {"zone": "topology.kubernetes.io/zone",
                      "region": "topology.kubernetes.io/region",
                      "instance type": "node.kubernetes.io/instance-type"}


def _label_columns(scan: Scan, draft: Draft) -> None:
    known = scan.search(r"\b(?:(?:each|every) (node) |its |their |the |per |by )?(zone|region|"
                        r"instance type)s?\b(?: (?:as|in) (?:an? |its )?(?:extra |own )?columns?"
                        r"| labels?)?")
    if known is not None:  # "each node's zone in its own column", "nodes per zone"
        draft.extra["label-columns"] = _WELL_KNOWN_LABELS[known.group(2)]
        if known.group(1) and "nodes" not in draft.resources:
            draft.resources.append("nodes")
        scan.take(known)
        return
    found = scan.search(r"\b(?:show |with |and )?(?:the )?([a-z0-9./-]+(?: (?:and|,) "
                        r"[a-z0-9./-]+)*) labels? as (?:a )?columns?\b")
    if found is None:
        return
    keys = [k for k in re.split(r"\s+(?:and|,)\s+|\s+", found.group(1)) if k not in ("and", ",")]
    draft.extra["label-columns"] = ",".join(keys)
    scan.take(found)


#: A column people ask for, as they write it; :func:`_column_path` says what it shows per kind.
_COLUMN = (r"(?:the |its |their )?(?:(?:pod |node |deploy(?:ment)? )?names?|namespaces?|images?|"
           r"nodes?|ips?|"
           r"status|phase|restarts?(?: counts?)?|(?:desired |ready )?replicas?(?: counts?)?|"
           r"replica counts?|(?:cpu|memory|mem) capacity|cpu|memory|schedule|qos(?: class)?|"
           r"age|creation time|created)(?: (?:it|they) (?:landed|runs?|is|are|sits?|lives?) on)?")
_LIST = _COLUMN + r"(?: ?(?:,|and|\+|\||/|&) ?" + _COLUMN + r")+"
#: After "columns:" the items may stand apart with nothing between ("name | node": the bars go).
_LOOSE_LIST = _COLUMN + r"(?: (?:(?:,|and|\+|\||/|&) )?" + _COLUMN + r")+"
_TABLE = r"(?:as (?:a )?table|as columns?|in columns?|(?:\w+ )?(?:table|columns?|cols?))"


def _columns(scan: Scan, draft: Draft) -> bool:
    """Read "as a table: name, desired replicas, image" (or "name + image table")."""
    found = scan.search(_TABLE + r"(?: of| with| showing)? ?:? ?(" + _LOOSE_LIST + r")\b") or \
        scan.search(r"(" + _LIST + r") " + _TABLE + r"\b") or \
        scan.search(r"(" + _LIST + r")(?: ,)? (?:that is it|that is all|only|nothing else|"
                    r"nothing more)\b")  # "name and node, that's it"
    if found is None:
        return False
    items = re.split(r" ?(?:,|\band\b|\+|\||/|&) ?", found.group(1))
    if len(items) == 1 or any(" " in i.strip() and not re.search(r" (?:it|they) ", i)
                              and not re.match(r"(?:the |its |their )?(?:pod|node|deploy|"
                                               r"deployment|desired|ready|replica|restart|cpu|"
                                               r"memory|mem|qos|creation) ", i.strip())
                              for i in items):
        items = re.findall(_COLUMN, found.group(1))  # "name node restarts": one word each
    words = [_column_word(item) for item in items if item.strip()]
    draft.extra["columns"] = ",".join(words)
    owner = re.search(r"\b(pod|node)s? names?\b", found.group(0))
    if owner and f"{owner.group(1)}s" not in draft.resources:  # "node name and its cpu"
        draft.resources.append(f"{owner.group(1)}s")
    scan.take(found)
    return True


def _column_word(item: str) -> str:
    """Return the column key of one item people listed ("desired replicas" -> replicas)."""
    item = re.sub(r" (?:it|they) \S+ on$", "", item.strip())  # "the node it landed on"
    item = re.sub(r"^(?:the |its |their )", "", item)
    item = re.sub(r"^(?:pod|node|deploy(?:ment)?) (?=names?$)", "", item)  # "pod name"
    for key, pattern in _COLUMN_KEYS:
        if re.fullmatch(pattern, item):
            return key
    return item


_COLUMN_KEYS: tuple[tuple[str, str], ...] = (
    ("name", r"names?"), ("namespace", r"namespaces?"), ("image", r"images?"),
    ("node", r"nodes?"), ("ip", r"ips?"), ("status", r"status"), ("phase", r"phase"),
    ("restarts", r"restarts?(?: counts?)?"), ("ready", r"ready replicas?(?: counts?)?"),
    ("replicas", r"(?:desired )?replicas?(?: counts?)?|replica counts?"),
    ("cpu", r"cpu(?: capacity)?"), ("memory", r"(?:memory|mem)(?: capacity)?"),
    ("schedule", r"schedule"), ("qos", r"qos(?: class)?"),
    ("created", r"age|creation time|created"),
)


def shape_output(draft: Draft, resource: str) -> str | None:
    """Return the ``-o`` value the shape request asks for on ``resource``, if any."""
    field = draft.extra.get("field")
    columns = draft.extra.get("columns")
    spec = _POD_SPEC.get(resource)
    if columns:
        parts = []
        for word in columns.split(","):
            path = _column_path(word, resource, spec)
            if path is None:
                return None
            parts.append(f"{word.upper()}:{path}")
        return "custom-columns=" + ",".join(parts)
    if field is None:
        return None
    path = _field_path(field, resource, spec)
    return f"jsonpath={{{path}}}" if path else None


def _column_path(word: str, resource: str, spec: str | None) -> str | None:
    """Return the path of column ``word`` on ``resource`` (None: that kind has no such column)."""
    pods = resource == "pods"
    paths = {
        "name": ".metadata.name", "namespace": ".metadata.namespace",
        "created": ".metadata.creationTimestamp",
        "image": f"{spec}.containers[*].image" if spec else None,
        "node": ".spec.nodeName" if pods else None,
        "ip": ".status.podIP" if pods else None,
        "status": ".status.phase" if pods else None,
        "phase": ".status.phase" if pods else None,
        "restarts": ".status.containerStatuses[*].restartCount" if pods else None,
        "qos": ".status.qosClass" if pods else None,
        "replicas": ".spec.replicas" if resource in _WORKLOADS else None,
        "ready": ".status.readyReplicas" if resource in _WORKLOADS else None,
        "cpu": ".status.capacity.cpu" if resource == "nodes" else None,
        "memory": ".status.capacity.memory" if resource == "nodes" else None,
        "schedule": ".spec.schedule" if resource == "cronjobs" else None,
    }
    return paths.get(word)


def _field_path(field: str, resource: str, spec: str | None) -> str | None:
    if field.startswith("data:"):
        return f".data.{field[5:]}" if resource == "configmaps" else None
    if field.startswith("path:"):  # a field of the kind's model (build_reads.read_model_field)
        return field[5:]
    paths = {
        "image": f"{spec}.containers[*].image" if spec else None,
        "cluster-ip": ".spec.clusterIP" if resource == "services" else None,
        "pod-ip": ".status.podIP" if resource == "pods" else None,
        "node-name": ".spec.nodeName" if resource == "pods" else None,
        "schedule": ".spec.schedule" if resource == "cronjobs" else None,
        "finalizers": ".metadata.finalizers",
        "grace": f"{spec}.terminationGracePeriodSeconds" if spec else None,
        "restarts": ".status.containerStatuses[*].restartCount" if resource == "pods" else None,
        "resources": f"{spec}.containers[*].resources" if spec else None,
        "selector": ".spec.selector" if resource in ("services", *_WORKLOADS) else None,
        "qos": ".status.qosClass" if resource == "pods" else None,
        "annotations": ".metadata.annotations",
        "ready-replicas": ".status.readyReplicas" if resource in _WORKLOADS else None,
        "replicas": ".spec.replicas" if resource in _WORKLOADS else None,
    }
    return paths.get(field)
