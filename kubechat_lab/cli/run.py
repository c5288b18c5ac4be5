"""``kubechat run``: one kubectl command through the pipeline; print or write the frame.

A thin face over :class:`kubechat_lab.pipeline.Lifecycle` (the server uses the same one): the
context is resolved first, every default made explicit (``-n``), the command judged, each step
recorded to the audit chain before it touches the cluster, writes previewed with a server-side
dry run, and approvals taken from ``--yes`` / ``--confirm``. Only terminal I/O lives here.
"""

from __future__ import annotations

import getpass
import shlex
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import orjson

from kubechat_lab.cli._errors import PolicyDenied, RuntimeFailure, UsageFailure
from kubechat_lab.cli._output import write_result
from kubechat_lab.errors import AuditError, ClusterError, CommandError, PolicyError

if TYPE_CHECKING:
    from kubechat_lab.audit import AuditStore, JSONValue
    from kubechat_lab.audit.events import Actor, AuditEvent
    from kubechat_lab.cluster import ClusterClient, ClusterConfig, Result
    from kubechat_lab.pipeline import Identity, Lifecycle, Pipeline, Plan, Target
    from kubechat_lab.policy import Policy

__all__ = ["Recorder", "default_kubeconfig", "plan_command", "run", "run_command"]

#: The audit seam: called with each event's payload (``AuditEvent.to_dict()``) before each
#: step (``proposed`` -> ``approved`` | ``rejected`` -> ``executing`` -> ``executed``, with
#: ``via``/``origin`` ``"cli"``); if it raises, nothing (more) runs (fail closed).
#: ``kubechat run`` passes :meth:`kubechat_lab.audit.AuditStore.append`.
Recorder = Callable[[Mapping[str, object]], object]


def default_kubeconfig() -> str | None:
    """Return the sandbox's kubeconfig when its apiserver runs, else None (the usual one)."""
    try:  # the layout and pid files only: the manager would load certificate code
        from kubechat_lab.sandbox._layout import SandboxLayout
        from kubechat_lab.sandbox._process import ProcessSupervisor

        layout = SandboxLayout.from_env()
        running = ProcessSupervisor(layout.pids_dir, layout.logs_dir).pid("kube-apiserver")
    except Exception:  # noqa: BLE001 - no sandbox package state: fall back quietly
        return None
    if running is not None and layout.kubeconfig.exists():
        return str(layout.kubeconfig)
    return None


class _OneClient:
    """The pipeline's client source for the CLI: the one client its flags describe."""

    def __init__(self, client: ClusterClient) -> None:
        self._client = client

    def client(self, context: str | None, identity: Identity) -> ClusterClient:
        return self._client


def _sink(recorder: Recorder | None) -> Callable[[AuditEvent], int | None]:
    def append(event: AuditEvent) -> int | None:
        if recorder is None:
            return None
        seq = getattr(recorder(event.to_dict()), "seq", None)
        return seq if isinstance(seq, int) else None

    return append


def _open(config: ClusterConfig, policy: Policy | None, recorder: Recorder | None
          ) -> tuple[ClusterClient, Pipeline, Target]:
    from kubechat_lab.cluster import ClusterClient
    from kubechat_lab.pipeline import Pipeline
    from kubechat_lab.policy import default_policy

    client = ClusterClient(config)
    pipeline = Pipeline(policy=policy or default_policy(), clients=_OneClient(client),
                        sink=_sink(recorder))
    user = config.impersonate_user or getpass.getuser()
    target = pipeline.resolve(config.context, user=user,
                              identity=(config.impersonate_user, config.impersonate_groups))
    if target.cluster is None:
        client.close()
        raise RuntimeFailure("; ".join(target.problems))
    return client, pipeline, target


def _denial(plan: Plan) -> str:
    return f"{plan.level.value}: " + "; ".join(reason.rstrip(".") for reason in plan.reasons)


