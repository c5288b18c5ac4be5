"""Canonical rendering of a ``Command`` back to one kubectl string (stub)."""

from __future__ import annotations

from kubechat_lab.command.model import Command

__all__ = ["render"]


def render(command: Command) -> str:
    """Return the canonical kubectl string of ``command`` (stub)."""
    parts = ["kubectl", command.verb]
    if command.subverb:
        parts.append(command.subverb)
    return " ".join(parts)
