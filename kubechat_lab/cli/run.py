"""``kubechat run``: parse, classify and execute one kubectl command; print or write the frame."""

from __future__ import annotations

import getpass
import hashlib
import secrets
import shlex
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click
import orjson

from kubechat_lab.cli._errors import PolicyDenied, RuntimeFailure, UsageFailure
from kubechat_lab.errors import AuditError, ClusterError, PolicyError

if TYPE_CHECKING:
    from kubechat_lab.audit import AuditStore, JSONValue
    from kubechat_lab.cluster import ClusterClient, ClusterConfig, Result
    from kubechat_lab.command import Command
    from kubechat_lab.policy import Assessment, Policy

__all__ = ["Recorder", "default_kubeconfig", "format_table", "run", "run_command", "write_result"]

#: The audit seam: called with one event dict before each step, shaped like the server's
#: events (``proposed`` -> ``approved`` | ``rejected`` -> ``executing`` -> ``executed``, with
#: ``via``/``origin`` ``"cli"``); if it raises, the command does not run (fail closed).
#: ``kubechat run`` passes :meth:`kubechat_lab.audit.AuditStore.append`.
Recorder = Callable[[Mapping[str, object]], object]

_TEXT_KINDS = frozenset({"describe", "objects", "text", "names", "version", "cluster-info",
                         "explain", "api-versions", "auth", "rollout-status", "wait"})


def default_kubeconfig() -> str | None:
    """Return the sandbox's kubeconfig when its apiserver runs, else None (the usual one)."""
    try:
        from kubechat_lab.sandbox import SandboxManager

        status = SandboxManager().status()
    except Exception:  # noqa: BLE001 - no sandbox package state: fall back quietly
        return None
    apiserver = [c for c in status.components if c.name == "kube-apiserver"]
    if apiserver and apiserver[0].running and status.kubeconfig.exists():
        return str(status.kubeconfig)
    return None


def _event(kind: str, common: Mapping[str, object], **fields: object) -> dict[str, object]:
    """Build one audit event as the server does: ``type``, the actor, the step's fields."""
    event: dict[str, object] = {"type": kind}
    event.update({k: v for k, v in {**common, **fields}.items() if v is not None})
    return event


