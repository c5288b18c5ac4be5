"""Plan writes that change existing objects: scale, label, annotate, cordon, taint, set, patch.

Also delete by name. Each planned operation carries the live object it changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._apply import (
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_PATCH,
    Op,
)
from kubechat_lab.cluster._context import Context, Target, holds_secrets
from kubechat_lab.cluster._diff import redact_secret
from kubechat_lab.command import load_data, pointer_tokens
from kubechat_lab.errors import ClusterError, CommandError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["PLANNERS", "bad_request", "pod_spec_path"]


def bad_request(message: str) -> ClusterError:
    """Return a ClusterError for a command the API cannot express (status 400)."""
    return ClusterError(message, status=400, reason="BadRequest")


def _scale(ctx: Context, cmd: Command) -> list[Op]:
    replicas = cmd.flag("replicas")
    if replicas is None or not replicas.isdigit():
        raise bad_request(f"`kubectl scale` needs --replicas=N (a whole number), got {replicas!r}")
    current = cmd.flag("current-replicas")
    ops = []
    for target in ctx.targets(cmd):
        if "scale" not in target.resource.subresources:
            raise bad_request(f"{target.resource.canonical} cannot be scaled (no scale "
                              "subresource); scale a deployment, replicaset or statefulset")
        path = target.resource.path(target.namespace, target.name, "scale")
        before = ctx.transport.get(path)
        have = (before.get("spec") or {}).get("replicas", 0)
        if current is not None and str(have) != current:
            raise ClusterError(
                f"{target.resource.canonical}/{target.name} has {have} replicas, not "
                f"--current-replicas={current}; nothing was changed",
                status=409,
                reason="Conflict",
            )
        ops.append(Op("scaled", target, "PATCH", path, {"spec": {"replicas": int(replicas)}},
                      MERGE_PATCH, before))
    return ops


def _key_values(args: tuple[str, ...], what: str) -> tuple[dict[str, str], list[str]]:
    sets: dict[str, str] = {}
    removes: list[str] = []
    for arg in args:
        if arg.endswith("-") and "=" not in arg:
            key = arg[:-1]
            if key in sets:
                raise _conflict(what, key)
            removes.append(key)
        elif "=" in arg:
            key, _, value = arg.partition("=")
            if key in removes or sets.get(key, value) != value:
                raise _conflict(what, key)
            sets[key] = value
        else:
            raise bad_request(f"{what} {arg!r} must be KEY=VALUE or KEY- (to remove it)")
    if not sets and not removes:
        raise bad_request(f"give at least one {what} as KEY=VALUE or KEY-")
    return sets, removes


def _conflict(what: str, key: str) -> ClusterError:
    # the grammar refuses these; the write engine never picks one reading of them either
    return bad_request(f"conflicting changes to {what} {key!r} (set and removed, or two "
                       "values); give each key once")


def _metadata_map(field: str, action: str) -> Callable[[Context, Command], list[Op]]:
    def plan(ctx: Context, cmd: Command) -> list[Op]:
        sets, removes = _key_values(cmd.args, field[:-1])
        overwrite = cmd.flag("overwrite") == "true"
        ops = []
        for target in ctx.targets(cmd):
            before = ctx.get_object(target.resource, target.namespace, target.name)
            live = (before.get("metadata") or {}).get(field) or {}
            for key, value in sets.items():
                if key in live and live[key] != value and not overwrite:
                    raise ClusterError(
                        f"{target.resource.canonical}/{target.name} already has {field[:-1]} "
                        f"{key}={live[key]!r}; pass --overwrite to change it to {value!r}",
                        status=409,
                        reason="Conflict",
                    )
            change: dict[str, str | None] = dict(sets)
            change.update({key: None for key in removes})
            body = {"metadata": {field: change}}
            ops.append(Op(action, target, "PATCH", target.resource.path(target.namespace,
                                                                         target.name),
                          body, MERGE_PATCH, before))
        return ops

    return plan


def _cordon(unschedulable: bool) -> Callable[[Context, Command], list[Op]]:
    def plan(ctx: Context, cmd: Command) -> list[Op]:
        ops = []
        for target in ctx.targets(cmd, default="nodes"):
            before = ctx.get_object(target.resource, None, target.name)
            body = {"spec": {"unschedulable": True if unschedulable else None}}
            ops.append(Op("cordoned" if unschedulable else "uncordoned", target, "PATCH",
                          target.resource.path(None, target.name), body, MERGE_PATCH, before))
        return ops

    return plan


def cordon_op(ctx: Context, target: Target) -> Op:
    """Return the operation that cordons one node (drain starts with it)."""
    before = ctx.get_object(target.resource, None, target.name)
    return Op("cordoned", target, "PATCH", target.resource.path(None, target.name),
              {"spec": {"unschedulable": True}}, MERGE_PATCH, before)


_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _parse_taints(args: tuple[str, ...]) -> tuple[list[dict[str, str]], list[tuple[str, str]]]:
    adds: list[dict[str, str]] = []
    removes: list[tuple[str, str]] = []
    for arg in args:
        if arg.endswith("-"):
            key, _, effect = arg[:-1].partition(":")
            key = key.partition("=")[0]
            removes.append((key, effect))
            continue
        key_value, sep, effect = arg.rpartition(":")
        if not sep or effect not in _EFFECTS:
            raise bad_request(f"taint {arg!r} must be KEY[=VALUE]:EFFECT with EFFECT one of "
                              f"{', '.join(_EFFECTS)} (or KEY[:EFFECT]- to remove)")
        key, _, value = key_value.partition("=")
        taint = {"key": key, "effect": effect}
        if value:
            taint["value"] = value
        adds.append(taint)
    if not adds and not removes:
        raise bad_request("give at least one taint KEY[=VALUE]:EFFECT or KEY[:EFFECT]-")
    return adds, removes


def _taint(ctx: Context, cmd: Command) -> list[Op]:
    adds, removes = _parse_taints(cmd.args)
    overwrite = cmd.flag("overwrite") == "true"
    ops = []
    for target in ctx.targets(cmd, default="nodes"):
        before = ctx.get_object(target.resource, None, target.name)
        taints = [dict(t) for t in (before.get("spec") or {}).get("taints") or ()]
        for key, effect in removes:
            kept = [t for t in taints if not (t["key"] == key and effect in ("", t["effect"]))]
            if len(kept) == len(taints):
                raise bad_request(f"node {target.name} has no taint {key}"
                                  f"{':' + effect if effect else ''} to remove")
            taints = kept
        for taint in adds:
            same = [t for t in taints if t["key"] == taint["key"] and
                    t["effect"] == taint["effect"]]
            if same and not overwrite and same[0].get("value") != taint.get("value"):
                raise ClusterError(
                    f"node {target.name} already has taint {taint['key']}:{taint['effect']} "
                    "with another value; pass --overwrite to change it",
                    status=409,
                    reason="Conflict",
                )
            taints = [t for t in taints if t not in same] + [taint]
        body = {"metadata": {"resourceVersion": before["metadata"]["resourceVersion"]},
                "spec": {"taints": taints or None}}
        ops.append(Op("tainted", target, "PATCH", target.resource.path(None, target.name), body,
                      MERGE_PATCH, before))
    return ops


def pod_spec_path(kind: str) -> list[str]:
    """Where the pod spec lives in an object of ``kind`` (``spec.template.spec`` mostly)."""
    if kind == "Pod":
        return ["spec"]
    if kind == "CronJob":
        return ["spec", "jobTemplate", "spec", "template", "spec"]
    return ["spec", "template", "spec"]


def _nest(path: list[str], leaf: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = leaf
    for key in reversed(path):
        body = {key: body}
    return body


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any]:
    spec: Any = obj
    for key in pod_spec_path(str(obj.get("kind"))):
        spec = (spec or {}).get(key) or {}
    return spec if isinstance(spec, dict) else {}


def _containers_patch(
    ctx: Context,
    cmd: Command,
    action: str,
    build: Callable[[dict[str, Any], dict[str, Any]], dict[str, Any] | None],
) -> list[Op]:
    """Strategic-merge patches of the pod template's containers (matched by name)."""
    only = cmd.flag("container") or cmd.flag("containers")
    if only == "*":
        only = None
    ops = []
    for target in ctx.targets(cmd):
        before = ctx.get_object(target.resource, target.namespace, target.name)
        spec = _pod_spec(before)
        if not spec:
            raise bad_request(f"{target.resource.canonical} has no pod template to change")
        leaf: dict[str, Any] = {}
        for field in ("initContainers", "containers"):
            patches = []
            for container in spec.get(field) or ():
                if only and container["name"] != only:
                    continue
                patch = build(container, before)
                if patch is not None:
                    patches.append({"name": container["name"], **patch})
            if patches:
                leaf[field] = patches
        if not leaf:
            names = [c["name"] for c in spec.get("containers") or ()]
            raise bad_request(
                f"no container of {target.resource.canonical}/{target.name} matches "
                f"({'container ' + only if only else cmd.args}); its containers are "
                f"{', '.join(names)}"
            )
        body = _nest(pod_spec_path(str(before.get("kind"))), leaf)
        ops.append(Op(action, target, "PATCH", target.resource.path(target.namespace,
                                                                     target.name),
                      body, STRATEGIC_PATCH, before))
    return ops


