"""Run the dashboard's reads through callables the caller gives, and make a snapshot."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kubechat_lab.dashboard._derive import derive_tiles
from kubechat_lab.dashboard._model import Snapshot
from kubechat_lab.dashboard._reads import READS
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.cluster import Result

__all__ = ["AllReadsFailedError", "build_snapshot"]


class AllReadsFailedError(ClusterError):
    """Every read of a refresh failed: the cluster could not be read at all."""

    @classmethod
    def of(cls, failed: Mapping[str, str], status: int) -> AllReadsFailedError:
        """Build the error from each read's message (the first one leads: they often agree)."""
        first = next(iter(failed.values()), "no read ran")
        msg = (f"the dashboard could not read the cluster: {first} "
               f"({len(failed)} of {len(READS)} reads failed); the tiles keep the last "
               "snapshot, and the next refresh tries again")
        return cls(msg, status=status)


def build_snapshot(runnable: Mapping[str, str], run: Callable[[str], Result], *,
                   context: str | None, shown: Mapping[str, str],
                   not_run: Mapping[str, str] | None = None,
                   audit_seq: int | None = None) -> Snapshot:
    """Run each read in ``runnable`` (key -> command as run) with ``run``; derive the tiles.

    Parameters
    ----------
    runnable
        The reads judged safe, by key, as they run (``run`` receives the key).
    run
        Runs one read by key; raises :class:`ClusterError` when the cluster refuses or fails.
        After a read that could not reach the cluster at all (status 0: unreachable or timed
        out) the rest are not tried: each would wait as long again.
    context
        The context read (shown on the snapshot).
    shown
        Every read's command as shown, by key (runnable or not).
    not_run
        Reads left out before running (the policy did not judge them safe): their reasons.
    audit_seq
        The refresh's audit event.

    Raises
    ------
    AllReadsFailedError
        Not one read succeeded (the API server is down or unreachable).
    """
    started = time.monotonic()
    results: dict[str, Result] = {}
    failed: dict[str, str] = dict(not_run or {})
    status = 0
    unreachable: str | None = None
    for key in runnable:
        if unreachable is not None:  # one timeout is enough: the refresh must not hang 7 times
            failed[key] = f"not run: an earlier read could not reach the cluster ({unreachable})"
            continue
        try:
            results[key] = run(key)
        except ClusterError as exc:
            failed[key] = str(exc)
            status = status or exc.status
            if exc.status == 0:
                unreachable = str(exc)
    if not results:
        raise AllReadsFailedError.of(failed, status)
    tiles = derive_tiles(results, failed=failed, shown=shown)
    now = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Snapshot(context=context, generated_at=now, seconds=time.monotonic() - started,
                    commands=tuple(runnable.values()), tiles=tiles,
                    errors=tuple((shown.get(k, k), m) for k, m in failed.items()),
                    audit_seq=audit_seq)
