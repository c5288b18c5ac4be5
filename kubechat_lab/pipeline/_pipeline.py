"""``Pipeline``: resolve -> parse or translate -> make explicit -> judge -> audit -> preview -> run.

The faces (the server's handlers, ``kubechat run``) call these steps and keep only what is
theirs: the server its proposal state and HTTP, the CLI its terminal. Every step that touches
the cluster for a command is preceded by its audit event: ``proposed`` before the preview dry
run, ``executing`` before the command runs; when an append fails, the step does not happen
(:class:`~kubechat_lab.errors.AuditError`, fail closed).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypedDict

from kubechat_lab.audit.events import (
    Actor,
    ApprovedEvent,
    AuditEvent,
    ExecutedEvent,
    ExecutingEvent,
    ProposedEvent,
    RejectedEvent,
    result_digest,
)
from kubechat_lab.command import CommandError
from kubechat_lab.errors import AuditError, ClusterError
from kubechat_lab.pipeline._grounding import Grounding
from kubechat_lab.pipeline._plan import Limits, Plan, make_plan
from kubechat_lab.pipeline._target import ClientSource, Identity, Target, resolve_target
from kubechat_lab.policy import Level, Observe

if TYPE_CHECKING:
    from kubechat_lab.cluster import ClusterClient, Result
    from kubechat_lab.command import Command
    from kubechat_lab.policy import Policy
    from kubechat_lab.translate import Translation, TranslationContext, Turn

__all__ = [
    "AuditSink",
    "Execution",
    "Pipeline",
    "Proposed",
    "ResultWithheldError",
    "TranslateFn",
    "digest_result",
]

logger = logging.getLogger(__name__)

#: Appends one event durably and returns its chain seq (None when the sink has none).
AuditSink = Callable[[AuditEvent], "int | None"]
#: A translator's ``translate(question, context)``.
TranslateFn = Callable[[str, "TranslationContext"], "Translation"]


class ResultWithheldError(AuditError):
    """The command ran but its ``executed`` event could not be appended: the result is withheld."""


@dataclass(frozen=True, slots=True)
class Proposed:
    """Proof that a plan's ``proposed`` event is in the audit chain (needed to preview it)."""

    plan: Plan
    proposal: str
    seq: int | None


@dataclass(frozen=True, slots=True)
class Execution:
    """What running a plan gave: the result and the audit seqs."""

    result: Result
    seqs: tuple[int, ...]

    @property
    def data(self) -> dict[str, Any]:
        """The result's columnar JSON form (what a browser is sent)."""
        return self.result.to_columnar()


def digest_result(result: Result) -> str:
    """Return the ``executed`` event's ``result_digest`` of ``result``.

    The same digest as :func:`kubechat_lab.audit.events.result_digest` of the result's JSON
    form, computed from the columnar data directly (no encode and decode on the way).
    """
    return result_digest(result.to_columnar())


class _Where(TypedDict):
    """The fields every event about one proposal carries."""

    proposal: str
    command: str
    manifest_digest: str | None
    context: str | None
    cluster: str | None
    namespace: str | None


def _where(plan: Plan, proposal: str) -> _Where:
    return {"proposal": proposal, "command": plan.recorded,
            "manifest_digest": plan.manifest_digest, "context": plan.target.context,
            "cluster": plan.target.cluster, "namespace": plan.namespace}


def _seqs(*seqs: int | None) -> tuple[int, ...]:
    return tuple(s for s in seqs if s is not None)


def _rows(result: Result) -> int:
    return len(result.rows) if result.columns else 0


