"""Per-verb grammar: which flags each verb takes and what its positional arguments mean."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kubechat_lab.command._flags import FlagSpec
from kubechat_lab.command._validate import (
    check_annotation_key,
    check_label_key,
    check_label_value,
    check_name,
    check_namespace,
    check_no_smuggling,
)
from kubechat_lab.command.model import BUILTIN_GROUPS, ResourceTable
from kubechat_lab.errors import CommandError

__all__ = [
    "Ctx",
    "Handler",
    "Parsed",
    "VerbSpec",
    "handle_autoscale",
    "handle_can_i",
    "handle_create",
    "handle_delete",
    "handle_explain",
    "handle_get",
    "handle_label",
    "handle_logs",
    "handle_manifest_only",
    "handle_no_positionals",
    "handle_nodes",
    "handle_patch",
    "handle_rollout",
    "handle_scale",
    "handle_set",
    "handle_taint",
    "handle_top",
    "handle_view_last_applied",
    "handle_wait",
]

Parsed = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]


class Ctx:
    """What the flag loop found, handed to a verb's positional handler."""

    __slots__ = ("all_namespaces", "command_args", "field_selector", "flags", "namespace",
                 "output", "pos", "selector", "subverb", "table", "verb")

    def __init__(self, verb: str, subverb: str | None, table: ResourceTable) -> None:
        self.verb = verb
        self.subverb = subverb
        self.table = table
        self.pos: list[str] = []
        self.flags: dict[str, list[str]] = {}
        self.namespace: str | None = None
        self.all_namespaces = False
        self.selector: str | None = None
        self.field_selector: str | None = None
        self.output: str | None = None
        self.command_args: list[str] | None = None

    @property
    def label(self) -> str:
        return f"{self.verb} {self.subverb}" if self.subverb else self.verb

    def value(self, name: str) -> str | None:
        values = self.flags.get(name)
        return values[0] if values else None

    def true(self, name: str) -> bool:
        return self.value(name) == "true"

    def bulk_target(self) -> bool:
        return bool(self.selector or self.field_selector or self.true("all"))


Handler = Callable[[Ctx], Parsed]


@dataclass(frozen=True, slots=True)
class VerbSpec:
    """The grammar of one verb (or verb + subverb)."""

    verb: str
    subverb: str | None
    flags: tuple[str, ...]
    outputs: frozenset[str]
    handler: Handler
    command_args: bool = False
    longs: dict[str, FlagSpec] = field(default_factory=dict, compare=False)
    shorts: dict[str, FlagSpec] = field(default_factory=dict, compare=False)


def _err(message: str, reason: str) -> CommandError:
    return CommandError(message, reason=reason)


def _missing(ctx: Ctx, what: str, example: str) -> CommandError:
    return _err(f"`kubectl {ctx.label}` needs {what}, e.g. `kubectl {example}`",
                "missing-argument")


def handle_no_positionals(ctx: Ctx) -> Parsed:
    if ctx.pos:
        raise _err(f"`kubectl {ctx.label}` takes no arguments, got {' '.join(ctx.pos)!r}",
                   "unexpected-argument")
    return (), (), (), ()


def _resource(ctx: Ctx, word: str, allowed: frozenset[str] | None) -> str:
    if word == "all" and ctx.verb == "get":
        return "all"
    canonical, info = ctx.table.resolve(word)
    if allowed is not None and canonical not in allowed and info.group in BUILTIN_GROUPS:
        raise _err(
            f"`kubectl {ctx.label}` works on {', '.join(sorted(allowed))}, not {word!r}",
            "unsupported-resource",
        )
    return canonical


