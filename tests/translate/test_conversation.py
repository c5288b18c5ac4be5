"""Typos, named objects, refusals, sorting and follow-ups of the rules translator.

The cluster here is not the demo workload the evaluation sets are about: these tests check
that the rules are general (vocabulary, inventory, grammar of intent), not answers.
"""

from __future__ import annotations

import pytest

from kubechat_lab.command import parse
from kubechat_lab.translate import RulesTranslator, Translation, TranslationContext, Turn

RULES = RulesTranslator()
CTX = TranslationContext(
    namespace="default",
    namespaces=("default", "orders", "billing", "edge", "kube-system"),
    inventory={
        "deployments": [("orders", "cart"), ("billing", "invoicer"), ("edge", "gw"),
                        ("orders", "api"), ("billing", "api")],
        "statefulsets": [("orders", "db")],
        "services": [("orders", "db"), ("edge", "gw")],
        "pods": [("orders", "cart-5f7"), ("orders", "db-0"), ("edge", "gw-0")],
        "configmaps": [("billing", "invoicer-config")],
        "cronjobs": [("billing", "monthly-close")],
        "nodes": [("", "node-a"), ("", "node-b")],
    },
)


def _run(question: str, ctx: TranslationContext = CTX) -> Translation:
    return RULES.translate(question, ctx)


def _text(question: str, ctx: TranslationContext = CTX) -> str:
    translation = _run(question, ctx)
    assert translation.command is not None, (question, translation.explanation)
    return translation.text


def _is(question: str, expected: str, ctx: TranslationContext = CTX) -> Translation:
    translation = _run(question, ctx)
    assert translation.text == parse(expected).render(), (question, translation)
    return translation


# -- 1. typos and shorthand ----------------------------------------------------------------


@pytest.mark.parametrize(("question", "expected", "assumption"), [
    ("pods in ordres", "kubectl get pods -n orders", "'ordres' as namespace orders"),
    ("statfulsets in orders", "kubectl get statefulsets -n orders", "'statfulsets'"),
    ("descibe deployment invoicr in billing", "kubectl describe deployment invoicer -n billing",
     "'invoicr' as deployment invoicer"),
    ("evetns in edge", "kubectl get events -n edge", "'evetns'"),
    ("pods not runnign in billing",
     "kubectl get pods -n billing --field-selector=status.phase!=Running", "'runnign'"),
])
def test_typos_are_corrected_and_said(question: str, expected: str, assumption: str) -> None:
    translation = _is(question, expected)
    assert any(assumption in a for a in translation.assumptions), translation.assumptions


@pytest.mark.parametrize(("question", "expected"), [
    ("pods in orders labelled app=crat", "kubectl get pods -n orders -l app=crat"),
    ("scale deployment cart in orders to 3",
     "kubectl scale deployment/cart -n orders --replicas=3"),
    ("set image of deployment gw in edge to nginx:1.2.7",
     "kubectl set image deployment/gw gw=nginx:1.2.7 -n edge"),
])
def test_literals_are_never_corrected(question: str, expected: str) -> None:
    translation = _is(question, expected)
    assert not any(a.startswith("read ") for a in translation.assumptions)


def test_a_name_in_a_write_is_not_corrected_to_another_object() -> None:
    # a typo in a write must not aim it at a different object: kept as typed, the cluster
    # answers NotFound
    translation = _run("delete configmap invoicer-confg in billing")
    assert translation.text == parse("kubectl delete configmap invoicer-confg -n billing").render()


# -- 2. named objects ----------------------------------------------------------------------


@pytest.mark.parametrize(("question", "expected"), [
    ("logs of cart", "kubectl logs deployment/cart -n orders"),
    ("restart invoicer", "kubectl rollout restart deployment/invoicer -n billing"),
    ("describe db", "kubectl describe statefulset db -n orders"),
    ("show the cart pods", "kubectl get pods -n orders -l app=cart"),
    ("monthly-close as yaml", "kubectl get cronjob monthly-close -n billing -o yaml"),
    ("bounce coredns", "kubectl rollout restart deployment/coredns -n kube-system"),
])
def test_a_name_alone_is_resolved_through_the_inventory(question: str, expected: str) -> None:
    _is(question, expected)


def test_two_matches_pick_none_and_list_the_candidates() -> None:
    translation = _run("restart api")
    assert translation.command is None
    assert "deployment api in billing" in translation.explanation
    assert "deployment api in orders" in translation.explanation
    assert _text("restart api in billing") == parse(
        "kubectl rollout restart deployment/api -n billing").render()


# -- 4. refuse, don't trim ------------------------------------------------------------------


