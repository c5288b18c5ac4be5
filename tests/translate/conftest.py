"""The translator tests' harness: an LLM translator pointed at a wire-level fake server."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from kubechat_lab.translate.llm.base import LLMTranslator
from kubechat_lab.translate.llm.ollama import OllamaTranslator
from kubechat_lab.translate.llm.openai import OpenAITranslator
from tests.plugins.llm_servers import FakeLLMServer

#: The API key the OpenAI-protocol translators are made with.
KEY = "sk-test-key-123"


@dataclass
class Harness:
    """Makes translators for one fake server; ``waits`` records their retry sleeps."""

    server: FakeLLMServer
    waits: list[float] = field(default_factory=list)

    @property
    def protocol(self) -> str:
        return self.server.protocol

    def make(self, **options: object) -> LLMTranslator:
        merged: dict[str, Any] = {"model": "kube-model", "backoff": 0.01,
                                  "sleep": self.waits.append, "timeout": 5.0}
        merged.update(options)
        if self.protocol == "ollama":
            return OllamaTranslator(host=self.server.url, **merged)
        merged.setdefault("api_key", KEY)
        return OpenAITranslator(base_url=self.server.url, **merged)


@pytest.fixture(params=["ollama", "openai"])
def llm(request: pytest.FixtureRequest) -> Harness:
    """The harness, once per wire protocol."""
    return Harness(request.getfixturevalue(f"{request.param}_server"))
