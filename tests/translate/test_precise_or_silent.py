"""Precise or silent: ordinary words never become names, unknown words are refused with choices.

These are properties over generated sentences, not phrasings: a general English word list
(``english-words``, Webster's second edition) supplies the words, Hypothesis the placement.
"""

from __future__ import annotations

import string
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubechat_lab.command import DEFAULT_RESOURCES
from kubechat_lab.sandbox import demo_grounding
from kubechat_lab.translate import RulesTranslator, TranslationContext
from kubechat_lab.translate.rules.account import (
    FILLERS,
    FRAME_WORDS,
    SYMPTOMS,
    _forms,
    intent_words,
)
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.fields import field_jsonpath
from kubechat_lab.translate.rules.intents import INTENT_PATTERNS, WRITE_WORDS
from kubechat_lab.translate.rules.lexicon import NOT_NAMES, RESOURCE_WORDS
from kubechat_lab.translate.rules.refusals import find_refusals
from kubechat_lab.translate.rules.scan import Scan
from kubechat_lab.translate.rules.shapes import extract_shapes
from kubechat_lab.translate.rules.spelling import correct_spelling

RULES = RulesTranslator()
CTX = TranslationContext.from_dict(demo_grounding())


@cache
def _english() -> tuple[str, ...]:
    from english_words import get_english_words_set

    known = set(CTX.object_names) | set(CTX.namespaces) | set(RESOURCE_WORDS)
    known |= {info.plural for info in DEFAULT_RESOURCES}
    words = get_english_words_set(["web2"], lower=True, alpha=True)
    return tuple(sorted(w for w in words if 3 <= len(w) <= 12 and w not in known))


# Sentences where a word is *not* in kubectl's own NAME slot (after a plural kind, after a
# determiner before a plural kind, at the end of a request, as a verb): the word must never
# become an object name. (Right after a singular kind — "describe deployment cart" — is
# kubectl's NAME slot, where a typed word is a name by the grammar of the command itself.)
TEMPLATES = (
    "get pods {w}",
    "describe pods {w} -n shop",
    "get jobs {w}",
    "delete pods {w} in shop",
    "show me the deployments {w}",
    "list {w} pods in payments",
    "are the checkout pods {w}?",
    "clean up the {w} in shop",
    "am I {w} allowed to delete pods in shop",
    "{w} the checkout deployment",
    "logs of checkout, {w}",
    "restart checkout {w}",
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(word=st.builds(lambda: None).flatmap(lambda _: st.sampled_from(_english())),
       template=st.sampled_from(TEMPLATES))
def test_no_english_word_becomes_a_name(word: str, template: str) -> None:
    question = template.format(w=word)
    translation = RULES.translate(question, CTX)
    command = translation.command
    if command is None:
        return
    named = set(command.names) | {name for _, name in command.targets}
    assert word not in named, f"{question!r} -> {translation.text!r}: {word!r} became a name"
    for choice in translation.choices:
        chosen = set(choice.command.names) | {n for _, n in choice.command.targets}
        assert word not in chosen, f"{question!r}: a choice names {word!r}"


@cache
def _vocabulary() -> frozenset[str]:
    """Every word the rules know, and every English word (the made-up verb must be neither)."""
    intents = {w for pattern in INTENT_PATTERNS.values() for w in intent_words(pattern)}
    return (NOT_NAMES | WRITE_WORDS | FILLERS | FRAME_WORDS | SYMPTOMS | frozenset(intents)
            | frozenset(RESOURCE_WORDS) | frozenset(_english()))


def _unknown(word: str) -> bool:
    """Not English nor known in any inflection, and not a typo the translator would correct
    (a correction is shown, not guessed), nor a word a refusal rule reads."""
    return (not set(_forms(word)) & _vocabulary() and not correct_spelling(word, CTX)[1]
            and not find_refusals(word)  # "escalat...": a refusal's own stem is no unknown verb
            and not _names_a_field(word))


def _names_a_field(word: str) -> bool:
    """Return True for a word the output shapes read as a field ("finalizer"), or a field of
    the objects' kinds as the client's models name it ("nodename": nodeName)."""
    draft = Draft()
    extract_shapes(Scan(f"{word} the checkout deployment"), draft)
    return "field" in draft.extra or any(
        field_jsonpath(kind, "v1", (word,)) for kind in ("Deployment", "StatefulSet", "Node"))


_MADE_UP = st.text(alphabet=string.ascii_lowercase, min_size=7, max_size=11).filter(_unknown)
_OBJECTS = (("the checkout deployment", "deployments", "checkout", "shop"),
            ("deployment fraud-detector", "deployments", "fraud-detector", "payments"),
            ("the postgres statefulset", "statefulsets", "postgres", "data"),
            ("node kwok-worker-2", "nodes", "kwok-worker-2", None))


@settings(max_examples=150, deadline=None)
@given(verb=_MADE_UP, lead=st.sampled_from(("", "please ", "can you ", "pls ")),
       obj=st.sampled_from(_OBJECTS))
def test_an_unknown_verb_is_refused_with_choices(
        verb: str, lead: str, obj: tuple[str, str, str, str | None]) -> None:
    words, kind, name, namespace = obj
    question = f"{lead}{verb} {words}"
    translation = RULES.translate(question, CTX)
    assert translation.command is None, f"{question!r} was read as {translation.text!r}"
    assert verb in translation.explanation
    assert translation.choices, f"{question!r} offered no choices"
    first = translation.choices[0].command
    assert first.verb == "describe" and first.resources == (kind,) and first.names == (name,)
    assert first.namespace == namespace
    assert all(not c.command.is_write for c in translation.choices)


def test_refusal_choices_reach_to_dict() -> None:
    translation = RULES.translate("please frobnicate the checkout deployment", CTX)
    data = translation.to_dict()
    assert data["command"] is None
    assert [c["command"] for c in data["choices"]] == [c.text for c in translation.choices]
    assert data["choices"][0]["command"] == "kubectl describe deployments checkout -n shop"


def test_a_word_asked_about_is_not_a_request() -> None:
    """A write word inside a question clause, or after a negation, asks for no change."""
    for question in ("which pods would get kicked off kwok-worker-1 if I drained it? "
                     "don't drain anything",
                     "is the nightly-report cronjob suspended or did someone suspend it",
                     "what would deleting checkout break? preview only"):
        translation = RULES.translate(question, CTX)
        assert translation.command is None or not translation.command.is_write, (
            question, translation.text)


def test_pasted_messages_are_evidence_not_requests() -> None:
    """Text in backticks is what someone saw: its verbs ask for nothing, its quotes are no shell."""
    translation = RULES.translate(
        "`Back-off restarting failed container` keeps showing up for fraud-detector. "
        "what did it print before it died?", CTX)
    assert translation.command is not None, translation.explanation
    assert translation.command.verb == "logs"
    assert ("previous", "true") in translation.command.flags or "--previous" in translation.text
    shell = RULES.translate("getting `Error from server (Forbidden): pods is forbidden: User "
                            "\"x\" cannot list resource \"pods\"` -- can I list pods in data?", CTX)
    assert shell.text == "kubectl auth can-i list pods -n data"


def test_literals_stay_as_typed() -> None:
    translation = RULES.translate("pods with label k8s-app=kube-dns in kube-system", CTX)
    assert translation.command is not None
    assert translation.command.selector == "k8s-app=kube-dns"
    groups = RULES.translate("what resources does metrics.k8s.io give us", CTX)
    assert groups.text == "kubectl api-resources --api-group=metrics.k8s.io"