def _set_image(ctx: Context, cmd: Command) -> list[Op]:
    images: dict[str, str] = {}
    for arg in cmd.args:
        name, sep, image = arg.partition("=")
        if not sep or not image:
            raise bad_request(f"set image argument {arg!r} must be CONTAINER=IMAGE (or *=IMAGE)")
        images[name] = image

    def build(container: dict[str, Any], _: dict[str, Any]) -> dict[str, Any] | None:
        image = images.get(container["name"], images.get("*"))
        return {"image": image} if image else None

    return _containers_patch(ctx, cmd, "image-set", build)


def _set_env(ctx: Context, cmd: Command) -> list[Op]:
    referenced = _env_from(ctx, cmd)
    given = (*cmd.args, *cmd.flag_values("env"))
    sets, removes = _key_values(given, "env var") if given or not referenced else ({}, [])

    def build(container: dict[str, Any], _: dict[str, Any]) -> dict[str, Any] | None:
        env: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in sets.items()]
        env += referenced
        live = {e["name"] for e in container.get("env") or ()}
        env += [{"name": k, "$patch": "delete"} for k in removes if k in live]
        return {"env": env} if env else None

    return _containers_patch(ctx, cmd, "env-set", build)


def _env_from(ctx: Context, cmd: Command) -> list[dict[str, Any]]:
    """``--from=secret/NAME`` (or configmap): one variable per key, referenced, as kubectl does.

    The keys are read from the object (``--keys`` picks some); the values never are: each
    variable is a ``secretKeyRef`` / ``configMapKeyRef``, so no secret value enters the patch,
    the plan or the audit.
    """
    source = cmd.flag("from")
    if not source:
        return []
    plural, _, name = source.partition("/")
    namespace = cmd.namespace or ctx.transport.default_namespace
    found = ctx.get_object(ctx.discovery.resolve(plural), namespace, name)
    keys = sorted({*(found.get("data") or {}), *(found.get("binaryData") or {}),
                   *(found.get("stringData") or {})})
    wanted = [k for k in (cmd.flag("keys") or "").split(",") if k]
    missing = sorted(set(wanted) - set(keys))
    if missing:
        raise bad_request(f"{source} has no key {', '.join(missing)}; its keys are "
                          f"{', '.join(keys) or 'none'}")
    ref = "secretKeyRef" if plural == "secrets" else "configMapKeyRef"
    return [{"name": re.sub(r"[^A-Za-z0-9_]", "_", key).upper(),
             "valueFrom": {ref: {"name": name, "key": key}}} for key in wanted or keys]


