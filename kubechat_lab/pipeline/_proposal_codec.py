"""A proposal as a JSON document and back, without its command's secret values.

What the shared store (``kubechat_lab/pipeline/_pg_proposals.py``) writes to PostgreSQL. The
command is written as :func:`~kubechat_lab.command.redact_command` leaves it (secret values
``<redacted>``, keys kept), and the question and explanation as the command redacts them, so
the database never holds a value the audit log would not. A proposal read back keeps its
plan's judgement (level, reasons, rules, confirmation) as it was made; its target's resource
table is the built-in one (the command is already parsed; running it needs no table).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubechat_lab.audit.events import Actor, CapabilityRef, ClientRef
from kubechat_lab.command import REDACTED, Command, redact_command, secret_spots
from kubechat_lab.pipeline._plan import Plan
from kubechat_lab.pipeline._proposals import Proposal, State
from kubechat_lab.pipeline._target import Target
from kubechat_lab.policy import Level, TwoPersonRule

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kubechat_lab.cluster import Result

__all__ = [
    "PLAN_FIELDS",
    "PROPOSAL_FIELDS",
    "command_from_doc",
    "command_to_doc",
    "has_secret_values",
    "proposal_from_doc",
    "proposal_to_doc",
    "withheld_secrets",
]


#: The fields of :class:`Plan` and :class:`Proposal` this codec writes and reads back. A field
#: added to either must be added here and to the functions below (a test compares them), or
#: the shared store would drop it.
PLAN_FIELDS = frozenset({"command", "target", "level", "reasons", "rule_ids", "confirm",
                         "assumptions", "blocking", "two_person"})
PROPOSAL_FIELDS = frozenset({
    "id", "plan", "user", "source", "created", "expires", "state", "owner", "question",
    "provider", "explanation", "assumptions", "notes", "preview", "approver", "decided_via",
    "audit_seqs", "result", "error", "conversation", "extra", "dry_run", "proposer", "cached"})


def has_secret_values(plan: Plan) -> bool:
    """Return whether the plan's command writes secret values (kept out of the database)."""
    return bool(plan.command.secret_values)


def withheld_secrets(plan: Plan) -> bool:
    """Return whether the plan was read back without the secret values its command writes."""
    return any(spot.value == REDACTED for spot in secret_spots(plan.command))


def command_to_doc(command: Command) -> dict[str, Any]:
    """Return the JSON document of ``command`` with its secret values redacted."""
    doc = redact_command(command).to_dict()
    doc.pop("canonical", None)
    return doc


def command_from_doc(doc: Mapping[str, Any]) -> Command:
    """Rebuild a command from :func:`command_to_doc`'s document."""
    # Written by command_to_doc from a parsed command: rebuilt as it was, not re-parsed (a
    # custom resource would need the cluster's table, and a redacted value is no input).
    return Command(
        verb=str(doc["verb"]),
        subverb=doc.get("subverb"),
        resources=tuple(doc.get("resources", ())),
        names=tuple(doc.get("names", ())),
        targets=tuple((str(a), str(b)) for a, b in doc.get("targets", ())),
        namespace=doc.get("namespace"),
        all_namespaces=bool(doc.get("all_namespaces", False)),
        selector=doc.get("selector"),
        field_selector=doc.get("field_selector"),
        output=doc.get("output"),
        flags=tuple((str(a), str(b)) for a, b in doc.get("flags", ())),
        args=tuple(doc.get("args", ())),
        manifest=doc.get("manifest"),
    )


def _plan_doc(plan: Plan) -> dict[str, Any]:
    target = plan.target
    return {
        "command": command_to_doc(plan.command),
        "target": {"context": target.context, "cluster": target.cluster,
                   "namespace": target.namespace, "user": target.user,
                   "identity": [target.identity[0], list(target.identity[1])],
                   "problems": list(target.problems)},
        "level": plan.level.value,
        "reasons": list(plan.reasons),
        "rule_ids": list(plan.rule_ids),
        "confirm": plan.confirm,
        "assumptions": list(plan.assumptions),
        "blocking": plan.blocking,
        "two_person": None if plan.two_person is None else {
            "approvers": plan.two_person.approvers,
            "levels": sorted(level.value for level in plan.two_person.levels),
            "contexts": list(plan.two_person.contexts),
            "namespaces": list(plan.two_person.namespaces),
            "index": plan.two_person.index},
    }


