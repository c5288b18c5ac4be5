"""Positional arguments every verb shares: ``TYPE NAME...`` / ``TYPE/NAME...`` and their errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from kubechat_lab.command._resource_table import BUILTIN_GROUPS
from kubechat_lab.command._specs import Ctx, Parsed
from kubechat_lab.command._validate import check_name
from kubechat_lab.errors import CommandError

__all__ = [
    "arg_error",
    "handle_no_positionals",
    "missing",
    "needs_targets",
    "read_objects",
    "resource_of",
    "split_args",
]


def arg_error(message: str, reason: str) -> CommandError:
    """Return the ``CommandError`` for a bad positional argument (``reason`` is its id)."""
    return CommandError(message, reason=reason)


def missing(ctx: Ctx, what: str, example: str) -> CommandError:
    """Return the "needs WHAT, e.g. EXAMPLE" error of a verb missing an argument."""
    return arg_error(f"`kubectl {ctx.label}` needs {what}, e.g. `kubectl {example}`",
                     "missing-argument")


def handle_no_positionals(ctx: Ctx) -> Parsed:
    """Read a verb that takes no positional arguments."""
    if ctx.pos:
        raise arg_error(f"`kubectl {ctx.label}` takes no arguments, got {' '.join(ctx.pos)!r}",
                        "unexpected-argument")
    return (), (), (), ()


def resource_of(ctx: Ctx, word: str, allowed: frozenset[str] | None) -> str:
    """Resolve a resource word to its canonical name, limited to ``allowed`` built-ins."""
    if word == "all" and ctx.verb == "get":
        return "all"
    canonical, info = ctx.table.resolve(word)
    if allowed is not None and canonical not in allowed and info.group in BUILTIN_GROUPS:
        raise arg_error(
            f"`kubectl {ctx.label}` works on {', '.join(sorted(allowed))}, not {word!r}",
            "unsupported-resource",
        )
    return canonical


def read_objects(
    ctx: Ctx, words: Sequence[str], allowed: frozenset[str] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...]]:
    """Read ``TYPE[,TYPE] [NAME...]`` or ``TYPE/NAME...`` into (resources, names, targets)."""
    if not words:
        return (), (), ()
    if "/" in words[0]:
        resources: list[str] = []
        names: list[str] = []
        targets: list[tuple[str, str]] = []
        for word in words:
            kind, _, name = word.partition("/")
            if not kind or not name or "/" in name:
                raise arg_error(f"expected TYPE/NAME, got {word!r} (e.g. deployment/web)",
                                "invalid-argument")
            canonical = resource_of(ctx, kind, allowed)
            check_name(name, canonical)
            if canonical not in resources:
                resources.append(canonical)
            names.append(name)
            targets.append((canonical, name))
        return tuple(resources), tuple(names), tuple(targets)
    canonicals: list[str] = []
    for kind in words[0].split(","):
        if not kind:
            raise arg_error(f"empty resource type in {words[0]!r}", "invalid-argument")
        canonical = resource_of(ctx, kind, allowed)
        if canonical not in canonicals:
            canonicals.append(canonical)
    names = []
    single = canonicals[0] if len(canonicals) == 1 else None
    for word in words[1:]:
        if "/" in word:
            raise arg_error(
                f"{word!r} is TYPE/NAME but the type was already given as {words[0]!r}: write "
                "either `TYPE NAME...` or `TYPE/NAME...`",
                "invalid-argument",
            )
        names.append(check_name(word, single))
    return tuple(canonicals), tuple(names), ()


def needs_targets(ctx: Ctx, names: tuple[str, ...], example: str) -> None:
    """Refuse a write that names no object and no bulk target (``-l``, ``--all``)."""
    if not names and not ctx.bulk_target():
        raise missing(ctx, "object names (or -l SELECTOR / --all)", example)


def split_args(ctx: Ctx, is_arg: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    """Split positionals into objects first, then changes (``is_arg`` words)."""
    object_words: list[str] = []
    args: list[str] = []
    for word in ctx.pos:
        if args or (object_words and is_arg(word)):
            if not is_arg(word):
                raise arg_error(f"{word!r} comes after {args[-1]!r}; put objects first, then the "
                                "changes", "invalid-argument")
            args.append(word)
        else:
            object_words.append(word)
    return object_words, args
