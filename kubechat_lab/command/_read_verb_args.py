"""What the positional arguments of the reading verbs mean (get, logs, top, explain, ...)."""

from __future__ import annotations

import re

from kubechat_lab.command._objects import (
    arg_error,
    handle_no_positionals,
    missing,
    needs_targets,
    read_objects,
)
from kubechat_lab.command._specs import Ctx, Parsed
from kubechat_lab.command._validate import check_name

__all__ = [
    "handle_can_i",
    "handle_explain",
    "handle_get",
    "handle_logs",
    "handle_top",
    "handle_wait",
]


def handle_get(ctx: Ctx) -> Parsed:
    if not ctx.pos:
        raise missing(ctx, "a resource type", f"{ctx.verb} pods")
    resources, names, targets = read_objects(ctx, ctx.pos)
    if ctx.all_namespaces and names and ctx.verb == "get":
        raise arg_error("an object cannot be fetched by name across all namespaces; drop -A or "
                        "the names", "conflicting-flags")
    return resources, names, targets, ()


_LOG_SOURCES = frozenset({"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
                          "jobs", "services", "replicationcontrollers"})


def handle_logs(ctx: Ctx) -> Parsed:
    pos = ctx.pos
    if not pos:
        if ctx.selector:
            return (), (), (), ()
        raise missing(ctx, "a pod name or -l SELECTOR", "logs web-0 --tail=100")
    if ctx.selector:
        raise arg_error("give either a pod name or -l SELECTOR, not both", "conflicting-flags")
    if len(pos) > 2:
        raise arg_error(f"`kubectl logs` takes POD [CONTAINER], got {' '.join(pos)!r}",
                        "unexpected-argument")
    if "/" in pos[0]:
        resources, names, targets = read_objects(ctx, pos[:1], _LOG_SOURCES)
    else:
        resources, names, targets = (), (check_name(pos[0], "pods"),), ()
    if len(pos) == 2:
        if "container" in ctx.flags:
            raise arg_error("the container is given twice (argument and -c)", "conflicting-flags")
        ctx.flags["container"] = [check_name(pos[1])]
    return resources, names, targets, ()


def handle_top(ctx: Ctx) -> Parsed:
    if len(ctx.pos) > 1:
        raise arg_error(f"`kubectl top {ctx.subverb}` takes at most one name",
                        "unexpected-argument")
    return (), tuple(check_name(p) for p in ctx.pos), (), ()


_FIELD_PATH = re.compile(r"[A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*")


def handle_explain(ctx: Ctx) -> Parsed:
    if len(ctx.pos) != 1:
        raise missing(ctx, "exactly one RESOURCE[.field.path]", "explain pods.spec.containers")
    word = ctx.pos[0]
    found = ctx.table.lookup(word)
    if found is not None:
        return (found[0],), (), (), ()
    kind, _, path = word.partition(".")
    canonical, _ = ctx.table.resolve(kind)
    if not _FIELD_PATH.fullmatch(path):
        raise arg_error(f"invalid field path {path!r} in {word!r}", "invalid-argument")
    return (canonical,), (), (), (path,)


def handle_can_i(ctx: Ctx) -> Parsed:
    pos = ctx.pos
    if ctx.true("list"):
        return handle_no_positionals(ctx)
    if len(pos) not in (2, 3):
        raise missing(ctx, "VERB TYPE[/NAME]", "auth can-i list pods -n shop")
    verb = pos[0]
    if not re.fullmatch(r"[a-z]+|\*", verb):
        raise arg_error(f"invalid API verb {verb!r} (e.g. get, list, create, delete)",
                        "invalid-argument")
    if pos[1].startswith("/"):
        if len(pos) == 3 or not re.fullmatch(r"/[-A-Za-z0-9_./*]*", pos[1]):
            raise arg_error(f"invalid non-resource URL {pos[1]!r}", "invalid-argument")
        return (), (), (), (verb, pos[1])
    if pos[1] == "*":
        star_names: tuple[str, ...] = (check_name(pos[2]),) if len(pos) == 3 else ()
        return ("*",), star_names, (), (verb,)
    resources, names, targets = read_objects(ctx, pos[1:])
    return resources, names, targets, (verb,)


def handle_wait(ctx: Ctx) -> Parsed:
    resources, names, targets = read_objects(ctx, ctx.pos)
    example = "wait --for=condition=Ready pod/web-0"
    if not resources:
        raise missing(ctx, "TYPE NAME or TYPE/NAME", example)
    needs_targets(ctx, names, example)
    if "for" not in ctx.flags:
        raise missing(ctx, "--for=CONDITION", example)
    return resources, names, targets, ()
