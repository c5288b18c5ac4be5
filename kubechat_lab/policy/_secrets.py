"""Reads (and JSON-patch tests) whose only use on a Secret is to probe its values.

Values are redacted before anything sees them (cluster side), but a command that sorts
Secrets by their data, filters them on it, waits for a value or ``test``s one in a patch
asks a question only a value answers: an ordering or an equality oracle. Such commands are
refused outright; printing Secrets (values redacted) stays what it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kubechat_lab.command import Command

__all__ = ["holds_secrets", "secret_probes", "touches_values"]

Add = Callable[[str, str], None]

_WORD = re.compile(r"[A-Za-z0-9_$-]+")
_VALUE_WORDS = frozenset({"data", "stringdata", "annotations"})
_FILTER = re.compile(r"\?\(")
_BARE_AT = re.compile(r"@(?![.\[A-Za-z0-9_])")
# Sort keys that read no value: names, namespaces, times, labels, type.
_SAFE_SORT = re.compile(
    r"\.?(?:metadata\.(?:name|namespace|creationTimestamp|uid|resourceVersion|generation|"
    r"deletionTimestamp|labels(?:\.[A-Za-z0-9_.-]+)?)|type|immutable|kind|apiVersion)"
)


def holds_secrets(command: Command) -> bool:
    """Return True when the command reads or writes core Secrets."""
    return "secrets" in command.resources or any(r == "secrets" for r, _ in command.targets)


def touches_values(expr: str) -> bool:
    """Return True when a JSONPath may reach Secret values (data, stringData, annotations).

    Wildcards and recursive descent may reach anything, so they count.
    """
    if ".." in expr or "*" in expr:
        return True
    return any(word.lower() in _VALUE_WORDS for word in _WORD.findall(expr))


def _filter_probe(expr: str) -> str | None:
    """Return the filter condition of ``expr`` that tests a value, if any."""
    for match in _FILTER.finditer(expr):
        depth, end = 1, match.end()
        while end < len(expr) and depth:
            depth += {"(": 1, ")": -1}.get(expr[end], 0)
            end += 1
        condition = expr[match.end():end - 1]
        if touches_values(condition) or (_BARE_AT.search(condition) and
                                         touches_values(expr[:match.start()])):
            return condition
    return None


def _output_paths(output: str) -> list[str]:
    kind, _, spec = output.partition("=")
    if kind in ("jsonpath", "jsonpath-as-json"):
        return [spec]
    if kind == "custom-columns":
        return [part.partition(":")[2] for part in spec.split(",")]
    return []


def secret_probes(command: Command, add: Add, tests: list[str]) -> None:
    """Report how ``command`` would probe Secret values (``add("secret-probe", detail)``)."""
    if not holds_secrets(command):
        return
    sort_by = command.flag("sort-by")
    if sort_by is not None:
        key = sort_by.strip().strip("{}").lstrip("$")
        if not _SAFE_SORT.fullmatch(key):
            add("secret-probe", f"--sort-by={sort_by} orders secrets by what they hold")
    for path in _output_paths(command.output or ""):
        condition = _filter_probe(path)
        if condition is not None:
            add("secret-probe", f"the JSONPath filter ?({condition}) selects secrets by "
                "their values")
    for condition in command.flag_values("for"):
        kind, _, spec = condition.partition("=")
        if kind == "jsonpath" and touches_values(spec.rpartition("}")[0] or spec):
            add("secret-probe", f"--for={condition} waits for a secret value")
    for path in tests:
        add("secret-probe", f"a JSON patch test of {path} compares a secret value with a guess")
