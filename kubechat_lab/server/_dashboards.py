"""The server face of the dashboard: judge its fixed reads, audit them once, run them.

Each read is made explicit and judged by the policy exactly like a typed ``%kubectl`` line,
and runs as the caller's Kubernetes identity on the context the request names. Only reads the
policy judges safe run. One ``dashboard_read`` event lists every command a refresh runs and is
appended before any of them touches the cluster (fail closed): a dashboard refreshed every
few seconds adds one audit row per refresh, not one per read nor three per proposal.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kubechat_lab.audit.events import DashboardReadEvent
from kubechat_lab.dashboard import READS, build_snapshot
from kubechat_lab.errors import CommandError
from kubechat_lab.policy import Level
from kubechat_lab.server._capabilities import Scope

if TYPE_CHECKING:
    from kubechat_lab.cluster import Result
    from kubechat_lab.dashboard import Snapshot
    from kubechat_lab.pipeline import Plan, Target
    from kubechat_lab.server._proposals import Principal
    from kubechat_lab.server._service import KubechatService

__all__ = ["DashboardReads", "dashboard_reads", "dashboard_snapshot"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DashboardReads:
    """The dashboard's reads for one principal and context, judged by the policy.

    Parameters
    ----------
    target
        Where they run, as whom.
    plans
        The reads judged safe, by key (only these run).
    shown
        Every read's command as shown (context explicit), by key.
    not_run
        Why each read left out was left out, by key.
    """

    target: Target
    plans: Mapping[str, Plan]
    shown: Mapping[str, str]
    not_run: Mapping[str, str]

    @property
    def commands(self) -> tuple[str, ...]:
        """Every read that runs, exactly as run (what an audit event lists)."""
        return tuple(p.display for p in self.plans.values())


def dashboard_reads(service: KubechatService, principal: Principal, *,
                    context: str | None = None) -> DashboardReads:
    """Make the dashboard's reads explicit for ``principal`` on ``context`` and judge them.

    Raises
    ------
    PolicyViolation
        A capability without the ``propose`` and ``execute`` scopes.
    """
    service.require(principal, Scope.PROPOSE)
    service.require(principal, Scope.EXECUTE)
    target = service.target(principal, context)
    plans: dict[str, Plan] = {}
    shown: dict[str, str] = {}
    not_run: dict[str, str] = {}
    for read in READS:
        try:
            plan = service.pipeline.plan(read.command, target)
        except CommandError as exc:
            shown[read.key] = read.command
            not_run[read.key] = f"the grammar refused it: {exc}"
            continue
        shown[read.key] = plan.display
        if plan.level is not Level.SAFE:
            not_run[read.key] = (f"not run: the policy judged it {plan.level.value} "
                                 f"({'; '.join(plan.reasons)}); the dashboard runs safe reads "
                                 "only")
            continue
        plans[read.key] = plan
    return DashboardReads(target, plans, shown, not_run)


def dashboard_snapshot(service: KubechatService, principal: Principal, *,
                       context: str | None = None) -> Snapshot:
    """Run the dashboard's reads on ``context`` as ``principal``; return the snapshot.

    Raises
    ------
    AuditError
        The refresh could not be audited (nothing ran).
    AllReadsFailedError
        No read succeeded (the API server is down or unreachable).
    """
    reads = dashboard_reads(service, principal, context=context)
    target, plans = reads.target, reads.plans
    # The fixed reads carry no value to redact; their display form names the context, as the
    # person sees them on the tiles.
    seq = service.record(DashboardReadEvent(
        actor=principal.actor(target.identity), context=target.context, cluster=target.cluster,
        commands=reads.commands))
    client = service.pipeline.client(target)

    def run(key: str) -> Result:
        return client.execute(plans[key].command)

    snapshot = build_snapshot({k: p.display for k, p in plans.items()}, run,
                              context=target.context, shown=reads.shown, not_run=reads.not_run,
                              audit_seq=seq)
    logger.debug("dashboard of %s for %s: %d reads in %.3fs", target.context, principal.user,
                 len(plans), snapshot.seconds)
    return snapshot
