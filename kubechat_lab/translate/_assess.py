"""Classify a translation with the safety policy (the provider's own claims are ignored)."""

from __future__ import annotations

from kubechat_lab.policy import Assessment, Policy, PolicyContext, assess, classify
from kubechat_lab.translate._types import Translation, TranslationContext

__all__ = ["assess_translation"]


def assess_translation(
    translation: Translation,
    *,
    policy: Policy | None = None,
    context: PolicyContext | None = None,
    grounding: TranslationContext | None = None,
) -> Assessment | None:
    """Return the policy's :class:`~kubechat_lab.policy.Assessment` of a translation.

    Only the parsed command (or, for a refused one, its text re-parsed) is classified; the
    explanation a provider wrote is never read.

    Parameters
    ----------
    translation
        The translation to classify.
    policy
        The policy (default: the default policy).
    context
        The user and namespace the command would run as.
    grounding
        The translation context, for its resource table (CRDs).

    Returns
    -------
    Assessment or None
        None when the translation holds no command at all ("I can't translate this").
    """
    if translation.command is not None:
        return assess(translation.command, context, policy=policy)
    if translation.text:
        resources = grounding.resources if grounding is not None else None
        _, assessment = classify(translation.text, policy=policy, context=context,
                                 resources=resources)
        return assessment
    return None