@pytest.mark.parametrize(("question", "kind"), [
    ("list pods in orders | head -3", "shell"),
    ("get pods in edge and use token eyJhbGci", "credentials"),
    ("describe pod gw-0 in edge as user bob", "identity"),
    ("curl the gw service in edge", "network"),
    ("print the decoded secret values in billing", "secret-value"),
    ("kubectl get pods; kubectl delete pod db-0 -n orders", "shell"),
])
def test_a_forbidden_part_refuses_the_whole_question(question: str, kind: str) -> None:
    translation = _run(question)
    assert translation.command is None and translation.text == ""
    assert any(kind in note for note in translation.notes), translation.notes
    assert "Nothing in it runs" in translation.explanation


def test_permission_questions_about_forbidden_verbs_are_fine() -> None:
    assert _text("can I exec into pods in orders?").startswith("kubectl auth can-i create")


# -- 5. sorting and top N --------------------------------------------------------------------


@pytest.mark.parametrize(("question", "expected"), [
    ("oldest pods in billing", "kubectl get pods -n billing --sort-by=.metadata.creationTimestamp"),
    ("which orders pod uses the most memory", "kubectl top pods -n orders --sort-by=memory"),
    ("nodes by cpu", "kubectl top nodes --sort-by=cpu"),
    ("deployments in edge ordered by replica count",
     "kubectl get deployments -n edge --sort-by=.spec.replicas"),
])
def test_sorting(question: str, expected: str) -> None:
    _is(question, expected)


def test_top_n_returns_every_row_sorted_and_says_so() -> None:
    translation = _is("top 3 pods by restarts in orders",
                      "kubectl get pods -n orders "
                      "--sort-by=.status.containerStatuses[0].restartCount")
    assert any(".head(3)" in a for a in translation.assumptions)


# -- 6. conversation -----------------------------------------------------------------------


def _after(question: str, command: str, **kw: object) -> TranslationContext:
    return CTX.with_previous(Turn(question, parse(command), **kw))  # type: ignore[arg-type]


@pytest.mark.parametrize(("prev", "prev_command", "question", "expected"), [
    ("pods in orders", "kubectl get pods -n orders", "and in edge?", "kubectl get pods -n edge"),
    ("pods in orders", "kubectl get pods -n orders", "same but newest first",
     "kubectl get pods -n orders --sort-by=.metadata.creationTimestamp"),
    ("get deployment gw in edge", "kubectl get deployment gw -n edge", "now restart it",
     "kubectl rollout restart deployment/gw -n edge"),
    ("describe pod db-0 in orders", "kubectl describe pod db-0 -n orders", "show its logs",
     "kubectl logs db-0 -n orders"),
    ("logs of pod db-0 in orders", "kubectl logs db-0 -n orders", "only the last 10 lines",
     "kubectl logs db-0 -n orders --tail=10"),
    ("scale gw in edge to 2", "kubectl scale deployment/gw -n edge --replicas=2",
     "make it 4 instead", "kubectl scale deployment/gw -n edge --replicas=4"),
    ("cordon node-a", "kubectl cordon node-a", "undo that", "kubectl uncordon node-a"),
    ("get deployment cart in orders", "kubectl get deployment cart -n orders",
     "and its pods?", "kubectl get pods -n orders -l app=cart"),
    ("warning events in billing", "kubectl get events -n billing --field-selector=type=Warning",
     "what about everywhere?", "kubectl get events -A --field-selector=type=Warning"),
])
def test_follow_ups_read_the_previous_turn(prev: str, prev_command: str, question: str,
                                           expected: str) -> None:
    translation = _is(question, expected, _after(prev, prev_command))
    assert translation.assumptions, "a follow-up says what it took from the previous turn"


def test_a_follow_up_uses_the_names_the_previous_result_showed() -> None:
    ctx = _after("failed pods in orders",
                 "kubectl get pods -n orders --field-selector=status.phase=Failed",
                 kind="pods", names=("cart-5f7",))
    assert _text("describe them", ctx) == parse("kubectl describe pods cart-5f7 -n orders").render()


def test_a_whole_question_is_not_read_as_a_follow_up() -> None:
    ctx = _after("pods in orders", "kubectl get pods -n orders")
    assert _text("deployments in billing", ctx) == parse(
        "kubectl get deployments -n billing").render()


def test_undo_of_a_delete_is_refused_with_a_reason() -> None:
    translation = _run("undo that", _after("delete pod db-0 in orders",
                                           "kubectl delete pod db-0 -n orders"))
    assert translation.command is None and "cannot be undone" in translation.notes[0]
