"""Every flag kubechat accepts (``flag_table`` per verb) and how each flag's value is checked."""

from __future__ import annotations

import re

from kubechat_lab.command._resource_table import ResourceTable
from kubechat_lab.command._specs import FlagSpec, Validator
from kubechat_lab.command._validate import (
    canonical_field_selector,
    canonical_label_selector,
    check_label_key,
    check_name,
    check_namespace,
    validate_patch,
)
from kubechat_lab.errors import CommandError

__all__ = ["flag_table", "parse_bool"]


def _bad(flag: str, value: str, expected: str) -> CommandError:
    return CommandError(
        f"invalid value {value!r} for --{flag}: expected {expected}", reason="invalid-value"
    )


def _int(flag: str, minimum: int = 0, maximum: int = 2**31 - 1) -> Validator:
    def check(value: str, table: ResourceTable) -> str:
        try:
            number = int(value)
        except ValueError:
            raise _bad(flag, value, f"an integer >= {minimum}") from None
        if not minimum <= number <= maximum:
            raise _bad(flag, value, f"an integer from {minimum} to {maximum}")
        return str(number)

    return check


def _choice(flag: str, *choices: str, aliases: dict[str, str] | None = None) -> Validator:
    allowed = frozenset(choices)

    def check(value: str, table: ResourceTable) -> str:
        value = (aliases or {}).get(value, value)
        if value not in allowed:
            raise _bad(flag, value, "one of " + ", ".join(choices))
        return value

    return check


def _pattern(flag: str, regex: str, expected: str) -> Validator:
    compiled = re.compile(regex)

    def check(value: str, table: ResourceTable) -> str:
        if not compiled.fullmatch(value):
            raise _bad(flag, value, expected)
        return value

    return check


_DURATION = r"0|(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+"
_QUANTITY = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+|[KMGTPE]i|[munkMGTPE])?"
_RESOURCE_LIST = rf"[a-z0-9][-a-z0-9./]*={_QUANTITY}(?:,[a-z0-9][-a-z0-9./]*={_QUANTITY})*"


def _duration(flag: str) -> Validator:
    return _pattern(flag, _DURATION, "a duration such as 30s, 15m or 1h")


def _text(flag: str) -> Validator:
    def check(value: str, table: ResourceTable) -> str:
        if not value.strip():
            raise _bad(flag, value, "a non-empty value")
        return value

    return check


def _selector(value: str, table: ResourceTable) -> str:
    return canonical_label_selector(value)


def _field_selector(value: str, table: ResourceTable) -> str:
    return canonical_field_selector(value)


def _namespace(value: str, table: ResourceTable) -> str:
    return check_namespace(value)


def _name(value: str, table: ResourceTable) -> str:
    return check_name(value)


def _role_name(value: str, table: ResourceTable) -> str:
    return check_name(value, "clusterroles")  # RBAC names: system:node, system:aggregate-...


def _patch(value: str, table: ResourceTable) -> str:
    return validate_patch(value)


def _key_value(flag: str) -> Validator:
    def check(value: str, table: ResourceTable) -> str:
        key, eq, _ = value.partition("=")
        if not eq or not re.fullmatch(r"[-._a-zA-Z0-9]+", key):
            raise _bad(flag, value, "KEY=VALUE with a key of letters, digits, '-', '_' or '.'")
        return value

    return check


def _type_name(flag: str, *allowed: str) -> Validator:
    """``TYPE/NAME`` with TYPE resolved to its canonical plural (and limited to ``allowed``)."""

    def check(value: str, table: ResourceTable) -> str:
        kind, slash, name = value.partition("/")
        if not slash:
            raise _bad(flag, value, "TYPE/NAME, e.g. pod/web-0")
        canonical, _ = table.resolve(kind)
        if allowed and canonical not in allowed:
            raise _bad(flag, value, "a TYPE/NAME of " + " or ".join(allowed))
        return f"{canonical}/{check_name(name, canonical)}"

    return check


def _wait_for(value: str, table: ResourceTable) -> str:
    if value in ("delete", "create"):
        return value
    kind, eq, rest = value.partition("=")
    if eq and kind == "condition" and re.fullmatch(r"[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?", rest):
        return value
    if eq and kind == "jsonpath" and rest.strip():
        return value
    raise _bad("for", value, "delete, create, condition=NAME[=VALUE] or jsonpath=EXPR[=VALUE]")


def _comma_list(flag: str, item: str) -> Validator:
    return _pattern(flag, rf"{item}(?:,{item})*", f"a comma-separated list of {item}")


