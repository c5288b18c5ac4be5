"""The network translators: Ollama and OpenAI-compatible models behind one checked flow.

Where to look:

- :mod:`.base` -- :class:`LLMTranslator`: ask, check, repair once, fall back to rules.
- :mod:`.answers` -- the model's answer decoded, parsed and held to the question.
- :mod:`.prompt` -- the system prompt, grounding, few-shot turns, the JSON schema.
- :mod:`.ollama`, :mod:`.openai` -- the two wire clients (one HTTP client each).
- :mod:`.breaker`, :mod:`.stream` -- the circuit breaker and the streamed explanation.
"""

from __future__ import annotations

__all__: list[str] = []
