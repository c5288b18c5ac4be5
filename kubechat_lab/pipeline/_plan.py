"""A ``Plan``: one command with every default explicit, judged for the target it runs on."""

from __future__ import annotations

import hashlib
import shlex
from dataclasses import dataclass

from kubechat_lab.command import REDACTED, Command, parse, redact_command, secret_spots
from kubechat_lab.errors import CommandError
from kubechat_lab.pipeline._explicit import (
    blocking_seconds,
    explicit_namespace,
    explicit_timeout,
)
from kubechat_lab.pipeline._target import Target
from kubechat_lab.policy import (
    Level,
    Observe,
    Policy,
    PolicyContext,
    TwoPersonRule,
    confirmation_text,
)

__all__ = ["Limits", "Plan", "make_plan"]

#: Rule id of the server's bound on blocking verbs (not a policy rule: a server limit).
BLOCKING_RULE = "server:blocking-limit"


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds the pipeline enforces whatever the policy says.

    Parameters
    ----------
    max_block_seconds
        Longest a blocking verb (``wait``, ``rollout status``, ``drain``) may block; a longer
        ``--timeout`` is refused with this limit in the reason.
    setting
        How the operator changes the limit (named in the refusal).
    """

    max_block_seconds: float = 300.0
    setting: str = "c.KubechatApp.max_block_seconds"


@dataclass(frozen=True, slots=True)
class Plan:
    """What will run, where, and the judgement: the same for every face.

    Parameters
    ----------
    command
        The command with every default explicit (``-n``, blocking ``--timeout``).
    target
        The resolved context it runs on.
    level
        The judgement (policy, plus the pipeline's limits).
    reasons
        Why, most severe first.
    rule_ids
        The matching rules, in the same order.
    confirm
        What a person types back to approve it (dangerous commands only).
    assumptions
        The defaults that were made explicit, in words.
    blocking
        Seconds it may block (None: it does not block).
    two_person
        The policy's ``two_person`` entry that covers it: a member of its ``approvers`` group
        other than the proposer must approve (None: the level's usual approval).
    """

    command: Command
    target: Target
    level: Level
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    confirm: str | None = None
    assumptions: tuple[str, ...] = ()
    blocking: float | None = None
    two_person: TwoPersonRule | None = None

    @property
    def approvers(self) -> str | None:
        """The group whose member, never the proposer, approves it (None: no such rule)."""
        return self.two_person.approvers if self.two_person is not None else None

    @property
    def text(self) -> str:
        """The canonical command (what is shown, judged and run)."""
        return self.command.render()

    @property
    def recorded(self) -> str:
        """The command as the audit log and the logs keep it: secret values ``<redacted>``."""
        return self.command.redacted()

    @property
    def manifest_digest(self) -> str | None:
        """``sha256:`` of the inline manifest (what the audit keeps of it), if there is one.

        A manifest that holds Secrets is digested without their values (keys kept), so the
        digest cannot confirm a guessed value.
        """
        manifest = redact_command(self.command).manifest
        if manifest is None:
            return None
        return "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()

    @property
    def display(self) -> str:
        """The command as a person reads it, the context included (``--context=NAME``)."""
        text = self.text
        context = self.target.context
        if not context:
            return text
        return text.replace("kubectl ", f"kubectl --context={shlex.quote(context)} ", 1)

    @property
    def namespace(self) -> str | None:
        """The namespace it runs in (None: cluster scope or every namespace)."""
        return self.command.namespace


def _explicit(command: Command, target: Target) -> tuple[Command, tuple[str, ...]]:
    notes: list[str] = []
    table = target.resources
    shown = explicit_namespace(command, target.namespace, table)
    if shown.namespace != command.namespace:
        where = f"context {target.context}" if target.context else "the kubeconfig"
        notes.append(f"-n {target.namespace}: the namespace of {where}, made explicit")
    timed = explicit_timeout(shown, table)
    if timed.flag("timeout") != shown.flag("timeout"):
        notes.append(f"--timeout={timed.flag('timeout')}: how long it may block, made explicit")
    return timed, tuple(notes)


def make_plan(
    source: str | Command,
    target: Target,
    *,
    policy: Policy,
    limits: Limits,
    manifest: str | None = None,
    observe: Observe | None = None,
) -> Plan:
    """Parse (or take) a command, make its defaults explicit, and judge it on ``target``.

    Parameters
    ----------
    source
        A kubectl command line, or a command a translator already parsed.
    target
        The resolved context (its namespace, identity and resource table).
    policy
        The safety policy.
    limits
        The pipeline's bounds (blocking verbs).
    manifest
        Inline manifest text for ``-f -``.
    observe
        Reads live objects as the target's identity, for rules that compare a write with
        what runs now (None: the command is judged alone).

    Raises
    ------
    CommandError
        The grammar refuses the line (nothing is judged).
    """
    if isinstance(source, str):
        command = parse(source, resources=target.resources, manifest=manifest)
    else:
        command = source
    if any(spot.value == REDACTED for spot in secret_spots(command)):
        msg = (f"this command writes {REDACTED!r} as a secret value: it was rebuilt from a record "
               "that never keeps secret values (a conversation, the audit log); give the value "
               "itself")
        raise CommandError(msg, reason="redacted-value")
    command, assumptions = _explicit(command, target)
    context = PolicyContext(user=target.user, namespace=target.namespace, groups=target.groups,
                            observe=observe)
    assessment = policy.assess(command, context, resources=target.resources)
    level, reasons, rule_ids = assessment.level, assessment.reasons, assessment.rule_ids
    blocking = blocking_seconds(command)
    if blocking is not None and blocking > limits.max_block_seconds:
        reason = (
            f"`kubectl {command.verb}` would block for up to {blocking:g} s; this server allows "
            f"at most {limits.max_block_seconds:g} s ({limits.setting}); use "
            f"--timeout={limits.max_block_seconds:g}s or less"
        )
        level = Level.FORBIDDEN
        reasons, rule_ids = (reason, *reasons), (BLOCKING_RULE, *rule_ids)
    confirm = confirmation_text(command) if level is Level.DANGEROUS else None
    two_person = policy.two_person_for(command, level, target.context, context,
                                       resources=target.resources)
    return Plan(command, target, level, tuple(reasons), tuple(rule_ids), confirm, assumptions,
                blocking, two_person)
