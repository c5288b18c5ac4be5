"""What every verb needs: the transport, discovery, and how a Command names its objects."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._diff import redact_secret
from kubechat_lab.cluster._discovery import ApiResource, Discovery
from kubechat_lab.cluster._transport import Transport
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["Context", "Target", "holds_secrets"]


def holds_secrets(resource: ApiResource) -> bool:
    """Return True for core/v1 Secrets, whose values every read redacts as they arrive."""
    return resource.info.kind == "Secret" and resource.info.group == ""


@dataclass(frozen=True, slots=True)
class Target:
    """One object a command acts on."""

    resource: ApiResource
    namespace: str | None
    name: str


@dataclass(frozen=True, slots=True)
class Context:
    """The transport and discovery of one client identity."""

    transport: Transport
    discovery: Discovery

    def namespace(self, cmd: Command, resource: ApiResource | None = None) -> str | None:
        """Return the namespace a command works in: None for ``-A`` or a cluster-scoped resource."""
        if resource is not None and not resource.namespaced:
            return None
        if cmd.all_namespaces:
            return None
        return cmd.namespace or self.transport.default_namespace

    def groups(
        self, cmd: Command, *, default: str | None = None, quick: bool = False
    ) -> list[tuple[ApiResource, tuple[str, ...]]]:
        """Return the resource types of a command with the names given for each, in order.

        ``get deploy/a svc/b`` gives two groups of one name; ``get pods a b`` one group of two;
        ``get pods`` one group with no names. ``default`` is used when no type is given;
        ``quick`` lets built-in types skip discovery (reads only).
        """
        if cmd.targets:
            grouped: dict[str, list[str]] = {}
            for resource, name in cmd.targets:
                grouped.setdefault(resource, []).append(name)
            return [(self.discovery.resolve(r, quick=quick), tuple(n))
                    for r, n in grouped.items()]
        resources = list(cmd.resources)
        if not resources:
            if default is None:
                raise ClusterError(
                    f"`kubectl {cmd.verb}` needs a resource type (e.g. pods)",
                    status=400,
                    reason="BadRequest",
                )
            resources = [default]
        expanded: list[ApiResource] = []
        for name in resources:
            if name == "all":
                expanded.extend(self._category("all"))
            else:
                expanded.append(self.discovery.resolve(name, quick=quick))
        if len(expanded) == 1:
            return [(expanded[0], tuple(cmd.names))]
        if cmd.names:
            raise ClusterError(
                "names need exactly one resource type: write TYPE/NAME pairs instead "
                f"(e.g. {expanded[0].canonical}/{cmd.names[0]})",
                status=400,
                reason="BadRequest",
            )
        return [(resource, ()) for resource in expanded]

    def _category(self, category: str) -> list[ApiResource]:
        return [r for r in self.discovery.resources() if category in r.categories]

    def targets(self, cmd: Command, *, default: str | None = None) -> list[Target]:
        """Every object a write names: by name, or found by selector / ``--all``.

        Raises
        ------
        ClusterError
            400 when the command names no object and has neither a selector nor ``--all``.
        """
        found: list[Target] = []
        for resource, names in self.groups(cmd, default=default):
            namespace = self.namespace(cmd, resource)
            if names:
                ns = namespace if resource.namespaced else None
                if resource.namespaced and ns is None:
                    ns = cmd.namespace or self.transport.default_namespace
                found.extend(Target(resource, ns, name) for name in names)
                continue
            if not (cmd.selector or cmd.field_selector or cmd.flag("all") == "true"):
                raise ClusterError(
                    f"`kubectl {cmd.verb}` needs object names, a selector (-l) or --all for "
                    f"{resource.canonical}",
                    status=400,
                    reason="BadRequest",
                )
            for item in self.list_objects(resource, namespace, cmd.selector,
                                          cmd.field_selector):
                meta = item.get("metadata") or {}
                found.append(Target(resource, meta.get("namespace"), meta["name"]))
        return found

    def list_objects(
        self,
        resource: ApiResource,
        namespace: str | None,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> list[dict[str, Any]]:
        """Every object of a type (plain JSON, managedFields dropped, Secret values redacted)."""
        return list(self.iter_objects(resource, namespace, selector, field_selector))

    def iter_objects(
        self,
        resource: ApiResource,
        namespace: str | None,
        selector: str | None = None,
        field_selector: str | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Like :meth:`list_objects`, page by page (restarts are handled before yielding)."""
        query = {}
        if selector:
            query["labelSelector"] = selector
        if field_selector:
            query["fieldSelector"] = field_selector
        items: list[dict[str, Any]] = []
        for page in self.transport.pages(resource.path(namespace), query=query):
            if page.fresh:
                items = []
            items.extend(page.doc.get("items") or ())
        kind = resource.info.kind
        api_version = resource.info.group_version
        secret = holds_secrets(resource)
        for item in items:
            item.setdefault("kind", kind)
            item.setdefault("apiVersion", api_version)
            yield redact_secret(item) if secret else item

    def get_object(self, resource: ApiResource, namespace: str | None, name: str) -> Any:
        """One object (plain JSON, managedFields dropped, Secret values redacted)."""
        doc = self.transport.get(resource.path(namespace, name))
        meta = doc.get("metadata")
        if meta:
            meta.pop("managedFields", None)
        return redact_secret(doc) if holds_secrets(resource) else doc
