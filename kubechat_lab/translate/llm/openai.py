"""The ``openai`` translator: OpenAI or any OpenAI-compatible server, via the ``openai`` client."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from kubechat_lab.errors import TranslateError
from kubechat_lab.translate._options import TranslatorOption
from kubechat_lab.translate._types import DeltaCallback
from kubechat_lab.translate.llm.base import COMMON_OPTIONS, LLMTranslator, ProviderCallError
from kubechat_lab.translate.llm.prompt import RESPONSE_SCHEMA, SCHEMA_NAME

if TYPE_CHECKING:
    import openai

__all__ = ["OpenAITranslator"]

#: Sent as the key to an OpenAI-compatible server that needs none (the client demands one).
_NO_KEY = "no-key-needed"


def _retry_after(exc: Exception) -> float | None:
    response = getattr(exc, "response", None)
    value = response.headers.get("retry-after") if response is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


class OpenAITranslator(LLMTranslator):
    """Translate with the Chat Completions API (``response_format`` = JSON schema).

    Parameters
    ----------
    base_url
        An OpenAI-compatible endpoint (vLLM, llama.cpp, LM Studio, a gateway); None for
        OpenAI itself.
    **options
        See :class:`~kubechat_lab.translate.llm.base.LLMTranslator` (``model`` is required). The key
        comes from ``api_key`` or from the environment variable named by ``api_key_env``
        (default ``OPENAI_API_KEY``).

    .. versionadded:: 0.1
    """

    id: ClassVar[str] = "openai"
    display_name: ClassVar[str] = "OpenAI-compatible"
    requires_network: ClassVar[bool] = True
    options: ClassVar[tuple[TranslatorOption, ...]] = (
        *COMMON_OPTIONS,
        TranslatorOption("base_url", "str",
                         "an OpenAI-compatible endpoint; empty for OpenAI itself"),
    )
    api_key_env: ClassVar[str | None] = "OPENAI_API_KEY"

    def __init__(self, *, base_url: str | None = None, model: str | None = None,
                 **options: object) -> None:
        super().__init__(model=model, **options)  # type: ignore[arg-type]
        self.base_url = base_url
        self._client: openai.OpenAI | None = None

    @property
    def endpoint(self) -> str | None:
        """The OpenAI-compatible endpoint (None: OpenAI itself)."""
        return self.base_url

    def _open(self) -> None:
        import openai

        key = self._resolve_key()
        if key is None:
            if self.base_url is None:
                raise TranslateError(
                    f"the openai translator has no API key: set the environment variable "
                    f"{self._api_key_env or 'OPENAI_API_KEY'} on the server (or name another "
                    "one with api_key_env / --api-key-env)"
                )
            key = _NO_KEY
        self._client = openai.OpenAI(api_key=key, base_url=self.base_url, timeout=self.timeout,
                                     max_retries=0)

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def _redact(self, text: str) -> str:
        key = self._resolve_key()
        return text.replace(key, "***") if key else text

    def _call(self, messages: list[dict[str, str]], on_delta: DeltaCallback | None) -> str:
        import openai

        client = self._client
        if client is None:
            raise ProviderCallError("the openai client is not open", transient=False)
        where = self.base_url or "api.openai.com"
        response_format = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": dict(RESPONSE_SCHEMA), "strict": True},
        }
        request: dict[str, Any] = {"model": self.model, "messages": messages,
                                   "response_format": response_format,
                                   "temperature": self.temperature}
        try:
            if on_delta is None:
                completion = client.chat.completions.create(**request)
                if not completion.choices:
                    raise ProviderCallError(f"{where} returned no choices", transient=True)
                message = completion.choices[0].message
                if message.refusal:
                    return json.dumps({"command": "", "explanation": message.refusal})
                return message.content or ""
            parts: list[str] = []
            stream = client.chat.completions.create(**request, stream=True)
            for chunk in stream:
                if not chunk.choices:
                    continue
                piece = chunk.choices[0].delta.content or ""
                if piece:
                    parts.append(piece)
                    on_delta(piece)
            return "".join(parts)
        except openai.APITimeoutError as exc:
            raise ProviderCallError(f"{where} did not answer within {self.timeout:g}s",
                                    transient=True, timed_out=True) from exc
        except openai.APIConnectionError as exc:
            raise ProviderCallError(f"cannot reach {where}: {exc}", transient=True) from exc
        except openai.APIStatusError as exc:
            status = exc.status_code
            transient = status in (408, 409, 425, 429) or status >= 500
            raise ProviderCallError(
                self._redact(f"{where} answered {status}: {exc.message}"),
                transient=transient, status=status,
                retry_after=_retry_after(exc) if transient else None,
            ) from exc
        except openai.APIError as exc:
            raise ProviderCallError(self._redact(f"{where} failed: {exc}"),
                                    transient=True) from exc