def _audit_failed(exc: AuditError, *, ran: bool) -> RuntimeFailure:
    if ran:
        return RuntimeFailure(
            f"the command was sent to the cluster, but {exc}; its result is withheld (fail "
            "closed); check the audit database and `kubechat audit tail`")
    return RuntimeFailure(f"{exc}; nothing more was run (fail closed)")


def plan_command(text: str, *, config: ClusterConfig, policy: Policy | None = None,
                 manifest: str | None = None) -> Plan:
    """Return what ``text`` would run and its judgement; nothing is recorded or run.

    Raises
    ------
    PolicyDenied
        The grammar refuses the line.
    RuntimeFailure
        The kubeconfig cannot be loaded.
    """
    client, pipeline, target = _open(config, policy, None)
    try:
        return pipeline.plan(text, target, manifest=manifest)
    except CommandError as exc:
        raise PolicyDenied(f"forbidden: {str(exc).rstrip('.')}") from exc
    finally:
        client.close()


def run_command(
    text: str,
    *,
    config: ClusterConfig,
    yes: bool = False,
    confirm: str | None = None,
    manifest: str | None = None,
    policy: Policy | None = None,
    recorder: Recorder | None = None,
    preview_only: bool = False,
    say: Callable[[str], None] | None = None,
) -> Result:
    """Run ``text`` through the pipeline: judge, record, preview writes, approve, execute.

    Parameters
    ----------
    text
        One kubectl command line.
    config
        Cluster configuration (kubeconfig, context, identity).
    yes
        Approve a ``warning`` command.
    confirm
        The confirmation text, typed back, to approve a ``dangerous`` command.
    manifest
        Inline manifest text for ``apply/create/replace/delete -f -``.
    policy
        The safety policy (default policy when None).
    recorder
        Audit seam (see :data:`Recorder`); None records nothing.
    preview_only
        For a write: stop after the server-side dry run and return it.
    say
        Where progress and dry-run diffs go (default: stderr).

    Raises
    ------
    PolicyDenied
        Forbidden (including every command the grammar refuses), or the approval it needs
        was not given (exit 3).
    RuntimeFailure
        The cluster or the audit recorder failed (exit 1).
    """
    from kubechat_lab.audit.events import Actor

    say = say or (lambda line: click.echo(line, err=True))
    client, pipeline, target = _open(config, policy, recorder)
    os_user = getpass.getuser()
    actor = Actor(user=os_user, via="cli", origin="cli", impersonate_user=config.impersonate_user,
                  impersonate_groups=config.impersonate_groups)
    from kubechat_lab.pipeline import Lifecycle, MemoryProposalStore

    # One proposal's life in this process: approvals come from the flags, not from policy.
    life = Lifecycle(pipeline, MemoryProposalStore(ttl=3600.0), auto_approve_safe=False)
    try:
        try:
            plan = pipeline.plan(text, target, manifest=manifest)
        except CommandError as exc:  # audited without the raw text (it may hold credentials)
            try:
                pipeline.record_invalid(actor, target, exc, source="propose",
                                        proposal=life.store.new_id())
            except AuditError as audit_exc:
                raise _audit_failed(audit_exc, ran=False) from audit_exc
            raise PolicyDenied(f"forbidden: {str(exc).rstrip('.')}") from exc
        return _run_plan(life, actor, plan, yes=yes, confirm=confirm,
                         preview_only=preview_only, say=say)
    finally:
        client.close()


