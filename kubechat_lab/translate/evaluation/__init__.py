"""Scoring translators on question sets (``kubechat eval``).

- :mod:`.cases` -- :class:`EvalCase` and :func:`load_cases` (the JSONL format).
- :mod:`.scoring` -- :func:`same_command`, :func:`score`, :func:`evaluate`.
- :mod:`.report` -- :class:`CaseResult` and :class:`EvalReport` (per verb, per tag).
"""

from __future__ import annotations

from kubechat_lab.translate.evaluation.cases import EvalCase, load_cases
from kubechat_lab.translate.evaluation.report import CaseResult, EvalReport
from kubechat_lab.translate.evaluation.scoring import (
    evaluate,
    same_command,
    score,
    structural_key,
)

__all__ = [
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "evaluate",
    "load_cases",
    "same_command",
    "score",
    "structural_key",
]
