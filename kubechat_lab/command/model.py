"""The typed kubectl command (``Command``) and the resource table that names resources."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubechat_lab.errors import CommandError

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "BUILTIN_GROUPS",
    "DEFAULT_RESOURCES",
    "READ_VERBS",
    "VERBS",
    "WRITE_VERBS",
    "Command",
    "ResourceInfo",
    "ResourceTable",
]

#: Verbs that only read cluster state (``rollout``, ``set``, ``apply`` depend on the subverb).
READ_VERBS: frozenset[str] = frozenset(
    {
        "api-resources",
        "api-versions",
        "auth",
        "cluster-info",
        "describe",
        "events",
        "explain",
        "get",
        "logs",
        "top",
        "version",
        "wait",
    }
)

#: Verbs that change cluster state.
WRITE_VERBS: frozenset[str] = frozenset(
    {
        "annotate",
        "apply",
        "autoscale",
        "cordon",
        "create",
        "delete",
        "drain",
        "label",
        "patch",
        "replace",
        "rollout",
        "scale",
        "set",
        "taint",
        "uncordon",
    }
)

#: Every verb the grammar understands.
VERBS: frozenset[str] = READ_VERBS | WRITE_VERBS

_READ_ROLLOUT = frozenset({"status", "history"})

#: API groups whose resources are named by their bare plural (``deployments``, not
#: ``deployments.apps``); resources of any other group (CRDs) are named ``plural.group``.
BUILTIN_GROUPS: frozenset[str] = frozenset(
    {
        "",
        "admissionregistration.k8s.io",
        "apiextensions.k8s.io",
        "apiregistration.k8s.io",
        "apps",
        "autoscaling",
        "batch",
        "certificates.k8s.io",
        "coordination.k8s.io",
        "discovery.k8s.io",
        "events.k8s.io",
        "flowcontrol.apiserver.k8s.io",
        "metrics.k8s.io",
        "networking.k8s.io",
        "node.k8s.io",
        "policy",
        "rbac.authorization.k8s.io",
        "resource.k8s.io",
        "scheduling.k8s.io",
        "storage.k8s.io",
    }
)


@dataclass(frozen=True, slots=True)
class Command:
    """One kubectl command line, parsed, validated and immutable.

    Build it with :func:`kubechat_lab.command.parse`; :meth:`render` gives back the one
    canonical string, and ``parse(render(c)) == c``. New values come from
    ``dataclasses.replace``. The fields are documented in COMMAND-API (the contract).

    Parameters
    ----------
    verb
        The kubectl verb (``get``, ``rollout``, ...), one of :data:`VERBS`.
    subverb
        ``rollout``/``set``/``auth``/``top``/``create``/``apply`` sub-command, else None.
    resources
        Canonical resource names (``pods``, ``widgets.example.com``); empty when none.
    names
        Object names (also the names of ``TYPE/NAME`` arguments).
    targets
        ``(resource, name)`` pairs when the command was written ``TYPE/NAME``.
    namespace
        ``-n/--namespace``.
    all_namespaces
        ``-A/--all-namespaces``.
    selector
        ``-l/--selector``, canonical spacing.
    field_selector
        ``--field-selector``, canonical spacing.
    output
        ``-o/--output`` value.
    flags
        Every other flag as ``(long name, value)``, sorted by name; booleans are ``"true"``.
    args
        Positional arguments that are not object names (``key=value`` labels, taints, ...).
        For ``create deployment|job|cronjob`` a ``"--"`` element starts the container command.
    manifest
        Inline manifest text for ``-f -`` (never a path); None when not supplied.
    """

    verb: str
    subverb: str | None = None
    resources: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    targets: tuple[tuple[str, str], ...] = ()
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    output: str | None = None
    flags: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    manifest: str | None = field(default=None, repr=False)

    def flag(self, name: str) -> str | None:
        """Return the (first) value of flag ``name`` (long name, no dashes), or None."""
        for key, value in self.flags:
            if key == name:
                return value
        return None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Return every value of a repeatable flag (``--from-literal``, ``--for``, ...)."""
        return tuple(value for key, value in self.flags if key == name)

    def has_flag(self, name: str) -> bool:
        """Return True when flag ``name`` is present with any value."""
        return any(key == name for key, _ in self.flags)

    @property
    def is_write(self) -> bool:
        """True when running the command changes cluster state (``--dry-run`` is ignored)."""
        verb = self.verb
        if verb not in WRITE_VERBS:
            return False
        if verb == "rollout":
            return self.subverb not in _READ_ROLLOUT
        if verb == "apply":
            return self.subverb is None
        if verb in ("label", "annotate") or (verb == "set" and self.subverb == "env"):
            return self.flag("list") != "true"
        return True

    @property
    def is_dry_run(self) -> bool:
        """True when ``--dry-run`` is ``client`` or ``server`` (nothing is persisted)."""
        return self.flag("dry-run") in ("client", "server")

    def render(self) -> str:
        """Return the canonical kubectl string (same as ``render(self)``)."""
        from kubechat_lab.command._render import render

        return render(self)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict of every field plus ``"canonical"`` (the rendered line)."""
        return {
            "verb": self.verb,
            "subverb": self.subverb,
            "resources": list(self.resources),
            "names": list(self.names),
            "targets": [list(pair) for pair in self.targets],
            "namespace": self.namespace,
            "all_namespaces": self.all_namespaces,
            "selector": self.selector,
            "field_selector": self.field_selector,
            "output": self.output,
            "flags": [list(pair) for pair in self.flags],
            "args": list(self.args),
            "manifest": self.manifest,
            "canonical": self.render(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], *, resources: ResourceTable | None = None
    ) -> Self:
        """Rebuild a Command from :meth:`to_dict` output, validating it through the grammar.

        Raises
        ------
        CommandError
            When a field has the wrong type or the command is not what the grammar would
            produce for its own canonical string (reason ``"invalid-command"``).
        """
        try:
            cmd = cls(
                verb=_as_str(data["verb"], "verb"),
                subverb=_as_opt_str(data.get("subverb"), "subverb"),
                resources=_as_strs(data.get("resources", ()), "resources"),
                names=_as_strs(data.get("names", ()), "names"),
                targets=_as_pairs(data.get("targets", ()), "targets"),
                namespace=_as_opt_str(data.get("namespace"), "namespace"),
                all_namespaces=bool(data.get("all_namespaces", False)),
                selector=_as_opt_str(data.get("selector"), "selector"),
                field_selector=_as_opt_str(data.get("field_selector"), "field_selector"),
                output=_as_opt_str(data.get("output"), "output"),
                flags=_as_pairs(data.get("flags", ()), "flags"),
                args=_as_strs(data.get("args", ()), "args"),
                manifest=_as_opt_str(data.get("manifest"), "manifest"),
            )
        except KeyError as exc:
            raise CommandError(
                f"command dict has no {exc.args[0]!r} field; pass the output of Command.to_dict()",
                reason="invalid-command",
            ) from exc
        from kubechat_lab.command._grammar import parse

        again = parse(cmd.render(), resources=resources, manifest=cmd.manifest)
        if again != cmd:
            raise CommandError(
                f"command dict is not canonical: it renders as {cmd.render()!r}, which parses "
                "to a different command; build commands with kubechat_lab.command.parse()",
                reason="invalid-command",
            )
        return cmd


def _as_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise CommandError(
            f"command field {name!r} must be a string, got {value!r}", reason="invalid-command"
        )
    return value


def _as_opt_str(value: object, name: str) -> str | None:
    return None if value is None else _as_str(value, name)


def _as_strs(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CommandError(
            f"command field {name!r} must be a list of strings, got {value!r}",
            reason="invalid-command",
        )
    return tuple(_as_str(item, name) for item in value)


def _as_pairs(value: object, name: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CommandError(
            f"command field {name!r} must be a list of [key, value] pairs, got {value!r}",
            reason="invalid-command",
        )
    pairs = []
    for item in value:
        items = _as_strs(item, name)
        if len(items) != 2:
            raise CommandError(
                f"command field {name!r} holds {item!r}, not a [key, value] pair",
                reason="invalid-command",
            )
        pairs.append((items[0], items[1]))
    return tuple(pairs)


@dataclass(frozen=True, slots=True)
class ResourceInfo:
    """What the API server says about one resource type (discovery's ``APIResource``).

    Parameters
    ----------
    plural
        Lower-case plural (``deployments``); the name used in REST paths.
    singular
        Lower-case singular (``deployment``).
    kind
        The object kind (``Deployment``).
    short_names
        kubectl short names (``deploy``).
    group
        API group, ``""`` for the core group.
    version
        Preferred version (``v1``).
    namespaced
        True for namespaced resources.
    """

    plural: str
    singular: str
    kind: str
    short_names: tuple[str, ...] = ()
    group: str = ""
    version: str = "v1"
    namespaced: bool = True

    @property
    def group_version(self) -> str:
        """``apps/v1``, or ``v1`` for the core group."""
        return f"{self.group}/{self.version}" if self.group else self.version


class ResourceTable:
    """Maps plural, singular, kind and short names to :class:`ResourceInfo` (case-insensitive).

    Immutable: :meth:`with_resources` returns a new table (CRDs found by cluster discovery).
    Canonical names are the plural for built-in API groups and ``plural.group`` otherwise.

    Parameters
    ----------
    infos
        The resources, in preference order: on a clash of names the first one wins.
    """

    __slots__ = ("_aliases", "_by_base", "_by_canonical", "_infos")

    def __init__(self, infos: Iterable[ResourceInfo]) -> None:
        ordered: dict[tuple[str, str], ResourceInfo] = {}
        for info in infos:
            ordered[(info.plural, info.group)] = info
        self._infos: tuple[ResourceInfo, ...] = tuple(ordered.values())
        self._by_canonical: dict[str, ResourceInfo] = {}
        self._aliases: dict[str, str] = {}
        self._by_base: dict[str, list[tuple[str, ResourceInfo]]] = {}
        for info in self._infos:
            canonical = info.plural
            if info.group not in BUILTIN_GROUPS or canonical in self._by_canonical:
                canonical = f"{info.plural}.{info.group}" if info.group else info.plural
            if canonical in self._by_canonical:
                continue
            self._by_canonical[canonical] = info
            names = (info.plural, info.singular, info.kind.lower(), *info.short_names)
            for name in names:
                name = name.lower()
                if name:
                    self._aliases.setdefault(name, canonical)
                    self._by_base.setdefault(name, []).append((canonical, info))
                    if info.group:
                        self._aliases.setdefault(f"{name}.{info.group}", canonical)
            self._aliases.setdefault(canonical, canonical)

    def with_resources(self, infos: Iterable[ResourceInfo]) -> ResourceTable:
        """Return a new table with ``infos`` added (same plural and group: replaced).

        Built-in names keep their meaning: a discovered resource whose short name clashes
        with a built-in one is still reachable as ``plural.group``.
        """
        return ResourceTable((*self._infos, *infos))

    def lookup(self, name: str) -> tuple[str, ResourceInfo] | None:
        """Return ``(canonical name, info)`` for any spelling of a resource, or None.

        Accepts ``pods``, ``pod``, ``Pod``, ``po``, ``deployments.apps``,
        ``deployments.v1.apps`` and ``widgets.example.com``.
        """
        key = name.lower()
        canonical = self._aliases.get(key)
        if canonical is not None:
            return canonical, self._by_canonical[canonical]
        base, dot, rest = key.partition(".")
        if not dot:
            return None
        for canonical, info in self._by_base.get(base, ()):
            if rest == info.group or rest == f"{info.version}.{info.group}".rstrip("."):
                return canonical, info
        return None

    def resolve(self, name: str) -> tuple[str, ResourceInfo]:
        """Like :meth:`lookup` but raise ``CommandError("unknown-resource")`` with suggestions."""
        found = self.lookup(name)
        if found is None:
            close = difflib.get_close_matches(name.lower(), list(self._aliases), n=3, cutoff=0.75)
            hint = f"; did you mean {' or '.join(close)}?" if close else (
                "; run `kubectl api-resources` to list the resource types"
            )
            raise CommandError(
                f"unknown resource type {name!r}{hint}", reason="unknown-resource"
            )
        return found

    def info(self, canonical: str) -> ResourceInfo:
        """Return the :class:`ResourceInfo` of a canonical name (as found in ``Command``)."""
        try:
            return self._by_canonical[canonical]
        except KeyError:
            raise CommandError(
                f"unknown canonical resource {canonical!r}", reason="unknown-resource"
            ) from None

    def __iter__(self) -> Iterator[ResourceInfo]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.lookup(name) is not None

    def __repr__(self) -> str:
        return f"ResourceTable({len(self._infos)} resources)"


def _builtin() -> ResourceTable:
    from kubechat_lab.command._builtin import BUILTIN_RESOURCES

    return ResourceTable(BUILTIN_RESOURCES)


#: The built-in resource table (Kubernetes 1.36 core and built-in groups).
DEFAULT_RESOURCES: ResourceTable = _builtin()
