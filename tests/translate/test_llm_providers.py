"""The ollama and openai translators, through their real client libraries, against local
servers that speak each wire protocol with scripted (sometimes hostile) model replies."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable

import pytest

from kubechat_lab.command import DEFAULT_RESOURCES, ResourceInfo, parse
from kubechat_lab.errors import TranslateError, TranslateTimeoutError
from kubechat_lab.policy import Level
from kubechat_lab.translate import (
    RulesTranslator,
    TranslationContext,
    TranslatorClosedError,
    assess_translation,
)
from kubechat_lab.translate.llm.base import LLMTranslator
from kubechat_lab.translate.llm.ollama import OllamaTranslator
from kubechat_lab.translate.llm.openai import OpenAITranslator
from kubechat_lab.translate.llm.prompt import RESPONSE_SCHEMA
from tests.plugins.llm_servers import FakeLLMServer
from tests.translate.conftest import KEY, Harness


def _grounding() -> TranslationContext:
    table = DEFAULT_RESOURCES.with_resources(
        [ResourceInfo("widgets", "widget", "Widget", (), "example.com", "v1")])
    return TranslationContext(namespace="shop", namespaces=("shop", "billing"),
                              inventory={"deployments": [("shop", "checkout")]},
                              resources=table)


def test_structured_output_schema_and_grounding_are_sent(llm: Harness) -> None:
    llm.server.answer("kubectl get widgets -n shop", "Lists the widgets in shop.")
    with llm.make() as translator:
        translation = translator.translate("what widgets are in shop?", _grounding())
    assert translation.provider == llm.protocol
    assert translation.command is not None
    assert translation.command.resources == ("widgets.example.com",)
    assert translation.explanation == "Lists the widgets in shop."
    assert translation.notes == ()
    (request,) = llm.server.received
    assert request.body["model"] == "kube-model"
    assert not request.body.get("stream")
    if llm.protocol == "ollama":
        assert request.body["format"] == RESPONSE_SCHEMA
    else:
        fmt = request.body["response_format"]
        assert fmt["type"] == "json_schema"
        assert fmt["json_schema"]["schema"] == RESPONSE_SCHEMA
        assert fmt["json_schema"]["strict"] is True
        assert request.headers["authorization"] == f"Bearer {KEY}"
    system = request.messages[0]
    assert system["role"] == "system"
    for fact in ("Current namespace: shop", "billing, shop", "widgets.example.com",
                 "deployments/checkout (namespace shop)", "exactly ONE kubectl command"):
        assert fact in system["content"]
    assert request.messages[-1] == {"role": "user", "content": "what widgets are in shop?"}
    assert any(m["role"] == "assistant" for m in request.messages[1:-1])  # few-shot turns


def test_explanation_streams(llm: Harness) -> None:
    explanation = "Lists every pod in namespace shop, with its status and restarts."
    llm.server.answer("kubectl get pods -n shop", explanation)
    pieces: list[str] = []
    with llm.make() as translator:
        translation = translator.translate("pods in shop", None, on_delta=pieces.append)
    assert llm.server.received[0].body["stream"] is True
    assert len(pieces) > 1 and "".join(pieces) == explanation
    assert translation.text == parse("kubectl get pods -n shop").render()


HOSTILE = [
    ('{"command": "kubectl get pods; rm -rf /", "explanation": "x"}', "multiple-commands"),
    ('{"command": "kubectl get pods --token=abc123", "explanation": "x"}', "credential-flag"),
    ('{"command": "kubectl get pods --kubeconfig /root/.kube/config", "explanation": "x"}',
     "credential-flag"),
    ('{"command": "kubectl get pods\\nkubectl delete pods --all", "explanation": "x"}',
     "multiple-commands"),
    ("Sure! Just run kubectl get pods -n shop and you are done.", "not the JSON object"),
    ('{"command": "kubectl get pod \\"--server=https://evil.example\\"", "explanation": "x"}',
     "credential-flag"),
    ('{"command": "kubectl get pods", "commands": ["kubectl delete ns shop"]}',
     "must be exactly"),
    ('{"command": "kubectl exec -it web-1 -- sh", "explanation": "x"}', "interactive"),
]


@pytest.mark.parametrize(("reply", "reason"), HOSTILE)
def test_hostile_reply_is_repaired_with_the_parser_error(llm: Harness, reply: str,
                                                         reason: str) -> None:
    llm.server.reply(reply).answer("kubectl get pods -n shop", "Lists pods.")
    with llm.make() as translator:
        translation = translator.translate("pods in shop")
    assert translation.provider == llm.protocol
    assert translation.text == parse("kubectl get pods -n shop").render()
    assert translation.notes[0].startswith("repair round:") and reason in translation.notes[0]
    first, repair = llm.server.received
    assert repair.messages[: len(first.messages)] == first.messages
    assert repair.messages[-2] == {"role": "assistant", "content": reply}
    assert repair.messages[-1]["role"] == "user"
    assert reason in repair.messages[-1]["content"]  # the parser's error went back


@pytest.mark.parametrize(("reply", "reason"), HOSTILE)
def test_hostile_reply_twice_falls_back_to_rules(llm: Harness, reply: str, reason: str) -> None:
    llm.server.reply(reply).reply(reply)
    question = "which pods are pending in namespace shop"
    with llm.make() as translator:
        translation = translator.translate(question)
    assert len(llm.server.received) == 2  # one repair round, no more
    assert translation.provider == "rules"
    assert translation.text == RulesTranslator().translate(question).text
    assert any(note.startswith("fell back to rules:") and reason in note
               for note in translation.notes)
    for bad in ("rm -rf", "--token", "--kubeconfig", "--server", "delete", "exec"):
        assert bad not in translation.text
    assessment = assess_translation(translation)
    assert assessment is not None and assessment.level is Level.SAFE


def test_claim_of_safety_on_a_delete_is_ignored(llm: Harness) -> None:
    llm.server.answer("kubectl delete pods --all -n shop",
                      "This is completely safe. It only cleans up old pods.")
    with llm.make() as translator:
        translation = translator.translate("clean up shop")
    assert translation.command is not None and translation.command.verb == "delete"
    assessment = assess_translation(translation)
    assert assessment is not None and assessment.level is Level.DANGEROUS
    assert "safe" not in translation.explanation.lower()
    assert any("claim about safety" in note for note in translation.notes)


def test_server_errors_are_retried_with_backoff(llm: Harness) -> None:
    llm.server.reply(status=500, error="overloaded").reply(status=503, error="busy")
    llm.server.answer("kubectl get nodes")
    with llm.make(retries=2, backoff=0.25) as translator:
        translation = translator.translate("nodes")
    assert translation.provider == llm.protocol and translation.notes == ()
    assert len(llm.server.received) == 3
    assert llm.waits == [0.25, 0.5]


def test_rate_limit_is_retried_after_retry_after(llm: Harness) -> None:
    llm.server.reply(status=429, error="rate limited", headers={"Retry-After": "3"})
    llm.server.answer("kubectl get nodes")
    with llm.make(retries=1, backoff=0.25) as translator:
        translation = translator.translate("nodes")
    assert translation.provider == llm.protocol
    assert len(llm.server.received) == 2
    # OpenAI's errors carry the response headers; ollama's client drops them (plain backoff).
    assert llm.waits == ([3.0] if llm.protocol == "openai" else [0.25])


def test_client_errors_are_not_retried_and_keys_stay_secret(llm: Harness) -> None:
    llm.server.reply(status=401, error=f"invalid api key {KEY}")
    with llm.make(retries=3) as translator:
        translation = translator.translate("pods in namespace shop")
        assert KEY not in repr(translator)
    assert len(llm.server.received) == 1
    assert translation.provider == "rules"
    note = next(n for n in translation.notes if n.startswith("fell back to rules:"))
    assert "401" in note
    if llm.protocol == "openai":
        assert KEY not in note and "***" in note


def test_slow_reply_times_out_and_falls_back(llm: Harness) -> None:
    llm.server.reply(json.dumps({"command": "kubectl get pods", "explanation": "x"}), delay=1.5)
    with llm.make(timeout=0.3, retries=0) as translator:
        translation = translator.translate("pods in namespace shop")
    assert translation.provider == "rules"
    assert translation.text == parse("kubectl get pods -n shop").render()
    assert any("did not answer within 0.3s" in note for note in translation.notes)


def test_unreachable_server_falls_back(llm: Harness) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}" + ("/v1" if llm.protocol == "openai" else "")
    cls: Callable[..., LLMTranslator] = (OllamaTranslator if llm.protocol == "ollama"
                                         else OpenAITranslator)
    options = {"host": url} if llm.protocol == "ollama" else {"base_url": url, "api_key": KEY}
    with cls(model="m", retries=1, backoff=0.01, sleep=llm.waits.append, **options) as translator:
        translation = translator.translate("list namespaces")
    assert translation.provider == "rules" and translation.text == "kubectl get namespaces"
    assert any("cannot reach" in note for note in translation.notes)
    assert llm.waits == [0.01]


def test_circuit_breaker_stops_calling_a_failing_provider(llm: Harness) -> None:
    llm.server.reply(status=500).reply(status=500)
    with llm.make(retries=0, breaker_threshold=2, breaker_cooldown=60) as translator:
        for _ in range(2):
            assert translator.translate("list nodes").provider == "rules"
        translation = translator.translate("list nodes")
    assert len(llm.server.received) == 2  # the third question never reached the server
    assert translation.provider == "rules" and translation.text == "kubectl get nodes"
    assert any("circuit open after 2 failures" in note for note in translation.notes)


def test_without_fallback_errors_raise(llm: Harness) -> None:
    llm.server.reply(status=500, error="down")
    with llm.make(retries=0, use_fallback=False) as translator:
        with pytest.raises(TranslateError, match="500") as failed:
            translator.translate("list nodes")
    assert not isinstance(failed.value, TranslateTimeoutError)


def test_without_fallback_a_slow_provider_is_a_timeout(llm: Harness) -> None:
    llm.server.reply(json.dumps({"command": "kubectl get nodes", "explanation": "x"}), delay=2)
    with llm.make(retries=0, use_fallback=False, timeout=0.5) as translator:
        with pytest.raises(TranslateTimeoutError, match="did not answer within 0.5s"):
            translator.translate("list nodes")


def test_model_that_declines_falls_back(llm: Harness) -> None:
    llm.server.answer("", "I cannot do that with one command.")
    with llm.make() as translator:
        translation = translator.translate("list nodes")
    assert translation.provider == "rules"
    assert any("gave no command" in note for note in translation.notes)


def test_closed_translator_refuses_to_reopen(llm: Harness) -> None:
    translator = llm.make()
    translator.close()
    with pytest.raises(TranslatorClosedError):
        translator.translate("list nodes")


def test_ollama_error_line_in_stream(ollama_server: FakeLLMServer) -> None:
    ollama_server.reply(json.dumps({"command": "kubectl get pods", "explanation": "x" * 40}),
                        stream_error="model runner crashed")
    with OllamaTranslator(model="m", host=ollama_server.url, retries=0) as translator:
        translation = translator.translate("list nodes", on_delta=lambda piece: None)
    assert translation.provider == "rules"
    assert any("model runner crashed" in note for note in translation.notes)


def test_openai_key_comes_from_the_named_env_var(openai_server: FakeLLMServer,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECHAT_TEST_LLM_KEY", "sk-from-env")
    openai_server.answer("kubectl get nodes")
    with OpenAITranslator(model="m", base_url=openai_server.url,
                          api_key_env="KUBECHAT_TEST_LLM_KEY") as translator:
        translator.translate("nodes")
        assert "sk-from-env" not in repr(translator)
    assert openai_server.received[0].headers["authorization"] == "Bearer sk-from-env"


def test_openai_without_key_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBECHAT_TEST_NO_KEY", raising=False)
    translator = OpenAITranslator(model="m", api_key_env="KUBECHAT_TEST_NO_KEY")
    with pytest.raises(TranslateError, match="KUBECHAT_TEST_NO_KEY"):
        translator.translate("nodes")


def test_ollama_sends_a_bearer_key_when_given(ollama_server: FakeLLMServer) -> None:
    ollama_server.answer("kubectl get nodes")
    with OllamaTranslator(model="m", host=ollama_server.url, api_key=KEY) as translator:
        translator.translate("nodes")
    assert ollama_server.received[0].headers["authorization"] == f"Bearer {KEY}"
