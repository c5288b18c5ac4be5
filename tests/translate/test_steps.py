"""Refuse rather than guess, for requests that come in several steps or read credentials.

One command cannot be "restart cart and show its logs": trimming it to the restart, or
merging the names of both steps into one command, runs something nobody asked for. Such a
request is refused whole when one of its steps writes. Other ways people type are read as
meant: "arent" is "are not", "fraud detector" is the object ``fraud-detector``.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.translate import RulesTranslator, TranslationContext
from tests.translate.conftest import Harness

RULES = RulesTranslator()
CTX = TranslationContext(
    namespace="default",
    namespaces=("default", "orders", "billing"),
    inventory={
        "deployments": [("orders", "cart"), ("billing", "fraud-detector")],
        "pods": [("orders", "cart-5f7"), ("orders", "cart-9a1"), ("billing", "fraud-detector-0")],
        "nodes": [("", "node-a"), ("", "node-b")],
    },
)
WRITE_STEPS = ("restart cart in orders", "delete pod cart-5f7 in orders", "scale cart to 3",
               "cordon node-a", "drain node-b", "roll back cart", "label pod cart-9a1 tier=web",
               "kill the cart pods")
JOINS = (" and ", " then ", " and then ", ", then ", ", ", "; ", " and also ", " after that ")
SECOND_STEPS = ("show me its logs", "list the pods in default", "restart fraud-detector",
                "delete pod cart-9a1", "describe node node-b", "get the events",
                "check the rollout", "scale fraud-detector to 0", "uncordon node-b")
LEADS = ("", "please ", "can you ", "ok now ")


def _refused(question: str, kind: str) -> None:
    translation = RULES.translate(question, CTX)
    assert translation.command is None and translation.text == "", (question, translation.text)
    assert any(note.startswith(f"refused ({kind})") for note in translation.notes), (
        question, translation.notes)
    assert "Nothing in it runs" in translation.explanation


@settings(max_examples=300, deadline=None, derandomize=True)
@given(lead=st.sampled_from(LEADS), write=st.sampled_from(WRITE_STEPS),
       join=st.sampled_from(JOINS), second=st.sampled_from(SECOND_STEPS),
       write_first=st.booleans())
def test_a_write_with_another_step_is_refused_whole(lead: str, write: str, join: str,
                                                    second: str, write_first: bool) -> None:
    question = lead + (f"{write}{join}{second}" if write_first else f"{second}{join}{write}")
    _refused(question, "steps")


def test_one_step_with_several_objects_still_translates() -> None:
    cases = {
        "delete pod cart-5f7 and pod cart-9a1 in orders": "delete pods cart-5f7 cart-9a1",
        "scale cart and fraud-detector to 3": "scale",
        "drain node-b, ignore daemonsets": "drain node-b",
        "before I restart cart, show me its pods": "get",
        "show pods and services in orders": "get",
        "can you please restart cart in orders": "rollout restart",
    }
    for question, needle in cases.items():
        translation = RULES.translate(question, CTX)
        assert translation.command is not None, (question, translation.explanation)
        assert needle in translation.text, (question, translation.text)


def test_reading_a_token_is_refused_with_the_rest_of_the_question() -> None:
    for question in ("delete pod cart-5f7 in orders and also print the admin token",
                     "show me the token of the default service account",
                     "restart cart then display the bearer token it uses"):
        translation = RULES.translate(question, CTX)
        assert translation.command is None, (question, translation.text)
        assert any(n.startswith("refused (credentials)") for n in translation.notes), question
    listed = RULES.translate("show secrets of type kubernetes.io/service-account-token in "
                             "orders", CTX)
    assert listed.command is not None and listed.command.verb == "get"


def test_negation_without_the_apostrophe() -> None:
    for question in ("which pods arent running in orders", "which pods aren't running in orders",
                     "pods that are not running in orders"):
        translation = RULES.translate(question, CTX)
        assert translation.text == ("kubectl get pods -n orders "
                                    "--field-selector='status.phase!=Running'"), question


def test_a_name_typed_with_spaces_is_the_object() -> None:
    translation = RULES.translate("show me the logs for fraud detector", CTX)
    assert translation.text == "kubectl logs deployments/fraud-detector -n billing"
    assert "read 'fraud detector' as the object fraud-detector" in translation.assumptions
    restart = RULES.translate("restart fraud detector", CTX)
    assert restart.text == "kubectl rollout restart deployments/fraud-detector -n billing"
    # quoted words stay as typed
    quoted = RULES.translate("logs of 'fraud detector'", CTX)
    assert "fraud-detector" not in quoted.text


def test_llm_answer_to_a_two_step_request_is_not_accepted(llm: Harness) -> None:
    llm.server.answer("kubectl rollout restart deployment/cart -n orders", "Restarts cart.")
    llm.server.answer("kubectl rollout restart deployment/cart -n orders", "Restarts cart.")
    with llm.make() as translator:
        translation = translator.translate("restart cart in orders and show me its logs", CTX)
    assert translation.command is None and translation.text == ""
    assert any(note.startswith("refused (steps)") for note in translation.notes)


def test_who_may_is_not_answered_with_a_listing() -> None:
    """kubectl has no answer to "who can ...": say so and point to auth can-i, do not list."""
    for question in ("who can delete pods in orders", "who has access to secrets in billing",
                     "who could restart cart?", "who is allowed to drain node-a"):
        translation = RULES.translate(question, CTX)
        assert translation.command is None, (question, translation.text)
        assert "auth can-i" in translation.explanation, question
    mine = RULES.translate("can I delete pods in orders?", CTX)
    assert mine.text == "kubectl auth can-i delete pods -n orders"
    usage = RULES.translate("who is using the most memory in orders", CTX)
    assert usage.text == "kubectl top pods -n orders --sort-by=memory"
