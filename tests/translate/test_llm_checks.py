"""The LLM translators answer to the rules' product rules: after the model answers, read
intent, refuse-don't-trim and the namespace asked for are checked, with one repair round and
the rules as the fallback; the previous turn of a conversation is in the prompt."""

from __future__ import annotations

from kubechat_lab.command import parse
from kubechat_lab.translate import TranslationContext, Turn
from tests.translate.conftest import Harness

CTX = TranslationContext(
    namespace="default",
    namespaces=("default", "shop", "payments"),
    inventory={"deployments": [("shop", "checkout"), ("payments", "api")],
               "pods": [("payments", "api-7d9-x1")]},
)


def test_a_write_for_a_read_question_is_repaired(llm: Harness) -> None:
    llm.server.answer("kubectl delete deployment checkout -n shop")
    llm.server.answer("kubectl get deployment checkout -n shop", "Shows checkout.")
    with llm.make() as translator:
        translation = translator.translate("before I delete checkout, show me what it is", CTX)
    assert translation.provider == llm.protocol
    assert translation.text == parse("kubectl get deployment checkout -n shop").render()
    repair = llm.server.received[1].messages[-1]["content"]
    assert "asks to look" in repair and "delete" in repair
    assert any(note.startswith("repair round:") for note in translation.notes)


def test_a_write_twice_falls_back_to_the_rules(llm: Harness) -> None:
    llm.server.answer("kubectl rollout undo deployment/checkout -n shop")
    llm.server.answer("kubectl rollout undo deployment/checkout -n shop")
    with llm.make() as translator:
        translation = translator.translate(
            "list checkout's revisions, I want to roll it back later", CTX)
    assert translation.provider == "rules"
    assert translation.text == parse(
        "kubectl rollout history deployment/checkout -n shop").render()
    assert any(note.startswith("fell back to rules:") and "asks to look" in note
               for note in translation.notes)


def test_a_trimmed_answer_is_refused_whole(llm: Harness) -> None:
    llm.server.answer("kubectl get pods -n payments", "Lists the pods; grep is not allowed.")
    llm.server.answer("", "Pipes are not allowed.")
    with llm.make() as translator:
        translation = translator.translate("pods in payments | grep fraud", CTX)
    assert translation.command is None and translation.text == ""
    assert translation.provider == llm.protocol
    assert "refuse the whole question" in llm.server.received[1].messages[-1]["content"]
    assert "Nothing in it runs" in translation.explanation
    assert any("refused (shell)" in note for note in translation.notes)


def test_a_trimmed_answer_twice_still_runs_nothing(llm: Harness) -> None:
    llm.server.answer("kubectl get pods -n shop").answer("kubectl get pods -n shop")
    with llm.make() as translator:
        translation = translator.translate("list the shop pods as user jane", CTX)
    assert translation.command is None and translation.provider == "rules"


def test_the_namespace_asked_for_is_the_namespace_used(llm: Harness) -> None:
    llm.server.answer("kubectl get pods").answer("kubectl get pods -n payments")
    with llm.make() as translator:
        translation = translator.translate("pods in payments", CTX)
    assert translation.text == parse("kubectl get pods -n payments").render()
    assert "-n payments" in llm.server.received[1].messages[-1]["content"]


def test_a_known_object_needs_its_namespace(llm: Harness) -> None:
    llm.server.answer("kubectl rollout restart deployment/api")
    llm.server.answer("kubectl rollout restart deployment/api -n payments")
    with llm.make() as translator:
        translation = translator.translate("restart api", CTX)
    assert translation.text == parse(
        "kubectl rollout restart deployment/api -n payments").render()
    assert "lives in namespace 'payments'" in llm.server.received[1].messages[-1]["content"]


def test_the_previous_turn_is_in_the_prompt(llm: Harness) -> None:
    ctx = CTX.with_previous(Turn("show deployment checkout in shop",
                                 parse("kubectl get deployment checkout -n shop"),
                                 kind="deployments", names=("checkout",)))
    llm.server.answer("kubectl rollout restart deployment/checkout -n shop")
    with llm.make() as translator:
        translation = translator.translate("now restart it", ctx)
    assert translation.text == parse(
        "kubectl rollout restart deployment/checkout -n shop").render()
    system = llm.server.received[0].messages[0]["content"]
    assert "Previous question: show deployment checkout in shop" in system
    previous = parse("kubectl get deployment checkout -n shop").render()
    assert f"Previous command: {previous}" in system
    assert "Its result showed deployments: checkout" in system
    assert llm.server.received[0].messages[-1]["content"] == "now restart it"


def test_a_follow_up_falls_back_to_rules_with_the_same_context(llm: Harness) -> None:
    ctx = CTX.with_previous(Turn("pods in shop", parse("kubectl get pods -n shop")))
    llm.server.reply(status=500).reply(status=500).reply(status=500)
    with llm.make(retries=2) as translator:
        translation = translator.translate("and in payments?", ctx)
    assert translation.provider == "rules"
    assert translation.text == parse("kubectl get pods -n payments").render()


def test_an_invented_name_is_refused_like_the_rules_would(llm: Harness) -> None:
    """A model's name that neither the question nor the cluster has is a guess: repaired,
    then the rules decide (which refuse the ordinary word rather than name a pod after it)."""
    llm.server.answer("kubectl delete pods mess -n shop")
    llm.server.answer("kubectl delete pods mess -n shop")
    with llm.make() as translator:
        translation = translator.translate("clean up the mess in shop", CTX)
    repair = llm.server.received[1].messages[-1]["content"]
    assert "'mess'" in repair and "inventory" in repair
    assert translation.provider == "rules"
    assert translation.command is None or "mess" not in translation.text
    assert any(note.startswith("fell back to rules:") and "'mess'" in note
               for note in translation.notes)


def test_a_name_the_question_writes_is_kept(llm: Harness) -> None:
    llm.server.answer("kubectl get pods web-7 -n shop", "The pod web-7.")
    with llm.make() as translator:
        translation = translator.translate("show pod web-7 in shop", CTX)
    assert translation.provider == llm.protocol
    assert translation.text == parse("kubectl get pods web-7 -n shop").render()
