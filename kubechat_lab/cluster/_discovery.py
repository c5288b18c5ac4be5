"""Resource discovery: what the API server serves (CRDs included) and the REST path of each."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from kubechat_lab.cluster._transport import Transport, path_quote
from kubechat_lab.command import DEFAULT_RESOURCES, ResourceInfo, ResourceTable
from kubechat_lab.errors import ClusterError, CommandError

__all__ = ["ApiResource", "Discovery"]

logger = logging.getLogger(__name__)

_ACCEPT_AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json"
)


@dataclass(frozen=True, slots=True)
class ApiResource:
    """One served resource type: its :class:`ResourceInfo` plus what discovery says of it."""

    info: ResourceInfo
    canonical: str
    verbs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def namespaced(self) -> bool:
        """True for namespaced resources."""
        return self.info.namespaced

    def path(
        self,
        namespace: str | None = None,
        name: str | None = None,
        subresource: str | None = None,
    ) -> str:
        """Return the REST path of the collection, or of one object when ``name`` is given.

        ``namespace`` is ignored for cluster-scoped resources; None lists every namespace.
        """
        info = self.info
        base = f"/apis/{info.group}/{info.version}" if info.group else f"/api/{info.version}"
        if info.namespaced and namespace:
            base += f"/namespaces/{path_quote(namespace)}"
        base += f"/{info.plural}"
        if name is not None:
            base += f"/{path_quote(name)}"
            if subresource:
                base += f"/{subresource}"
        return base


class Discovery:
    """The resource types served by one API server, fetched once and refreshed on a miss."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._lock = threading.Lock()
        self._resources: dict[tuple[str, str], ApiResource] | None = None
        self._table: ResourceTable | None = None
        self._group_versions: tuple[str, ...] = ()

    def table(self) -> ResourceTable:
        """Return a :class:`ResourceTable` of the built-in resources plus everything served."""
        self._ensure()
        return self._table or DEFAULT_RESOURCES

    def resources(self) -> tuple[ApiResource, ...]:
        """Every served resource type, core first, in the server's group order."""
        return tuple(self._ensure().values())

    def group_versions(self) -> tuple[str, ...]:
        """Every served group/version (``v1``, ``apps/v1``, ...), as ``kubectl api-versions``."""
        self._ensure()
        return self._group_versions

    def resolve(self, name: str, *, quick: bool = False) -> ApiResource:
        """Return the served resource for any spelling (``po``, ``deploy``, CRD plurals).

        With ``quick``, a built-in resource is answered from the built-in table while
        discovery has not been fetched yet (two round trips saved on a cold client; verbs,
        categories and subresources are then unknown, which reads do not need).

        Raises
        ------
        ClusterError
            404 ``NotFound`` when the server does not serve such a resource type (discovery
            is refreshed once first, so a just-created CRD is found).
        """
        if quick and self._resources is None:
            builtin = DEFAULT_RESOURCES.lookup(name)
            if builtin is not None:
                return ApiResource(builtin[1], builtin[0])
        found = self._find(name)
        if found is None:
            self.refresh()
            found = self._find(name)
        if found is None:
            try:
                self.table().resolve(name)
            except CommandError as exc:
                raise ClusterError(
                    f"the API server does not serve resource type {name!r}: {exc}",
                    status=404,
                    reason="NotFound",
                ) from exc
            raise ClusterError(
                f"the API server does not serve resource type {name!r} (its API group is not "
                "installed); list what it serves with `kubectl api-resources`",
                status=404,
                reason="NotFound",
            )
        return found

    def refresh(self) -> None:
        """Forget the cached discovery (the next lookup fetches it again)."""
        with self._lock:
            self._resources = None
            self._table = None

    # -- internals ------------------------------------------------------------------------------

    def _find(self, name: str) -> ApiResource | None:
        resources = self._ensure()
        table = self.table()
        found = table.lookup(name)
        if found is None:
            return None
        _, info = found
        return resources.get((info.plural, info.group))

    def _ensure(self) -> dict[tuple[str, str], ApiResource]:
        with self._lock:
            if self._resources is None:
                infos, group_versions = self._fetch()
                table = DEFAULT_RESOURCES.with_resources(entry[0] for entry in infos)
                resources: dict[tuple[str, str], ApiResource] = {}
                for info, verbs, categories, subresources in infos:
                    found = table.lookup(f"{info.plural}.{info.group}" if info.group
                                         else info.plural)
                    canonical = found[0] if found else info.plural
                    resources.setdefault(
                        (info.plural, info.group),
                        ApiResource(info, canonical, verbs, categories, subresources),
                    )
                self._resources = resources
                self._table = table
                self._group_versions = group_versions
            return self._resources

    def _fetch(
        self,
    ) -> tuple[
        list[tuple[ResourceInfo, tuple[str, ...], tuple[str, ...], tuple[str, ...]]],
        tuple[str, ...],
    ]:
        core = self._transport.get("/api", accept=_ACCEPT_AGGREGATED)
        groups = self._transport.get("/apis", accept=_ACCEPT_AGGREGATED)
        if core.get("kind") == "APIGroupDiscoveryList" and (
            groups.get("kind") == "APIGroupDiscoveryList"
        ):
            items = [*core.get("items", ()), *groups.get("items", ())]
            found = _from_aggregated(items)
        else:
            found = self._legacy(core, groups)
        infos, group_versions = found
        logger.info("kubernetes discovery resources=%d groups=%d", len(infos),
                    len(group_versions))
        return infos, group_versions

    def _legacy(
        self, core: dict[str, Any], groups: dict[str, Any]
    ) -> tuple[
        list[tuple[ResourceInfo, tuple[str, ...], tuple[str, ...], tuple[str, ...]]],
        tuple[str, ...],
    ]:
        lists: list[tuple[str, str, dict[str, Any]]] = []
        for version in core.get("versions", ()):
            lists.append(("", version, self._transport.get(f"/api/{version}")))
        for group in groups.get("groups", ()):
            versions = [v["version"] for v in group.get("versions", ())]
            preferred = (group.get("preferredVersion") or {}).get("version")
            if preferred in versions:
                versions.remove(preferred)
                versions.insert(0, preferred)
            for version in versions:
                try:
                    doc = self._transport.get(f"/apis/{group['name']}/{version}")
                except ClusterError as exc:  # an unavailable aggregated API: skip it
                    logger.warning("discovery skipped group=%s/%s: %s", group["name"],
                                   version, exc)
                    continue
                lists.append((group["name"], version, doc))
        infos = []
        seen: set[tuple[str, str]] = set()
        group_versions: list[str] = []
        for group_name, version, doc in lists:
            group_versions.append(f"{group_name}/{version}" if group_name else version)
            subs: dict[str, list[str]] = {}
            for res in doc.get("resources", ()):
                base, _, sub = res["name"].partition("/")
                if sub:
                    subs.setdefault(base, []).append(sub)
            for res in doc.get("resources", ()):
                plural = res["name"]
                if "/" in plural or (plural, group_name) in seen:
                    continue
                seen.add((plural, group_name))
                info = ResourceInfo(
                    plural=plural,
                    singular=res.get("singularName") or plural,
                    kind=res.get("kind", ""),
                    short_names=tuple(res.get("shortNames") or ()),
                    group=group_name,
                    version=version,
                    namespaced=bool(res.get("namespaced")),
                )
                infos.append((info, tuple(res.get("verbs") or ()),
                              tuple(res.get("categories") or ()), tuple(subs.get(plural, ()))))
        return infos, tuple(group_versions)