class Pipeline:
    """The one flow every face uses.

    Parameters
    ----------
    policy
        The safety policy.
    clients
        Cluster clients by (context, identity).
    sink
        Where audit events go; it must raise when an event is not durably appended.
    limits
        Bounds enforced whatever the policy says.
    translate
        The translator (None: questions cannot be asked, only commands proposed).
    grounding_ttl
        Seconds an identity's inventory is reused for grounding.
    """

    def __init__(self, *, policy: Policy, clients: ClientSource, sink: AuditSink,
                 limits: Limits | None = None, translate: TranslateFn | None = None,
                 grounding_ttl: float = 60.0) -> None:
        self.policy = policy
        self.clients = clients
        self.sink = sink
        self.limits = limits or Limits()
        self._translate = translate
        self.grounding = Grounding(clients, ttl=grounding_ttl)

    # -- resolve, plan, translate (nothing audited, nothing but discovery read) ------------

    def resolve(self, context: str | None, *, user: str, identity: Identity) -> Target:
        """Resolve the context a request names (None: the default) for ``user``."""
        return resolve_target(self.clients, context, user=user, identity=identity)

    def client(self, target: Target) -> ClusterClient:
        """Return the cluster client of ``target`` (its context, as its identity)."""
        return self.clients.client(target.context, target.identity)

    def plan(self, source: str | Command, target: Target, *, manifest: str | None = None
             ) -> Plan:
        """Parse (or take) a command, make every default explicit and judge it.

        An unknown resource type is tried once more after refreshing discovery (a CRD
        created a moment ago).

        Raises
        ------
        CommandError
            The grammar refuses it.
        """
        kwargs = {"policy": self.policy, "limits": self.limits, "manifest": manifest,
                  "observe": self._observer(target)}
        try:
            return make_plan(source, target, **kwargs)  # type: ignore[arg-type]
        except CommandError as exc:
            if exc.reason != "unknown-resource" or target.cluster is None:
                raise
            try:
                table = self.client(target).resource_table(refresh=True)
            except ClusterError:
                raise exc from None
        from dataclasses import replace

        return make_plan(source, replace(target, resources=table), **kwargs)  # type: ignore[arg-type]

    def _observer(self, target: Target) -> Observe | None:
        """Read live objects as ``target``'s identity for the policy; unreadable ones are None."""
        if target.cluster is None:
            return None

        def observe(resource: str, namespace: str | None, name: str
                    ) -> Mapping[str, object] | None:
            try:
                return self.client(target).live_object(resource, namespace, name)
            except ClusterError as exc:
                logger.debug("policy cannot read %s/%s: %s", resource, name, exc)
                return None

        return observe

    def translate(self, question: str, target: Target, *, previous: Turn | None = None
                  ) -> Translation:
        """Translate ``question`` grounded on what ``target``'s identity may list.

        Raises
        ------
        RuntimeError
            When the pipeline was built without a translator.
        """
        if self._translate is None:
            msg = "this pipeline has no translator; build it with translate=..."
            raise RuntimeError(msg)
        return self._translate(question, self.grounding.context(target, previous))

    # -- audited steps ---------------------------------------------------------------------

    def record(self, event: AuditEvent) -> int | None:
        """Append ``event``; raise :class:`AuditError` when it is not durably appended."""
        try:
            return self.sink(event)
        except AuditError:
            raise
        except Exception as exc:
            msg = f"the audit recorder failed on the {event.kind.value!r} event: {exc}"
            raise AuditError(msg) from exc

    def record_invalid(self, actor: Actor, target: Target, exc: CommandError, *,
                       source: str, proposal: str | None = None) -> int | None:
        """Record a line the grammar refused, without its text (it may hold a credential)."""
        return self.record(ProposedEvent(
            actor=actor, proposal=proposal, context=target.context, cluster=target.cluster,
            source=source, outcome="invalid", error_reason=exc.reason, level="forbidden"))

    def record_proposed(self, actor: Actor, plan: Plan, *, proposal: str, source: str,
                        question: str | None = None, provider: str | None = None) -> Proposed:
        """Record a judged plan; a forbidden one is recorded as refused."""
        refused = plan.level is Level.FORBIDDEN
        seq = self.record(ProposedEvent(
            actor=actor, proposal=proposal, command=plan.recorded,
            manifest_digest=plan.manifest_digest, context=plan.target.context,
            cluster=plan.target.cluster, namespace=plan.namespace, source=source,
            question=plan.command.redact(question) if question else question,
            provider=provider, level=plan.level.value,
            reasons=tuple(plan.command.redact(r) for r in plan.reasons), rule_ids=plan.rule_ids,
            decision="refused" if refused else None, approvers=plan.approvers))
        return Proposed(plan, proposal, seq)

    def preview(self, proposed: Proposed) -> Result:
        """Dry-run a recorded write (``dryRun=All``): nothing is persisted.

        Raises
        ------
        ClusterError
            The dry run failed (the cluster's answer: forbidden, invalid, not found...).
        """
        plan = proposed.plan
        return self.client(plan.target).dry_run(plan.command)

    def record_decision(self, actor: Actor, plan: Plan, *, proposal: str, approved: bool,
                        approver: str, reason: str | None = None,
                        proposer: str | None = None) -> int | None:
        """Record an approval or a rejection (``proposer``: who proposed it)."""
        where = _where(plan, proposal)
        if approved:
            return self.record(ApprovedEvent(actor=actor, level=plan.level.value,
                                             approver=approver, proposer=proposer,
                                             approvers=plan.approvers, **where))
        return self.record(RejectedEvent(actor=actor, level=plan.level.value, approver=approver,
                                         reason=plan.command.redact(reason) if reason else None,
                                         proposer=proposer, approvers=plan.approvers, **where))

    def record_executing(self, actor: Actor, plan: Plan, *, proposal: str,
                         approver: str | None) -> int | None:
        """Record that an approved plan is about to run."""
        return self.record(ExecutingEvent(actor=actor, level=plan.level.value, approver=approver,
                                          **_where(plan, proposal)))

    def execute(self, actor: Actor, plan: Plan, *, proposal: str, approver: str | None,
                on_seq: Callable[[int], None] | None = None) -> Execution:
        """Run an approved plan: ``executing`` first, then the command, then ``executed``.

        ``on_seq`` is called with the seq of each event as it is appended (the failure event
        too, which :class:`ClusterError` does not carry).

        Raises
        ------
        AuditError
            ``executing`` could not be appended (nothing ran), or ``executed`` could not be
            (the command ran; its result is withheld).
        ClusterError
            The cluster refused or failed (recorded as ``executed`` with ``status: error``).
        """
        _runnable(plan)
        first = self.record_executing(actor, plan, proposal=proposal, approver=approver)
        if first is not None and on_seq is not None:
            on_seq(first)
        done = self.run(actor, plan, proposal=proposal, on_seq=on_seq)
        return Execution(done.result, _seqs(first, *done.seqs))

    def run(self, actor: Actor, plan: Plan, *, proposal: str,
            on_seq: Callable[[int], None] | None = None) -> Execution:
        """Run a plan whose ``executing`` event is recorded; record ``executed`` after.

        Raises
        ------
        AuditError
            ``executed`` could not be appended (the command ran; its result is withheld).
        ClusterError
            The cluster refused or failed (recorded as ``executed`` with ``status: error``).
        """
        _runnable(plan)

        def note(seq: int | None) -> int | None:
            if seq is not None and on_seq is not None:
                on_seq(seq)
            return seq

        where = _where(plan, proposal)
        started = time.monotonic()
        try:
            result = self.client(plan.target).execute(plan.command)
        except ClusterError as exc:
            failed = ExecutedEvent(actor=actor, status="error",
                                   error=plan.command.redact(str(exc))[:500],
                                   error_code=exc.status,
                                   seconds=round(time.monotonic() - started, 4), **where)
            try:
                note(self.record(failed))
            except AuditError as audit_exc:
                logger.error("could not audit the failure of proposal=%s: %s", proposal,
                             audit_exc)
                exc.add_note(f"and the failure could not be audited: {audit_exc}")
            raise
        try:
            done = note(self.record(ExecutedEvent(
                actor=actor, status=str(result.status), result_digest=digest_result(result),
                rows=_rows(result), seconds=round(time.monotonic() - started, 4), **where)))
        except AuditError as exc:
            raise ResultWithheldError(str(exc)) from exc
        return Execution(result, _seqs(done))


def _runnable(plan: Plan) -> None:
    if plan.level is Level.FORBIDDEN:
        msg = f"{plan.text!r} is forbidden and never runs"
        raise RuntimeError(msg)
