"""Translator plugins: entry points, lazy loading, allow/block lists, broken plugins."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from kubechat_lab.errors import TranslateError
from kubechat_lab.translate import (
    ENTRY_POINT_GROUP,
    RulesTranslator,
    Translator,
    TranslatorRegistry,
    available_translators,
    create_translator,
    load_translator,
)
from kubechat_lab.translate.llm.ollama import OllamaTranslator
from kubechat_lab.translate.llm.openai import OpenAITranslator


def test_builtin_plugins_are_entry_points() -> None:
    assert available_translators()[:1] == ["rules"]
    assert {"rules", "ollama", "openai"} <= set(available_translators())
    assert load_translator("ollama") is OllamaTranslator
    assert load_translator("openai") is OpenAITranslator
    for cls in (RulesTranslator, OllamaTranslator, OpenAITranslator):
        assert isinstance(cls.id, str) and isinstance(cls.display_name, str)
        assert isinstance(cls.requires_network, bool)
    assert OpenAITranslator.api_key_env == "OPENAI_API_KEY"
    assert isinstance(RulesTranslator(), Translator)


def test_allow_and_block_lists_keep_rules() -> None:
    assert available_translators(allowed=["openai"]) == ["rules", "openai"]
    assert available_translators(blocked=["rules", "ollama"])[:1] == ["rules"]
    assert "ollama" not in available_translators(blocked=["ollama"])
    with pytest.raises(TranslateError, match="not allowed"):
        load_translator("ollama", blocked=["ollama"])
    assert load_translator("rules", allowed=[]) is RulesTranslator


def test_unknown_translator_suggests() -> None:
    with pytest.raises(TranslateError, match="did you mean ollama"):
        load_translator("olama")


def test_create_with_options_and_missing_model() -> None:
    translator = create_translator("ollama", options={"model": "m", "host": "http://127.0.0.1:1"})
    assert isinstance(translator, OllamaTranslator) and translator.host == "http://127.0.0.1:1"
    with pytest.raises(TranslateError, match="needs a model"):
        create_translator("openai")
    with pytest.raises(TranslateError, match="does not take these options"):
        create_translator("rules", options={"model": "m"})


def _broken_plugin(tmp_path: Path) -> Path:
    dist = tmp_path / "broken_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nbroken = broken_plugin_module_that_does_not_exist:Broken\n"
    )
    return tmp_path


def test_broken_plugin_is_logged_and_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.syspath_prepend(str(_broken_plugin(tmp_path)))
    assert "broken" in available_translators()  # listed without importing it
    with caplog.at_level(logging.WARNING, logger="kubechat_lab.translate._registry"):
        with pytest.raises(TranslateError, match="broken_plugin_module_that_does_not_exist"):
            load_translator("broken")
    assert "failed to import" in caplog.text and "broken" in caplog.text
    assert load_translator("ollama") is OllamaTranslator  # the others still load


def test_registry_traits() -> None:
    registry = TranslatorRegistry(blocked_translators=["openai"])
    assert registry.default_translator == "rules"
    assert "openai" not in registry.available()
    assert isinstance(registry.create(), RulesTranslator)
    with pytest.raises(TranslateError):
        registry.load("openai")


def test_create_accepts_keyword_options_too() -> None:
    translator = create_translator("openai", model="m", base_url="http://127.0.0.1:1/v1",
                                   timeout=3.0)
    assert isinstance(translator, OpenAITranslator) and translator.timeout == 3.0
    health = translator.health()
    assert health["ok"] is True and health["circuit"] == "closed"


def test_each_provider_declares_its_options() -> None:
    from kubechat_lab.translate import declared_options

    names = {cls.id: {o.name for o in declared_options(cls)}
             for cls in (RulesTranslator, OllamaTranslator, OpenAITranslator)}
    assert names["rules"] == set()
    assert {"model", "timeout", "host"} <= names["ollama"] and "base_url" not in names["ollama"]
    assert {"model", "timeout", "base_url"} <= names["openai"] and "host" not in names["openai"]
    for cls in (OllamaTranslator, OpenAITranslator):
        for option in declared_options(cls):
            assert len(option.help) > 10 and option.type in ("str", "float", "int", "bool")
        assert "api_key" not in names[cls.id]  # a secret is never an option


def test_options_are_checked_and_converted_the_same_way_everywhere() -> None:
    translator = create_translator("ollama", options={"model": "m", "timeout": "2.5",
                                                      "retries": "1"})
    assert isinstance(translator, OllamaTranslator)
    assert translator.timeout == 2.5 and translator.retries == 1
    with pytest.raises(TranslateError, match="did you mean model"):
        create_translator("ollama", options={"modle": "m"})
    with pytest.raises(TranslateError, match="'timeout' must be float"):
        create_translator("ollama", options={"model": "m", "timeout": "soon"})
    with pytest.raises(TranslateError, match="takes no API key"):
        create_translator("rules", api_key="sk-x")


def test_registry_applies_configured_options() -> None:
    registry = TranslatorRegistry(translator_options={"openai": {"model": "m",
                                                                 "base_url": "http://x/v1"}})
    translator = registry.create("openai", api_key="sk-x")
    assert isinstance(translator, OpenAITranslator)
    assert translator.model == "m" and translator.base_url == "http://x/v1"
    assert registry.create("openai", model="other", api_key="sk-x").model == "other"
