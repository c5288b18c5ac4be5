"""What the policy rules look at: facts derived once from a Command and its context."""

from __future__ import annotations

from functools import lru_cache

from kubechat_lab.command import DEFAULT_RESOURCES, Command, CommandError, ResourceTable
from kubechat_lab.command import manifest_objects as _manifest_objects
from kubechat_lab.policy._findings import findings_of
from kubechat_lab.policy._model import PolicyContext
from kubechat_lab.policy._written import GENERATED_RESOURCES as _GENERATED

__all__ = ["Facts", "facts_of"]

_NODE_VERBS = frozenset({"cordon", "uncordon", "drain", "taint"})
_MANIFEST_VERBS = frozenset({"apply", "create", "replace"})
_EMPTY: frozenset[str] = frozenset()


class Facts:
    """The parts of a command (and its context) that rules match, computed once."""

    __slots__ = ("all_namespaces", "args", "bulk", "command", "dry_run", "findings", "flags",
                 "names", "namespaces", "output", "protected", "resources", "subverb", "user",
                 "verb", "write")

    def __init__(self, command: Command) -> None:
        self.command = command
        self.verb = command.verb
        self.subverb = command.subverb
        self.output = command.output
        self.args = command.args
        self.all_namespaces = command.all_namespaces
        self.write = command.is_write
        self.dry_run = command.is_dry_run
        self.flags: dict[str, tuple[str, ...]] = {}
        for name, value in command.flags:
            self.flags[name] = (*self.flags.get(name, ()), value)
        self.resources: frozenset[str] = _EMPTY
        self.names: tuple[str, ...] = command.names
        self.namespaces: tuple[str, ...] = ()
        self.protected: tuple[str, ...] = ()
        self.bulk = False
        self.user: str | None = None
        self.findings: dict[str, tuple[str, ...]] = {}

    def format_fields(self) -> dict[str, str]:
        """Values for the ``{placeholders}`` of rule reasons, computed when first used."""
        return _Fields(self)

    def field(self, key: str) -> str:
        """Return the value of one reason placeholder."""
        cmd = self.command
        if key == "verb":
            return f"{cmd.verb} {cmd.subverb}" if cmd.subverb else cmd.verb
        if key == "resources":
            return ", ".join(sorted(self.resources)) or "objects"
        if key == "names":
            return ", ".join(self.names) or "(none)"
        if key == "target":
            if cmd.targets:
                return ", ".join(f"{kind}/{name}" for kind, name in cmd.targets)
            names = ", ".join(self.names)
            if names:
                return f"{self.field('resources')} {names}" if self.resources else names
            return f"all {self.field('resources')}" if self.resources else "the cluster"
        if key == "namespace":
            return ", ".join(self.protected or self.namespaces) or "(cluster scope)"
        if key == "scope":
            return self.scope()
        if key == "user":
            return self.user or "(unknown)"
        raise KeyError(key)

    def detail(self, names: frozenset[str] | None) -> str:
        """Return the details of the findings ``names`` (all findings for None)."""
        details = [d for name, found in self.findings.items()
                   if names is None or name in names for d in found]
        if len(details) > 3:
            return "; ".join(details[:3]) + f"; and {len(details) - 3} more"
        return "; ".join(details) or "(no detail)"

    def scope(self) -> str:
        """Describe how a bulk command selects objects."""
        cmd = self.command
        parts = []
        if cmd.all_namespaces:
            parts.append("every namespace (-A)")
        if cmd.flag("all") == "true":
            parts.append("--all")
        if cmd.selector:
            parts.append(f"every object matching -l {cmd.selector}")
        if cmd.field_selector:
            parts.append(f"every object matching --field-selector {cmd.field_selector}")
        if not parts and self.resources and not cmd.names:
            parts.append(f"every {', '.join(sorted(self.resources))} in the namespace")
        return "; ".join(parts) or "named objects"


class _Fields(dict[str, str]):
    """Reason placeholders, each computed on first use (most reasons need one or two)."""

    def __init__(self, facts: Facts) -> None:
        super().__init__()
        self.facts = facts

    def __missing__(self, key: str) -> str:
        value = self.facts.field(key)
        self[key] = value
        return value


@lru_cache(maxsize=256)
def _manifest(text: str) -> tuple[tuple[str, str, str | None], ...]:
    """(canonical resource, name, namespace) of each object of a manifest."""
    out = []
    for obj in _manifest_objects(text):
        kind = str(obj.get("kind", ""))
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        found = DEFAULT_RESOURCES.lookup(kind)
        resource = found[0] if found else kind.lower()
        namespace = meta.get("namespace")
        out.append((resource, str(meta.get("name", "")),
                    str(namespace) if namespace is not None else None))
    return tuple(out)


def facts_of(
    command: Command,
    context: PolicyContext | None,
    protected: frozenset[str],
    table: ResourceTable = DEFAULT_RESOURCES,
    registries: tuple[str, ...] = (),
) -> Facts:
    """Derive the :class:`Facts` of ``command`` run by ``context``.

    ``protected`` are the protected namespaces, ``registries`` the allowed image registries
    (empty: any).
    """
    facts = Facts(command)
    verb = command.verb
    resources = set(command.resources)
    names = list(command.names)
    default_ns = command.namespace or (context.namespace if context else None) or "default"
    namespaces: set[str] = set()
    if verb == "create" and command.subverb in _GENERATED:
        resources.add(_GENERATED[command.subverb])
    elif verb == "top" and command.subverb:
        resources.add(command.subverb)
    elif verb in _NODE_VERBS:
        resources.add("nodes")
    elif verb == "logs" and not resources:
        resources.add("pods")
    if command.manifest is not None:
        try:
            objects = _manifest(command.manifest)
        except CommandError:
            objects = ()
        for resource, name, namespace in objects:
            resources.add(resource)
            if name:
                names.append(name)
            if _namespaced(resource, table):
                namespaces.add(namespace or default_ns)
            if resource == "namespaces" and name:
                namespaces.add(name)
    if any(_namespaced(r, table) for r in resources) or (
        not resources and verb not in _NODE_VERBS and verb not in _MANIFEST_VERBS
    ):
        namespaces.add(default_ns)
    if "namespaces" in resources:
        namespaces.update(names)
    facts.resources = frozenset(resources)
    facts.names = tuple(names)
    facts.namespaces = tuple(sorted(namespaces))
    if command.all_namespaces:
        facts.protected = tuple(sorted(protected))
    else:
        facts.protected = tuple(ns for ns in facts.namespaces if ns in protected)
    facts.bulk = bool(
        command.all_namespaces
        or command.selector
        or command.field_selector
        or command.flag("all") == "true"
        or (command.resources and not command.names and command.flag("filename") is None
            and verb not in _MANIFEST_VERBS)
    )
    facts.user = context.user if context else None
    facts.findings = findings_of(command, table, protected, registries,
                                 observe=context.observe if context else None)
    return facts


def _namespaced(resource: str, table: ResourceTable) -> bool:
    found = table.lookup(resource)
    return True if found is None else found[1].namespaced
