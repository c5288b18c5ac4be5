"""The kubectl grammar: one command line -> the verb, flags and arguments of a ``Command``.

Anything the grammar does not know is refused with a ``CommandError`` whose ``reason`` is a
short id and whose message names the cause; nothing is ever passed through. ``parse`` (in
``model``) builds the immutable ``Command`` from what :func:`read_command` found.
"""

from __future__ import annotations

import difflib

from kubechat_lab.command._builtin_resources import DEFAULT_RESOURCES
from kubechat_lab.command._flag_table import parse_bool
from kubechat_lab.command._refused import (
    INTERACTIVE_VERBS,
    REFUSED_FLAGS,
    REFUSED_SHORT,
    REFUSED_SUBVERBS,
    REFUSED_VERBS,
)
from kubechat_lab.command._resource_table import ResourceTable
from kubechat_lab.command._specs import Ctx, FlagSpec, Parsed, VerbSpec
from kubechat_lab.command._tokenize import split_words
from kubechat_lab.command._validate import check_no_smuggling, manifest_objects
from kubechat_lab.command._verb_kinds import VERBS
from kubechat_lab.command._verb_table import SUBVERBS, VERB_SPECS
from kubechat_lab.errors import CommandError

__all__ = ["read_command"]

_TWO_WORD = {"secret": ("generic", "tls", "docker-registry"),
             "service": ("clusterip", "nodeport", "loadbalancer", "externalname")}
# Flags whose value is the next word, skipped while looking for a subverb.
_VALUE_FLAGS = frozenset({"-n", "--namespace", "-f", "--filename", "-o", "--output", "-l",
                          "--selector", "-c", "--container", "--containers", "-p", "--patch",
                          "-e", "--env", "--image", "--for", "--type", "--field-selector"})
_OPTIONAL_SUBVERB = frozenset({"apply", "create", "cluster-info"})
_OUTPUT_FILES = ("jsonpath-file", "custom-columns-file", "go-template-file", "templatefile")
_TEMPLATES = ("go-template", "template")
_LONG_NAMES = frozenset({"server", "kustomize", "stdin", "tty", "watch", "follow"})


def _fail(message: str, reason: str) -> CommandError:
    return CommandError(message, reason=reason)


def read_command(
    text: str, *, resources: ResourceTable | None = None, manifest: str | None = None
) -> tuple[Ctx, Parsed]:
    """Read one kubectl command line into its flags (``Ctx``) and positional parts.

    Parameters and errors are those of :func:`kubechat_lab.command.parse`, which builds the
    ``Command`` from the result.

    Returns
    -------
    tuple[Ctx, Parsed]
        The verb, subverb and validated flags, then ``(resources, names, targets, args)``.
    """
    table = resources if resources is not None else DEFAULT_RESOURCES
    words = split_words(text)
    if not words:
        raise _fail("empty command; write a kubectl command such as `kubectl get pods`", "empty")
    if words[0] == "kubectl":
        words = words[1:]
        if not words:
            raise _fail("`kubectl` needs a verb, e.g. `kubectl get pods`", "missing-argument")
    else:
        first = words[0]
        if (first not in VERBS and first not in INTERACTIVE_VERBS
                and first not in REFUSED_VERBS and not first.startswith("-")):
            raise _fail(
                f"{first!r} is not kubectl: kubechat runs kubectl commands only "
                "(e.g. `kubectl get pods`)",
                "not-kubectl",
            )
    _prescan(words)
    verb_at = _verb_index(words)
    verb = words[verb_at]
    rest = words[:verb_at] + words[verb_at + 1 :]
    _check_verb(verb, rest)
    subverb, rest = _subverb(verb, rest)
    spec = VERB_SPECS[(verb, subverb)]
    ctx = Ctx(verb, subverb, table)
    _read_flags(spec, ctx, rest)
    if ctx.namespace is not None and ctx.all_namespaces:
        raise _fail("give either -n NAMESPACE or -A, not both", "conflicting-flags")
    filename = "filename" in ctx.flags
    if manifest is not None:
        if not filename:
            raise _fail(
                f"manifest text was given but `kubectl {ctx.label}` has no `-f -` to read it",
                "unexpected-manifest",
            )
        manifest_objects(manifest)
    parsed = spec.handler(ctx)
    return ctx, parsed


def _prescan(words: list[str]) -> None:
    """Refuse credential flags and a second ``kubectl`` anywhere, before anything else."""
    for word in words:
        if word[:1] != "-":
            if word == "kubectl":
                raise _fail("a second `kubectl` in the line: give exactly one command",
                            "multiple-commands")
            continue
        if word[:2] == "--":
            refused = REFUSED_FLAGS.get(word[2:].partition("=")[0])
        elif len(word) > 1 and word[1] == "s":
            refused = REFUSED_FLAGS["server"]
        else:
            continue
        if refused is not None and refused[0] == "credential-flag":
            raise _fail(f"{word.partition('=')[0]!r}: {refused[1]}", "credential-flag")