def _label_keys(value: str, table: ResourceTable) -> str:
    for key in value.split(","):
        check_label_key(key)
    return value


_BOOL: dict[str, str] = {
    "true": "true", "t": "true", "1": "true", "True": "true", "TRUE": "true", "T": "true",
    "false": "false", "f": "false", "0": "false", "False": "false", "FALSE": "false",
    "F": "false",
}  # fmt: skip

_IMAGE = r"[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,511}"

# Every accepted flag by canonical name. Where a name means different things for different
# verbs, _VERB_OVERRIDES holds the verb's own spec.
_SPECS: dict[str, FlagSpec] = {
    spec.name: spec
    for spec in (
        FlagSpec("namespace", "n", "value", _namespace, "namespace"),
        FlagSpec("all-namespaces", "A", "bool", None, "all_namespaces"),
        FlagSpec("selector", "l", "value", _selector, "selector"),
        FlagSpec("field-selector", None, "value", _field_selector, "field_selector"),
        FlagSpec("output", "o", "value", None, "output"),
        FlagSpec("filename", "f", "value"),
        FlagSpec("sort-by", None, "value", _pattern(
            "sort-by", r"\{?\.?[A-Za-z0-9_.\[\]*'\"@?()=!<> -]+\}?",
            "a JSONPath field such as .metadata.name")),
        FlagSpec("show-labels", None, "bool"),
        FlagSpec("show-kind", None, "bool"),
        FlagSpec("no-headers", None, "bool"),
        FlagSpec("label-columns", "L", "value", _label_keys, repeat=True),
        FlagSpec("chunk-size", None, "value", _int("chunk-size")),
        FlagSpec("subresource", None, "value", _choice("subresource", "status", "scale",
                                                       "resize")),
        FlagSpec("ignore-not-found", None, "bool"),
        FlagSpec("show-managed-fields", None, "bool"),
        FlagSpec("show-events", None, "bool"),
        FlagSpec("container", "c", "value", _name),
        FlagSpec("all-containers", None, "bool"),
        FlagSpec("previous", "p", "bool"),
        FlagSpec("tail", None, "value", _int("tail", -1)),
        FlagSpec("since", None, "value", _duration("since")),
        FlagSpec("since-time", None, "value", _pattern(
            "since-time", r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)",
            "an RFC3339 time such as 2024-08-30T06:00:00Z")),
        FlagSpec("timestamps", None, "bool"),
        FlagSpec("limit-bytes", None, "value", _int("limit-bytes", 1)),
        FlagSpec("prefix", None, "bool"),
        FlagSpec("ignore-errors", None, "bool"),
        FlagSpec("max-log-requests", None, "value", _int("max-log-requests", 1)),
        FlagSpec("pod-running-timeout", None, "value", _duration("pod-running-timeout")),
        FlagSpec("all-pods", None, "bool"),
        FlagSpec("sum", None, "bool"),
        FlagSpec("use-protocol-buffers", None, "bool"),
        FlagSpec("show-capacity", None, "bool"),
        FlagSpec("types", None, "value", _comma_list("types", "(?:Normal|Warning)")),
        FlagSpec("recursive", None, "bool"),
        FlagSpec("api-version", None, "value", _pattern(
            "api-version", r"(?:[a-z0-9.-]+/)?v\d+(?:(?:alpha|beta)\d+)?", "GROUP/VERSION")),
        FlagSpec("max-depth", None, "value", _int("max-depth", 1)),
        FlagSpec("namespaced", None, "bool"),
        FlagSpec("api-group", None, "value", _pattern(
            "api-group", r"[a-z0-9.-]*", "an API group such as apps")),
        FlagSpec("verbs", None, "value", _comma_list("verbs", "[a-z]+")),
        FlagSpec("categories", None, "value", _comma_list("categories", "[a-z]+")),
        FlagSpec("cached", None, "bool"),
        FlagSpec("client", None, "bool"),
        FlagSpec("list", None, "bool"),
        FlagSpec("quiet", "q", "bool"),
        FlagSpec("revision", None, "value", _int("revision")),
        FlagSpec("to-revision", None, "value", _int("to-revision")),
        FlagSpec("timeout", None, "value", _duration("timeout")),
        FlagSpec("dry-run", None, "optional", _choice(
            "dry-run", "none", "client", "server",
            aliases={"true": "client", "false": "none", "unchanged": "client"}),
            default="client"),
        FlagSpec("replicas", None, "value", _int("replicas")),
        FlagSpec("current-replicas", None, "value", _int("current-replicas", -1)),
        FlagSpec("resource-version", None, "value", _pattern(
            "resource-version", r"\d+", "a resourceVersion number")),
        FlagSpec("record", None, "bool"),
        FlagSpec("all", None, "bool"),
        FlagSpec("min", None, "value", _int("min", 1)),
        FlagSpec("max", None, "value", _int("max", 1)),
        FlagSpec("cpu-percent", None, "value", _int("cpu-percent", 1, 100000)),
        FlagSpec("cpu", None, "value", _pattern("cpu", rf"\d+%|{_QUANTITY}",
                                                "a percentage such as 80% or a quantity")),
        FlagSpec("memory", None, "value", _pattern("memory", rf"\d+%|{_QUANTITY}",
                                                   "a percentage such as 70% or a quantity")),
        FlagSpec("name", None, "value", _name),
        FlagSpec("pod-selector", None, "value", _selector),
        FlagSpec("ignore-daemonsets", None, "bool"),
        FlagSpec("delete-emptydir-data", None, "bool"),
        FlagSpec("force", None, "bool"),
        FlagSpec("grace-period", None, "value", _int("grace-period", -1)),
        FlagSpec("disable-eviction", None, "bool"),
        FlagSpec("skip-wait-for-delete-timeout", None, "value",
                 _int("skip-wait-for-delete-timeout")),
        FlagSpec("overwrite", None, "bool"),
        FlagSpec("containers", "c", "value", _pattern(
            "containers", r"[a-z0-9*][-a-z0-9*]*", "a container name or pattern")),
        FlagSpec("env", "e", "value", _key_value("env"), repeat=True),
        FlagSpec("from", None, "value", _type_name("from", "secrets", "configmaps")),
        FlagSpec("keys", None, "value", _comma_list("keys", "[-._a-zA-Z0-9]+")),
        FlagSpec("limits", None, "value", _pattern(
            "limits", _RESOURCE_LIST, "NAME=QUANTITY pairs such as cpu=200m,memory=512Mi")),
        FlagSpec("requests", None, "value", _pattern(
            "requests", _RESOURCE_LIST, "NAME=QUANTITY pairs such as cpu=100m,memory=256Mi")),
        FlagSpec("patch", "p", "value", _patch),
        FlagSpec("type", None, "value", _choice("type", "json", "merge", "strategic")),
        FlagSpec("field-manager", None, "value", _pattern(
            "field-manager", r"[A-Za-z0-9][-A-Za-z0-9_.:]{0,127}", "a manager name")),
        FlagSpec("server-side", None, "bool"),
        FlagSpec("force-conflicts", None, "bool"),
        FlagSpec("wait", None, "bool"),
        FlagSpec("validate", None, "optional", _choice(
            "validate", "strict", "warn", "ignore", aliases={"true": "strict", "false": "ignore"}),
            default="strict"),
        FlagSpec("save-config", None, "bool"),
        FlagSpec("now", None, "bool"),
        FlagSpec("cascade", None, "optional", _choice(
            "cascade", "background", "foreground", "orphan",
            aliases={"true": "background", "false": "orphan"}), default="background"),
        FlagSpec("for", None, "value", _wait_for, repeat=True),
        FlagSpec("image", None, "value", _pattern("image", _IMAGE, "a container image"),
                 repeat=True),
        FlagSpec("port", None, "value", _int("port", 1, 65535)),
        FlagSpec("from-literal", None, "value", _key_value("from-literal"), repeat=True),
        FlagSpec("append-hash", None, "bool"),
        FlagSpec("schedule", None, "value", _pattern(
            "schedule", r"@[a-z]+|\S+(?: \S+){4}", "a cron schedule such as '*/5 * * * *'")),
        FlagSpec("restart", None, "value", _choice("restart", "Always", "OnFailure", "Never")),
        FlagSpec("tcp", None, "value", _pattern("tcp", r"\d+(?::\d+)?", "PORT[:TARGET]"),
                 repeat=True),
        FlagSpec("clusterip", None, "value", _pattern(
            "clusterip", r"None|[0-9a-fA-F.:]+", "None or an IP address")),
        FlagSpec("node-port", None, "value", _int("node-port", 1, 65535)),
        FlagSpec("external-name", None, "value", _name),
        FlagSpec("verb", None, "value", _comma_list("verb", r"[a-z*]+"), repeat=True),
        FlagSpec("resource", None, "value", _comma_list("resource", r"[a-z*][-a-z0-9./*]*"),
                 repeat=True),
        FlagSpec("resource-name", None, "value", _name, repeat=True),
        FlagSpec("non-resource-url", None, "value", _pattern(
            "non-resource-url", r"/[-A-Za-z0-9_./*]*", "a URL path such as /healthz"),
            repeat=True),
        FlagSpec("aggregation-rule", None, "value", _text("aggregation-rule")),
        FlagSpec("role", None, "value", _role_name),
        FlagSpec("clusterrole", None, "value", _role_name),
        FlagSpec("group", None, "value", _text("group"), repeat=True),
        FlagSpec("serviceaccount", None, "value", _pattern(
            "serviceaccount", r"[a-z0-9-]+:[a-z0-9.-]+", "NAMESPACE:NAME"), repeat=True),
        FlagSpec("hard", None, "value", _pattern(
            "hard", _RESOURCE_LIST, "NAME=QUANTITY pairs such as cpu=1,memory=1G,pods=2")),
        FlagSpec("scopes", None, "value", _comma_list("scopes", "[A-Za-z]+")),
        FlagSpec("value", None, "value", _int("value", -(2**31))),
        FlagSpec("description", None, "value", _text("description")),
        FlagSpec("global-default", None, "bool"),
        FlagSpec("preemption-policy", None, "value", _choice(
            "preemption-policy", "PreemptLowerPriority", "Never")),
        FlagSpec("min-available", None, "value", _pattern(
            "min-available", r"\d+%?", "a number or a percentage")),
        FlagSpec("max-unavailable", None, "value", _pattern(
            "max-unavailable", r"\d+%?", "a number or a percentage")),
        FlagSpec("class", None, "value", _name),
        FlagSpec("rule", None, "value", _pattern("rule", r"\S+", "HOST/PATH=SERVICE:PORT[,tls]"),
                 repeat=True),
        FlagSpec("default-backend", None, "value", _pattern(
            "default-backend", r"[a-z0-9.-]+:[a-z0-9-]+", "SERVICE:PORT")),
        FlagSpec("annotation", None, "value", _key_value("annotation"), repeat=True),
    )
}

