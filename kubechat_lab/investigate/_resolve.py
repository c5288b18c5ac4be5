"""Which one object a ``why`` names: from ``kind/name``, ``kind name``, or a name in prose.

Names are looked up in the inventory the translation grounding lists as the caller (so a
name the caller may not list is unknown). More than one match is refused with the choices.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kubechat_lab.investigate._model import KINDS, InvestigateError, Subject

__all__ = ["KIND_WORDS", "Matches", "match_subjects", "resolve_subject", "target_text"]

#: Words that name a kind (singular, plural, short name).
KIND_WORDS: dict[str, str] = {
    "pod": "pods", "pods": "pods", "po": "pods",
    "deployment": "deployments", "deployments": "deployments", "deploy": "deployments",
    "statefulset": "statefulsets", "statefulsets": "statefulsets", "sts": "statefulsets",
    "daemonset": "daemonsets", "daemonsets": "daemonsets", "ds": "daemonsets",
    "service": "services", "services": "services", "svc": "services",
    "node": "nodes", "nodes": "nodes", "no": "nodes",
    "job": "jobs", "jobs": "jobs",
    "pvc": "persistentvolumeclaims", "pvcs": "persistentvolumeclaims",
    "persistentvolumeclaim": "persistentvolumeclaims",
    "persistentvolumeclaims": "persistentvolumeclaims",
}
#: Words that point at a Service when a name is both a workload and a Service.
_SERVICE_HINTS = frozenset({"endpoint", "endpoints", "service", "svc", "traffic", "selector"})
#: The order a bare name is preferred in (a workload before its pods and its Service).
_PREFERENCE = ("deployments", "statefulsets", "daemonsets", "jobs", "pods", "services",
               "persistentvolumeclaims", "nodes")
_WORD = re.compile(r"-{0,2}[A-Za-z0-9](?:[A-Za-z0-9._/=-]*[A-Za-z0-9])?")

Inventory = Mapping[str, Sequence[tuple[str, str]]]


def _namespace(words: list[str], namespaces: tuple[str, ...]) -> str | None:
    for i, word in enumerate(words[:-1]):
        if word in ("-n", "--namespace", "in", "namespace") and words[i + 1] in namespaces:
            return words[i + 1]
        if word in ("-n", "--namespace"):
            return words[i + 1]
    for word in words:
        if word.startswith("--namespace="):
            return word.split("=", 1)[1]
    return None


@dataclass(frozen=True, slots=True)
class Matches:
    """What a text names: the kind word and namespace it gave, its words, the objects found.

    ``found`` is already narrowed by kind preference (a workload before its Service unless the
    text speaks of endpoints) and by ``default_namespace``; more than one is ambiguous.
    """

    kind: str | None
    namespace: str | None
    words: tuple[str, ...]
    found: tuple[Subject, ...]


def match_subjects(text: str, inventory: Inventory, namespaces: tuple[str, ...] = (),
                   default_namespace: str | None = None) -> Matches:
    """Return every object ``text`` names (see :func:`resolve_subject`), without raising."""
    words = [w.rstrip("?.,!:;") for w in _WORD.findall(text)]
    lowered = [w.lower() for w in words]
    namespace = _namespace(words, namespaces)
    kind: str | None = None
    names: list[str] = []
    for word, low in zip(words, lowered, strict=True):
        if "/" in word:
            head, _, tail = word.partition("/")
            if head.lower() in KIND_WORDS:
                kind, names = KIND_WORDS[head.lower()], [tail]
                break
        if low in KIND_WORDS and kind is None and low not in ("no", "po"):
            kind = KIND_WORDS[low]
            continue
        names.append(word)
    kinds = (kind,) if kind else KINDS
    matches: list[Subject] = []
    for resource in kinds:
        for ns, name in inventory.get(resource, ()):
            if name in names and (namespace is None or resource == "nodes" or ns == namespace):
                matches.append(Subject(resource, name, ns or None))
    if len({m.kind for m in matches}) > 1 and kind is None:
        wanted = "services" if _SERVICE_HINTS & set(lowered) else None
        order = ((wanted,) if wanted else ()) + _PREFERENCE
        best = min(order.index(m.kind) for m in matches)
        matches = [m for m in matches if order.index(m.kind) == best]
    if len(matches) > 1 and default_namespace:
        local = [m for m in matches if m.namespace == default_namespace]
        matches = local or matches
    return Matches(kind, namespace, tuple(words), tuple(matches))


def target_text(subject: Subject) -> str:
    """``KIND/NAME -n NAMESPACE``: the explicit form :func:`resolve_subject` reads back."""
    return f"{subject.kind[:-1]}/{subject.name}{subject.ns_flag}"


def resolve_subject(text: str, inventory: Inventory, namespaces: tuple[str, ...] = (),
                    default_namespace: str | None = None) -> Subject:
    """Return the one object ``text`` names.

    Parameters
    ----------
    text
        ``pod/web-1 -n shop``, ``deployment checkout in shop``, or a question
        (``why is recommendations pending?``).
    inventory
        ``{resource: ((namespace, name), ...)}`` as the caller may list it (namespace ``""``
        for cluster-scoped kinds).
    namespaces
        Namespace names (to read ``in NAMESPACE``).
    default_namespace
        Used only to break a tie between the same name in several namespaces.

    Raises
    ------
    InvestigateError
        Nothing, or more than one object, matches.
    """
    found = match_subjects(text, inventory, namespaces, default_namespace)
    kind, namespace, matches = found.kind, found.namespace, found.found
    if not matches:
        where = f" in namespace {namespace}" if namespace else ""
        what = f"no {kind[:-1]}" if kind else "no pod, workload, service, node, job or PVC"
        msg = (f"{what} that {text!r} names exists{where} (or you may not list it); name one "
               "as KIND/NAME -n NAMESPACE, e.g. %kubechat why deployment/checkout -n shop")
        raise InvestigateError(msg)
    if len(matches) > 1:
        listed = ", ".join(target_text(m) for m in matches[:6])
        msg = (f"{text!r} is ambiguous: it names {len(matches)} objects ({listed}); "
               "name one as KIND/NAME -n NAMESPACE")
        raise InvestigateError(msg)
    return matches[0]
