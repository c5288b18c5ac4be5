"""The configured translator: created once through its plugin boundary, closed at shutdown.

Grounding (the inventory a translator sees, per Kubernetes identity) is the pipeline's
(:class:`kubechat_lab.pipeline.Grounding`); this module owns the translator itself.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import TranslateError

if TYPE_CHECKING:
    from kubechat_lab.translate import Translation, TranslationContext, TranslatorRegistry
    from kubechat_lab.translate.llm.cache import AnswerCache

__all__ = ["TranslatorAdapter"]

logger = logging.getLogger(__name__)


class TranslatorAdapter:
    """Create the configured translator once and call it.

    Any installed translator plugin is configured the same way: the options it declares come
    from ``c.TranslatorRegistry.translator_options`` (and the older per-provider traits the
    app maps onto them); the registry applies the allow and block lists.

    Parameters
    ----------
    provider : str
        Translator id (``rules``, ``ollama``, ``openai``, any installed plugin).
    registry : TranslatorRegistry
        The plugins, with the operator's allow/block lists and options.
    options : dict
        Option values from the app's older traits (``ollama_model``, ``llm_timeout``, ...);
        only those the provider declares are used. Never secrets.
    where : dict
        For each option, the trait that sets it (named in errors).
    api_key : str or None
        The LLM key, held in memory only; given to a provider that uses a key.
    log : logging.Logger
        Where to log.
    answers : AnswerCache or None
        The LLM answer cache, given to a translator whose class says ``caches_answers``
        (the LLM translators; never the rules translator).
    """

    def __init__(
        self,
        *,
        provider: str,
        registry: TranslatorRegistry,
        options: dict[str, Any],
        where: dict[str, str],
        api_key: str | None,
        log: logging.Logger | logging.LoggerAdapter[Any],
        answers: AnswerCache | None = None,
    ) -> None:
        self.provider = provider
        self.registry = registry
        self.options = options
        self.where = where
        self._api_key = api_key
        self.log = log
        self.answers = answers
        self._lock = threading.Lock()
        self._translator: Any = None

    def _create(self) -> Any:
        from kubechat_lab.translate import declared_options

        cls = self.registry.load(self.provider)
        declared = {option.name for option in declared_options(cls)}
        # the older traits first; what translator_options says for this provider wins
        options = {k: v for k, v in self.options.items() if k in declared}
        options.update(self.registry.options_for(self.provider))
        key = self._api_key if getattr(cls, "api_key_env", None) else None
        caches = self.answers is not None and getattr(cls, "caches_answers", False) is True
        extra: dict[str, Any] = {"answers": self.answers} if caches else {}
        self.log.info("kubechat translator=%s answer_cache=%s", self.provider,
                      "on" if caches else "off")
        try:
            return self.registry.create(self.provider, api_key=key, **options, **extra)
        except TranslateError as exc:
            named = [f"c.KubechatApp.{self.where[o]}" for o in sorted(declared)
                     if o in self.where and repr(o) in str(exc)]
            also = f" or {' / '.join(named)}" if named else ""
            msg = (f"{exc}; configure it with c.TranslatorRegistry.translator_options = "
                   f"{{{self.provider!r}: {{...}}}}{also}")
            raise TranslateError(msg) from exc

    def _get(self) -> Any:
        with self._lock:
            if self._translator is None:
                translator: Any = self._create()
                enter = getattr(translator, "__enter__", None)
                if callable(enter):
                    enter()
                self._translator = translator
            return self._translator

    def close(self) -> None:
        """Close the translator's network client, if it has one."""
        with self._lock:
            translator, self._translator = self._translator, None
        close = getattr(translator, "close", None)
        if callable(close):
            close()

    def translate(self, question: str, context: TranslationContext) -> Translation:
        """Translate ``question``; provider failures surface as :class:`TranslateError`."""
        translator = self._get()
        try:
            translation: Translation = translator.translate(question, context)
        except TranslateError:
            raise
        except Exception as exc:
            msg = f"translator {self.provider!r} failed: {type(exc).__name__}"
            raise TranslateError(msg) from exc
        return translation

    def complete(self, messages: list[dict[str, str]]) -> str | None:
        """Send ``messages`` to the configured model as they are; None without a model.

        A translator that is not a language model (``rules``) has no ``complete`` and gives
        None: callers then go on without the model's text.

        Raises
        ------
        TranslateError
            The model failed.
        """
        translator = self._get()
        complete = getattr(translator, "complete", None)
        if not callable(complete):
            return None
        try:
            return str(complete(messages))
        except TranslateError:
            raise
        except Exception as exc:
            msg = f"translator {self.provider!r} failed: {type(exc).__name__}"
            raise TranslateError(msg) from exc

    def health(self) -> dict[str, Any]:
        """Return whether the translator can be created (no network call for offline ones)."""
        try:
            translator = self._get()
        except Exception as exc:  # reported, not raised: health must always answer
            return {"ok": False, "provider": self.provider, "error": str(exc)}
        probe = getattr(translator, "health", None)
        if callable(probe):
            try:
                return {"provider": self.provider, **probe()}
            except Exception as exc:
                return {"ok": False, "provider": self.provider, "error": str(exc)}
        return {"ok": True, "provider": self.provider}
