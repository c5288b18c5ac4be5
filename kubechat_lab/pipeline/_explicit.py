"""Make every default explicit in the command that is shown: ``-n NS`` and blocking timeouts.

What a person approves is exactly what runs: a command without ``-n`` would run in the
context's namespace, so it is shown (and judged, and run) with ``-n <that namespace>``; a verb
that blocks (``wait``, ``rollout status``, ``drain``) is shown with the ``--timeout`` it runs
with. The grammar has the last word: a flag it would not accept for the verb is never added.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from kubechat_lab.command import CommandError, ResourceTable, manifest_objects, parse

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = [
    "BLOCKING_DEFAULTS",
    "blocking_seconds",
    "explicit_namespace",
    "explicit_timeout",
    "uses_namespace",
]

#: Verbs that block until a condition holds, with the timeout the cluster package uses when
#: none is given (shown explicitly, so the card says how long it may block).
BLOCKING_DEFAULTS: dict[tuple[str, str | None], str] = {
    ("wait", None): "30s",
    ("rollout", "status"): "60s",
    ("drain", None): "60s",
}

_NODE_VERBS = frozenset({"cordon", "uncordon", "drain", "taint"})
#: Verbs that never act in a namespace, whatever resource they name.
_CLUSTER_VERBS = frozenset({"explain", "api-resources", "api-versions", "version",
                            "cluster-info"})
_NAMESPACED_VERBS = frozenset({"logs", "events"})
_MANIFEST_VERBS = frozenset({"apply", "create", "replace", "delete"})


def _namespaced(name: str, table: ResourceTable) -> bool | None:
    found = table.lookup(name)
    return None if found is None else found[1].namespaced


def uses_namespace(command: Command, table: ResourceTable) -> bool:
    """Return whether ``command`` acts in the default namespace when it names none.

    True when any resource it touches is namespaced (``top pods``, ``create configmap``,
    ``logs POD``, a manifest object without ``metadata.namespace``); False for cluster-scoped
    work (nodes, namespaces, ``version``, ``api-resources``) and for manifests whose objects
    all name their namespace.
    """
    if command.namespace is not None or command.all_namespaces:
        return False
    verb = command.verb
    if command.manifest is not None and verb in _MANIFEST_VERBS:
        try:
            objects = manifest_objects(command.manifest)
        except CommandError:
            return False
        for obj in objects:
            meta = obj.get("metadata")
            has_ns = isinstance(meta, dict) and bool(meta.get("namespace"))
            if not has_ns and _namespaced(str(obj.get("kind", "")), table) is not False:
                return True
        return False
    if verb in _NODE_VERBS or verb in _CLUSTER_VERBS:
        return False
    if verb in _NAMESPACED_VERBS:
        return True
    names = list(command.resources)
    if verb == "top" and command.subverb:
        names.append(command.subverb)
    elif verb == "create" and command.subverb:
        names.append(command.subverb.split(" ")[0])
    # an unknown name (a category such as ``all``) is taken as namespaced, as the policy does
    return any(_namespaced(name, table) is not False for name in names)


def _reparsed(command: Command, changed: Command, table: ResourceTable) -> Command:
    """Return ``changed`` if the grammar accepts its canonical text, else ``command``."""
    try:
        again = parse(changed.render(), resources=table, manifest=changed.manifest)
    except CommandError:
        return command
    return again


def explicit_namespace(command: Command, namespace: str, table: ResourceTable) -> Command:
    """Return ``command`` with ``-n namespace`` when it would otherwise run there implicitly."""
    if not uses_namespace(command, table):
        return command
    return _reparsed(command, dataclasses.replace(command, namespace=namespace), table)


def explicit_timeout(command: Command, table: ResourceTable) -> Command:
    """Return ``command`` with the ``--timeout`` a blocking verb runs with, stated."""
    default = BLOCKING_DEFAULTS.get((command.verb, command.subverb))
    if default is None or command.flag("timeout") is not None:
        return command
    flags = tuple(sorted((*command.flags, ("timeout", default))))
    return _reparsed(command, dataclasses.replace(command, flags=flags), table)


def blocking_seconds(command: Command) -> float | None:
    """Return how long ``command`` may block in seconds (None: it does not block).

    Raises
    ------
    ValueError
        When ``--timeout`` is not a duration (the grammar checks it first, so this is a bug).
    """
    from kubechat_lab.cluster._units import parse_duration

    if (command.verb, command.subverb) not in BLOCKING_DEFAULTS:
        return None
    text = command.flag("timeout") or BLOCKING_DEFAULTS[(command.verb, command.subverb)]
    return parse_duration(text)