def _quantities(text: str | None, flag: str) -> dict[str, str]:
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not value:
            raise bad_request(f"--{flag}={text!r} must be NAME=QUANTITY[,...] "
                              "(e.g. cpu=200m,memory=512Mi)")
        out[key.strip()] = value.strip()
    return out


def _set_resources(ctx: Context, cmd: Command) -> list[Op]:
    limits = _quantities(cmd.flag("limits"), "limits")
    requests = _quantities(cmd.flag("requests"), "requests")
    if not limits and not requests:
        raise bad_request("`kubectl set resources` needs --limits and/or --requests")
    resources: dict[str, Any] = {}
    if limits:
        resources["limits"] = limits
    if requests:
        resources["requests"] = requests

    def build(container: dict[str, Any], _: dict[str, Any]) -> dict[str, Any] | None:
        return {"resources": resources}

    if not (cmd.flag("container") or cmd.flag("containers")):
        # resources apply to the app containers, not init containers (as kubectl)
        def build_app(container: dict[str, Any], obj: dict[str, Any]) -> dict[str, Any] | None:
            inits = {c["name"] for c in _pod_spec(obj).get("initContainers") or ()}
            return None if container["name"] in inits else build(container, obj)

        return _containers_patch(ctx, cmd, "resources-set", build_app)
    return _containers_patch(ctx, cmd, "resources-set", build)


