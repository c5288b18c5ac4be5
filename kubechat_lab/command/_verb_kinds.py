"""Which kubectl verbs read and which write: ``READ_VERBS``, ``WRITE_VERBS``, ``VERBS``."""

from __future__ import annotations

__all__ = ["READ_VERBS", "VERBS", "WRITE_VERBS"]

#: Verbs that only read cluster state (``rollout``, ``set``, ``apply`` depend on the subverb).
READ_VERBS: frozenset[str] = frozenset(
    {
        "api-resources",
        "api-versions",
        "auth",
        "cluster-info",
        "describe",
        "events",
        "explain",
        "get",
        "logs",
        "top",
        "version",
        "wait",
    }
)

#: Verbs that change cluster state.
WRITE_VERBS: frozenset[str] = frozenset(
    {
        "annotate",
        "apply",
        "autoscale",
        "cordon",
        "create",
        "delete",
        "drain",
        "label",
        "patch",
        "replace",
        "rollout",
        "scale",
        "set",
        "taint",
        "uncordon",
    }
)

#: Every verb the grammar understands.
VERBS: frozenset[str] = READ_VERBS | WRITE_VERBS
