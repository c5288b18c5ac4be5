"""Cluster clients per (context, impersonated identity), opened lazily and shared by requests.

No lock is held across a cluster call: a client (one connection pool, one discovery cache) is
safe to use from many threads, so one identity's reads run in parallel and a long ``wait``
never holds up the same user's other commands. The pool's lock only guards opening clients.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from kubechat_lab.server._proposals import BadRequestError

if TYPE_CHECKING:
    from kubechat_lab.cluster import ClusterClient
    from kubechat_lab.pipeline import Identity

__all__ = ["ClusterPool"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class ClusterPool:
    """Hand out one open :class:`~kubechat_lab.cluster.ClusterClient` per context and identity.

    Implements the pipeline's ``ClientSource``.

    Parameters
    ----------
    kubeconfig : str or None
        Path of the kubeconfig (None: the client's default lookup).
    default_context : str or None
        Context used when a request names none (None: the kubeconfig's current context).
    contexts : sequence of str
        Contexts a request may name. Empty: only the default context.
    identity_for : callable
        Maps a Jupyter user name to the Kubernetes identity to impersonate.
    request_timeout : float
        Seconds per Kubernetes API request.
    """

    def __init__(
        self,
        *,
        kubeconfig: str | None,
        default_context: str | None,
        contexts: Sequence[str],
        identity_for: Callable[[str], Identity],
        request_timeout: float,
    ) -> None:
        self.kubeconfig = kubeconfig
        self.default_context = default_context
        self.contexts = tuple(contexts)
        self.identity_for = identity_for
        self.request_timeout = request_timeout
        self._lock = threading.Lock()
        self._clients: dict[tuple[str | None, Identity], ClusterClient] = {}
        #: The name the default context resolved to (a request may use either spelling).
        self._default_name: str | None = None

    def resolve_context(self, name: str | None) -> str | None:
        """Return the context to use for a request naming ``name`` (None: the default).

        Raises
        ------
        BadRequestError
            When ``name`` is not one of the configured contexts.
        """
        if name is None or name == "" or name == self.default_context:
            return self.default_context
        if name in self.contexts:
            return name
        if self.default_context is None and name == self.context_name(None):
            return None  # the default context by its name: what a card shows can be typed back
        allowed = ", ".join(self.contexts) or "(only the default context)"
        msg = (
            f"context {name!r} is not enabled on this server; enabled contexts: {allowed}. "
            "Add it to c.KubechatApp.contexts to allow it."
        )
        raise BadRequestError(msg, field="context")

    def client(self, context: str | None, identity: Identity) -> ClusterClient:
        """Return the open client of ``context`` acting as ``identity`` (opened on first use).

        Identities of one context share its connection pool and discovery cache.

        Raises
        ------
        ClusterError
            The kubeconfig cannot be loaded (nothing is cached then).
        """
        from kubechat_lab.cluster import ClusterClient, ClusterConfig

        if context is not None and context == self._default_name:
            context = self.default_context
        key = (context, identity)
        with self._lock:
            found = self._clients.get(key)
            if found is not None:
                return found
            base = self._clients.get((context, (None, ())))
            if base is None:
                cfg = ClusterConfig(kubeconfig=self.kubeconfig, context=context,
                                    request_timeout=self.request_timeout)
                base = ClusterClient(cfg).__enter__()
                self._clients[(context, (None, ()))] = base
                if context == self.default_context:
                    self._default_name = base.context_name
                logger.info("cluster client opened context=%s", context or "(current)")
            client = base if identity == (None, ()) else base.with_identity(*identity)
            self._clients[key] = client
            return client

    def call(self, context: str | None, user: str, fn: Callable[[ClusterClient], T]) -> T:
        """Run ``fn(client)`` with the client of ``context`` impersonating ``user``'s identity."""
        return fn(self.client(context, self.identity_for(user)))

    def server_version(self, context: str | None) -> str:
        """Return the API server version of ``context`` using the kubeconfig's own identity."""
        return self.client(context, (None, ())).server_version()

    def whoami(self, context: str | None, user: str) -> dict[str, Any]:
        """Return who the cluster sees Jupyter user ``user`` as on ``context``.

        ``{"username", "groups", "impersonated"}``: the impersonated identity when
        ``impersonate`` maps the user, else the kubeconfig's own.
        """
        identity = self.identity_for(user)
        found = self.call(context, user, lambda client: client.whoami())
        return {**found, "impersonated": identity[0] is not None}

    def context_name(self, context: str | None) -> str | None:
        """Return the kubeconfig context name ``context`` stands for (None: unreadable)."""
        if context:
            return context
        from kubernetes import config as kube_config

        try:
            _, active = kube_config.list_kube_config_contexts(self.kubeconfig)  # type: ignore[no-untyped-call]
        except Exception:  # a missing or broken kubeconfig: health reports the cluster error
            return None
        name = (active or {}).get("name")
        return str(name) if name else None

    def drop(self, context: str | None) -> None:
        """Close and forget every client of ``context`` (after a transport failure)."""
        with self._lock:
            doomed = [k for k in self._clients if k[0] == context]
            clients = [self._clients.pop(k) for k in doomed]
        for client in clients:
            _close(client)

    def close(self) -> None:
        """Close every client."""
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            _close(client)


def _close(client: Any) -> None:
    try:
        client.__exit__(None, None, None)
    except Exception:  # closing is best effort at shutdown
        logger.debug("closing a cluster client failed", exc_info=True)
