"""Shared machinery of the LLM translators: retries, circuit breaker, parse, repair, fallback.

One translation: ask the model (structured output, retried with backoff on transient
errors), parse its command with the kubectl grammar and hold it to the question with the
same checks the rules answer to (read intent wins, refuse don't trim, the namespace asked
for; :mod:`kubechat_lab.translate._checks`); on a failure ask once more with the parser's or
the checks' error; if that also fails, or the provider is down, fall back to the rules
translator with a visible note. The model's own words about safety are never trusted: the
command is classified by the policy from its parsed form only.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import ClassVar

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from kubechat_lab.command import redact_text
from kubechat_lab.errors import TranslateError, TranslateTimeoutError
from kubechat_lab.translate._checks import read_question
from kubechat_lab.translate._options import TranslatorOption
from kubechat_lab.translate._types import (
    ClientState,
    DeltaCallback,
    Translation,
    TranslationContext,
    Translator,
    TranslatorClosedError,
)
from kubechat_lab.translate.llm.answers import judged, read_reply, scrub_explanation
from kubechat_lab.translate.llm.breaker import CircuitBreaker
from kubechat_lab.translate.llm.cache import (
    AnswerCache,
    Transcript,
    answer_key,
    cached_replies,
    store_replies,
)
from kubechat_lab.translate.llm.prompt import build_messages, repair_message
from kubechat_lab.translate.llm.stream import ExplanationStream
from kubechat_lab.translate.rules import RulesTranslator
from kubechat_lab.translate.rules.refusals import refusal_explanation

__all__ = ["COMMON_OPTIONS", "LLMTranslator", "ProviderCallError"]

logger = logging.getLogger(__name__)

_EMPTY = TranslationContext()
class ProviderCallError(TranslateError):
    """One provider call failed; ``transient`` errors are retried (after ``retry_after`` s).

    ``timed_out``: the provider did not answer in time (surfaced as
    :class:`~kubechat_lab.errors.TranslateTimeoutError` when nothing falls back).
    """

    def __init__(self, message: str, *, transient: bool, status: int = 0,
                 retry_after: float | None = None, timed_out: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
        self.status = status
        self.retry_after = retry_after
        self.timed_out = timed_out


#: Options every network translator takes.
COMMON_OPTIONS: tuple[TranslatorOption, ...] = (
    TranslatorOption("model", "str", "the model name (no default: no vendor list is "
                     "hard-coded)", required=True),
    TranslatorOption("timeout", "float", "seconds for one HTTP request (default 30)"),
    TranslatorOption("retries", "int", "extra attempts after a transient failure (default 2)"),
    TranslatorOption("backoff", "float", "first wait between retries in seconds, doubled each "
                     "time (default 0.5)"),
    TranslatorOption("max_backoff", "float", "longest wait between retries in seconds "
                     "(default 8)"),
    TranslatorOption("breaker_threshold", "int", "consecutive failures that open the circuit "
                     "(default 3)"),
    TranslatorOption("breaker_cooldown", "float", "seconds the circuit stays open (default 30)"),
    TranslatorOption("temperature", "float", "sampling temperature (default 0)"),
    TranslatorOption("api_key_env", "str", "NAME of the environment variable holding the key "
                     "(the key itself is never an option)"),
)


class LLMTranslator:
    """Base class of the network translators (see :mod:`kubechat_lab.translate.llm.ollama`).

    Subclasses implement :meth:`_open`, :meth:`_close` and :meth:`_call`.

    Parameters
    ----------
    model
        The model name (required; no default, so no vendor list is hard-coded).
    api_key
        The key value, given by the caller (the server); never a configuration trait.
    api_key_env
        The NAME of the environment variable holding the key (default: the class's
        ``api_key_env``).
    timeout
        Seconds for one HTTP request (connect, read, write; default 30).
    retries
        Extra attempts after a transient failure (timeouts, connection errors, 429, 5xx).
    backoff
        First wait in seconds; doubled each retry up to ``max_backoff`` (a ``Retry-After``
        header wins, capped the same way).
    breaker_threshold, breaker_cooldown
        Consecutive failures that open the circuit, and for how many seconds.
    fallback
        Translator used when the model fails (default: rules); None raises instead.
    temperature
        Sampling temperature (default 0, for repeatable answers).
    sleep
        How to wait between retries (tests pass a recorder instead of ``time.sleep``).
    answers
        The LLM answer cache (:mod:`kubechat_lab.translate.llm.cache`); None: every question
        asks the model.
    """

    id: ClassVar[str] = "llm"
    display_name: ClassVar[str] = "LLM"
    requires_network: ClassVar[bool] = True
    api_key_env: ClassVar[str | None] = None
    #: What an operator may configure (the server and the CLI check against this).
    options: ClassVar[tuple[TranslatorOption, ...]] = COMMON_OPTIONS
    #: Takes an ``answers=`` cache (the server gives one to translators that say so).
    caches_answers: ClassVar[bool] = True

    def __init__(
        self,
        *,
        model: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        breaker_threshold: int = 3,
        breaker_cooldown: float = 30.0,
        fallback: Translator | None = None,
        use_fallback: bool = True,
        temperature: float = 0.0,
        sleep: Callable[[float], None] = time.sleep,
        answers: AnswerCache | None = None,
    ) -> None:
        if not model:
            raise TranslateError(
                f"the {self.id} translator needs a model name: pass model=... "
                "(on the command line --model NAME)"
            )
        self.model = model
        self._api_key = api_key
        self._api_key_env = api_key_env or type(self).api_key_env
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.breaker = CircuitBreaker(threshold=breaker_threshold, cooldown=breaker_cooldown)
        self.fallback: Translator | None = (
            (fallback or RulesTranslator()) if use_fallback else None
        )
        self.temperature = temperature
        self._sleep = sleep
        self.answers = answers
        self._state = ClientState.UNOPENED
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, state={self._state.name})"

    # -- lifecycle --------------------------------------------------------------------------

    def _resolve_key(self) -> str | None:
        if self._api_key:
            return self._api_key
        if self._api_key_env:
            return os.environ.get(self._api_key_env) or None
        return None

    def _open(self) -> None:
        raise NotImplementedError

    def _close(self) -> None:
        raise NotImplementedError

    def _call(self, messages: list[dict[str, str]], on_delta: DeltaCallback | None) -> str:
        raise NotImplementedError

    def open(self) -> None:
        """Create the HTTP client (done on first use; reopening after close raises)."""
        with self._lock:
            if self._state is ClientState.CLOSED:
                raise TranslatorClosedError(self.id)
            if self._state is ClientState.UNOPENED:
                self._open()
                self._state = ClientState.OPENED

    def close(self) -> None:
        """Close the HTTP client; the translator cannot be used afterwards."""
        with self._lock:
            if self._state is ClientState.OPENED:
                self._close()
            self._state = ClientState.CLOSED

    def __enter__(self) -> LLMTranslator:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def health(self) -> dict[str, object]:
        """Report the circuit state without calling the provider (cheap, for health checks)."""
        state = self.breaker.state.value
        return {"ok": state != "open", "provider": self.id, "model": self.model,
                "circuit": state, "client": self._state.name.lower()}

    # -- one model call, with retries -------------------------------------------------------

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ProviderCallError) and exc.retry_after is not None:
            return min(max(exc.retry_after, 0.0), self.max_backoff)
        return float(min(self.backoff * 2 ** (state.attempt_number - 1), self.max_backoff))

    @property
    def endpoint(self) -> str | None:
        """Where the model is served (part of the answer cache's key); None: the default."""
        return None

    def _ask(self, messages: list[dict[str, str]], on_delta: DeltaCallback | None) -> str:
        def log_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome is not None else None
            logger.debug("translate retry provider=%s model=%s attempt=%d error=%s",
                         self.id, self.model, state.attempt_number, exc)

        retrying = Retrying(
            stop=stop_after_attempt(self.retries + 1),
            wait=self._wait,
            retry=retry_if_exception(
                lambda exc: isinstance(exc, ProviderCallError) and exc.transient
            ),
            before_sleep=log_retry,
            sleep=self._sleep,
            reraise=True,
        )
        start = time.perf_counter()
        try:
            reply: str = retrying(self._call, messages, on_delta)
        except ProviderCallError as exc:
            logger.info("translate request provider=%s model=%s status=failed error=%s "
                        "latency_ms=%.0f", self.id, self.model, exc,
                        (time.perf_counter() - start) * 1000)
            raise
        logger.info("translate request provider=%s model=%s status=ok latency_ms=%.0f",
                    self.id, self.model, (time.perf_counter() - start) * 1000)
        return reply

    def _stream_sink(self, on_delta: DeltaCallback | None) -> Callable[[str], None] | None:
        if on_delta is None:
            return None
        stream = ExplanationStream()

        def sink(chunk: str) -> None:
            new = stream.feed(chunk)
            if new:
                on_delta(new)

        return sink

    def complete(self, messages: list[dict[str, str]]) -> str:
        """Send ``messages`` as they are and return the model's raw answer (no parsing).

        For text built elsewhere from evidence only (an investigation's summary); the answer
        is never read as a command. Uses the same retries and circuit breaker as a
        translation, without a fallback.

        Raises
        ------
        ProviderCallError
            The provider failed, or the circuit is open.
        """
        self.open()
        if not self.breaker.allow():
            raise ProviderCallError(
                f"{self.id} skipped: circuit open after {self.breaker.failures} failures",
                transient=False)
        try:
            reply = self._ask(messages, None)
        except ProviderCallError:
            self.breaker.record_failure()
            raise
        self.breaker.record_success()
        return reply

    # -- the translation --------------------------------------------------------------------

    def translate(
        self,
        question: str,
        context: TranslationContext | None = None,
        *,
        on_delta: DeltaCallback | None = None,
    ) -> Translation:
        """Translate ``question`` with the model; fall back to rules (with a note) on failure.

        Parameters
        ----------
        question
            The question in plain language.
        context
            Grounding for the prompt and for parsing (CRDs).
        on_delta
            Called with each new piece of the explanation while the model streams it.

        Raises
        ------
        TranslateError
            Only when the fallback is disabled (``use_fallback=False``) and the model failed.
        TranslatorClosedError
            When the translator was closed.
        """
        start = time.perf_counter()
        ctx = context if context is not None else _EMPTY
        self.open()
        notes: list[str] = []
        key = transcript = None
        messages = build_messages(question, ctx)
        if self.answers is not None:
            key = answer_key(question, ctx, provider=self.id, model=self.model,
                             endpoint=self.endpoint, temperature=self.temperature,
                             scope=self.answers.scope, prompt=messages[:-1])
            transcript = Transcript(self._ask, cached_replies(self.answers, key,
                                                              provider=self.id))
        ask = transcript if transcript is not None else self._ask
        if not self.breaker.allow() and not (transcript is not None and transcript.stored):
            return self._fall_back(question, ctx, start, notes, (
                f"{self.id} skipped: circuit open after {self.breaker.failures} failures, "
                f"next try in {self.breaker.retry_in():.0f}s"))
        result = self._translate(question, ctx, messages, ask, start, notes, on_delta)
        if transcript is None or key is None or self.answers is None:
            return result
        if transcript.hit:
            logger.info("translate cache hit provider=%s model=%s replies=%d", self.id,
                        self.model, len(transcript.replies))
            return dataclasses.replace(result, cached=True)
        store_replies(self.answers, key, transcript, question, provider=self.id,
                      model=self.model)
        return result

    def _translate(self, question: str, ctx: TranslationContext,
                   messages: list[dict[str, str]],
                   ask: Callable[[list[dict[str, str]], DeltaCallback | None], str],
                   start: float, notes: list[str], on_delta: DeltaCallback | None
                   ) -> Translation:
        """Ask (through the cache when there is one), check, repair once, fall back."""
        if logger.isEnabledFor(logging.DEBUG):  # redacting the prompt is not free
            logger.debug("translate prompt provider=%s messages=%s", self.id,
                         [{**m, "content": redact_text(str(m.get("content", "")))}
                          for m in messages])
        facts = read_question(question, ctx)
        sink = self._stream_sink(on_delta)
        try:
            reply = judged(read_reply(ask(messages, sink), ctx), facts, ctx)
            if reply.error is not None:
                notes.append(f"repair round: {reply.error}")
                messages += [{"role": "assistant", "content": reply.raw},
                             repair_message(reply.error)]
                reply = judged(read_reply(ask(messages, self._stream_sink(on_delta)),
                                            ctx), facts, ctx)
        except ProviderCallError as exc:
            self.breaker.record_failure()
            return self._fall_back(question, ctx, start, notes, f"{self.id} failed: {exc}",
                                   timed_out=exc.timed_out)
        if not isinstance(ask, Transcript) or ask.asked:
            self.breaker.record_success()
        if reply.declined and facts.refusals:
            notes.append(f"{self.id} refused too: {reply.explanation or 'no reason given'}")
            return Translation(
                question=question, command=None, text="",
                explanation=refusal_explanation(facts.refusals), provider=self.id,
                notes=(*notes, *(f"refused ({r.kind}): {r.phrase.strip()!r}"
                                 for r in facts.refusals)),
                latency=time.perf_counter() - start)
        if reply.declined:
            return self._fall_back(question, ctx, start, notes,
                                   f"{self.id} gave no command: {reply.explanation or 'no reason'}")
        if reply.command is None:
            return self._fall_back(question, ctx, start, notes,
                                   f"{self.id}'s command was refused twice: {reply.error}")
        explanation, scrubbed = scrub_explanation(reply.explanation)
        if scrubbed:
            notes.append("ignored the model's claim about safety: the policy decides the level")
        return Translation(
            question=question,
            command=reply.command,
            text=reply.command.render(),
            explanation=explanation,
            provider=self.id,
            notes=tuple(notes),
            latency=time.perf_counter() - start,
        )

    def _fall_back(self, question: str, ctx: TranslationContext, start: float,
                   notes: list[str], why: str, *, timed_out: bool = False) -> Translation:
        if self.fallback is None:
            failure = TranslateTimeoutError if timed_out else TranslateError
            raise failure(f"{why}; no fallback configured")
        logger.info("translate fallback provider=%s to=%s reason=%s", self.id, self.fallback.id,
                    why)
        result = self.fallback.translate(question, ctx)
        note = f"fell back to {self.fallback.id}: {why}"
        return dataclasses.replace(
            result,
            notes=(*notes, note, *result.notes),
            latency=time.perf_counter() - start,
        )
