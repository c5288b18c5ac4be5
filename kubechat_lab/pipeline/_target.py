"""Where a command runs: the resolved context, namespace, identity and resource table."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kubechat_lab.command import DEFAULT_RESOURCES, ResourceTable
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.cluster import ClusterClient

__all__ = ["ClientSource", "Identity", "Target", "resolve_target"]

logger = logging.getLogger(__name__)

#: (impersonated Kubernetes user or None for the kubeconfig's own identity, its groups)
Identity = tuple[str | None, tuple[str, ...]]


class ClientSource(Protocol):
    """Hands out the cluster client of one context acting as one Kubernetes identity."""

    def client(self, context: str | None, identity: Identity) -> ClusterClient:
        """Return an open client of ``context`` (None: the default) impersonating ``identity``."""


@dataclass(frozen=True, slots=True)
class Target:
    """Everything a command is judged and run against, resolved before it is parsed.

    Parameters
    ----------
    context
        The kubeconfig context name (None only when the kubeconfig cannot be read).
    cluster
        The API server URL (None when unknown).
    namespace
        The namespace a command without ``-n`` would run in (the context's namespace).
    user
        The person (Jupyter user or OS user) the policy judges for.
    identity
        The Kubernetes identity commands run as: ``(impersonated user, groups)``.
    resources
        The resource table: the built-in kinds plus what the cluster serves (CRDs).
    problems
        Why something could not be resolved (the kubeconfig unreadable, discovery failed);
        empty when everything was.
    """

    context: str | None
    cluster: str | None
    namespace: str
    user: str
    identity: Identity = (None, ())
    resources: ResourceTable = field(default=DEFAULT_RESOURCES, compare=False, repr=False)
    problems: tuple[str, ...] = ()

    @property
    def groups(self) -> tuple[str, ...]:
        """The impersonated groups (empty when acting as the kubeconfig's identity)."""
        return self.identity[1]


def resolve_target(
    clients: ClientSource, context: str | None, *, user: str, identity: Identity
) -> Target:
    """Resolve the context first: its name, namespace, API server and resource table.

    Nothing here needs more than discovery (served to every authenticated identity). When the
    kubeconfig cannot be loaded the target says so in ``problems`` and keeps the namespace
    ``default``, which the shown command then states explicitly; when discovery fails the
    built-in resource table is used.

    Parameters
    ----------
    clients
        Where cluster clients come from.
    context
        The context a request named (None: the default one).
    user
        The person acting.
    identity
        The Kubernetes identity to act as.
    """
    problems: list[str] = []
    try:
        client = clients.client(context, identity)
        name = client.context_name
        namespace = client.default_namespace
        cluster: str | None = client.host
    except ClusterError as exc:
        logger.info("context %s could not be loaded: %s", context or "(current)", exc)
        return Target(context, None, "default", user, identity, problems=(str(exc),))
    resources = DEFAULT_RESOURCES
    try:
        resources = client.resource_table()
    except ClusterError as exc:
        logger.info("discovery failed on context %s: %s", name, exc)
        problems.append(f"the cluster's resource types are unknown ({exc})")
    return Target(name or context, cluster, namespace, user, identity, resources, tuple(problems))
