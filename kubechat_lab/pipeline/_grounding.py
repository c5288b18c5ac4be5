"""Grounding for translations: the cluster's inventory, cached per (context, identity).

The inventory is listed *as the identity that will run the command* (impersonation applies),
so kinds that identity may not list are left out by the API server's RBAC and their object
names never reach a translator (or an LLM prompt). Entries are never shared between
identities; one identity's entry lives ``ttl`` seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.pipeline._target import ClientSource, Identity, Target
    from kubechat_lab.translate import TranslationContext, Turn

__all__ = ["Grounding"]

logger = logging.getLogger(__name__)

_Key = tuple[str | None, "Identity"]


class Grounding:
    """Build the :class:`~kubechat_lab.translate.TranslationContext` of a target.

    Parameters
    ----------
    clients
        Where cluster clients come from.
    ttl
        Seconds an identity's inventory is reused (default 60).
    max_entries
        Identities kept at most (the least recently fetched go first).
    clock
        Monotonic clock (tests).
    """

    def __init__(self, clients: ClientSource, *, ttl: float = 60.0, max_entries: int = 256,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._clients = clients
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[_Key, tuple[float, TranslationContext]] = {}

    def context(self, target: Target, previous: Turn | None = None) -> TranslationContext:
        """Return the translation context of ``target`` (and the previous turn, if any).

        The inventory part is cached per (context, identity); without an inventory (the
        cluster unreachable, nothing listable) the context holds the namespace and the
        resource table only.
        """
        from kubechat_lab.translate import TranslationContext

        key: _Key = (target.context, target.identity)
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            return found[1].with_previous(previous)
        try:
            inv = self._clients.client(target.context, target.identity).inventory()
        except ClusterError as exc:
            logger.warning("inventory unavailable context=%s user=%s error=%s",
                           target.context, target.identity[0], exc)
            return TranslationContext(namespace=target.namespace, resources=target.resources,
                                      previous=previous)
        objects = {kind: tuple((ns or "", name) for ns, name in pairs)
                   for kind, pairs in inv.objects.items()}
        workloads = {(kind, ns, name): (replicas, containers)
                     for kind, ns, name, replicas, containers in inv.workloads}
        base = TranslationContext(namespace=target.namespace, namespaces=inv.namespaces,
                                  inventory=objects, resources=target.resources,
                                  workloads=workloads)
        with self._lock:
            self._entries[key] = (now, base)
            while len(self._entries) > self.max_entries:
                oldest = min(self._entries, key=lambda k: self._entries[k][0])
                del self._entries[oldest]
        return base.with_previous(previous)

    def clear(self) -> None:
        """Forget every cached inventory."""
        with self._lock:
            self._entries.clear()
