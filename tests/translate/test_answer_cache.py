"""The LLM answer cache (kubechat_lab/translate/llm/cache.py, kubechat_lab/server/_answers.py).

The keys as pure functions; then the real ``openai`` and ``ollama`` clients against the
wire-level fakes of tests/plugins/llm_servers.py with the cache's rows in a real PostgreSQL
(tests/plugins/postgres.py): a second ask is served from the database without a request, a
replayed answer is checked again like a fresh one, expired entries are never served, the
size bound holds, and a database that goes away makes every lookup a miss, never an error.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import load_policy
from kubechat_lab.server._answers import AnswerStore
from kubechat_lab.translate import TranslationContext, Turn
from kubechat_lab.translate.llm.cache import answer_key, normalise_question
from kubechat_lab.translate.llm.ollama import OllamaTranslator
from kubechat_lab.translate.llm.openai import OpenAITranslator
from tests.plugins.llm_servers import FakeLLMServer

SCOPE = "sha256:" + "ab" * 32
CTX = TranslationContext(
    namespace="default", namespaces=("default", "shop"),
    inventory={"deployments": [("shop", "checkout")], "pods": [("shop", "checkout-1")]})


def key(question: str, ctx: TranslationContext = CTX, **kw: Any) -> str:
    return answer_key(question, ctx, **{"provider": "openai", "model": "m", "scope": SCOPE,
                                        **kw})


# -- the key ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("asked", "normal"), [
    ("Show me the pods in shop?", "show me the pods in shop"),
    ("  SHOW   me\tthe PODS in shop?!  ", "show me the pods in shop"),
    ("show me the pods in shop.", "show me the pods in shop"),
    ("pods with tier=Frontend", "pods with tier=frontend".replace("frontend", "Frontend")),
    ("logs of pod Web-1 in shop", "logs of pod Web-1 in shop"),
    ("describe the myApp deployment", "describe the myApp deployment"),
    ("ｓｈｏｗ pods", "show pods"),  # full-width letters (NFKC)
])
def test_questions_are_normalised_for_case_space_and_trailing_punctuation(
        asked: str, normal: str) -> None:
    assert normalise_question(asked) == normal


def test_the_key_holds_everything_an_answer_depends_on() -> None:
    base = key("Show me the pods in shop?")
    assert key("show   me the PODS in shop") == base  # case and space only: the same question
    assert key("pods with tier=Frontend") != key("pods with tier=frontend")
    assert key("show me the pods in payments") != base
    assert key("show me the pods in shop", provider="ollama") != base
    assert key("show me the pods in shop", model="other") != base
    assert key("show me the pods in shop", endpoint="http://elsewhere/v1") != base
    assert key("show me the pods in shop", temperature=0.7) != base
    sent = [{"role": "system", "content": "You translate ..."}]
    assert key("show me the pods in shop", prompt=sent) != base  # another prompt
    assert key("show me the pods in shop", scope="sha256:" + "cd" * 32) != base
    # the previous turn: none, another question, another command
    turn = Turn("show deployments in shop", parse("kubectl get deployments -n shop"))
    followup = key("show me the pods in shop", CTX.with_previous(turn))
    assert followup != base
    other = Turn("show deployments in shop", parse("kubectl get deployments -n payments"))
    assert key("show me the pods in shop", CTX.with_previous(other)) != followup
    assert key("show me the pods in shop", CTX.with_previous(
        Turn("show deployments in shop", turn.command))) == followup
    # the grounding: another inventory (one more object, another identity's view) misses
    grown = TranslationContext(
        namespace="default", namespaces=("default", "shop"),
        inventory={"deployments": [("shop", "checkout"), ("shop", "cart")],
                   "pods": [("shop", "checkout-1")]})
    assert key("show me the pods in shop", grown) != base
    reordered = TranslationContext(
        namespace="default", namespaces=("shop", "default"),
        inventory={"pods": [("shop", "checkout-1")], "deploy": [("shop", "checkout")]})
    assert reordered.grounding_digest == CTX.grounding_digest  # listing order is no change
    assert key("show me the pods in shop", reordered) == base
    assert CTX.with_previous(turn).grounding_digest == CTX.grounding_digest
    assert CTX.with_previous(turn)._digest is CTX._digest  # computed once per inventory


def test_the_policy_version_is_a_digest_of_the_effective_policy(tmp_path: Any) -> None:
    default = load_policy(None)
    same = tmp_path / "same.yaml"
    same.write_text("version: 1\n")
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text("version: 1\nrules:\n- id: no-logs\n  level: forbidden\n"
                        "  reason: no logs here\n  match: {verbs: [logs]}\n")
    assert load_policy(str(same)).digest == default.digest  # same rules, another file
    assert load_policy(str(stricter)).digest != default.digest
    assert default.digest.startswith("sha256:") and len(default.digest) == 71


# -- translators with the cache in PostgreSQL ------------------------------------------------

pg = pytest.mark.postgres


@pytest.fixture(params=["ollama", "openai"])
def llm(request: pytest.FixtureRequest) -> FakeLLMServer:
    server: FakeLLMServer = request.getfixturevalue(f"{request.param}_server")
    return server


def translator(llm: FakeLLMServer, store: Any, **kw: Any) -> Any:
    common = {"model": "kube-model", "retries": 0, "answers": store, **kw}
    if llm.protocol == "ollama":
        return OllamaTranslator(host=llm.url, **common)
    return OpenAITranslator(base_url=llm.url, api_key="sk-test", **common)


@pytest.fixture
def store(audit_db: Any) -> Iterator[AnswerStore]:
    answers = AnswerStore(audit_db.app_dsn, scope=SCOPE)
    yield answers
    answers.close()


def rows(dsn: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT provider, model, replies, hits FROM "
                            "kubechat_audit.answer_cache ORDER BY created_at").fetchall()


def reply(command: str, explanation: str = "Lists them.") -> str:
    return json.dumps({"command": command, "explanation": explanation})


@pg
def test_second_ask_is_served_from_the_database_without_a_request(
        llm: FakeLLMServer, store: AnswerStore, audit_db: Any) -> None:
    llm.answer("kubectl get po -n shop", "Lists the pods in shop.")
    with translator(llm, store) as t:
        first = t.translate("Show me the pods in shop?", CTX)
        second = t.translate("show me   the PODS in shop", CTX)
    assert len(llm.received) == 1
    assert (first.cached, second.cached) == (False, True)
    assert first.text == second.text == "kubectl get pods -n shop"
    assert second.question == "show me   the PODS in shop"  # the question as asked
    assert second.explanation == "Lists the pods in shop."
    # only the model's raw reply is kept: no question, no command, no level
    (row,) = rows(audit_db.dsn)
    assert row == (llm.protocol, "kube-model", [reply("kubectl get po -n shop",
                                                      "Lists the pods in shop.")], 1)


@pg
def test_a_replayed_answer_is_checked_like_a_fresh_one(
        openai_server: FakeLLMServer, store: AnswerStore, audit_db: Any) -> None:
    """A cached reply that no longer answers the question is refused and repaired: a hit
    never skips the checks (here an entry rewritten to a delete for a question that looks)."""
    openai_server.answer("kubectl get pods -n shop")
    with translator(openai_server, store) as t:
        t.translate("show me the pods in shop", CTX)
        with psycopg.connect(audit_db.dsn) as conn:
            conn.execute("UPDATE kubechat_audit.answer_cache SET replies = %s",
                         [[reply("kubectl delete deployment checkout -n shop")]])
        openai_server.answer("kubectl get pods -n shop", "Lists them again.")
        again = t.translate("show me the pods in shop", CTX)
    assert again.text == "kubectl get pods -n shop"
    assert not again.cached  # the model was asked for the repair round
    assert any("repair round" in note and "delete" in note for note in again.notes)
    (repair,) = openai_server.received[1:]
    assert "kubectl delete deployment checkout" in repair.prompt
    # the entry now holds the exchange that was judged: the refused reply and the repair
    (row,) = rows(audit_db.dsn)
    assert len(row[2]) == 2


@pg
def test_other_grounding_previous_turn_or_policy_misses(
        openai_server: FakeLLMServer, audit_db: Any, tmp_path: Any) -> None:
    """Keys scoped by real policy versions: the built-in policy, then one more rule."""
    stricter = tmp_path / "stricter.yaml"
    stricter.write_text("version: 1\nrules:\n- id: no-logs\n  level: forbidden\n"
                        "  reason: no logs here\n  match: {verbs: [logs]}\n")
    store = AnswerStore(audit_db.app_dsn, scope=load_policy(None).digest)
    for _ in range(4):
        openai_server.answer("kubectl get pods -n shop")
    grown = TranslationContext(namespace="default", namespaces=("default", "shop"),
                               inventory={**CTX.inventory, "deployments": [
                                   ("shop", "checkout"), ("shop", "cart")]})
    turn = Turn("show deployments in shop", parse("kubectl get deployments -n shop"))
    other_policy = AnswerStore(audit_db.app_dsn, scope=load_policy(str(stricter)).digest)
    try:
        with translator(openai_server, store) as t, \
                translator(openai_server, other_policy) as t2:
            assert not t.translate("show me the pods in shop", CTX).cached
            assert not t.translate("show me the pods in shop", grown).cached
            assert not t.translate("show me the pods in shop", CTX.with_previous(turn)).cached
            assert not t2.translate("show me the pods in shop", CTX).cached
            assert t.translate("show me the pods in shop", CTX).cached
            assert t2.translate("show me the pods in shop", CTX).cached
    finally:
        other_policy.close()
        store.close()
    assert len(openai_server.received) == 4
    assert len(rows(audit_db.dsn)) == 4


@pg
def test_expired_entries_are_never_served_and_the_size_is_bounded(
        openai_server: FakeLLMServer, audit_db: Any) -> None:
    bounded = AnswerStore(audit_db.app_dsn, scope=SCOPE, ttl=3600, max_entries=2)
    try:
        for word in ("pods", "deployments", "services"):
            openai_server.answer(f"kubectl get {word} -n shop")
        with translator(openai_server, bounded) as t:
            t.translate("show the pods in shop", CTX)
            t.translate("show the deployments in shop", CTX)
            assert t.translate("show the pods in shop", CTX).cached  # pods: used last
            t.translate("show the services in shop", CTX)
            remaining = [r[2][0] for r in rows(audit_db.dsn)]
            assert len(remaining) == 2 and not any("deployments" in r for r in remaining)
            with psycopg.connect(audit_db.dsn) as conn:  # an hour and a second ago
                conn.execute("UPDATE kubechat_audit.answer_cache SET created_at = "
                             "clock_timestamp() - interval '3601 seconds'")
            openai_server.answer("kubectl get pods -n shop")
            assert not t.translate("show the pods in shop", CTX).cached
    finally:
        bounded.close()
    assert len(openai_server.received) == 4


@pg
def test_nothing_the_audit_would_redact_is_stored(
        openai_server: FakeLLMServer, store: AnswerStore, audit_db: Any) -> None:
    openai_server.answer("kubectl set env deployment/checkout -n shop PASSWORD=hunter2-x9")
    openai_server.answer("", "I will not put a password on the command line.")
    with translator(openai_server, store) as t:
        done = t.translate("set PASSWORD=hunter2-x9 on the checkout deployment in shop", CTX)
    assert done.command is None and len(openai_server.received) == 2  # answered, refused
    assert rows(audit_db.dsn) == []
    openai_server.answer("kubectl get deployments -n shop")
    with translator(openai_server, store) as t:  # an ordinary exchange is stored
        t.translate("show the deployments in shop", CTX)
    assert len(rows(audit_db.dsn)) == 1


def test_the_rules_translator_takes_no_cache() -> None:
    from kubechat_lab.translate import RulesTranslator, create_translator

    assert getattr(RulesTranslator, "caches_answers", False) is False
    assert OpenAITranslator.caches_answers and OllamaTranslator.caches_answers
    with pytest.raises(Exception, match="does not take"):
        create_translator("rules", answers=object())


@pg
def test_a_database_that_goes_away_is_a_miss_never_an_error(
        openai_server: FakeLLMServer, dedicated_pg: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    answers = AnswerStore(dedicated_pg.app_dsn, scope=SCOPE, connect_timeout=2,
                          retry_after=3600)
    try:
        for _ in range(3):
            openai_server.answer("kubectl get pods -n shop")
        with translator(openai_server, answers) as t:
            t.translate("show the pods in shop", CTX)
            assert t.translate("show the pods in shop", CTX).cached
            dedicated_pg.stop(mode="immediate")
            with caplog.at_level(logging.WARNING, logger="kubechat_lab.server._answers"):
                gone = t.translate("show the pods in shop", CTX)
                later = t.translate("show the pods in shop", CTX)
        assert (gone.cached, later.cached) == (False, False)
        assert gone.text == later.text == "kubectl get pods -n shop"
        assert len(openai_server.received) == 3  # the model answered while the cache was down
        failures = [r for r in caplog.records if "answer cache" in r.getMessage()]
        assert len(failures) == 1, failures  # then left alone for retry_after, no more tries
    finally:
        answers.close()


@pg
def test_a_hit_still_streams_its_explanation(
        llm: FakeLLMServer, store: AnswerStore) -> None:
    llm.answer("kubectl get pods -n shop", "Lists the pods in shop.")
    with translator(llm, store) as t:
        fresh: list[str] = []
        t.translate("show the pods in shop", CTX, on_delta=fresh.append)
        cached: list[str] = []
        hit = t.translate("show the pods in shop", CTX, on_delta=cached.append)
    assert hit.cached and len(llm.received) == 1
    assert "".join(cached) == "".join(fresh) == "Lists the pods in shop."
