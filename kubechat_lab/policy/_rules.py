"""Policy rules: validated from YAML mappings and compiled into fast match predicates."""

from __future__ import annotations

import difflib
import fnmatch
import re
import string
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from kubechat_lab.command import DEFAULT_RESOURCES, VERBS
from kubechat_lab.errors import PolicyError
from kubechat_lab.policy._facts import Facts
from kubechat_lab.policy._findings import FINDINGS
from kubechat_lab.policy._model import Level

__all__ = ["Rule", "compile_rule"]

Check = Callable[[Facts], bool]

_RULE_FIELDS = ("id", "level", "reason", "match", "description", "caps")
_MATCH_FIELDS = ("verbs", "subverbs", "resources", "namespaces", "names", "flags", "outputs",
                 "args", "users", "write", "bulk", "protected_namespace", "dry_run",
                 "all_namespaces", "findings")
_PLACEHOLDERS = frozenset({"verb", "target", "resources", "names", "namespace", "scope",
                           "user", "detail"})
_ID = re.compile(r"[A-Za-z0-9][-A-Za-z0-9_.:]*")


@dataclass(frozen=True, slots=True)
class Rule:
    """One policy rule: when ``match`` holds, the command is at least ``level``.

    Parameters
    ----------
    id
        Unique id; an operator rule with a default rule's id replaces it.
    level
        The level the rule raises a matching command to.
    reason
        Human sentence with optional ``{placeholders}``.
    match
        The match mapping as written in the policy file.
    source
        The file the rule came from.
    caps
        When True the rule sets a ceiling instead of a floor: a command it matches is at most
        ``level``, unless a ``forbidden`` rule matches too (forbidden is never lowered).
    """

    id: str
    level: Level
    reason: str
    match: Mapping[str, object] = field(default_factory=dict, compare=False)
    source: str = "<default>"
    checks: tuple[Check, ...] = field(default=(), compare=False, repr=False)
    verbs: frozenset[str] | None = field(default=None, compare=False, repr=False)
    findings: frozenset[str] | None = field(default=None, compare=False, repr=False)
    caps: bool = False

    def matches(self, facts: Facts) -> bool:
        """Return True when every condition of the rule holds for ``facts``."""
        if self.verbs is not None and facts.verb not in self.verbs:
            return False
        for check in self.checks:
            if not check(facts):
                return False
        return True

    def explain(self, fields: Mapping[str, str], facts: Facts | None = None) -> str:
        """Return the reason with its placeholders filled in.

        ``{detail}`` is the details of the findings this rule matches (all findings when it
        matches none by name).
        """
        if facts is not None and "{detail}" in self.reason:
            fields = ChainMap({"detail": facts.detail(self.findings)}, fields)  # type: ignore[arg-type]
        return self.reason.format_map(fields)


class _Where:
    """Builds PolicyError messages that name the file, the rule and the field."""

    def __init__(self, source: str, rule: str) -> None:
        self.source = source
        self.rule = rule

    def error(self, field_name: str, problem: str) -> PolicyError:
        return PolicyError(f"policy file {self.source}: rule {self.rule}: field "
                           f"{field_name!r}: {problem}")