def _run_plan(life: Lifecycle, actor: Actor, plan: Plan, *, yes: bool, confirm: str | None,
              preview_only: bool, say: Callable[[str], None]) -> Result:
    from kubechat_lab.pipeline import AUTO_SAFE, Authority, Refusal, check_approval
    from kubechat_lab.policy import Level

    cmd = plan.command
    try:
        proposal = life.propose(actor, plan, user=actor.user, source="propose",
                                preview=cmd.is_write and not cmd.is_dry_run)
        if plan.level is Level.FORBIDDEN:
            raise PolicyDenied(_denial(plan))
        preview = proposal.preview
        if preview is not None and preview.get("status") == "error":
            raise RuntimeFailure(str(preview.get("message")))
        if proposal.dry_run is not None:
            _say_preview(plan, proposal.dry_run, say)
            if preview_only:  # like an undecided proposal on the server: only "proposed"
                return proposal.dry_run
        if cmd.is_dry_run:  # the command itself is a server-side dry run: nothing persists
            approver = "policy:dry-run"
        elif plan.level is Level.SAFE:
            approver = AUTO_SAFE
        elif plan.approvers is not None:  # two-person approval: never the proposer's own
            needs = (f"it needs approval by a member of {plan.approvers} other than you "
                     "(the policy's two_person); propose it through the kubechat server, "
                     "where they approve it")
            life.decide(actor, proposal.id, approve=False, approver="policy", via="cli",
                        reason=f"not approved: {needs}")
            raise PolicyDenied(_denial(plan) + "; " + needs)
        else:
            authority = (Authority.PERSON if confirm is not None
                         else Authority.WARNING if yes else Authority.NONE)
            denial = check_approval(plan.level, plan.confirm, authority=authority,
                                    confirm=confirm)
            if denial is not None:
                needs = ("re-run with --yes to apply it" if plan.level is Level.WARNING
                         and denial.why is Refusal.NEEDS_AUTHORITY else
                         f"re-run with --confirm {shlex.quote(plan.confirm or '')} to apply it")
                life.decide(actor, proposal.id, approve=False, approver="policy", via="cli",
                            reason=f"not approved: {needs}")
                raise PolicyDenied(_denial(plan) + "; " + needs)
            approver = actor.user
        life.decide(actor, proposal.id, approve=True, approver=approver, via="cli")
        _, result = life.execute(actor, proposal.id)
    except ClusterError as exc:
        raise RuntimeFailure("; ".join([str(exc), *getattr(exc, "__notes__", ())])) from exc
    except AuditError as exc:
        raise _audit_failed(exc, ran=_ran(exc)) from exc
    if cmd.is_dry_run:
        _say_preview(plan, result, say)
    return result


def _ran(exc: AuditError) -> bool:
    from kubechat_lab.pipeline import ResultWithheldError

    return isinstance(exc, ResultWithheldError)


def _say_preview(plan: Plan, preview: Result, say: Callable[[str], None]) -> None:
    say(f"server-side dry run of `{plan.display}`:")
    say(preview.diff or "(no changes to show)")


def _plan_json(plan: Plan) -> dict[str, Any]:
    return {"command": plan.text, "display": plan.display, "context": plan.target.context,
            "namespace": plan.namespace, "level": plan.level.value,
            "reasons": list(plan.reasons), "rule_ids": list(plan.rule_ids),
            "confirm": plan.confirm, "assumptions": list(plan.assumptions)}


@click.command()
@click.argument("command")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "parquet"]),
              default="table", show_default=True, help="How to print the result frame.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the result to FILE instead of stdout.")
@click.option("--kubeconfig", metavar="FILE",
              help="Kubeconfig (default: the sandbox's when it runs, else $KUBECONFIG or "
                   "~/.kube/config).")
@click.option("--context", "kube_context", metavar="NAME", help="Kubeconfig context.")
@click.option("--as", "as_user", metavar="USER", help="Impersonate USER (RBAC decides).")
@click.option("--as-group", "as_groups", metavar="GROUP", multiple=True,
              help="Impersonate GROUP too (repeatable; needs --as).")
@click.option("--yes", is_flag=True, help="Approve a command the policy rates 'warning'.")
@click.option("--confirm", metavar="NAME",
              help="Approve a 'dangerous' command by typing its target's name back.")
