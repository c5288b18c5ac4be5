"""The policy's ``two_person`` option: parsing with clear errors, and which commands it covers.

A plan made through the pipeline carries the entry that covers it (the judgement happens when
the proposal is made); the lifecycle refuses the proposer's own approval whatever face asks.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.command import parse
from kubechat_lab.errors import PolicyError, PolicyViolation
from kubechat_lab.pipeline import Limits, Target, make_plan
from kubechat_lab.pipeline._life import refuse_self_approval
from kubechat_lab.pipeline._proposals import Proposal
from kubechat_lab.policy import Level, TwoPersonRule, load_policy

POLICY = """
version: 1
two_person:
  - levels: [dangerous]
    contexts: [prod, "prod-*"]
    approvers: sre-leads
  - levels: [warning, dangerous]
    namespaces: [payments, "pay-*"]
    approvers: payments-leads
"""


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


def judged(policy_file: Path, text: str, context: str, namespace: str = "default"
           ) -> TwoPersonRule | None:
    target = Target(context=context, cluster="https://127.0.0.1:1", namespace=namespace,
                    user="alice")
    plan = make_plan(text, target, policy=load_policy(policy_file), limits=Limits())
    return plan.two_person


def test_parsed_entries(policy_file: Path) -> None:
    first, second = load_policy(policy_file).two_person
    assert first == TwoPersonRule("sre-leads", frozenset({Level.DANGEROUS}), ("prod", "prod-*"),
                                  (), 1)
    assert second.levels == frozenset({Level.WARNING, Level.DANGEROUS})
    assert second.namespaces == ("payments", "pay-*") and second.index == 2
    assert first.describe() == "dangerous commands on context prod, prod-*"
    # the default policy names no one: nothing needs two people unless the operator says so
    assert load_policy().two_person == ()


@pytest.mark.parametrize(("text", "context", "group"), [
    ("delete pod web-0 -n shop", "prod", "sre-leads"),
    ("delete pod web-0 -n shop", "prod-eu", "sre-leads"),
    ("delete node kwok-worker-1", "prod", "sre-leads"),            # cluster scope, any namespace
    ("delete pod web-0 -n shop", "staging", None),                 # another context
    ("delete pod web-0 -n shop", "production", None),              # globs match whole names
    ("scale deploy web --replicas=2 -n shop", "prod", None),       # warning: not covered there
    ("get pods -n shop", "prod", None),                            # safe never needs two people
    ("scale deploy web --replicas=2 -n payments", "staging", "payments-leads"),
    ("delete pod web-0 -n pay-eu", "staging", "payments-leads"),
    ("delete pod web-0 -n payments", "prod", "sre-leads"),         # the first entry decides
    ("delete pods --all -n shop", "dev", None),
    ("delete node kwok-worker-1", "dev", None),                    # cluster scope, named ns only
    ("delete namespace payments", "dev", "payments-leads"),        # deleting the namespace
    ("delete ns/payments", "dev", "payments-leads"),
    ("label pods --all -A team=x", "dev", "payments-leads"),       # -A touches payments too
    ("label pods web-0 team=x", "dev", None),                      # -n default made explicit
])
def test_which_commands_it_covers(policy_file: Path, text: str, context: str,
                                  group: str | None) -> None:
    rule = judged(policy_file, text, context)
    assert (rule.approvers if rule is not None else None) == group, text


def test_the_kubeconfig_namespace_counts(policy_file: Path) -> None:
    rule = judged(policy_file, "scale deploy web --replicas=2", "dev", namespace="payments")
    assert rule is not None and rule.approvers == "payments-leads"


def test_a_manifest_s_objects_count_with_their_own_namespaces(policy_file: Path) -> None:
    target = Target(context="dev", cluster="https://127.0.0.1:1", namespace="default",
                    user="alice")
    manifest = ('{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","namespace":'
                '"payments"}}')
    plan = make_plan("kubectl delete -f -", target, policy=load_policy(policy_file),
                     limits=Limits(), manifest=manifest)
    assert plan.two_person is not None and plan.two_person.approvers == "payments-leads"
    elsewhere = manifest.replace('"payments"', '"shop"')
    plan = make_plan("kubectl delete -f -", target, policy=load_policy(policy_file),
                     limits=Limits(), manifest=elsewhere)
    assert plan.two_person is None


def test_a_forbidden_command_is_never_sent_for_approval(policy_file: Path) -> None:
    assert judged(policy_file, "delete namespace kube-system", "prod") is None


@pytest.mark.parametrize(("entry", "problem"), [
    ("{levels: [dangerous]}", "two_person #1: field 'approvers': expected the name of one group"),
    ("{approvers: [a, b]}", "field 'approvers': expected the name of one group"),
    ("{approvers: 'sre leads'}", "field 'approvers'"),
    ("{approvers: x, levels: [safe]}", "'safe' cannot need two people (safe commands are "
                                       "approved by policy)"),
    ("{approvers: x, levels: [forbidden]}", "forbidden commands never run"),
    ("{approvers: x, levels: []}", "field 'levels': expected a non-empty list"),
    ("{approvers: x, levels: dangerous}", "field 'levels': expected a non-empty list"),
    ("{approvers: x, contexts: prod}", "field 'contexts': expected a list of names or globs"),
    ("{approvers: x, namespaces: ['']}", "field 'namespaces'"),
    ("{approvers: x, context: [prod]}", "unknown field 'context' (did you mean 'contexts'?)"),
    ("just-a-group", "two_person #1: expected a mapping with 'approvers'"),
])
def test_bad_entries_are_refused_clearly(tmp_path: Path, entry: str, problem: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(f"version: 1\ntwo_person:\n  - {entry}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert problem in str(info.value)
    assert str(path) in str(info.value)


def test_not_a_list(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ntwo_person: {approvers: sre-leads}\n")
    with pytest.raises(PolicyError, match="field 'two_person': expected a list of entries"):
        load_policy(path)


def test_misspelt_top_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: 1\ntwo_persons: []\n")
    with pytest.raises(PolicyError, match="did you mean 'two_person'"):
        load_policy(path)


def test_the_proposer_never_approves_their_own(policy_file: Path) -> None:
    target = Target(context="prod", cluster="https://127.0.0.1:1", namespace="shop",
                    user="alice")
    plan = make_plan(parse("kubectl delete pod web-0 -n shop"), target,
                     policy=load_policy(policy_file), limits=Limits())
    proposal = Proposal(id="p_" + "0" * 20, plan=plan, user="alice", source="propose",
                        created=0.0, expires=1.0)
    assert proposal.to_dict()["approvers"] == "sre-leads"
    with pytest.raises(PolicyViolation) as info:
        refuse_self_approval(proposal, "alice")
    assert info.value.rule_id == "two-person-self"
    assert "a member of sre-leads other than its proposer (alice)" in str(info.value)
    refuse_self_approval(proposal, "bob")  # the group is the face's to check