def _objects(
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
                raise _err(f"expected TYPE/NAME, got {word!r} (e.g. deployment/web)",
                           "invalid-argument")
            canonical = _resource(ctx, kind, allowed)
            check_name(name, canonical)
            if canonical not in resources:
                resources.append(canonical)
            names.append(name)
            targets.append((canonical, name))
        return tuple(resources), tuple(names), tuple(targets)
    canonicals: list[str] = []
    for kind in words[0].split(","):
        if not kind:
            raise _err(f"empty resource type in {words[0]!r}", "invalid-argument")
        canonical = _resource(ctx, kind, allowed)
        if canonical not in canonicals:
            canonicals.append(canonical)
    names = []
    single = canonicals[0] if len(canonicals) == 1 else None
    for word in words[1:]:
        if "/" in word:
            raise _err(
                f"{word!r} is TYPE/NAME but the type was already given as {words[0]!r}: write "
                "either `TYPE NAME...` or `TYPE/NAME...`",
                "invalid-argument",
            )
        names.append(check_name(word, single))
    return tuple(canonicals), tuple(names), ()


def _needs_targets(ctx: Ctx, names: tuple[str, ...], example: str) -> None:
    if not names and not ctx.bulk_target():
        raise _missing(ctx, "object names (or -l SELECTOR / --all)", example)


def handle_get(ctx: Ctx) -> Parsed:
    if not ctx.pos:
        raise _missing(ctx, "a resource type", f"{ctx.verb} pods")
    resources, names, targets = _objects(ctx, ctx.pos)
    if ctx.all_namespaces and names and ctx.verb == "get":
        raise _err("an object cannot be fetched by name across all namespaces; drop -A or "
                   "the names", "conflicting-flags")
    return resources, names, targets, ()


_LOG_SOURCES = frozenset({"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
                          "jobs", "services", "replicationcontrollers"})


def handle_logs(ctx: Ctx) -> Parsed:
    pos = ctx.pos
    if not pos:
        if ctx.selector:
            return (), (), (), ()
        raise _missing(ctx, "a pod name or -l SELECTOR", "logs web-0 --tail=100")
    if ctx.selector:
        raise _err("give either a pod name or -l SELECTOR, not both", "conflicting-flags")
    if len(pos) > 2:
        raise _err(f"`kubectl logs` takes POD [CONTAINER], got {' '.join(pos)!r}",
                   "unexpected-argument")
    if "/" in pos[0]:
        resources, names, targets = _objects(ctx, pos[:1], _LOG_SOURCES)
    else:
        resources, names, targets = (), (check_name(pos[0], "pods"),), ()
    if len(pos) == 2:
        if "container" in ctx.flags:
            raise _err("the container is given twice (argument and -c)", "conflicting-flags")
        ctx.flags["container"] = [check_name(pos[1])]
    return resources, names, targets, ()


def handle_top(ctx: Ctx) -> Parsed:
    if len(ctx.pos) > 1:
        raise _err(f"`kubectl top {ctx.subverb}` takes at most one name", "unexpected-argument")
    return (), tuple(check_name(p) for p in ctx.pos), (), ()


_FIELD_PATH = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")


def handle_explain(ctx: Ctx) -> Parsed:
    if len(ctx.pos) != 1:
        raise _missing(ctx, "exactly one RESOURCE[.field.path]", "explain pods.spec.containers")
    word = ctx.pos[0]
    found = ctx.table.lookup(word)
    if found is not None:
        return (found[0],), (), (), ()
    kind, _, path = word.partition(".")
    canonical, _ = ctx.table.resolve(kind)
    if not _FIELD_PATH.fullmatch(path):
        raise _err(f"invalid field path {path!r} in {word!r}", "invalid-argument")
    return (canonical,), (), (), (path,)


def handle_can_i(ctx: Ctx) -> Parsed:
    pos = ctx.pos
    if ctx.true("list"):
        return handle_no_positionals(ctx)
    if len(pos) not in (2, 3):
        raise _missing(ctx, "VERB TYPE[/NAME]", "auth can-i list pods -n shop")
    verb = pos[0]
    if not re.fullmatch(r"[a-z]+|\*", verb):
        raise _err(f"invalid API verb {verb!r} (e.g. get, list, create, delete)",
                   "invalid-argument")
    if pos[1].startswith("/"):
        if len(pos) == 3 or not re.fullmatch(r"/[-A-Za-z0-9_./*]*", pos[1]):
            raise _err(f"invalid non-resource URL {pos[1]!r}", "invalid-argument")
        return (), (), (), (verb, pos[1])
    if pos[1] == "*":
        star_names: tuple[str, ...] = (check_name(pos[2]),) if len(pos) == 3 else ()
        return ("*",), star_names, (), (verb,)
    resources, names, targets = _objects(ctx, pos[1:])
    return resources, names, targets, (verb,)


_ROLLOUT = frozenset({"deployments", "daemonsets", "statefulsets"})
_SCALABLE = frozenset({"deployments", "replicasets", "statefulsets", "replicationcontrollers"})


def handle_rollout(ctx: Ctx) -> Parsed:
    if not ctx.pos:
        raise _missing(ctx, "TYPE NAME or TYPE/NAME", f"rollout {ctx.subverb} deployment/web")
    resources, names, targets = _objects(ctx, ctx.pos, _ROLLOUT)
    if ctx.subverb != "restart":
        _needs_targets(ctx, names, f"rollout {ctx.subverb} deployment/web")
    return resources, names, targets, ()


def handle_scale(ctx: Ctx) -> Parsed:
    resources, names, targets = _objects(ctx, ctx.pos, _SCALABLE)
    if not resources:
        raise _missing(ctx, "TYPE NAME or TYPE/NAME", "scale deployment/web --replicas=3")
    _needs_targets(ctx, names, "scale deployment/web --replicas=3")
    if "replicas" not in ctx.flags:
        raise _missing(ctx, "--replicas=N", "scale deployment/web --replicas=3")
    return resources, names, targets, ()


def handle_autoscale(ctx: Ctx) -> Parsed:
    resources, names, targets = _objects(ctx, ctx.pos, _SCALABLE)
    if len(names) != 1:
        raise _missing(ctx, "exactly one TYPE NAME", "autoscale deployment web --min=2 --max=5")
    if "max" not in ctx.flags:
        raise _missing(ctx, "--max=N", "autoscale deployment web --min=2 --max=5")
    low, high = ctx.value("min"), ctx.value("max")
    if low is not None and high is not None and int(low) > int(high):
        raise _err(f"--min={low} is larger than --max={high}", "invalid-value")
    return resources, names, targets, ()


def handle_nodes(ctx: Ctx) -> Parsed:
    names = tuple(check_name(p, "nodes") for p in ctx.pos)
    if not names and not ctx.selector:
        raise _missing(ctx, "a node name (or -l SELECTOR)", f"{ctx.verb} node-1")
    return (), names, (), ()


def _split(ctx: Ctx, is_arg: Callable[[str], bool]) -> tuple[list[str], list[str]]:
    objects: list[str] = []
    args: list[str] = []
    for word in ctx.pos:
        if args or (objects and is_arg(word)):
            if not is_arg(word):
                raise _err(f"{word!r} comes after {args[-1]!r}; put objects first, then the "
                           "changes", "invalid-argument")
            args.append(word)
        else:
            objects.append(word)
    return objects, args


_TAINT = re.compile(
    r"(?P<key>[^=:\s]*[^=:\s-])(?:=(?P<value>[^:\s]*))?(?::(?P<effect>[A-Za-z]+))?(?P<rm>-)?"
)
_EFFECTS = frozenset({"NoSchedule", "PreferNoSchedule", "NoExecute"})


def handle_taint(ctx: Ctx) -> Parsed:
    objects, specs = _split(ctx, lambda w: any(c in w for c in "=:") or w.endswith("-"))
    resources, names, targets = _objects(ctx, objects, frozenset({"nodes"}))
    if not resources:
        raise _missing(ctx, "nodes NAME and a taint", "taint nodes node-1 dedicated=db:NoSchedule")
    if not specs:
        raise _missing(ctx, "a taint KEY[=VALUE]:EFFECT (or KEY- to remove)",
                       "taint nodes node-1 dedicated=db:NoSchedule")
    _needs_targets(ctx, names, "taint nodes node-1 dedicated=db:NoSchedule")
    for spec in specs:
        match = _TAINT.fullmatch(spec)
        ok = match is not None
        if match is not None:
            check_label_key(match["key"], "taint")
            if match["value"]:
                check_label_value(match["value"], match["key"])
            effect = match["effect"]
            ok = (effect is None and bool(match["rm"])) or effect in _EFFECTS
        if not ok:
            raise _err(f"invalid taint {spec!r}: expected KEY[=VALUE]:EFFECT with EFFECT one of "
                       "NoSchedule, PreferNoSchedule, NoExecute, or KEY[:EFFECT]- to remove",
                       "invalid-argument")
    return resources, names, targets, tuple(specs)


def _is_change(word: str) -> bool:
    return "=" in word or word.endswith("-")


def handle_label(ctx: Ctx) -> Parsed:
    objects, changes = _split(ctx, _is_change)
    resources, names, targets = _objects(ctx, objects)
    example = f"{ctx.verb} pods web-0 team=shop"
    if not resources:
        raise _missing(ctx, "TYPE NAME and KEY=VALUE", example)
    _needs_targets(ctx, names, example)
    if not changes and not ctx.true("list"):
        raise _missing(ctx, "at least one KEY=VALUE (or KEY- to remove)", example)
    for change in changes:
        key, eq, value = change.partition("=")
        if not eq:
            key = key[:-1]
        if ctx.verb == "label":
            check_label_key(key)
            if eq:
                check_label_value(value, key)
        else:
            check_annotation_key(key)
            if eq:
                check_no_smuggling(value, f"annotation {key}")
    return resources, names, targets, tuple(changes)


_IMAGE_CHANGE = re.compile(r"(?:\*|[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)=[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
_ENV_CHANGE = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*(?:=.*|-)", re.S)


def handle_set(ctx: Ctx) -> Parsed:
    sub = ctx.subverb
    if sub == "serviceaccount":
        if len(ctx.pos) < 2:
            raise _missing(ctx, "TYPE NAME and a service account",
                           "set serviceaccount deployment web robot")
        account = check_name(ctx.pos[-1], "serviceaccounts")
        resources, names, targets = _objects(ctx, ctx.pos[:-1])
        _needs_targets(ctx, names, "set serviceaccount deployment web robot")
        return resources, names, targets, (account,)
    changes: list[str] = []
    if sub == "resources":
        objects = ctx.pos
    else:
        objects, changes = _split(ctx, _is_change)
    resources, names, targets = _objects(ctx, objects)
    example = {"image": "set image deployment/web app=nginx:1.27",
               "env": "set env deployment/web LOG_LEVEL=debug",
               "resources": "set resources deployment web --limits=cpu=500m"}[str(sub)]
    if not resources:
        raise _missing(ctx, "TYPE NAME or TYPE/NAME", example)
    _needs_targets(ctx, names, example)
    if sub == "image":
        if not changes:
            raise _missing(ctx, "CONTAINER=IMAGE", example)
        bad = [c for c in changes if not _IMAGE_CHANGE.fullmatch(c)]
    elif sub == "env":
        if not changes and not any(k in ctx.flags for k in ("env", "from", "list")):
            raise _missing(ctx, "KEY=VALUE, KEY-, --from or --list", example)
        bad = [c for c in changes if not _ENV_CHANGE.fullmatch(c)]
        for change in changes:
            check_no_smuggling(change.partition("=")[2], "set env")
    else:
        if "limits" not in ctx.flags and "requests" not in ctx.flags:
            raise _missing(ctx, "--limits or --requests", example)
        bad = []
    if bad:
        raise _err(f"invalid change {bad[0]!r} for `kubectl set {sub}`, e.g. `kubectl {example}`",
                   "invalid-argument")
    return resources, names, targets, tuple(changes)


def handle_patch(ctx: Ctx) -> Parsed:
    resources, names, targets = _objects(ctx, ctx.pos)
    example = "patch deployment web -p '{\"spec\":{\"replicas\":2}}'"
    if len(names) != 1 or len(resources) != 1:
        raise _missing(ctx, "exactly one TYPE NAME", example)
    if "patch" not in ctx.flags:
        raise _missing(ctx, "the patch (-p DATA)", example)
    return resources, names, targets, ()


def handle_manifest_only(ctx: Ctx) -> Parsed:
    if "filename" not in ctx.flags:
        raise _missing(ctx, "a manifest passed as data (-f - with the manifest text)",
                       f"{ctx.verb} -f -")
    return handle_no_positionals(ctx)


def handle_view_last_applied(ctx: Ctx) -> Parsed:
    resources, names, targets = _objects(ctx, ctx.pos)
    _needs_targets(ctx, names, "apply view-last-applied deployment/web")
    return resources, names, targets, ()


def handle_delete(ctx: Ctx) -> Parsed:
    if "filename" in ctx.flags:
        return handle_no_positionals(ctx)
    resources, names, targets = _objects(ctx, ctx.pos)
    if not resources:
        raise _missing(ctx, "TYPE NAME, TYPE/NAME or -f -", "delete pod web-0")
    _needs_targets(ctx, names, "delete pod web-0")
    return resources, names, targets, ()


def handle_wait(ctx: Ctx) -> Parsed:
    resources, names, targets = _objects(ctx, ctx.pos)
    example = "wait --for=condition=Ready pod/web-0"
    if not resources:
        raise _missing(ctx, "TYPE NAME or TYPE/NAME", example)
    _needs_targets(ctx, names, example)
    if "for" not in ctx.flags:
        raise _missing(ctx, "--for=CONDITION", example)
    return resources, names, targets, ()


# create GENERATOR NAME: required flags (any one of each tuple)
_CREATE_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    "deployment": (("image",),),
    "job": (("image", "from"),),
    "cronjob": (("image",), ("schedule",)),
    "role": (("verb",), ("resource",)),
    "clusterrole": (("verb", "aggregation-rule"),),
    "rolebinding": (("role", "clusterrole"),),
    "clusterrolebinding": (("clusterrole",),),
    "poddisruptionbudget": (("selector",), ("min-available", "max-unavailable")),
    "service externalname": (("external-name",),),
    "service nodeport": (("tcp",),),
    "service loadbalancer": (("tcp",),),
    "service clusterip": (("tcp", "clusterip"),),
    "ingress": (("rule", "default-backend"),),
    "quota": (("hard",),),
}


def handle_create(ctx: Ctx) -> Parsed:
    sub = ctx.subverb
    if sub is None:
        return handle_manifest_only(ctx)
    if len(ctx.pos) != 1:
        raise _missing(ctx, "exactly one NAME", f"create {sub} my-{sub.split()[0]}")
    resource = {"role": "roles", "clusterrole": "clusterroles", "rolebinding": "rolebindings",
                "clusterrolebinding": "clusterrolebindings"}.get(sub)
    name = check_namespace(ctx.pos[0]) if sub == "namespace" else check_name(ctx.pos[0], resource)
    for group in _CREATE_REQUIRED.get(sub, ()):
        if not any(flag in ctx.flags for flag in group):
            raise _missing(ctx, " or ".join(f"--{f}" for f in group), f"create {sub} {name} "
                           f"--{group[0]}=...")
    args: tuple[str, ...] = ()
    if ctx.command_args is not None:
        if not ctx.command_args:
            raise _missing(ctx, "a command after --",
                           f"create {sub} {name} --image=busybox -- date")
        args = ("--", *ctx.command_args)
    return (), (name,), (), args
