"""The kubectl grammar: tokens -> a validated ``Command`` (stub; being filled in)."""

from __future__ import annotations

from kubechat_lab.command.model import Command, ResourceTable
from kubechat_lab.errors import CommandError

__all__ = ["parse"]


def parse(
    text: str, *, resources: ResourceTable | None = None, manifest: str | None = None
) -> Command:
    """Parse one kubectl command line into a :class:`Command` (stub)."""
    raise CommandError("the kubectl grammar is not implemented yet", reason="not-implemented")
