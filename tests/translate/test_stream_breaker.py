"""The streamed-explanation decoder and the circuit breaker."""

from __future__ import annotations

import json

from kubechat_lab.translate.llm.breaker import BreakerState, CircuitBreaker
from kubechat_lab.translate.llm.stream import ExplanationStream


def test_explanation_streams_in_pieces_with_escapes() -> None:
    text = json.dumps({"command": "kubectl get pods", "explanation": 'Lists "pods"\n\u00e9 ok.'})
    stream = ExplanationStream()
    out = [stream.feed(text[i : i + 3]) for i in range(0, len(text), 3)]
    assert "".join(out) == 'Lists "pods"\n\u00e9 ok.'
    assert stream.text == text
    assert stream.feed('{"explanation": "more"}') == ""  # done after the closing quote


def test_explanation_before_command_and_unicode_escape_split() -> None:
    text = '{"explanation": "caf\\u00e9", "command": "x"}'
    stream = ExplanationStream()
    pieces = [stream.feed(ch) for ch in text]
    assert "".join(pieces) == "caf\u00e9"


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _state(breaker: CircuitBreaker) -> str:
    return breaker.state.value


def test_breaker_opens_half_opens_and_closes() -> None:
    clock = _Clock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    assert breaker.allow()
    breaker.record_failure()
    assert _state(breaker) == "closed"
    breaker.record_failure()
    assert _state(breaker) == "open" and not breaker.allow()
    assert breaker.retry_in() == 10
    clock.now += 10
    assert _state(breaker) == "half-open"
    assert breaker.allow() and not breaker.allow()  # one trial call only
    breaker.record_failure()
    assert _state(breaker) == "open"
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert _state(breaker) == BreakerState.CLOSED.value and breaker.failures == 0
