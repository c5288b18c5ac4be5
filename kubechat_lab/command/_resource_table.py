"""Resource types by every name kubectl accepts: ``ResourceInfo`` and ``ResourceTable``."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kubechat_lab.errors import CommandError

__all__ = ["BUILTIN_GROUPS", "ResourceInfo", "ResourceTable"]

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
