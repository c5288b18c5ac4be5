"""What a person types back to approve a dangerous command (browser card and ``kubechat run``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["confirmation_text"]


def confirmation_text(command: Command) -> str:
    """Return what a user must type back to approve a dangerous ``command``.

    The object names when there are any, else the namespace a broad write hits, else
    ``all-namespaces`` or the resource list. One rule for every approval path, so the browser
    and the CLI ask for the same words.
    """
    if command.targets:
        return " ".join(name for _, name in command.targets)
    if command.names:
        return " ".join(command.names)
    if command.namespace:
        return command.namespace
    if command.all_namespaces:
        return "all-namespaces"
    return ",".join(command.resources) or command.verb