def _verb_index(words: list[str]) -> int:
    """Return the index of the verb, skipping a leading ``-n NAMESPACE`` (a global flag)."""
    i = 0
    while i < len(words) and words[i].startswith("-") and words[i] != "-":
        i += 2 if words[i] in ("-n", "--namespace") else 1
    if i >= len(words):
        raise _fail("no kubectl verb found; write e.g. `kubectl get pods`", "missing-argument")
    return i


def _check_verb(verb: str, rest: list[str]) -> None:
    if verb in VERBS:
        return
    why = INTERACTIVE_VERBS.get(verb)
    if why is not None:
        raise _fail(f"`kubectl {verb}` {why}; interactive and tunnelling commands are not "
                    "supported", "interactive")
    refused = REFUSED_VERBS.get(verb)
    if refused is not None:
        if verb == "run" and any(w in ("-i", "-t", "-it", "-ti", "--stdin", "--tty", "--attach")
                                 for w in rest):
            raise _fail("`kubectl run -it` starts an interactive container; interactive "
                        "commands are not supported", "interactive")
        raise _fail(f"`kubectl {verb}` {refused[1]}", refused[0])
    close = difflib.get_close_matches(verb, sorted(VERBS), n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else (
        "supported verbs: " + ", ".join(sorted(VERBS)))
    raise _fail(f"unknown kubectl verb {verb!r}; {hint}", "unknown-verb")


def _subverb(verb: str, rest: list[str]) -> tuple[str | None, list[str]]:
    """Find and remove the subverb word(s); return (canonical subverb, remaining words)."""
    table = SUBVERBS.get(verb)
    if table is None and verb != "cluster-info":
        return None, rest
    i = 0
    while i < len(rest) and rest[i].startswith("-") and rest[i] != "-":
        if "=" in rest[i] or rest[i] not in _VALUE_FLAGS:
            i += 1
        else:
            i += 2
    if i >= len(rest):
        if verb in _OPTIONAL_SUBVERB:
            return None, rest
        raise _fail(f"`kubectl {verb}` needs a subcommand: {', '.join(sorted(set(table or ())))}",
                    "missing-argument")
    word = rest[i]
    if verb == "cluster-info" or (verb == "apply" and word not in (table or {})
                                  and (verb, word) not in REFUSED_SUBVERBS):
        if (verb, word) in REFUSED_SUBVERBS:
            reason, why = REFUSED_SUBVERBS[(verb, word)]
            raise _fail(f"`kubectl {verb} {word}` {why}", reason)
        return None, rest
    count = 1
    canonical = (table or {}).get(word)
    if canonical in _TWO_WORD:
        second = rest[i + 1] if i + 1 < len(rest) else ""
        if second not in _TWO_WORD[canonical]:
            raise _fail(f"`kubectl {verb} {canonical}` needs a type: "
                        f"{', '.join(_TWO_WORD[canonical])}", "missing-argument")
        canonical = f"{canonical} {second}"
        count = 2
    if canonical is not None and (verb, canonical) in REFUSED_SUBVERBS:
        word = canonical
    refused = REFUSED_SUBVERBS.get((verb, word))
    if refused is not None:
        raise _fail(f"`kubectl {verb} {word}` {refused[1]}", refused[0])
    if canonical is None:
        choices = sorted(set((table or {}).values()))
        close = difflib.get_close_matches(word, sorted(table or ()), n=2)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise _fail(f"unknown `kubectl {verb}` subcommand {word!r}; {hint}expected one of "
                    f"{', '.join(choices)}", "unknown-subcommand")
    return canonical, rest[:i] + rest[i + count :]


def _read_flags(spec: VerbSpec, ctx: Ctx, words: list[str]) -> None:
    """Sort words into flags (validated, into ``ctx``) and positionals (``ctx.pos``)."""
    longs, shorts = spec.longs, spec.shorts
    n = len(words)
    j = 0
    while j < n:
        word = words[j]
        j += 1
        if word[:1] != "-" or len(word) == 1:
            ctx.pos.append(word)
            continue
        if word == "--":
            if not spec.command_args:
                raise _fail(f"`kubectl {ctx.label}` takes no command after `--`",
                            "unexpected-argument")
            ctx.command_args = words[j:]
            return
        has_value = False
        value = ""
        if word[1] == "-":
            name, eq, value = word[2:].partition("=")
            flag = longs.get(name)
            if flag is None:
                raise _unknown_flag(ctx, spec, f"--{name}", name)
            has_value = bool(eq)
            shown = f"--{name}"
        else:
            flag = shorts.get(word[1])
            tail = word[2:]
            if flag is None or (flag.kind == "bool" and tail and tail[0] != "="):
                _combined_shorts(ctx, spec, word)
                for letter in word[1:]:
                    _store(ctx, shorts[letter], "true", f"-{letter}")
                continue
            shown = f"-{word[1]}"
            if tail:
                has_value = True
                value = tail[1:] if tail[0] == "=" else tail
        if flag.kind == "bool":
            value = parse_bool(flag.name, value) if has_value else "true"
        elif flag.kind == "optional":
            if not has_value:
                value = flag.default
        elif not has_value:
            if j >= n or words[j] == "--":
                raise _fail(f"{shown} needs a value", "missing-value")
            value = words[j]
            j += 1
        _store(ctx, flag, value, shown)


def _store(ctx: Ctx, flag: FlagSpec, value: str, shown: str) -> None:
    if flag.kind != "bool":
        check_no_smuggling(value, shown)
    if flag.validate is not None:
        value = flag.validate(value, ctx.table)
    target = flag.field
    if target == "flags":
        if flag.name == "filename":
            _check_filename(value)
        values = ctx.flags.get(flag.name)
        if values is None:
            ctx.flags[flag.name] = [value]
        elif flag.repeat:
            values.append(value)
        else:
            raise _fail(f"{shown} is given twice; give it once", "conflicting-flags")
        return
    if target == "all_namespaces":
        ctx.all_namespaces = value == "true"
        return
    if target == "output":
        value = _output(ctx, value)
    if getattr(ctx, target) is not None:
        raise _fail(f"{shown} is given twice; give it once", "conflicting-flags")
    setattr(ctx, target, value)


def _check_filename(value: str) -> None:
    if value == "-":
        return
    what = "URL" if "://" in value else "local file"
    raise _fail(
        f"-f {value}: kubechat never reads a {what}; pass the manifest text as data "
        "with `-f -`",
        "local-file",
    )


def _combined_shorts(ctx: Ctx, spec: VerbSpec, word: str) -> None:
    """Refuse a short flag the verb does not take (``-it``, ``-w``, ``-f`` of logs, ...)."""
    for letter in word[1:]:
        if letter == "=":
            break
        flag = spec.shorts.get(letter)
        if flag is not None and flag.kind == "bool":
            continue
        if flag is not None:
            raise _fail(f"{word!r}: -{letter} takes a value and cannot be combined with "
                        "other short flags", "invalid-flag")
        if letter == "f" and ctx.verb == "logs":
            raise _unknown_flag(ctx, spec, "-f", "follow")
        if letter == "f":
            raise _fail(f"`kubectl {ctx.label}` does not read manifests; kubechat never reads "
                        "local files or URLs (-f)", "local-file")
        long_name = REFUSED_SHORT.get(letter)
        raise _unknown_flag(ctx, spec, f"-{letter}", long_name or "")


def _unknown_flag(ctx: Ctx, spec: VerbSpec, shown: str, name: str) -> CommandError:
    refused = REFUSED_FLAGS.get(name)
    if refused is not None:
        also = f" (--{name})" if shown != f"--{name}" and name in _LONG_NAMES else ""
        return _fail(f"{shown}{also}: {refused[1]}", refused[0])
    candidates = [f"--{f}" for f in spec.longs] + [f"-{s}" for s in spec.shorts]
    close = difflib.get_close_matches(shown, candidates, n=3, cutoff=0.7)
    hint = f"; did you mean {' or '.join(close)}?" if close else (
        f"; it accepts {', '.join(sorted(candidates))}" if candidates else "")
    return _fail(f"`kubectl {ctx.label}` does not accept {shown}{hint}", "unknown-flag")


def _output(ctx: Ctx, value: str) -> str:
    spec = VERB_SPECS[(ctx.verb, ctx.subverb)]
    kind, eq, template = value.partition("=")
    if kind in _OUTPUT_FILES:
        raise _fail(f"-o {kind} reads a local file; kubechat never reads local files",
                    "local-file")
    if kind in _TEMPLATES:
        raise _fail(f"-o {kind} is not supported; use -o jsonpath=... instead",
                    "invalid-output")
    if kind not in spec.outputs:
        accepted = ", ".join(sorted(spec.outputs)) or "no -o at all"
        raise _fail(f"`kubectl {ctx.label}` does not accept -o {value!r}; it accepts "
                    f"{accepted}", "invalid-output")
    if kind in ("jsonpath", "jsonpath-as-json", "custom-columns"):
        if not eq or not template.strip():
            example = ("custom-columns=NAME:.metadata.name" if kind == "custom-columns"
                       else f"{kind}='{{.metadata.name}}'")
            raise _fail(f"-o {kind} needs a template, e.g. -o {example}", "invalid-output")
        if kind == "custom-columns" and not all(":" in c for c in template.split(",")):
            raise _fail(f"invalid custom columns {template!r}: expected HEADER:JSONPATH[,...]",
                        "invalid-output")
    elif eq:
        raise _fail(f"-o {kind} takes no template", "invalid-output")
    return value