def _two_person(doc: Mapping[str, Any] | None) -> TwoPersonRule | None:
    if doc is None:
        return None
    return TwoPersonRule(approvers=str(doc["approvers"]),
                         levels=frozenset(Level(v) for v in doc["levels"]),
                         contexts=tuple(doc["contexts"]), namespaces=tuple(doc["namespaces"]),
                         index=int(doc["index"]))


def _actor(doc: Mapping[str, Any] | None) -> Actor | None:
    """Rebuild who proposed it from :meth:`Actor.fields` (the proposer's event fields)."""
    if doc is None:
        return None
    client = doc.get("client")
    capability = doc.get("capability")
    return Actor(
        user=str(doc["user"]), via=str(doc["via"]), auth=doc.get("auth"),
        origin=doc.get("origin"),
        client=ClientRef(**client) if client else None,
        capability=CapabilityRef(**{**capability, "scopes": tuple(capability.get("scopes", ()))})
        if capability else None,
        kernel_id=doc.get("kernel_id"), impersonate_user=doc.get("impersonate_user"),
        impersonate_groups=tuple(doc.get("impersonate_groups", ())))


def _plan(doc: Mapping[str, Any]) -> Plan:
    t = doc["target"]
    identity = (t["identity"][0], tuple(t["identity"][1]))
    target = Target(context=t["context"], cluster=t["cluster"], namespace=t["namespace"],
                    user=t["user"], identity=identity, problems=tuple(t.get("problems", ())))
    return Plan(command_from_doc(doc["command"]), target, Level(doc["level"]),
                tuple(doc["reasons"]), tuple(doc["rule_ids"]), doc.get("confirm"),
                tuple(doc.get("assumptions", ())), doc.get("blocking"),
                _two_person(doc.get("two_person")))


def _result(doc: Any) -> Result | None:
    from kubechat_lab.cluster import Result

    return Result.from_json(doc) if doc is not None else None


def proposal_to_doc(proposal: Proposal) -> dict[str, Any]:
    """Return the JSON document of ``proposal`` (all but ``state``), secret values redacted."""
    command = proposal.command
    return {
        "plan": _plan_doc(proposal.plan),
        "source": proposal.source,
        "question": command.redact(proposal.question) if proposal.question else None,
        "provider": proposal.provider,
        "explanation": command.redact(proposal.explanation),
        "assumptions": list(proposal.assumptions),
        "notes": list(proposal.notes),
        "preview": proposal.preview,
        "approver": proposal.approver,
        "decided_via": proposal.decided_via,
        "audit_seqs": list(proposal.audit_seqs),
        "result": proposal.result.to_columnar() if proposal.result is not None else None,
        "error": proposal.error,
        "conversation": proposal.conversation,
        "extra": proposal.extra,
        "dry_run": proposal.dry_run.to_columnar() if proposal.dry_run is not None else None,
        "proposer": proposal.proposer.fields() if proposal.proposer is not None else None,
        "cached": proposal.cached,
    }


def proposal_from_doc(*, id: str, state: str, user: str, owner: str, created: float,
                      expires: float, doc: Mapping[str, Any]) -> Proposal:
    """Rebuild a proposal from its row (the columns and :func:`proposal_to_doc`'s document)."""
    return Proposal(
        id=id, plan=_plan(doc["plan"]), user=user, source=str(doc["source"]), created=created,
        expires=expires, state=State(state), owner=owner, question=doc.get("question"),
        provider=doc.get("provider"), explanation=str(doc.get("explanation", "")),
        assumptions=tuple(doc.get("assumptions", ())), notes=tuple(doc.get("notes", ())),
        preview=doc.get("preview"), approver=doc.get("approver"),
        decided_via=doc.get("decided_via"),
        audit_seqs=tuple(int(s) for s in doc.get("audit_seqs", ())),
        result=_result(doc.get("result")), error=doc.get("error"),
        conversation=doc.get("conversation"), extra=dict(doc.get("extra") or {}),
        dry_run=_result(doc.get("dry_run")), proposer=_actor(doc.get("proposer")),
        cached=bool(doc.get("cached", False)))
