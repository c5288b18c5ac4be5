"""``ClusterClient``: run a parsed Command through the Kubernetes API (no shell, no kubectl)."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._config import ClusterConfig
from kubechat_lab.cluster._result import Result
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.cluster._context import Context
    from kubechat_lab.cluster._transport import Transport
    from kubechat_lab.cluster._watch import TableWatch
    from kubechat_lab.command import Command, ResourceTable

__all__ = ["ClientClosedError", "ClusterClient", "Inventory"]

logger = logging.getLogger(__name__)

#: Resources listed by :meth:`ClusterClient.inventory` (when the server serves them).
INVENTORY_RESOURCES: tuple[str, ...] = (
    "pods",
    "deployments",
    "statefulsets",
    "daemonsets",
    "replicasets",
    "jobs",
    "cronjobs",
    "services",
    "ingresses",
    "configmaps",
    "secrets",
    "persistentvolumeclaims",
    "nodes",
)


class ClientClosedError(RuntimeError):
    """A ClusterClient was used after ``close()`` (or after its ``with`` block ended)."""

    def __init__(self) -> None:
        super().__init__(
            "this ClusterClient is closed; create a new ClusterClient(config) to talk to the "
            "cluster again"
        )


class _State(enum.Enum):
    UNOPENED = "unopened"
    OPEN = "open"
    CLOSED = "closed"


#: ``(resource, namespace, name, replicas, ((container, image), ...))`` of one workload.
Workload = tuple[str, str, str, int, tuple[tuple[str, str], ...]]
_SCALABLE = ("deployments", "statefulsets")


@dataclass(frozen=True, slots=True)
class Inventory:
    """What exists in the cluster, for grounding translations (names only, no contents).

    Parameters
    ----------
    namespaces
        Every namespace name, sorted.
    objects
        ``{resource: ((namespace, name), ...)}``; namespace is None for cluster-scoped kinds.
    workloads
        Deployments and StatefulSets as ``(resource, namespace, name, replicas, ((container,
        image), ...))``: what "2 more replicas" and "ship 2.4.2" are relative to.
    """

    namespaces: tuple[str, ...]
    objects: Mapping[str, tuple[tuple[str | None, str], ...]] = field(default_factory=dict)
    workloads: tuple[Workload, ...] = ()

    def names(self, resource: str, namespace: str | None = None) -> tuple[str, ...]:
        """Names of ``resource`` objects (in ``namespace`` when given)."""
        return tuple(n for ns, n in self.objects.get(resource, ())
                     if namespace is None or ns == namespace)

    def namespaces_of(self, resource: str, name: str) -> tuple[str, ...]:
        """Namespaces holding a ``resource`` called ``name`` ("the checkout deployment")."""
        return tuple(ns for ns, n in self.objects.get(resource, ()) if n == name and ns)

    def to_dict(self) -> dict[str, object]:
        """JSON-friendly form: ``{"namespaces": [...], "objects": {res: [[ns, name], ...]}}``."""
        return {"namespaces": list(self.namespaces),
                "objects": {k: [list(p) for p in v] for k, v in self.objects.items()},
                "workloads": [{"kind": w[0], "namespace": w[1], "name": w[2], "replicas": w[3],
                               "containers": [list(c) for c in w[4]]} for w in self.workloads]}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Inventory:
        """Rebuild from :meth:`to_dict` output."""
        raw_objects = data.get("objects") or {}
        objects: dict[str, tuple[tuple[str | None, str], ...]] = {}
        if isinstance(raw_objects, Mapping):
            for key, pairs in raw_objects.items():
                objects[str(key)] = tuple((p[0], str(p[1])) for p in pairs)
        namespaces = data.get("namespaces") or ()
        raw_workloads = data.get("workloads") or ()
        workloads = tuple(
            (str(w["kind"]), str(w["namespace"]), str(w["name"]), int(w["replicas"]),
             tuple((str(c[0]), str(c[1])) for c in w["containers"]))
            for w in raw_workloads if isinstance(w, Mapping)) if isinstance(
                raw_workloads, (list, tuple)) else ()
        return cls(tuple(str(n) for n in namespaces) if isinstance(namespaces, (list, tuple))
                   else (), objects, workloads)


class ClusterClient:
    """Executes parsed Commands against one cluster, as one identity.

    The kubernetes client provides configuration, authentication and transport; responses are
    decoded by us (orjson, msgspec for Table pages), never into the client's models. Use it as
    a context manager (or call :meth:`close`); it opens lazily on first use.

    Parameters
    ----------
    config
        The kubeconfig, context, identity to impersonate and limits.

    Examples
    --------
    >>> with ClusterClient(ClusterConfig(kubeconfig=path)) as client:  # doctest: +SKIP
    ...     frame = client.execute(parse("get pods -A")).to_frame()
    """

    def __init__(self, config: ClusterConfig | None = None, *,
                 _transport: Transport | None = None, _shared: ClusterClient | None = None
                 ) -> None:
        self.config = config or ClusterConfig()
        self._lock = threading.Lock()
        self._state = _State.UNOPENED
        self._ctx: Context | None = None
        self._shared = _shared
        if _transport is not None:
            self._open_with(_transport, _shared)

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> ClusterClient:
        self._context()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (clients made by :meth:`with_identity` close with it)."""
        with self._lock:
            if self._state is _State.OPEN and self._ctx is not None and self._shared is None:
                self._ctx.transport.close()
            self._state = _State.CLOSED

    def _open_with(self, transport: Transport, shared: ClusterClient | None) -> None:
        from kubechat_lab.cluster._context import Context
        from kubechat_lab.cluster._discovery import Discovery

        discovery = shared._context().discovery if shared is not None else Discovery(transport)
        self._ctx = Context(transport, discovery)
        self._state = _State.OPEN

    def _context(self) -> Context:
        with self._lock:
            if self._state is _State.CLOSED or (
                self._shared is not None and self._shared._state is _State.CLOSED
            ):
                raise ClientClosedError()
            if self._state is _State.UNOPENED:
                from kubechat_lab.cluster._transport import Transport

                self._open_with(Transport(self.config), None)
            if self._ctx is None:  # _open_with always sets it; kept for the type checker
                raise ClientClosedError()
            return self._ctx

    def with_identity(self, user: str | None, groups: tuple[str, ...] = ()) -> ClusterClient:
        """Return a client acting as ``user``/``groups`` (impersonation) sharing this one's pool.

        Cheap: no kubeconfig reload and one discovery cache. Closing the parent closes it.
        """
        ctx = self._context()
        transport = ctx.transport.with_identity(user, groups)
        return ClusterClient(transport.config, _transport=transport, _shared=self)

    # -- public operations ---------------------------------------------------------------------

    def execute(self, cmd: Command) -> Result:
        """Run ``cmd``: reads return frames; writes run for real (``--dry-run``: a dry run).

        Raises
        ------
        ClusterError
            On any API failure (status, reason, and a message that says what to do).
        """
        if cmd.is_write and cmd.is_dry_run:
            return self.dry_run(cmd)
        return self._run(cmd, dry_run=False)

    def dry_run(self, cmd: Command) -> Result:
        """Run a write with ``dryRun=All``: nothing is persisted; ``Result.diff`` shows it.

        Raises
        ------
        ClusterError
            400 when ``cmd`` is not a write, or any API failure the dry run meets.
        """
        if not cmd.is_write:
            raise ClusterError(
                f"`{cmd.render()}` does not change the cluster, so it has no dry run; "
                "execute it instead",
                status=400,
                reason="BadRequest",
            )
        return self._run(cmd, dry_run=True)

    def watch(self, cmd: Command) -> TableWatch:
        """Return a live watch of a ``get`` of one resource type (list, then follow).

        Raises
        ------
        ClusterError
            400 when ``cmd`` cannot be watched, 403 for secrets (never streamed).
        """
        from kubechat_lab.cluster._watch import TableWatch

        return TableWatch(self, cmd)

    def inventory(self, resources: tuple[str, ...] = INVENTORY_RESOURCES) -> Inventory:
        """Namespaces plus ``(namespace, name)`` of common objects (metadata only).

        Resources the identity may not list are left out (RBAC), not raised.
        """
        from kubechat_lab.cluster._transport import ACCEPT_METADATA_LIST

        ctx = self._context()
        objects: dict[str, tuple[tuple[str | None, str], ...]] = {}
        for name in ("namespaces", *resources):
            try:
                resource = ctx.discovery.resolve(name)
                found: list[tuple[str | None, str]] = []
                for page in ctx.transport.pages(resource.path(None),
                                                accept=ACCEPT_METADATA_LIST):
                    if page.fresh:
                        found = []
                    for item in page.doc.get("items") or ():
                        meta = item.get("metadata") or {}
                        found.append((meta.get("namespace"), meta.get("name", "")))
            except ClusterError as exc:
                if exc.status in (403, 404):
                    logger.debug("inventory skipped %s: %s", name, exc)
                    continue
                raise
            objects[resource.canonical] = tuple(sorted(found, key=lambda p: (p[0] or "", p[1])))
        namespaces = tuple(n for _, n in objects.pop("namespaces", ()))
        return Inventory(namespaces, objects, self._workloads(ctx))

    @staticmethod
    def _workloads(ctx: Context) -> tuple[Workload, ...]:
        """Replicas and container images of Deployments and StatefulSets (RBAC permitting)."""
        found: list[Workload] = []
        for name in _SCALABLE:
            try:
                resource = ctx.discovery.resolve(name)
                items = list(ctx.list_objects(resource, None))
            except ClusterError as exc:
                if exc.status in (403, 404):
                    logger.debug("inventory skipped %s details: %s", name, exc)
                    continue
                raise
            for item in items:
                meta, spec = item.get("metadata") or {}, item.get("spec") or {}
                pod = ((spec.get("template") or {}).get("spec")) or {}
                containers = tuple((str(c.get("name", "")), str(c.get("image", "")))
                                   for c in pod.get("containers") or ())
                found.append((resource.canonical, str(meta.get("namespace") or ""),
                              str(meta.get("name", "")), int(spec.get("replicas", 1)),
                              containers))
        return tuple(found)

    def live_object(self, resource: str, namespace: str | None, name: str
                    ) -> dict[str, Any] | None:
        """Return one live object (Secret values redacted); None when it does not exist.

        Raises
        ------
        ClusterError
            Any other API failure (403 when the identity may not read it).
        """
        ctx = self._context()
        found = ctx.discovery.resolve(resource)
        try:
            live: dict[str, Any] = ctx.get_object(
                found, namespace if found.namespaced else None, name)
        except ClusterError as exc:
            if exc.status == 404:
                return None
            raise
        return live

    def server_version(self) -> str:
        """Return the API server's ``gitVersion`` (``v1.36.3``)."""
        from kubechat_lab.cluster._info import server_version

        return str(server_version(self._context()).get("gitVersion", ""))

    def whoami(self) -> dict[str, Any]:
        """Return ``{"username", "groups"}``: who the API server sees this client as."""
        from kubechat_lab.cluster._info import whoami

        return whoami(self._context())

    def resource_table(self, *, refresh: bool = False) -> ResourceTable:
        """Return the built-in resources plus everything the server serves (CRDs).

        Pass it to ``parse(..., resources=...)``; ``refresh`` fetches discovery again (a CRD
        created since the last call).
        """
        discovery = self._context().discovery
        if refresh:
            discovery.refresh()
        return discovery.table()

    @property
    def host(self) -> str:
        """The API server URL."""
        return self._context().transport.host

    @property
    def context_name(self) -> str | None:
        """The name of the kubeconfig context this client uses (None: the file names none)."""
        return self._context().transport.context_name

    @property
    def default_namespace(self) -> str:
        """The namespace of the kubeconfig context (``default`` when it names none)."""
        return self._context().transport.default_namespace

    # -- dispatch --------------------------------------------------------------------------------

    def _run(self, cmd: Command, *, dry_run: bool) -> Result:
        ctx = self._context()
        logger.info("kubernetes command verb=%s canonical=%r dry_run=%s user=%s", cmd.verb,
                    cmd.redacted(), dry_run, self.config.impersonate_user)
        if not cmd.is_write:
            reader = _readers().get(cmd.verb)
            if reader is None:
                raise ClusterError(f"`kubectl {cmd.verb}` is not supported by kubechat",
                                   status=400, reason="BadRequest")
            return reader(ctx, cmd)
        from kubechat_lab.cluster._apply import apply_ops

        planner = _planners().get(cmd.verb)
        if planner is None:
            raise ClusterError(f"`kubectl {cmd.verb}` is not supported by kubechat",
                               status=400, reason="BadRequest")
        ops = planner(ctx, cmd)
        if not ops:
            return apply_ops(ctx, [], dry_run=dry_run, text="nothing to change\n")
        return apply_ops(ctx, ops, dry_run=dry_run)

    def __repr__(self) -> str:
        return f"ClusterClient(state={self._state.value}, user={self.config.impersonate_user!r})"


