"""Canonical rendering of a ``Command`` back to one kubectl string.

Order: ``kubectl VERB [SUBVERB] OBJECTS [ARGS] [-n NS | -A] [-l SEL] [--field-selector=FS]
[-o OUT] [--flag[=value] ...sorted] [-f -] [-- COMMAND...]``. Values are single-quoted only
when they hold characters outside ``[A-Za-z0-9_@%+=:,./-]``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from kubechat_lab.command._verb_table import VERB_SPECS

if TYPE_CHECKING:
    from kubechat_lab.command.model import Command

__all__ = ["quote", "render"]

_SAFE = re.compile(r"[A-Za-z0-9_@%+=:,./-]+")


def quote(word: str) -> str:
    """Quote ``word`` for the tokenizer (and a POSIX shell) when it needs quoting."""
    if _SAFE.fullmatch(word):
        return word
    return "'" + word.replace("'", "'\"'\"'") + "'"


def render(command: Command) -> str:
    """Return the one canonical kubectl string of ``command``.

    Parameters
    ----------
    command
        A command from :func:`kubechat_lab.command.parse`.

    Returns
    -------
    str
        ``parse(render(c), manifest=c.manifest) == c`` holds for every parsed command.
    """
    parts = ["kubectl", command.verb]
    if command.subverb:
        parts.extend(command.subverb.split(" "))
    args = command.args
    container_command: tuple[str, ...] = ()
    if "--" in args:
        cut = args.index("--")
        args, container_command = args[:cut], args[cut + 1 :]
    if command.verb == "auth" and command.subverb == "can-i":
        parts.extend(quote(a) for a in args)
        args = ()
    if command.verb == "explain" and command.resources:
        path = f".{args[0]}" if args else ""
        parts.append(quote(command.resources[0] + path))
        args = ()
    elif command.targets:
        parts.extend(quote(f"{kind}/{name}") for kind, name in command.targets)
    else:
        if command.resources:
            parts.append(quote(",".join(command.resources)))
        parts.extend(quote(name) for name in command.names)
    parts.extend(quote(a) for a in args)
    if command.namespace is not None:
        parts += ("-n", quote(command.namespace))
    if command.all_namespaces:
        parts.append("-A")
    if command.selector is not None:
        parts += ("-l", quote(command.selector))
    if command.field_selector is not None:
        parts.append("--field-selector=" + quote(command.field_selector))
    if command.output is not None:
        parts += ("-o", quote(command.output))
    spec = VERB_SPECS.get((command.verb, command.subverb))
    longs = spec.longs if spec is not None else {}
    manifest = False
    for name, value in command.flags:
        if name == "filename":
            manifest = True
            continue
        flag = longs.get(name)
        if flag is not None and flag.kind == "bool" and value == "true":
            parts.append(f"--{name}")
        else:
            parts.append(f"--{name}={quote(value)}")
    if manifest:
        parts += ("-f", "-")
    if container_command:
        parts.append("--")
        parts.extend(quote(a) for a in container_command)
    return " ".join(parts)
