"""What a person types back to approve a dangerous command (browser card and ``kubechat run``).

The words name what will be hit, so typing them is reading them: the objects by name, a bulk
write by its kind, selector and namespace (``all pods in shop``), a manifest by its objects
(or, past three, their count by kind and namespace), and an RBAC binding by what it grants
to whom.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from kubechat_lab.command import DEFAULT_RESOURCES, Command, CommandError, manifest_objects

__all__ = ["confirmation_text"]

_RBAC = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"})
_MAX_LISTED = 3


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _grant(obj: Mapping[str, object]) -> str:
    """``grants cluster-admin to group devs`` for a binding; ``""`` for other objects."""
    kind = _text(obj.get("kind")).lower()
    if kind not in ("rolebinding", "clusterrolebinding"):
        return ""
    role = obj.get("roleRef")
    name = _text(role.get("name")) if isinstance(role, Mapping) else ""
    subjects = obj.get("subjects")
    who = []
    for subject in subjects if isinstance(subjects, list) else ():
        if isinstance(subject, Mapping):
            subject_kind = _text(subject.get("kind")).lower() or "subject"
            namespace = _text(subject.get("namespace"))
            who.append(f"{subject_kind} {namespace + ':' if namespace else ''}"
                       f"{_text(subject.get('name'))}")
    return f" grants {name or 'a role'} to {', '.join(who) or 'nobody'}"


def _plural(kind: str, count: int) -> str:
    found = DEFAULT_RESOURCES.lookup(kind)
    if found is not None:
        info = found[1]
        return info.plural if count != 1 else info.singular
    lowered = kind.lower()
    return lowered if count == 1 else f"{lowered}s"


def _namespaced(kind: str) -> bool:
    found = DEFAULT_RESOURCES.lookup(kind)
    return True if found is None else found[1].namespaced


def _manifest_text(command: Command, default_ns: str) -> str:
    try:
        objects = manifest_objects(command.manifest or "")
    except CommandError:
        return "the manifest"
    placed: list[tuple[str, str, str | None, Mapping[str, object]]] = []
    for obj in objects:
        kind = _text(obj.get("kind"))
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, Mapping) else {}
        name = _text(meta.get("name")) or _text(meta.get("generateName")) + "*"
        namespace = (_text(meta.get("namespace")) or default_ns) if _namespaced(kind) else None
        placed.append((kind, name, namespace, obj))
    if len(placed) <= _MAX_LISTED:
        return ", ".join(
            f"{_plural(kind, 1)}/{name}{' in ' + ns if ns else ''}{_grant(obj)}"
            for kind, name, ns, obj in placed)
    counts = Counter((kind, ns) for kind, _, ns, _ in placed)
    by_ns: dict[str | None, list[str]] = {}
    for (kind, ns), count in counts.items():
        by_ns.setdefault(ns, []).append(f"{count} {_plural(kind, count)}")
    return ", ".join(f"{' and '.join(kinds)}{' in ' + ns if ns else ''}"
                     for ns, kinds in by_ns.items())


def _generated_grant(command: Command) -> str:
    role = command.flag("clusterrole") or command.flag("role") or "a role"
    who = [f"group {g}" for g in command.flag_values("group")]
    who += [f"serviceaccount {s}" for s in command.flag_values("serviceaccount")]
    return f" grants {role} to {', '.join(who) or 'nobody'}"


def confirmation_text(command: Command, namespace: str | None = None) -> str:
    """Return what a user must type back to approve a dangerous ``command``.

    Parameters
    ----------
    command
        The command to approve.
    namespace
        The namespace a command without ``-n`` runs in (the context's); ``the current
        namespace`` when unknown.

    Returns
    -------
    str
        Object names (``web-1``); RBAC objects with their kind and what a binding grants
        (``clusterrolebinding/ops grants admin to group ops``); a bulk write by scope
        (``all pods in shop``, ``pods matching app=web in shop``); a manifest by its objects or
        their count by kind and namespace (``3 configmaps and 2 secrets in shop``). One rule
        for every approval path, so the browser and the CLI ask for the same words.
    """
    default_ns = command.namespace or namespace or "the current namespace"
    if command.manifest is not None:
        return _manifest_text(command, default_ns)
    rbac = [r for r in command.resources if r in _RBAC]
    sub = command.subverb or ""
    if command.verb == "create" and sub in ("role", "clusterrole", "rolebinding",
                                            "clusterrolebinding") and command.names:
        where = f" in {default_ns}" if not sub.startswith("cluster") else ""
        if sub.endswith("binding"):
            grant = _generated_grant(command)
        else:
            verbs = ",".join(command.flag_values("verb"))
            on = ",".join((*command.flag_values("resource"),
                           *command.flag_values("non-resource-url")))
            grant = f" allows {verbs or 'nothing'} on {on or 'aggregated roles'}"
        return f"{sub}/{command.names[0]}{where}{grant}"
    if command.targets:
        return " ".join(f"{_plural(kind, 1)}/{name}" if kind in _RBAC else name
                        for kind, name in command.targets)
    if command.names:
        if rbac:
            return " ".join(f"{_plural(rbac[0], 1)}/{name}" for name in command.names)
        return " ".join(command.names)
    kinds = ", ".join(command.resources) or "objects"
    if command.verb in ("cordon", "uncordon", "drain", "taint") and not command.resources:
        kinds = "nodes"
    scope = f"{kinds} matching {command.selector}" if command.selector else f"all {kinds}"
    if command.field_selector:
        scope += f" with {command.field_selector}"
    namespaced = any(_namespaced(r) for r in command.resources)
    if command.all_namespaces:
        return f"{scope} in every namespace"
    return f"{scope} in {default_ns}" if namespaced else scope
