"""The ``ollama`` translator: a local or remote Ollama server through the ``ollama`` client."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from kubechat_lab.translate._options import TranslatorOption
from kubechat_lab.translate._types import DeltaCallback
from kubechat_lab.translate.llm.base import COMMON_OPTIONS, LLMTranslator, ProviderCallError
from kubechat_lab.translate.llm.prompt import RESPONSE_SCHEMA

if TYPE_CHECKING:
    import ollama

__all__ = ["OllamaTranslator"]

_TRANSIENT = frozenset({408, 425, 429, 500, 502, 503, 504})


class OllamaTranslator(LLMTranslator):
    """Translate with an Ollama model (``/api/chat`` with a JSON-schema ``format``).

    Parameters
    ----------
    host
        The Ollama server URL (default ``http://127.0.0.1:11434``).
    **options
        See :class:`~kubechat_lab.translate.llm.base.LLMTranslator` (``model`` is required). A key,
        when a hosted Ollama needs one, is sent as a bearer token.

    .. versionadded:: 0.1
    """

    id: ClassVar[str] = "ollama"
    display_name: ClassVar[str] = "Ollama"
    requires_network: ClassVar[bool] = True
    options: ClassVar[tuple[TranslatorOption, ...]] = (
        *COMMON_OPTIONS,
        TranslatorOption("host", "str", "the Ollama server URL (default http://127.0.0.1:11434)"),
    )
    api_key_env: ClassVar[str | None] = None

    def __init__(self, *, host: str = "http://127.0.0.1:11434", model: str | None = None,
                 **options: object) -> None:
        super().__init__(model=model, **options)  # type: ignore[arg-type]
        self.host = host
        self._client: ollama.Client | None = None

    @property
    def endpoint(self) -> str | None:
        """The Ollama server URL."""
        return self.host

    def _open(self) -> None:
        import httpx
        import ollama

        key = self._resolve_key()
        headers = {"Authorization": f"Bearer {key}"} if key else None
        self._client = ollama.Client(host=self.host, timeout=httpx.Timeout(self.timeout),
                                     headers=headers)

    def _close(self) -> None:
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]
            self._client = None

    def _call(self, messages: list[dict[str, str]], on_delta: DeltaCallback | None) -> str:
        import httpx
        import ollama

        client = self._client
        if client is None:
            raise ProviderCallError("the ollama client is not open", transient=False)
        options = {"temperature": self.temperature}
        try:
            if on_delta is None:
                response = client.chat(model=self.model, messages=messages,
                                       format=dict(RESPONSE_SCHEMA), options=options)
                return response.message.content or ""
            parts: list[str] = []
            for chunk in client.chat(model=self.model, messages=messages,
                                     format=dict(RESPONSE_SCHEMA), options=options, stream=True):
                piece = chunk.message.content or ""
                parts.append(piece)
                on_delta(piece)
            return "".join(parts)
        except ollama.ResponseError as exc:
            status = exc.status_code
            raise ProviderCallError(
                f"ollama at {self.host} answered {status}: {exc.error}",
                transient=status in _TRANSIENT or status < 0, status=max(status, 0),
            ) from exc
        except httpx.TimeoutException as exc:
            raise ProviderCallError(
                f"ollama at {self.host} did not answer within {self.timeout:g}s",
                transient=True, timed_out=True,
            ) from exc
        except (ConnectionError, httpx.TransportError) as exc:
            raise ProviderCallError(
                f"cannot reach ollama at {self.host}: {exc}; is `ollama serve` running?",
                transient=True,
            ) from exc
        except ValueError as exc:  # a malformed body or stream line
            raise ProviderCallError(f"ollama at {self.host} sent a malformed reply: {exc}",
                                    transient=True) from exc
