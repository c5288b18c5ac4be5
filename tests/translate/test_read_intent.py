"""Read intent wins: a question whose main verb reads never yields a write (property test).

Phrasings are generated from parts: a read lead ("show", "list", "which ..."), an object, and a
write the person only plans, asks about or asks permission for. Whatever the combination, the
rules translator answers with a read, an ``auth can-i``, or no command at all.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.translate import RulesTranslator, TranslationContext
from kubechat_lab.translate._checks import check_command, read_question

RULES = RulesTranslator()
CTX = TranslationContext(
    namespace="default",
    namespaces=("default", "orders", "billing", "edge"),
    inventory={
        "deployments": [("orders", "cart"), ("billing", "invoicer"), ("edge", "gw")],
        "statefulsets": [("orders", "db")],
        "pods": [("orders", "cart-5f7"), ("orders", "db-0"), ("edge", "gw-0")],
        "nodes": [("", "node-a"), ("", "node-b")],
    },
)
READ_LEADS = ("show", "show me", "list", "display", "get me", "give me", "can you show",
              "please list", "i'd like to see", "let me see", "print")
OBJECTS = ("the pods in orders", "deployment cart in orders", "cart's revisions",
           "the cart pods", "events in billing", "node node-b", "the invoicer deployment",
           "pod db-0 in orders", "the rollout history of gw", "what's running on node-a",
           "the replicas of cart")
WRITES = ("delete", "remove", "kill", "restart", "drain", "scale down", "roll back", "nuke",
          "wipe", "cordon", "evict", "update", "patch", "label", "bounce", "undo", "taint",
          "scale to 0")
TARGETS = ("it", "them", "cart", "node-b", "the deployment", "those pods", "db-0")
PLANS = ("before I {w} {t}", "I want to {w} {t} later", "I'll {w} {t} after",
         "I'm going to {w} {t} afterwards", "so I can {w} {t}", "in case I {w} {t}",
         "after that I will {w} {t}", "then I plan to {w} {t} later")
QUESTIONS = ("what would happen if I {w} {t}?", "what's going to {w} {t}?",
             "who would {w} {t}?", "why did someone {w} {t}?", "what would {w} {t} do?",
             "how often do we {w} {t}?")
PERMISSION = ("can I {w} {t}?", "am I allowed to {w} {t}?", "may I {w} {t}?",
              "do I have permission to {w} {t}?")


def _never_writes(question: str) -> None:
    translation = RULES.translate(question, CTX)
    command = translation.command
    assert command is None or not command.is_write, (question, translation.text)
    facts = read_question(question, CTX)
    assert facts.looks_only, question
    if command is not None:
        assert not [p for p in check_command(facts, command, CTX) if "asks to look" in p]


@settings(max_examples=300, deadline=None, derandomize=True)
@given(lead=st.sampled_from(READ_LEADS), obj=st.sampled_from(OBJECTS),
       plan=st.sampled_from(PLANS), write=st.sampled_from(WRITES),
       target=st.sampled_from(TARGETS), plan_first=st.booleans())
def test_a_read_with_a_planned_write_stays_a_read(lead: str, obj: str, plan: str, write: str,
                                                   target: str, plan_first: bool) -> None:
    planned = plan.format(w=write, t=target)
    question = f"{planned}, {lead} {obj}" if plan_first else f"{lead} {obj}, {planned}"
    _never_writes(question)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(template=st.sampled_from(QUESTIONS), write=st.sampled_from(WRITES),
       target=st.sampled_from(TARGETS))
def test_a_question_about_a_write_is_not_the_write(template: str, write: str,
                                                  target: str) -> None:
    _never_writes(template.format(w=write, t=target))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(template=st.sampled_from(PERMISSION), write=st.sampled_from(WRITES),
       target=st.sampled_from(("pods in orders", "deployments in billing", "the cart deployment",
                               "nodes", "secrets in edge")))
def test_can_i_is_a_permission_check(template: str, write: str, target: str) -> None:
    question = template.format(w=write, t=target)
    translation = RULES.translate(question, CTX)
    command = translation.command
    assert command is None or (command.verb == "auth" and not command.is_write), (
        question, translation.text)


def test_named_examples() -> None:
    cases = {
        "before I delete cart, show me what it is": "get",
        "list cart's revisions, I want to roll it back later": "rollout",
        "which pods would get kicked off if I drained node-b": "get",
        "what's cart's replica count right now? I'll scale it to 0 after": "get",
        "what's killing db-0? show the logs from its last crash": "logs",
    }
    for question, verb in cases.items():
        translation = RULES.translate(question, CTX)
        assert translation.command is not None, (question, translation.explanation)
        assert translation.command.verb == verb and not translation.command.is_write, question
        assert any("plan" in a for a in translation.assumptions) or verb == "logs", question