def _set(ctx: Context, cmd: Command) -> list[Op]:
    planners = {"image": _set_image, "env": _set_env, "resources": _set_resources}
    planner = planners.get(cmd.subverb or "")
    if planner is None:
        raise bad_request(f"`kubectl set {cmd.subverb}` is not supported; use set image, set env "
                          "or set resources")
    return planner(ctx, cmd)


_PATCH_TYPES = {"strategic": STRATEGIC_PATCH, "merge": MERGE_PATCH, "json": JSON_PATCH}


def _patch(ctx: Context, cmd: Command) -> list[Op]:
    text = cmd.flag("patch")
    if not text:
        raise bad_request("`kubectl patch` needs -p/--patch with a JSON or YAML patch")
    kind = cmd.flag("type") or "strategic"
    if kind not in _PATCH_TYPES:
        raise bad_request(f"--type={kind!r} must be strategic, merge or json")
    try:
        body = load_data(text, "patch")
    except CommandError as exc:
        raise bad_request(str(exc)) from exc
    if kind == "json":
        if not isinstance(body, list):
            raise bad_request("a --type=json patch must be a list of operations")
        _check_pointers(body)
    if kind != "json" and not isinstance(body, dict):
        raise bad_request("a strategic or merge patch must be an object")
    subresource = cmd.flag("subresource")
    ops = []
    for target in ctx.targets(cmd):
        path = target.resource.path(target.namespace, target.name, subresource)
        before = ctx.transport.get(path)
        if holds_secrets(target.resource):
            redact_secret(before)
        ops.append(Op("patched", target, "PATCH", path, body, _PATCH_TYPES[kind], before))
    return ops


def _check_pointers(operations: list[Any]) -> None:
    """Refuse a JSON patch path the API server reads differently from the policy.

    The policy reads paths with the same :func:`pointer_tokens` and refuses these commands
    before they get here; this keeps the write engine from sending one that was never judged.
    """
    for index, operation in enumerate(operations):
        for key in ("path", "from"):
            pointer = operation.get(key) if isinstance(operation, dict) else None
            if isinstance(pointer, str):
                try:
                    pointer_tokens(pointer)
                except CommandError as exc:
                    raise bad_request(f"operation #{index + 1}: {exc}") from exc


def _delete(ctx: Context, cmd: Command) -> list[Op]:
    query: dict[str, str] = {}
    grace = cmd.flag("grace-period")
    if cmd.flag("now") == "true":
        grace = "1"
    if cmd.flag("force") == "true" and grace is None:
        grace = "0"
    if grace is not None and int(grace) >= 0:
        query["gracePeriodSeconds"] = grace
    cascade = (cmd.flag("cascade") or "background").lower()
    policies = {"background": "Background", "true": "Background", "foreground": "Foreground",
                "orphan": "Orphan", "false": "Orphan"}
    if cascade not in policies:
        raise bad_request(f"--cascade={cascade!r} must be background, foreground or orphan")
    query["propagationPolicy"] = policies[cascade]
    ignore_missing = cmd.flag("ignore-not-found") == "true"
    ops = []
    for target in ctx.targets(cmd):
        try:
            before = ctx.get_object(target.resource, target.namespace, target.name)
        except ClusterError as exc:
            if exc.status == 404 and ignore_missing:
                continue
            raise
        ops.append(Op("deleted", target, "DELETE",
                      target.resource.path(target.namespace, target.name), None,
                      "application/json", before, query))
    return ops


PLANNERS: dict[str, Callable[[Context, Command], list[Op]]] = {
    "scale": _scale,
    "label": _metadata_map("labels", "labeled"),
    "annotate": _metadata_map("annotations", "annotated"),
    "cordon": _cordon(True),
    "uncordon": _cordon(False),
    "taint": _taint,
    "set": _set,
    "patch": _patch,
}
"""Planners of writes to existing objects, by verb (``delete`` by name is in ``delete_ops``)."""


def delete_ops(ctx: Context, cmd: Command) -> list[Op]:
    """Planned deletions of named or selected objects."""
    return _delete(ctx, cmd)