def _record(recorder: Recorder | None, event: dict[str, object], *, ran: bool = False) -> None:
    if recorder is None:
        return
    try:
        recorder(event)
    except Exception as exc:
        if ran:
            msg = (f"the command was sent to the cluster, but the audit recorder failed on the "
                   f"{event['type']!r} event ({exc}); its result is withheld (fail closed); "
                   "check the audit database and `kubechat audit tail`")
        else:
            msg = (f"the audit recorder failed on the {event['type']!r} event ({exc}); nothing "
                   "more was run (fail closed)")
        raise RuntimeFailure(msg) from exc


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
    """Parse, classify and (when allowed) execute ``text``; writes get a dry run first.

    Parameters
    ----------
    text
        One kubectl command line.
    config
        Cluster configuration (kubeconfig, context, identity).
    yes
        Approve a ``warning`` command.
    confirm
        The target's name, typed back, to approve a ``dangerous`` command.
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
    from kubechat_lab.cluster import ClusterClient
    from kubechat_lab.policy import Level, PolicyContext, classify

    say = say or (lambda line: click.echo(line, err=True))
    client = ClusterClient(config)
    try:
        try:
            namespace = client.default_namespace
        except ClusterError as exc:
            raise RuntimeFailure(str(exc)) from exc
        os_user = getpass.getuser()
        context = PolicyContext(user=config.impersonate_user or os_user,
                                namespace=namespace, groups=config.impersonate_groups)
        cmd, assessment = classify(text, policy=policy, context=context, manifest=manifest)
        if cmd is None and assessment.rule_ids == ("parse:unknown-resource",):
            try:  # maybe a CRD: parse again with what the server serves
                cmd, assessment = classify(text, policy=policy, context=context,
                                           manifest=manifest, resources=client.resource_table())
            except ClusterError:
                pass
        actor: dict[str, object] = {
            "user": os_user, "via": "cli", "origin": "cli",
            "impersonate_user": config.impersonate_user,
            "impersonate_groups": list(config.impersonate_groups) or None,
            "proposal": "p_" + secrets.token_hex(10), "context": config.context,
        }
        if cmd is None:  # the grammar refused it: audited without the raw text (credentials)
            _record(recorder, _event("proposed", actor, source="propose", outcome="invalid",
                                     error_reason=assessment.rule_ids[0].removeprefix("parse:"),
                                     level="forbidden"))
            raise PolicyDenied(_denial("forbidden", assessment))
        common = dict(actor, command=cmd.render(), cluster=client.host,
                      namespace=cmd.namespace or (None if cmd.all_namespaces else namespace))
        forbidden = assessment.level is Level.FORBIDDEN
        _record(recorder, _event("proposed", common, source="propose",
                                 level=assessment.level.value, reasons=list(assessment.reasons),
                                 rule_ids=list(assessment.rule_ids),
                                 decision="refused" if forbidden else None))
        if forbidden:
            raise PolicyDenied(_denial("forbidden", assessment))
        return _approved_run(client, cmd, assessment, common, yes=yes, confirm=confirm,
                             recorder=recorder, preview_only=preview_only, say=say)
    finally:
        client.close()


def _denial(level: str, assessment: Assessment) -> str:
    return f"{level}: " + "; ".join(reason.rstrip(".") for reason in assessment.reasons)


def _approved_run(
    client: ClusterClient,
    cmd: Command,
    assessment: Assessment,
    common: dict[str, object],
    *,
    yes: bool,
    confirm: str | None,
    recorder: Recorder | None,
    preview_only: bool,
    say: Callable[[str], None],
) -> Result:
    from kubechat_lab.policy import Level, confirmation_text

    level = assessment.level
    if cmd.is_write and not cmd.is_dry_run:
        try:
            preview = client.dry_run(cmd)
        except ClusterError as exc:
            raise RuntimeFailure(str(exc)) from exc
        _say_preview(cmd, preview, say)
        if preview_only:  # like an undecided proposal on the server: only "proposed" is audited
            return preview
    if cmd.is_dry_run:  # the command itself is a server-side dry run: nothing is persisted
        approver = "policy:dry-run"
    elif level is Level.SAFE:
        approver = "policy:auto-safe"
    else:
        if level is Level.WARNING and not yes:
            needs = "re-run with --yes to apply it"
        elif level is Level.DANGEROUS and confirm != (expected := confirmation_text(cmd)):
            needs = f"re-run with --confirm {shlex.quote(expected)} to apply it"
        else:
            needs = ""
        if needs:
            _record(recorder, _event("rejected", common, level=level.value, approver="policy",
                                     decision="rejected", reason=f"not approved: {needs}"))
            raise PolicyDenied(_denial(level.value, assessment) + "; " + needs)
        approver = str(common["user"])
    _record(recorder, _event("approved", common, level=level.value, approver=approver,
                             decision="approved"))
    _record(recorder, _event("executing", common, level=level.value, approver=approver))
    started = time.monotonic()
    try:
        result = client.execute(cmd)
    except ClusterError as exc:
        failed = _event("executed", common, status="error", error=str(exc)[:500],
                        error_code=exc.status, seconds=round(time.monotonic() - started, 4))
        try:
            _record(recorder, failed, ran=True)
        except RuntimeFailure as audit_exc:
            raise RuntimeFailure(f"{exc}; and {audit_exc}") from exc
        raise RuntimeFailure(str(exc)) from exc
    seconds = round(time.monotonic() - started, 4)
    if cmd.is_dry_run:
        _say_preview(cmd, result, say)
    _record(recorder, _event("executed", common, status=result.status,
                             result_digest=_digest(result), rows=len(result), seconds=seconds),
            ran=True)
    return result


def _say_preview(cmd: Command, preview: Result, say: Callable[[str], None]) -> None:
    say(f"server-side dry run of `{cmd.render()}`:")
    say(preview.diff or "(no changes to show)")


def _digest(result: Result) -> str:
    """Digest a result as the server does: sha256 of its JSON form with sorted keys."""
    data = orjson.loads(result.to_json())
    return "sha256:" + hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS)).hexdigest()


# -- output --------------------------------------------------------------------------------------


def _human_age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600 * 2:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _cell(value: Any, dtype: str) -> str:
    if value is None:
        return "<none>"
    if dtype == "timedelta":
        return _human_age(float(value))
    if dtype == "bool":
        return "true" if value else "false"
    if dtype == "json":
        if isinstance(value, dict):
            return ",".join(f"{k}={v}" for k, v in value.items()) or "<none>"
        return orjson.dumps(value).decode()
    return str(value)


def format_table(result: Result, *, show_labels: bool = False) -> str:
    """Render a result like kubectl prints tables (text results print their text).

    As kubectl, ``labels`` shows only with ``show_labels``, and ``created`` not next to
    ``age``; csv, json and parquet always carry every column.
    """
    if result.kind == "logs":
        pods = {(row[1], row[2]) for row in result.rows}
        if len(pods) > 1:
            return "".join(f"[{row[1]}/{row[2]}] {row[4]}\n" for row in result.rows)
        return "".join(f"{row[4]}\n" for row in result.rows)
    if result.text is not None and (result.kind in _TEXT_KINDS or not result.rows):
        return result.text
    if not result.rows:
        return "No resources found.\n"
    names = set(result.column_names)
    hidden = set() if show_labels else {"labels"}
    if "age" in names:
        hidden.add("created")
    keep = [i for i, c in enumerate(result.columns) if c.name not in hidden]
    columns = [result.columns[i] for i in keep]
    headers = [c.name.upper() for c in columns]
    cells = [[_cell(row[i], result.columns[i].dtype) for i in keep] for row in result.rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["   ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines) + "\n"


def _json_text_frame(result: Result) -> Any:
    frame = result.to_frame()
    for column in result.columns:
        if column.dtype == "json":
            frame[column.name] = [None if v is None else orjson.dumps(v).decode()
                                  for v in frame[column.name]]
    return frame


def write_result(result: Result, fmt: str, out: Path | None, *, show_labels: bool = False
                 ) -> None:
    """Print (or write to ``out``) a result as table, csv, json (row objects) or parquet."""
    if fmt == "parquet":
        if out is None:
            raise UsageFailure("--format parquet needs --out FILE")
        _json_text_frame(result).to_parquet(out, index=False)
        return
    if fmt == "json":
        data = orjson.dumps(result.records(), option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "csv":
        data = _json_text_frame(result).to_csv(index=False).encode()
    else:
        data = format_table(result, show_labels=show_labels).encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)


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
@click.option("--audit-dsn", metavar="DSN",
              help="libpq DSN of the audit database every step is recorded to (default: "
                   "$KUBECHAT_AUDIT_DSN, else the embedded PostgreSQL under the Jupyter data "
                   "dir, started if needed). Unreachable: nothing runs.")
@click.option("--no-audit", is_flag=True,
              help="Do not record to the audit chain (a warning says so on stderr).")
def run(command: str, fmt: str, out: Path | None, kubeconfig: str | None,
        kube_context: str | None, as_user: str | None, as_groups: tuple[str, ...], yes: bool,
        confirm: str | None, manifest_path: str | None, policy_path: str | None,
        preview: bool, audit_dsn: str | None, no_audit: bool) -> None:
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
