"""``kubechat parse`` and ``kubechat classify``: the kubectl grammar and the safety policy."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO

import click

from kubechat_lab.cli._errors import UsageFailure
from kubechat_lab.command import CommandError
from kubechat_lab.command import parse as parse_command
from kubechat_lab.errors import PolicyError
from kubechat_lab.policy import Policy, PolicyContext, load_policy
from kubechat_lab.policy import classify as classify_command

__all__ = ["classify", "parse"]

_MANIFEST_HELP = "Manifest text for `-f -` read from FILE ('-' for stdin); never a kubectl path."


def _read_manifest(path: str | None) -> str | None:
    if path is None:
        return None
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageFailure(f"cannot read manifest {path}: {exc.strerror or exc}") from exc


@click.command()
@click.argument("command")
@click.option("--manifest", "manifest_path", metavar="FILE", help=_MANIFEST_HELP)
def parse(command: str, manifest_path: str | None) -> None:
    """Parse COMMAND (one kubectl command line, quoted) and print it as JSON.

    A refused command prints the reason on stderr and exits with status 2.
    """
    manifest = _read_manifest(manifest_path)
    try:
        cmd = parse_command(command, manifest=manifest)
    except CommandError as exc:
        raise UsageFailure(f"refused ({exc.reason}): {exc}") from exc
    click.echo(json.dumps(cmd.to_dict(), indent=2, ensure_ascii=False))


def _verdict(text: object, policy: Policy, context: PolicyContext,
             manifest: str | None) -> dict[str, object]:
    if not isinstance(text, str):
        return {"command": None, "level": "forbidden",
                "reasons": [f"expected a command string, got {text!r}"]}
    command, assessment = classify_command(text, policy=policy, context=context,
                                           manifest=manifest)
    return {
        "command": command.render() if command is not None else None,
        "level": assessment.level.value,
        "reasons": list(assessment.reasons),
    }


def _jsonl(stream: IO[str], policy: Policy, context: PolicyContext) -> None:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            out: dict[str, object] = {"command": None, "level": "forbidden",
                                      "reasons": [f"line {number} is not JSON: {exc}"]}
        else:
            if not isinstance(record, dict) or "command" not in record:
                out = {"command": None, "level": "forbidden",
                       "reasons": [f'line {number} has no "command" field']}
            else:
                manifest = record.get("manifest")
                out = _verdict(record["command"], policy, context,
                               manifest if isinstance(manifest, str) else None)
        click.echo(json.dumps(out, ensure_ascii=False))


@click.command()
@click.argument("command", required=False)
@click.option("--jsonl", "jsonl", metavar="FILE", type=click.File("r", encoding="utf-8"),
              help='Classify every line {"command": ...} of FILE (\'-\' for stdin), in order.')
@click.option("--policy", "policy_path", metavar="FILE",
              help="Operator policy YAML merged over the default policy.")
@click.option("--namespace", "namespace", metavar="NS",
              help="Namespace commands without -n run in (default: default).")
@click.option("--user", "user", metavar="NAME", help="The user the command runs for.")
@click.option("--manifest", "manifest_path", metavar="FILE", help=_MANIFEST_HELP)
def classify(command: str | None, jsonl: IO[str] | None, policy_path: str | None,
             namespace: str | None, user: str | None, manifest_path: str | None) -> None:
    """Print the safety level of COMMAND as {"command", "level", "reasons"} JSON.

    Refused or unparseable commands are "forbidden", with the parser's reason. Always exits 0
    once the input and the policy could be read.
    """
    if (command is None) == (jsonl is None):
        raise UsageFailure("give either a COMMAND or --jsonl FILE")
    try:
        policy = load_policy(policy_path)
    except PolicyError as exc:
        raise UsageFailure(str(exc)) from exc
    context = PolicyContext(user=user, namespace=namespace)
    if jsonl is not None:
        _jsonl(jsonl, policy, context)
        return
    manifest = _read_manifest(manifest_path)
    click.echo(json.dumps(_verdict(command, policy, context, manifest), ensure_ascii=False))
