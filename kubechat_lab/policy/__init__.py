"""The safety policy: a rules file turns a Command into an Assessment (level and reasons)."""

from __future__ import annotations

from kubechat_lab.errors import PolicyError, PolicyViolation
from kubechat_lab.policy._confirm import confirmation_text
from kubechat_lab.policy._engine import (
    DEFAULT_POLICY_PATH,
    Policy,
    assess,
    classify,
    default_policy,
    load_policy,
)
from kubechat_lab.policy._model import Assessment, Level, Observe, PolicyContext
from kubechat_lab.policy._rules import Rule
from kubechat_lab.policy._two_person import TwoPersonRule

__all__ = [
    "DEFAULT_POLICY_PATH",
    "Assessment",
    "Level",
    "Observe",
    "Policy",
    "PolicyContext",
    "PolicyError",
    "PolicyViolation",
    "Rule",
    "TwoPersonRule",
    "assess",
    "classify",
    "confirmation_text",
    "default_policy",
    "load_policy",
]