def _readers() -> dict[str, Callable[[Context, Command], Result]]:
    from kubechat_lab.cluster._describe import describe
    from kubechat_lab.cluster._get import get
    from kubechat_lab.cluster._info import INFO_VERBS
    from kubechat_lab.cluster._observe import events, logs, top
    from kubechat_lab.cluster._rollout import rollout_read

    return {"get": get, "describe": describe, "logs": logs, "top": top, "events": events,
            "rollout": rollout_read, "set": _set_env_list, **INFO_VERBS}


def _set_env_list(ctx: Context, cmd: Command) -> Result:
    """``kubectl set env --list``: one row per variable of each container."""
    from kubechat_lab.cluster._result import Column
    from kubechat_lab.cluster._writes import pod_spec_path

    rows = []
    for target in ctx.targets(cmd):
        obj = ctx.get_object(target.resource, target.namespace, target.name)
        spec = obj
        for key in pod_spec_path(str(obj.get("kind"))):
            spec = spec.get(key) or {}
        for container in spec.get("containers") or ():
            only = cmd.flag("container") or cmd.flag("containers")
            if only and only != "*" and container["name"] != only:
                continue
            for env in container.get("env") or ():
                value = env.get("value") if "value" in env else "<from source>"
                rows.append((target.resource.canonical, target.namespace, target.name,
                             container["name"], env["name"], value))
    columns = (Column("resource", "str"), Column("namespace", "str"), Column("name", "str"),
               Column("container", "str"), Column("key", "str"), Column("value", "str"))
    return Result("env", columns, tuple(rows))


def _planners() -> dict[str, Callable[[Context, Command], list]]:  # type: ignore[type-arg]
    from kubechat_lab.cluster._drain import drain_ops
    from kubechat_lab.cluster._manifest import autoscale_ops, create_ops, manifest_ops
    from kubechat_lab.cluster._rollout import rollout_ops
    from kubechat_lab.cluster._writes import PLANNERS, delete_ops

    def delete(ctx: Context, cmd: Command) -> list:  # type: ignore[type-arg]
        return manifest_ops(ctx, cmd) if cmd.manifest else delete_ops(ctx, cmd)

    return {**PLANNERS, "apply": manifest_ops, "replace": manifest_ops, "create": create_ops,
            "delete": delete, "drain": drain_ops, "rollout": rollout_ops,
            "autoscale": autoscale_ops}
