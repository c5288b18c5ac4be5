"""Questions in plain language -> kubectl Commands: translator plugins, grounding, evaluation."""

from __future__ import annotations

from kubechat_lab.errors import TranslateError
from kubechat_lab.translate._assess import assess_translation
from kubechat_lab.translate._options import TranslatorOption, check_options, declared_options
from kubechat_lab.translate._registry import (
    ENTRY_POINT_GROUP,
    TranslatorRegistry,
    available_translators,
    create_translator,
    load_translator,
)
from kubechat_lab.translate._types import (
    MAX_CHOICES,
    Choice,
    Translation,
    TranslationContext,
    Translator,
    TranslatorClosedError,
    Turn,
)
from kubechat_lab.translate.evaluation import (
    CaseResult,
    EvalCase,
    EvalReport,
    evaluate,
    load_cases,
    same_command,
    score,
    structural_key,
)
from kubechat_lab.translate.rules import RulesTranslator

__all__ = [
    "ENTRY_POINT_GROUP",
    "MAX_CHOICES",
    "CaseResult",
    "Choice",
    "EvalCase",
    "EvalReport",
    "RulesTranslator",
    "TranslateError",
    "Translation",
    "TranslationContext",
    "Translator",
    "TranslatorClosedError",
    "TranslatorOption",
    "TranslatorRegistry",
    "Turn",
    "assess_translation",
    "available_translators",
    "check_options",
    "create_translator",
    "declared_options",
    "evaluate",
    "load_cases",
    "load_translator",
    "same_command",
    "score",
    "structural_key",
]