# Deprecated spellings accepted for a canonical flag.
_ALIASES: dict[str, str] = {"delete-local-data": "delete-emptydir-data"}

# Verb-specific meanings of a flag name.
_VERB_OVERRIDES: dict[str, dict[str, FlagSpec]] = {
    "top": {
        "containers": FlagSpec("containers", None, "bool"),
        "sort-by": FlagSpec("sort-by", None, "value", _choice("sort-by", "cpu", "memory")),
    },
    "events": {"for": FlagSpec("for", None, "value", _type_name("for"))},
    "api-resources": {"sort-by": FlagSpec("sort-by", None, "value",
                                          _choice("sort-by", "name", "kind"))},
    "create": {
        "selector": FlagSpec("selector", None, "value", _selector),
        "from": FlagSpec("from", None, "value", _type_name("from", "cronjobs")),
        "image": FlagSpec("image", None, "value", _pattern("image", _IMAGE, "a container image")),
        "type": FlagSpec("type", None, "value", _pattern(  # create secret generic --type
            "type", r"[A-Za-z0-9][-A-Za-z0-9./]{0,252}", "a secret type such as Opaque")),
    },
    "drain": {"timeout": FlagSpec("timeout", None, "value", _duration("timeout"))},
    # `auth can-i` asks about any subresource (exec, log, portforward, ...); it only reads
    "auth": {"subresource": FlagSpec("subresource", None, "value", _pattern(
        "subresource", r"[a-z][a-z0-9-]{0,62}", "a subresource name such as exec or log"))},
}


def flag_table(
    verb: str, names: tuple[str, ...]
) -> tuple[dict[str, FlagSpec], dict[str, FlagSpec]]:
    """Return ``(by long name, by short letter)`` for a verb's accepted flags."""
    overrides = _VERB_OVERRIDES.get(verb, {})
    longs: dict[str, FlagSpec] = {}
    shorts: dict[str, FlagSpec] = {}
    for name in ("namespace", *names):
        spec = overrides.get(name) or _SPECS[name]
        longs[name] = spec
        for alias, canonical in _ALIASES.items():
            if canonical == name:
                longs[alias] = spec
        if spec.short:
            if spec.short in shorts:
                raise RuntimeError(f"-{spec.short} is defined twice for {verb}")  # a table bug
            shorts[spec.short] = spec
    return longs, shorts


def parse_bool(flag: str, value: str) -> str:
    """Return ``"true"``/``"false"`` for a boolean flag value as pflag accepts it."""
    try:
        return _BOOL[value]
    except KeyError:
        raise _bad(flag, value, "true or false") from None