def _from_aggregated(
    items: list[dict[str, Any]],
) -> tuple[
    list[tuple[ResourceInfo, tuple[str, ...], tuple[str, ...], tuple[str, ...]]],
    tuple[str, ...],
]:
    infos = []
    seen: set[tuple[str, str]] = set()
    group_versions: list[str] = []
    for item in items:
        group_name = (item.get("metadata") or {}).get("name") or ""
        for version_doc in item.get("versions") or ():
            version = version_doc["version"]
            group_versions.append(f"{group_name}/{version}" if group_name else version)
            for res in version_doc.get("resources") or ():
                plural = res["resource"]
                if (plural, group_name) in seen:
                    continue  # a less preferred version of a resource already listed
                seen.add((plural, group_name))
                kind = (res.get("responseKind") or {}).get("kind", "")
                info = ResourceInfo(
                    plural=plural,
                    singular=res.get("singularResource") or kind.lower() or plural,
                    kind=kind,
                    short_names=tuple(res.get("shortNames") or ()),
                    group=group_name,
                    version=version,
                    namespaced=res.get("scope") == "Namespaced",
                )
                subresources = tuple(s["subresource"] for s in res.get("subresources") or ())
                infos.append((info, tuple(res.get("verbs") or ()),
                              tuple(res.get("categories") or ()), subresources))
    return infos, tuple(group_versions)
