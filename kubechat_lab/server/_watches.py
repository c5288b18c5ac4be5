"""Live watches: an approved ``get`` proposal streamed from the Kubernetes watch API.

A watch is one more way to *execute* an approved read: it needs the ``execute`` scope, the
proposal moves approved -> executing -> executed through :class:`kubechat_lab.pipeline.Lifecycle`
(so it runs once, as one execution or one watch), it impersonates the proposer's mapped
identity like every command, and it is audited when it starts (``watch_started``, before
anything is read: fail closed) and when it stops (``watch_stopped``: why, how many events, how
long). Secrets are never streamed. This module keeps what is the server's own: the cap on
watches running at once, the deadline timer and the stream of events.

A watch runs in the process its reader is connected to; with several processes, a stop that
reaches another one is passed on through PostgreSQL (``kubechat_lab/server/_pg_watch_stops.py``).

Watches count against two quotas (``kubechat_lab/server/_quotas.py``): the server's, and the
owner's (a person's pages together, each of their kernels on its own). The slot is taken in the
same atomic step as the check, before anything else happens, and given back if the start
fails or when the watch ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import ClusterError, PolicyViolation
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import BadRequestError, Principal, Proposal, State
from kubechat_lab.server._quotas import Slots

if TYPE_CHECKING:
    from kubechat_lab.cluster._watch import TableWatch
    from kubechat_lab.server._pg_watch_stops import PgWatchStops
    from kubechat_lab.server._service import KubechatService

__all__ = ["LiveWatch", "WatchRegistry"]

logger = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]


class LiveWatch:
    """One running watch; :meth:`run` (in its own thread) streams events to ``emit``."""

    def __init__(self, registry: WatchRegistry, principal: Principal, proposal: Proposal,
                 watch: TableWatch, seconds: float) -> None:
        self.registry = registry
        self.principal = principal
        self.proposal = proposal
        self.watch = watch
        self.seconds = seconds
        self.reason: str | None = None
        self.events = 0
        self.started = time.monotonic()
        self.done = threading.Event()

    def stop(self, reason: str) -> None:
        """Ask the watch to end (the first reason given is the one audited)."""
        if self.reason is None:
            self.reason = reason
        self.watch.stop()

    def run(self, emit: Emit) -> None:
        """List, then stream changes until stopped; always audit the stop and emit ``end``."""
        p = self.proposal
        timer = threading.Timer(self.seconds, self.stop, args=("deadline",))
        timer.daemon = True
        error: str | None = None
        try:
            snapshot = self.watch.snapshot()
            emit({"type": "start", "kind": snapshot.kind, "proposal": p.to_dict(),
                  "columns": [[c.name, c.dtype] for c in snapshot.columns],
                  "seconds": self.seconds})
            emit({"type": "snapshot", "rows": [list(r) for r in snapshot.rows]})
            timer.start()
            for event in self.watch.events():
                self.events += 1
                emit({"type": event.type, "rows": [list(r) for r in event.result.rows],
                      "elapsed": round(time.monotonic() - self.started, 3)})
        except ClusterError as exc:
            error = str(exc)
            emit({"type": "error", "message": error, "reason": exc.reason or "cluster-error"})
        except Exception:  # a bug must still end the stream and be audited
            logger.exception("watch of proposal=%s failed", p.id)
            error = "internal error; see the server log"
            emit({"type": "error", "message": error, "reason": "internal-error"})
        finally:
            timer.cancel()
            reason = "error" if error else (self.reason or "ended")
            seq = self.registry.finish(self, reason, error)
            emit({"type": "end", "reason": reason, "events": self.events,
                  "seconds": round(time.monotonic() - self.started, 3), "audit_seq": seq})
            self.done.set()


class WatchRegistry:
    """Start, stop and account for live watches.

    Parameters
    ----------
    service : KubechatService
        Proposals, audit and clusters.
    max_watches : int
        Watches that may run at once on this server.
    max_watches_per_owner : int
        Watches one owner (``Principal.owner``) may run at once.
    max_seconds : float
        Longest watch; a request may ask for less.
    slots : Slots, optional
        The watch quotas (the server's count each owner over every process,
        ``kubechat_lab/server/_pg_quotas.py``); made from the two maxima when not given.
    """

    def __init__(self, service: KubechatService, *, max_watches: int = 16,
                 max_watches_per_owner: int = 4, max_seconds: float = 3600.0,
                 slots: Slots | None = None, stops: PgWatchStops | None = None) -> None:
        self.service = service
        self.max_watches = max_watches
        self.max_seconds = max_seconds
        self.slots = slots if slots is not None else Slots(
            "watches", per_owner=max_watches_per_owner, total=max_watches,
            options=("max_watches_per_owner", "max_watches"))
        self._lock = threading.Lock()
        self._live: dict[str, LiveWatch] = {}
        self.stops = stops

    def start(self, principal: Principal, proposal_id: str, seconds: float | None) -> LiveWatch:
        """Check, claim and audit the start of a watch (blocking).

        Raises
        ------
        PolicyViolation
            Not approved, forbidden, a secret, or a capability without ``execute``.
        BadRequestError
            A command that cannot be watched, or a bad ``seconds``.
        BusyError
            The server's or the owner's watches are all in use.
        AuditError
            The start could not be audited (nothing is read).
        """
        from kubechat_lab.cluster._watch import NEVER_STREAMED, watchable

        svc = self.service
        svc.require(principal, Scope.EXECUTE)
        if seconds is not None and not 0 < seconds <= self.max_seconds:
            raise BadRequestError(f"field 'seconds' must be in (0, {self.max_seconds:.0f}]",
                                  field="seconds")
        current = svc.owned(principal, proposal_id)
        why = watchable(current.command)
        if why is not None:
            raise BadRequestError(f"{current.text!r}: {why}", field="command")
        if set(current.command.resources) & NEVER_STREAMED or any(
                r in NEVER_STREAMED for r, _ in current.command.targets):
            raise PolicyViolation(f"{current.text!r}: secrets are never streamed (their objects "
                                  "hold credentials)", rule_id="secrets-never-streamed")
        svc.life.check_runnable(current)
        if self.stops is not None and not self.stops.listen(self._stop_here):
            logger.warning("kubechat watch of %s: a stop sent through another process will "
                           "not be heard here", proposal_id)
        owner = principal.owner
        self.slots.take(owner)  # check and take in one step; given back below if the start fails
        try:
            limit = seconds or self.max_seconds
            proposal, watch = svc.life.start_watch(
                principal.actor(current.plan.target.identity), proposal_id, seconds=limit)
        except BaseException:
            self.slots.release(owner)
            raise
        live = LiveWatch(self, principal, proposal, watch, limit)
        with self._lock:
            self._live[proposal_id] = live
        return live

    def finish(self, live: LiveWatch, reason: str, error: str | None) -> int | None:
        """Audit the stop and close the proposal; return the audit seq (None if unaudited)."""
        p = live.proposal
        with self._lock:
            if self._live.pop(p.id, None) is live:
                self.slots.release(live.principal.owner)
        return self.service.life.finish_watch(
            live.principal.actor(p.plan.target.identity), p, reason=reason,
            events=live.events, seconds=round(time.monotonic() - live.started, 3), error=error)

    def stop(self, principal: Principal, proposal_id: str) -> bool:
        """Stop the running watch of ``proposal_id``; False when none runs.

        Raises
        ------
        ProposalNotFoundError
            Someone who may not see the proposal.
        """
        with self._lock:
            live = self._live.get(proposal_id)
        if live is None:
            return self._stop_elsewhere(principal, proposal_id)
        self.service.owned(principal, proposal_id)  # 404 for everyone else
        live.stop("stopped")
        return True

    def _stop_here(self, proposal_id: str) -> None:
        """End the watch of ``proposal_id`` if it runs here (asked through another process)."""
        with self._lock:
            live = self._live.get(proposal_id)
        if live is not None:
            live.stop("stopped")

    def _stop_elsewhere(self, principal: Principal, proposal_id: str,
                        wait: float = 5.0) -> bool:
        """Ask the other processes (``stops``); True once the watch has ended somewhere."""
        if self.stops is None:
            return False
        if self.service.owned(principal, proposal_id).state is not State.EXECUTING:
            return False  # 404 for everyone else (owned), and no watch runs anywhere
        self.stops.publish(proposal_id)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            time.sleep(0.1)
            if self.service.proposals.get(proposal_id).state is not State.EXECUTING:
                return True
        return False

    def stop_all(self) -> None:
        """Stop every watch (server shutdown)."""
        if self.stops is not None:
            self.stops.close()
        with self._lock:
            lives = list(self._live.values())
        for live in lives:
            live.stop("server-shutdown")