def _suggest(word: str, choices: tuple[str, ...] | frozenset[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=2)
    return f" (did you mean {' or '.join(close)}?)" if close else ""


def _strings(where: _Where, name: str, value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise where.error(name, f"expected a string or a list of strings, got {value!r}")
    return list(value)


def _globs(where: _Where, name: str, value: object) -> re.Pattern[str]:
    patterns = _strings(where, name, value)
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def _bool(where: _Where, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise where.error(name, f"expected true or false, got {value!r}")
    return value


def _canonical_resources(where: _Where, value: object) -> frozenset[str]:
    out = set()
    for word in _strings(where, "match.resources", value):
        if word == "*":
            out.add("*")
            continue
        found = DEFAULT_RESOURCES.lookup(word)
        if found is not None:
            out.add(found[0])
        elif "." in word:
            out.add(word.lower())  # a CRD, plural.group
        else:
            plurals = frozenset(r.plural for r in DEFAULT_RESOURCES)
            raise where.error("match.resources", f"unknown resource {word!r}"
                              + _suggest(word.lower(), plurals))
    return frozenset(out)


def _flag_check(where: _Where, flags: object) -> Check:
    if not isinstance(flags, dict) or not flags:
        raise where.error("match.flags", f"expected a mapping of flag name to value, got {flags!r}")
    tests: list[tuple[str, bool | re.Pattern[str]]] = []
    for name, want in flags.items():
        if not isinstance(name, str) or name.startswith("-"):
            raise where.error("match.flags",
                              f"flag names are written without dashes, got {name!r}")
        if isinstance(want, bool):
            tests.append((name, want))
        elif isinstance(want, (str, int)) and not isinstance(want, bool):
            tests.append((name, _globs(where, f"match.flags.{name}", str(want))))
        else:
            tests.append((name, _globs(where, f"match.flags.{name}", want)))

    def check(facts: Facts) -> bool:
        for name, want in tests:
            values = facts.flags.get(name)
            if isinstance(want, bool):
                if bool(values) != want:
                    return False
            elif not values or not any(want.fullmatch(v) for v in values):
                return False
        return True

    return check


def _compile_match(where: _Where, match: object) -> tuple[Check, ...]:
    if match is None:
        return ()
    if not isinstance(match, dict):
        raise where.error("match", f"expected a mapping, got {match!r}")
    checks: list[Check] = []
    for key, value in match.items():
        if key not in _MATCH_FIELDS:
            raise where.error(f"match.{key}", "unknown match field" + _suggest(
                str(key), _MATCH_FIELDS) + "; fields: " + ", ".join(_MATCH_FIELDS))
        checks.append(_compile_field(where, key, value))
    return tuple(checks)


def _compile_field(where: _Where, key: str, value: object) -> Check:
    if key == "verbs":
        verbs = frozenset(_strings(where, f"match.{key}", value))
        for verb in verbs:
            if verb not in VERBS:
                raise where.error("match.verbs", f"unknown verb {verb!r}" + _suggest(verb, VERBS))
        return lambda f: f.verb in verbs
    if key == "subverbs":
        subverbs = frozenset(_strings(where, f"match.{key}", value))
        return lambda f: f.subverb in subverbs
    if key == "resources":
        wanted = _canonical_resources(where, value)
        if "*" in wanted:
            return lambda f: bool(f.resources)
        return lambda f: not wanted.isdisjoint(f.resources)
    if key == "namespaces":
        pattern = _globs(where, f"match.{key}", value)
        return lambda f: f.all_namespaces or any(pattern.fullmatch(n) for n in f.namespaces)
    if key in ("names", "args"):
        pattern = _globs(where, f"match.{key}", value)
        if key == "names":
            return lambda f: any(pattern.fullmatch(n) for n in f.names)
        return lambda f: any(pattern.fullmatch(a) for a in f.args)
    if key == "outputs":
        pattern = _globs(where, f"match.{key}", value)
        return lambda f: f.output is not None and pattern.fullmatch(f.output) is not None
    if key == "users":
        pattern = _globs(where, f"match.{key}", value)
        return lambda f: f.user is not None and pattern.fullmatch(f.user) is not None
    if key == "flags":
        return _flag_check(where, value)
    if key == "findings":
        wanted = frozenset(_strings(where, f"match.{key}", value))
        for name in sorted(wanted):
            if name not in FINDINGS:
                raise where.error("match.findings", f"unknown finding {name!r}"
                                  + _suggest(name, frozenset(FINDINGS)) + "; findings: "
                                  + ", ".join(FINDINGS))
        return lambda f: not wanted.isdisjoint(f.findings)
    want = _bool(where, f"match.{key}", value)
    attribute = {"write": "write", "bulk": "bulk", "dry_run": "dry_run",
                 "all_namespaces": "all_namespaces"}.get(key)
    if attribute is not None:
        return lambda f: bool(getattr(f, attribute)) == want
    return lambda f: bool(f.protected) == want  # protected_namespace


def compile_rule(data: object, source: str, index: int) -> Rule:
    """Validate one rule mapping from a policy file and compile it.

    Raises
    ------
    PolicyError
        Naming the file, the rule (id or position) and the bad field.
    """
    where = _Where(source, f"#{index + 1}")
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {source}: rule #{index + 1}: expected a mapping with "
                          f"id, level, reason and match, got {data!r}")
    rule_id = data.get("id")
    if not isinstance(rule_id, str) or not _ID.fullmatch(rule_id):
        raise where.error("id", f"expected an id of letters, digits, '-', '_', '.', ':', "
                          f"got {rule_id!r}")
    where = _Where(source, repr(rule_id))
    for key in data:
        if key not in _RULE_FIELDS:
            raise where.error(str(key), "unknown rule field" + _suggest(str(key), _RULE_FIELDS)
                              + "; fields: " + ", ".join(_RULE_FIELDS))
    try:
        level = Level(str(data.get("level")))
    except ValueError:
        raise where.error("level", f"{data.get('level')!r} is not one of "
                          + ", ".join(level.value for level in Level)) from None
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise where.error("reason", "expected a sentence saying why")
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(reason) if name is not None}
    except ValueError as exc:
        raise where.error("reason", f"bad placeholder syntax: {exc}") from None
    unknown = used - _PLACEHOLDERS
    if unknown:
        raise where.error("reason", f"unknown placeholder {{{sorted(unknown)[0]}}}; "
                          f"placeholders: {', '.join(sorted(_PLACEHOLDERS))}")
    match = data.get("match") or {}
    checks = _compile_match(where, match)
    verbs = match.get("verbs") if isinstance(match, dict) else None
    prefilter = frozenset(_strings(where, "match.verbs", verbs)) if verbs is not None else None
    names = match.get("findings") if isinstance(match, dict) else None
    findings = frozenset(_strings(where, "match.findings", names)) if names is not None else None
    caps = _bool(where, "caps", data.get("caps", False))
    if caps and level is Level.FORBIDDEN:
        raise where.error("caps", "a forbidden rule cannot be a ceiling (forbidden is never "
                          "lowered); give it a lower level or drop caps")
    return Rule(rule_id, level, reason, match, source, checks, prefilter, findings, caps)