@click.option("--manifest", "manifest_path", metavar="FILE",
              help="Manifest text for `-f -` read from FILE ('-' for stdin).")
@click.option("--policy", "policy_path", metavar="FILE", help="Operator policy YAML.")
@click.option("--preview", is_flag=True, help="For writes: only the server-side dry run.")
@click.option("--plan", "plan_only", is_flag=True,
              help="Print what would run (every default explicit, the context) and its level "
                   "and reasons as JSON, then stop: nothing is recorded or run.")
@click.option("--audit-dsn", metavar="DSN",
              help="libpq DSN of the audit database every step is recorded to (default: "
                   "$KUBECHAT_AUDIT_DSN, else the embedded PostgreSQL under the Jupyter data "
                   "dir, started if needed). Unreachable: nothing runs.")
@click.option("--no-audit", is_flag=True,
              help="Do not record to the audit chain (a warning says so on stderr).")
def run(command: str, fmt: str, out: Path | None, kubeconfig: str | None,
        kube_context: str | None, as_user: str | None, as_groups: tuple[str, ...], yes: bool,
        confirm: str | None, manifest_path: str | None, policy_path: str | None,
        preview: bool, plan_only: bool, audit_dsn: str | None, no_audit: bool) -> None:
    """Run COMMAND (one kubectl command line, quoted) against the cluster; print the frame.

    Safe commands run; 'warning' needs --yes; 'dangerous' needs --confirm NAME; 'forbidden'
    never runs (exit 3). Writes show a server-side dry run (diff) first. Every step is
    appended to the audit chain first; if that fails, nothing (more) runs (exit 1).
    """
    from kubechat_lab.cluster import ClusterConfig
    from kubechat_lab.policy import load_policy

    if as_groups and not as_user:
        raise UsageFailure("--as-group needs --as USER")
    if no_audit and audit_dsn:
        raise UsageFailure("--audit-dsn and --no-audit exclude each other; give one of them")
    manifest = None
    if manifest_path is not None:
        try:
            manifest = (sys.stdin.read() if manifest_path == "-"
                        else Path(manifest_path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageFailure(f"cannot read manifest {manifest_path}: {exc}") from exc
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        raise UsageFailure(str(exc)) from exc
    config = ClusterConfig(kubeconfig=kubeconfig or default_kubeconfig(), context=kube_context,
                           impersonate_user=as_user, impersonate_groups=as_groups)
    if plan_only:
        plan = plan_command(command, config=config, policy=policy, manifest=manifest)
        click.echo(orjson.dumps(_plan_json(plan), option=orjson.OPT_INDENT_2).decode())
        return
    store = None
    if no_audit:
        click.echo("warning: --no-audit: this command is NOT recorded in the audit chain",
                   err=True)
    else:
        store = _open_audit(audit_dsn)
    try:
        result = run_command(command, config=config, yes=yes, confirm=confirm,
                             manifest=manifest, policy=policy, preview_only=preview,
                             recorder=None if store is None else _store_recorder(store))
    finally:
        if store is not None:
            store.close()
    write_result(result, fmt, out, show_labels="--show-labels" in command)


def _open_audit(dsn: str | None) -> AuditStore:
    """Open the audit store (``dsn``, else :func:`kubechat_lab.audit.default_dsn`) or refuse."""
    from kubechat_lab.audit import AuditStore, default_dsn

    try:
        return AuditStore(dsn or default_dsn()).open()
    except (AuditError, OSError) as exc:  # OSError: the embedded server's data dir
        raise RuntimeFailure(
            f"cannot record to the audit chain, so nothing was run (fail closed): {exc}; start "
            "the audit database or pass --audit-dsn DSN (--no-audit runs unrecorded)"
        ) from exc


def _store_recorder(store: AuditStore) -> Recorder:
    def record(event: Mapping[str, object]) -> object:
        return store.append(cast("Mapping[str, JSONValue]", event))

    return record
