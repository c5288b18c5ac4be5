"""What the positional arguments of the writing verbs mean (scale, label, set, create, ...)."""

from __future__ import annotations

import re

from kubechat_lab.command._objects import (
    arg_error,
    handle_no_positionals,
    missing,
    needs_targets,
    read_objects,
    split_args,
)
from kubechat_lab.command._specs import Ctx, Parsed
from kubechat_lab.command._validate import (
    check_annotation_key,
    check_label_key,
    check_label_value,
    check_name,
    check_namespace,
    check_no_smuggling,
)

__all__ = [
    "handle_autoscale",
    "handle_create",
    "handle_delete",
    "handle_label",
    "handle_manifest_only",
    "handle_nodes",
    "handle_patch",
    "handle_rollout",
    "handle_scale",
    "handle_set",
    "handle_taint",
    "handle_view_last_applied",
]


_ROLLOUT = frozenset({"deployments", "daemonsets", "statefulsets"})
_SCALABLE = frozenset({"deployments", "replicasets", "statefulsets", "replicationcontrollers"})


def handle_rollout(ctx: Ctx) -> Parsed:
    if not ctx.pos:
        raise missing(ctx, "TYPE NAME or TYPE/NAME", f"rollout {ctx.subverb} deployment/web")
    resources, names, targets = read_objects(ctx, ctx.pos, _ROLLOUT)
    if ctx.subverb != "restart":
        needs_targets(ctx, names, f"rollout {ctx.subverb} deployment/web")
    return resources, names, targets, ()


def handle_scale(ctx: Ctx) -> Parsed:
    resources, names, targets = read_objects(ctx, ctx.pos, _SCALABLE)
    if not resources:
        raise missing(ctx, "TYPE NAME or TYPE/NAME", "scale deployment/web --replicas=3")
    needs_targets(ctx, names, "scale deployment/web --replicas=3")
    if "replicas" not in ctx.flags:
        raise missing(ctx, "--replicas=N", "scale deployment/web --replicas=3")
    return resources, names, targets, ()


def handle_autoscale(ctx: Ctx) -> Parsed:
    resources, names, targets = read_objects(ctx, ctx.pos, _SCALABLE)
    if len(names) != 1:
        raise missing(ctx, "exactly one TYPE NAME", "autoscale deployment web --min=2 --max=5")
    if "max" not in ctx.flags:
        raise missing(ctx, "--max=N", "autoscale deployment web --min=2 --max=5")
    low, high = ctx.value("min"), ctx.value("max")
    if low is not None and high is not None and int(low) > int(high):
        raise arg_error(f"--min={low} is larger than --max={high}", "invalid-value")
    return resources, names, targets, ()


def handle_nodes(ctx: Ctx) -> Parsed:
    names = tuple(check_name(p, "nodes") for p in ctx.pos)
    if not names and not ctx.selector:
        raise missing(ctx, "a node name (or -l SELECTOR)", f"{ctx.verb} node-1")
    return (), names, (), ()


_TAINT = re.compile(
    r"(?P<key>[^=:\s]*[^=:\s-])(?:=(?P<value>[^:\s]*))?(?::(?P<effect>[A-Za-z]+))?(?P<rm>-)?"
)
_EFFECTS = frozenset({"NoSchedule", "PreferNoSchedule", "NoExecute"})


def handle_taint(ctx: Ctx) -> Parsed:
    objects, specs = split_args(ctx, lambda w: any(c in w for c in "=:") or w.endswith("-"))
    resources, names, targets = read_objects(ctx, objects, frozenset({"nodes"}))
    if not resources:
        raise missing(ctx, "nodes NAME and a taint", "taint nodes node-1 dedicated=db:NoSchedule")
    if not specs:
        raise missing(ctx, "a taint KEY[=VALUE]:EFFECT (or KEY- to remove)",
                      "taint nodes node-1 dedicated=db:NoSchedule")
    needs_targets(ctx, names, "taint nodes node-1 dedicated=db:NoSchedule")
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
            raise arg_error(f"invalid taint {spec!r}: expected KEY[=VALUE]:EFFECT with EFFECT "
                            "one of NoSchedule, PreferNoSchedule, NoExecute, or KEY[:EFFECT]- "
                            "to remove", "invalid-argument")
    return resources, names, targets, tuple(specs)


def _is_change(word: str) -> bool:
    return "=" in word or word.endswith("-")


def _one_change_per_key(changes: list[str] | tuple[str, ...], what: str) -> None:
    """Refuse ``KEY=VALUE`` and ``KEY-`` (or two values) for the same key in one command.

    kubectl refuses to both modify and remove a label; two values for one key are as
    ambiguous. One change per key means the order of the changes cannot matter, so the
    policy and the write engine read the same command.
    """
    seen: dict[str, str] = {}
    for change in changes:
        key, eq, _ = change.partition("=")
        key = key if eq else key[:-1]
        if seen.get(key, change) != change:
            raise arg_error(f"conflicting changes to {what} {key!r}: {seen[key]!r} and "
                            f"{change!r}; give each key once (KEY=VALUE sets it, KEY- "
                            "removes it)", "conflicting-changes")
        seen[key] = change


