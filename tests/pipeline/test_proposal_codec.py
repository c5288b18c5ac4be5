"""The shared store's codec keeps every field of a proposal, and never a secret value."""

from __future__ import annotations

import dataclasses

from kubechat_lab.audit.events import Actor, CapabilityRef, ClientRef
from kubechat_lab.cluster import Column, Result
from kubechat_lab.pipeline import Pipeline, Plan, Proposal, State
from kubechat_lab.pipeline._proposal_codec import (
    PLAN_FIELDS,
    PROPOSAL_FIELDS,
    proposal_from_doc,
    proposal_to_doc,
    withheld_secrets,
)
from kubechat_lab.policy import Level, TwoPersonRule, default_policy
from tests.pipeline.test_steps import Recording


def _plan(text: str) -> Plan:
    pipeline = Pipeline(policy=default_policy(), clients=Recording([]), sink=lambda e: 1)
    return pipeline.plan(text, pipeline.resolve(None, user="alice", identity=("alice", ("sre",))))


def _round_trip(proposal: Proposal) -> Proposal:
    return proposal_from_doc(id=proposal.id, state=proposal.state.value, user=proposal.user,
                             owner=proposal.owner, created=proposal.created,
                             expires=proposal.expires, doc=proposal_to_doc(proposal))


def test_the_codec_knows_every_field_of_a_proposal_and_its_plan() -> None:
    # a field the codec does not know would be dropped by the shared (PostgreSQL) store:
    # add it to kubechat_lab/pipeline/_proposal_codec.py
    assert {f.name for f in dataclasses.fields(Plan)} == PLAN_FIELDS
    assert {f.name for f in dataclasses.fields(Proposal)} == PROPOSAL_FIELDS


def test_a_proposal_comes_back_as_it_was() -> None:
    result = Result("pods", (Column("name", "str"), Column("restarts", "int")),
                    (("web-1", 0), ("web-2", 3)), text="t", diff="+ a", status="changed")
    proposal = Proposal(
        id="p_1", plan=dataclasses.replace(
            _plan("kubectl rollout restart deployment web -n shop"),
            two_person=TwoPersonRule("sre-leads", frozenset({Level.WARNING}), ("prod-*",),
                                     ("shop",), 2)), user="alice",
        source="ask", created=10.0, expires=910.0, state=State.EXECUTED, owner="kernel:k1",
        question="restart web", provider="rules", explanation="why", assumptions=("a",),
        notes=("n",), preview={"status": "dry-run", "diff": "+ x"}, approver="bob",
        decided_via="page", audit_seqs=(3, 4, 5), result=result, error="e",
        conversation="c1", extra={"progress": {"rows": 2}}, dry_run=result,
        proposer=Actor(user="alice", via="capability", origin="mcp",
                       client=ClientRef("claude-code", "2.1"),
                       capability=CapabilityRef("c_1", "token", "ops", ("propose",)),
                       kernel_id="k1", impersonate_user="alice", impersonate_groups=("sre",)),
        cached=True)
    assert {f.name for f in dataclasses.fields(Proposal)
            if getattr(proposal, f.name) == f.default} == set()  # every field set
    again = _round_trip(proposal)
    assert again == proposal
    assert again.plan.target.identity == ("alice", ("sre",))


def test_secret_values_are_redacted_and_known_to_be_missing() -> None:
    plan = _plan("kubectl create secret generic s -n shop --from-literal=password=hunter2-x")
    proposal = Proposal(id="p_2", plan=plan, user="alice", source="ask", created=1.0,
                        expires=2.0, question="make secret s with password hunter2-x")
    doc = proposal_to_doc(proposal)
    assert "hunter2-x" not in repr(doc)
    again = _round_trip(proposal)
    assert withheld_secrets(again.plan) and not withheld_secrets(proposal.plan)
    assert again.text == proposal.plan.recorded
