"""Live dashboards: the dashboard's safe reads kept current by the Kubernetes watch API.

A dashboard watch is judged, impersonated and run exactly like one refresh
(``kubechat_lab/server/_dashboards.py``), then kept open: each read of one resource type
(``get nodes``, ``get pods -A``, ...) is followed by a watch of the same request, and a change
re-runs the read that changed (its list, exactly as shown on the tiles; the others are kept)
and sends the recomputed dashboard when its tiles differ. A quiet cluster's change shows
after ``debounce`` seconds; under churn each read runs again at most once every
``refresh_seconds``, so a live dashboard never lists more than polling would (on a busy cluster
of 10,000 pods a list per event would cost far more). Reads the API cannot watch (``top nodes``:
the metrics API has no watch) are re-read every ``refresh_seconds``, and so is a read whose
watch the API refuses (RBAC may allow ``list`` without ``watch``).

It takes one slot of the watch quotas (``kubechat_lab/server/_quotas.py``) like any watch, and
it is audited twice, without flooding: ``watch_started`` before anything is read (fail closed:
no audit, no watch), listing every command it covers, and ``watch_stopped`` when it ends (why,
changes seen, dashboards sent, seconds). A watch that breaks because the API server is gone
ends the stream with an ``error``; the page then shows the last tiles as stale.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubechat_lab.audit.events import WatchStartedEvent, WatchStoppedEvent
from kubechat_lab.dashboard import build_snapshot
from kubechat_lab.errors import AuditError, ClusterError
from kubechat_lab.server._dashboards import dashboard_reads

if TYPE_CHECKING:
    from kubechat_lab.cluster import ClusterClient, Result
    from kubechat_lab.cluster._watch import TableWatch
    from kubechat_lab.dashboard import Snapshot
    from kubechat_lab.server._dashboards import DashboardReads
    from kubechat_lab.server._proposals import Principal
    from kubechat_lab.server._quotas import Slots
    from kubechat_lab.server._service import KubechatService

__all__ = ["DashboardWatches", "LiveDashboard"]

logger = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]


class LiveDashboard:
    """One live dashboard; :meth:`run` (in its own thread) streams dashboards to ``emit``."""

    def __init__(self, registry: DashboardWatches, principal: Principal, reads: DashboardReads,
                 client: ClusterClient, watches: dict[str, TableWatch], *, watch_id: str,
                 audit_seq: int | None) -> None:
        self.registry = registry
        self.principal = principal
        self.reads = reads
        self.client = client
        self.watches = watches
        self.name = watch_id
        self.audit_seq = audit_seq
        self.polled = {k for k in reads.plans if k not in watches}
        self.reason: str | None = None
        self.events = 0
        self.updates = 0
        self.started = time.monotonic()
        self.done = threading.Event()
        self._cond = threading.Condition()
        self._stopped = False
        self._dirty: set[str] = set()
        self._broken: str | None = None
        self._held: dict[str, Result] = {}
        self._read_at: dict[str, float] = {}

    def stop(self, reason: str) -> None:
        """Ask the watch to end (the first reason given is the one audited)."""
        if self.reason is None:
            self.reason = reason
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        for watch in self.watches.values():
            watch.stop()

    # -- the threads -------------------------------------------------------------------------

    def _follow(self, key: str, watch: TableWatch) -> None:
        """Mark ``key`` changed on each event of its watch (its own thread)."""
        try:
            for _ in watch.events():
                with self._cond:
                    self.events += 1
                    self._dirty.add(key)
                    self._cond.notify_all()
        except ClusterError as exc:
            with self._cond:
                if self._stopped:
                    return
                if exc.status == 0:  # the API server is gone: the stream ends with an error
                    self._broken = str(exc)
                else:  # refused (e.g. list without watch): re-read it on the interval
                    logger.info("dashboard watch=%s re-reads %s on the interval: %s", self.name,
                                key, exc)
                    self.polled.add(key)
                self._cond.notify_all()
        except Exception:  # a bug must still end the stream
            logger.exception("dashboard watch=%s: the watch of %s failed", self.name, key)
            with self._cond:
                self._broken = "internal error; see the server log"
                self._cond.notify_all()

    def _snapshot(self, changed: set[str]) -> Snapshot:
        """Re-run the reads in ``changed`` (and any not held); keep the other results."""
        reads = self.reads
        unreachable: list[str] = []

        def run(key: str) -> Result:
            if key in changed or key not in self._held:
                self._held.pop(key, None)
                self._read_at[key] = time.monotonic()
                try:
                    self._held[key] = self.client.execute(reads.plans[key].command)
                except ClusterError as exc:
                    if exc.status == 0:
                        unreachable.append(str(exc))
                    raise
            return self._held[key]

        snap = build_snapshot({k: p.display for k, p in reads.plans.items()}, run,
                              context=reads.target.context, shown=reads.shown,
                              not_run=reads.not_run, audit_seq=self.audit_seq)
        if unreachable:
            msg = (f"the dashboard could not read the cluster: {unreachable[0]}; the tiles "
                   "keep the last snapshot")
            raise ClusterError(msg, status=0, reason="Unreachable")
        return snap

    def _dashboard(self, snap: Snapshot, changed: set[str]) -> dict[str, Any]:
        return {"type": "dashboard", "changed": sorted(changed),
                "elapsed": round(time.monotonic() - self.started, 3),
                "dashboard": {**snap.to_dict(),
                              "refresh_seconds": self.registry.refresh_seconds}}

    def _ready(self, now: float) -> set[str]:
        """Return the changed reads that may run again (each once per refresh interval)."""
        every = self.registry.refresh_seconds
        return {k for k in self._dirty if now >= self._read_at.get(k, 0.0) + every}

    def _next_changes(self, due: float) -> tuple[set[str], bool] | None:
        """Wait for a change or the interval; return the reads to run again (None: stop)."""
        reg = self.registry
        with self._cond:
            while True:
                if self._stopped:
                    return None
                if self._broken is not None:
                    msg = (f"the dashboard could not read the cluster: {self._broken}; the "
                           "tiles keep the last snapshot")
                    raise ClusterError(msg, status=0, reason="Unreachable")
                now = time.monotonic()
                if now >= due or self._ready(now):
                    break
                wake = min([due, *(self._read_at.get(k, 0.0) + reg.refresh_seconds
                                   for k in self._dirty)])
                self._cond.wait(timeout=max(0.0, wake - now))
            # Debounce: a burst of changes (a rollout) makes one update, not one per event.
            until = time.monotonic() + reg.debounce
            while not self._stopped and time.monotonic() < until:
                self._cond.wait(timeout=max(0.0, until - time.monotonic()))
            if self._stopped:
                return None
            now = time.monotonic()
            polling = now >= due
            changed = self._ready(now) | (set(self.polled) if polling else set())
            self._dirty -= changed
            return changed, polling

    def run(self, emit: Emit) -> None:
        """Read, then send the dashboard on each change until stopped; always audit the stop."""
        reg = self.registry
        timer = threading.Timer(reg.max_seconds, self.stop, args=("deadline",))
        timer.daemon = True
        error: str | None = None
        threads: list[threading.Thread] = []
        try:
            emit({"type": "start", "watch": self.name, "commands": list(self.reads.commands),
                  "watched": [self.reads.plans[k].display for k in self.watches],
                  "refresh_seconds": reg.refresh_seconds, "seconds": reg.max_seconds,
                  "audit_seq": self.audit_seq})
            for key, watch in list(self.watches.items()):
                try:
                    watch.snapshot()  # where each watch starts: a change after it is an event
                except ClusterError as exc:
                    if exc.status == 0:
                        raise
                    # Refused (RBAC): its read fails on its tile, as in a refresh, and is tried
                    # again on the interval.
                    del self.watches[key]
                    self.polled.add(key)
            snap = self._snapshot(set(self.reads.plans))
            emit(self._dashboard(snap, set(self.reads.plans)))
            last = [t.to_dict() for t in snap.tiles]
            timer.start()
            for key, watch in self.watches.items():
                thread = threading.Thread(target=self._follow, args=(key, watch), daemon=True,
                                          name=f"kubechat-{self.name}-{key}")
                thread.start()
                threads.append(thread)
            due = time.monotonic() + reg.refresh_seconds
            while True:
                got = self._next_changes(due)
                if got is None:
                    break
                changed, polling = got
                if polling:
                    due = time.monotonic() + reg.refresh_seconds
                if not changed:
                    continue
                snap = self._snapshot(changed)
                tiles = [t.to_dict() for t in snap.tiles]
                if tiles != last:  # the same tiles again are not sent: heartbeats say "alive"
                    last = tiles
                    self.updates += 1
                    emit(self._dashboard(snap, changed))
        except ClusterError as exc:
            error = str(exc)
            emit({"type": "error", "message": error, "reason": exc.reason or "cluster-error"})
        except Exception:  # a bug must still end the stream and be audited
            logger.exception("dashboard watch=%s failed", self.name)
            error = "internal error; see the server log"
            emit({"type": "error", "message": error, "reason": "internal-error"})
        finally:
            timer.cancel()
            for watch in self.watches.values():
                watch.stop()
            for thread in threads:
                thread.join(timeout=5.0)
            reason = "error" if error else (self.reason or "ended")
            seq = reg.finish(self, reason, error)
            emit({"type": "end", "reason": reason, "events": self.events,
                  "updates": self.updates, "seconds": round(time.monotonic() - self.started, 3),
                  "audit_seq": seq})
            self.done.set()


class DashboardWatches:
    """Start, stop and account for live dashboards.

    Parameters
    ----------
    service : KubechatService
        Policy, audit and clusters.
    slots : Slots
        The watch quotas, shared with the watches of proposals (one slot per dashboard).
    refresh_seconds : float
        Seconds between re-reads of what cannot be watched (``top nodes``).
    max_seconds : float
        Longest dashboard watch; the page opens a new one when it ends.
    debounce : float
        Seconds a change waits for the changes that come with it before its read runs.
    """

    def __init__(self, service: KubechatService, *, slots: Slots, refresh_seconds: float = 5.0,
                 max_seconds: float = 3600.0, debounce: float = 1.0) -> None:
        self.service = service
        self.slots = slots
        self.refresh_seconds = refresh_seconds
        self.max_seconds = max_seconds
        self.debounce = debounce
        self._lock = threading.Lock()
        self._live: dict[str, LiveDashboard] = {}

    def start(self, principal: Principal, context: str | None) -> LiveDashboard:
        """Judge the reads, claim a watch slot, open the watches and audit the start (blocking).

        Raises
        ------
        PolicyViolation
            A capability without the ``propose`` and ``execute`` scopes.
        BusyError
            The server's or the owner's watches are all in use (the page polls instead).
        AuditError
            The start could not be audited (nothing is read).
        ClusterError
            The context cannot be used.
        """
        from kubechat_lab.cluster._watch import watchable

        reads = dashboard_reads(self.service, principal, context=context)
        target = reads.target
        owner = principal.owner
        self.slots.take(owner)  # check and take in one step; given back below if the start fails
        try:
            client = self.service.pipeline.client(target)
            watches: dict[str, TableWatch] = {}
            for key, plan in reads.plans.items():
                if watchable(plan.command) is None:
                    watches[key] = client.watch(plan.command)
            watch_id = "dw_" + secrets.token_hex(10)
            seq = self.service.record(WatchStartedEvent(
                actor=principal.actor(target.identity), context=target.context,
                cluster=target.cluster, level="safe", seconds=self.max_seconds, watch=watch_id,
                commands=reads.commands,
                watched=tuple(reads.plans[k].display for k in watches)))
        except BaseException:
            self.slots.release(owner)
            raise
        live = LiveDashboard(self, principal, reads, client, watches, watch_id=watch_id,
                             audit_seq=seq)
        with self._lock:
            self._live[watch_id] = live
        logger.info("kubechat dashboard watch started watch=%s user=%s context=%s watched=%d "
                    "polled=%d", watch_id, principal.user, target.context, len(watches),
                    len(live.polled))
        return live

    def finish(self, live: LiveDashboard, reason: str, error: str | None) -> int | None:
        """Give the slot back and audit the stop; return the audit seq (None if unaudited)."""
        with self._lock:
            if self._live.pop(live.name, None) is live:
                self.slots.release(live.principal.owner)
        target = live.reads.target
        seconds = round(time.monotonic() - live.started, 3)
        try:
            seq = self.service.record(WatchStoppedEvent(
                actor=live.principal.actor(target.identity), context=target.context,
                cluster=target.cluster, watch=live.name, reason=reason, events=live.events,
                updates=live.updates, seconds=seconds, error=error))
        except AuditError:
            logger.error("could not audit the stop of dashboard watch=%s", live.name)
            return None
        logger.info("kubechat dashboard watch stopped watch=%s reason=%s events=%d updates=%d "
                    "seconds=%.1f", live.name, reason, live.events, live.updates, seconds)
        return seq

    def stop_all(self) -> None:
        """Stop every live dashboard (server shutdown)."""
        with self._lock:
            lives = list(self._live.values())
        for live in lives:
            live.stop("server-shutdown")