def handle_label(ctx: Ctx) -> Parsed:
    objects, changes = split_args(ctx, _is_change)
    resources, names, targets = read_objects(ctx, objects)
    example = f"{ctx.verb} pods web-0 team=shop"
    if not resources:
        raise missing(ctx, "TYPE NAME and KEY=VALUE", example)
    needs_targets(ctx, names, example)
    if not changes and not ctx.true("list"):
        raise missing(ctx, "at least one KEY=VALUE (or KEY- to remove)", example)
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
    _one_change_per_key(changes, "label" if ctx.verb == "label" else "annotation")
    return resources, names, targets, tuple(changes)


_IMAGE_CHANGE = re.compile(r"(?:\*|[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)=[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
_ENV_CHANGE = re.compile(r"[-._a-zA-Z][-._a-zA-Z0-9]*(?:=.*|-)", re.S)


def handle_set(ctx: Ctx) -> Parsed:
    sub = ctx.subverb
    if sub == "serviceaccount":
        if len(ctx.pos) < 2:
            raise missing(ctx, "TYPE NAME and a service account",
                          "set serviceaccount deployment web robot")
        account = check_name(ctx.pos[-1], "serviceaccounts")
        resources, names, targets = read_objects(ctx, ctx.pos[:-1])
        needs_targets(ctx, names, "set serviceaccount deployment web robot")
        return resources, names, targets, (account,)
    changes: list[str] = []
    if sub == "resources":
        objects = ctx.pos
    else:
        objects, changes = split_args(ctx, _is_change)
    resources, names, targets = read_objects(ctx, objects)
    example = {"image": "set image deployment/web app=nginx:1.27",
               "env": "set env deployment/web LOG_LEVEL=debug",
               "resources": "set resources deployment web --limits=cpu=500m"}[str(sub)]
    if not resources:
        raise missing(ctx, "TYPE NAME or TYPE/NAME", example)
    needs_targets(ctx, names, example)
    if sub == "image":
        if not changes:
            raise missing(ctx, "CONTAINER=IMAGE", example)
        bad = [c for c in changes if not _IMAGE_CHANGE.fullmatch(c)]
    elif sub == "env":
        if not changes and not any(k in ctx.flags for k in ("env", "from", "list")):
            raise missing(ctx, "KEY=VALUE, KEY-, --from or --list", example)
        bad = [c for c in changes if not _ENV_CHANGE.fullmatch(c)]
        for change in changes:
            check_no_smuggling(change.partition("=")[2], "set env")
        if not bad:
            _one_change_per_key([*changes, *ctx.flags.get("env", ())], "env var")
    else:
        if "limits" not in ctx.flags and "requests" not in ctx.flags:
            raise missing(ctx, "--limits or --requests", example)
        bad = []
    if bad:
        raise arg_error(f"invalid change {bad[0]!r} for `kubectl set {sub}`, "
                        f"e.g. `kubectl {example}`", "invalid-argument")
    return resources, names, targets, tuple(changes)


def handle_patch(ctx: Ctx) -> Parsed:
    resources, names, targets = read_objects(ctx, ctx.pos)
    example = "patch deployment web -p '{\"spec\":{\"replicas\":2}}'"
    if len(names) != 1 or len(resources) != 1:
        raise missing(ctx, "exactly one TYPE NAME", example)
    if "patch" not in ctx.flags:
        raise missing(ctx, "the patch (-p DATA)", example)
    return resources, names, targets, ()


def handle_manifest_only(ctx: Ctx) -> Parsed:
    if "filename" not in ctx.flags:
        raise missing(ctx, "a manifest passed as data (-f - with the manifest text)",
                      f"{ctx.verb} -f -")
    return handle_no_positionals(ctx)


def handle_view_last_applied(ctx: Ctx) -> Parsed:
    resources, names, targets = read_objects(ctx, ctx.pos)
    needs_targets(ctx, names, "apply view-last-applied deployment/web")
    return resources, names, targets, ()


def handle_delete(ctx: Ctx) -> Parsed:
    if "filename" in ctx.flags:
        return handle_no_positionals(ctx)
    resources, names, targets = read_objects(ctx, ctx.pos)
    if not resources:
        raise missing(ctx, "TYPE NAME, TYPE/NAME or -f -", "delete pod web-0")
    needs_targets(ctx, names, "delete pod web-0")
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
        raise missing(ctx, "exactly one NAME", f"create {sub} my-{sub.split()[0]}")
    resource = {"role": "roles", "clusterrole": "clusterroles", "rolebinding": "rolebindings",
                "clusterrolebinding": "clusterrolebindings"}.get(sub)
    name = check_namespace(ctx.pos[0]) if sub == "namespace" else check_name(ctx.pos[0], resource)
    for group in _CREATE_REQUIRED.get(sub, ()):
        if not any(flag in ctx.flags for flag in group):
            raise missing(ctx, " or ".join(f"--{f}" for f in group), f"create {sub} {name} "
                          f"--{group[0]}=...")
    args: tuple[str, ...] = ()
    if ctx.command_args is not None:
        if not ctx.command_args:
            raise missing(ctx, "a command after --",
                          f"create {sub} {name} --image=busybox -- date")
        args = ("--", *ctx.command_args)
    return (), (name,), (), args
