"""What a command would write: whole objects, partial overlays or deletions, in one shape.

Every write verb is turned into :class:`Written` items the analyzers judge the same way:
an inline manifest gives its objects, ``create deployment|job|...`` the object kubectl
would build, a patch its overlay (a JSON patch the object after its operations, see
:mod:`kubechat_lab.policy._jsonpatch`), ``set image``, ``set env``, ``set serviceaccount``,
``label``, ``annotate``, ``scale`` and ``taint`` the overlay they send. So ``label ns x
pod-security.kubernetes.io/enforce=privileged`` and a merge patch of the same label are one
fact, and so are ``scale --replicas=0`` and a patch of ``spec.replicas`` to 0.

Each item also says what happens to what it does not list (its :attr:`Written.mode` and
:attr:`Written.replaced`), which :mod:`kubechat_lab.policy._after` reads as the object after
the write: ``apply`` and ``replace`` give the whole object, so a label they do not list is
gone; a merge patch keeps what it does not name; a JSON patch ``replace /metadata/labels {}``
sets the labels whole. A write that deletes says so: ``delete`` (by name, selector or
manifest) and ``replace --force``, which deletes each object before it creates it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

from kubechat_lab.command import (
    DEFAULT_RESOURCES,
    Command,
    CommandError,
    ResourceTable,
    load_data,
    manifest_objects,
)
from kubechat_lab.policy._jsonpatch import read_json_patch

__all__ = ["GENERATED_RESOURCES", "Mode", "Writes", "Written", "writes_of"]

#: ``object``: a whole object that may replace a live one (apply, replace); ``new``: an
#: object that can only be created (create); ``patch``: a partial overlay; ``delete``.
Mode = Literal["object", "new", "patch", "delete"]

#: ``create GENERATOR`` -> the resource it creates.
GENERATED_RESOURCES: dict[str, str] = {
    "deployment": "deployments", "namespace": "namespaces", "configmap": "configmaps",
    "secret generic": "secrets", "job": "jobs", "cronjob": "cronjobs",
    "service clusterip": "services", "service nodeport": "services",
    "service loadbalancer": "services", "service externalname": "services",
    "serviceaccount": "serviceaccounts", "role": "roles", "clusterrole": "clusterroles",
    "rolebinding": "rolebindings", "clusterrolebinding": "clusterrolebindings",
    "quota": "resourcequotas", "priorityclass": "priorityclasses",
    "poddisruptionbudget": "poddisruptionbudgets", "ingress": "ingresses",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Written:
    """One thing a command writes.

    Parameters
    ----------
    kind
        The object kind (``Deployment``); ``""`` when unknown (a CRD not in the table).
    name
        The object name; None for a bulk write (selector, ``--all``).
    body
        The object or overlay; None for a deletion.
    mode
        See :data:`Mode`.
    via
        How the command writes it (``manifest``, ``patch``, ``set image``, ...).
    replaced
        Paths (field names from the object's root) whose value a patch sets whole, so that
        what the live object held there and ``body`` does not list is gone: ``("metadata",
        "labels")`` for a JSON patch ``replace /metadata/labels``, ``()`` for the whole object.
        An ``object`` write replaces the whole object without saying so here.
    """

    kind: str
    name: str | None
    body: object
    mode: Mode
    via: str
    replaced: tuple[tuple[str, ...], ...] = ()

    @property
    def label(self) -> str:
        """``Deployment/web`` (or ``Deployment`` for a bulk write)."""
        kind = self.kind or "object"
        return f"{kind}/{self.name}" if self.name else kind


@dataclass(slots=True)
class Writes:
    """Everything a command writes, plus what a JSON patch does that cannot be judged."""

    items: list[Written] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    opaque: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


@lru_cache(maxsize=256)
def _manifest(text: str) -> tuple[dict[str, object], ...]:
    try:
        return tuple(manifest_objects(text))
    except CommandError:
        return ()


def _targets(cmd: Command, table: ResourceTable) -> list[tuple[str, str | None]]:
    """``(kind, name)`` of every object a verb names; name None for a bulk write."""
    def kind(resource: str) -> str:
        found = table.lookup(resource)
        return found[1].kind if found is not None else ""

    if cmd.targets:
        return [(kind(resource), name) for resource, name in cmd.targets]
    resources = cmd.resources or (("nodes",) if cmd.verb in ("taint", "cordon", "uncordon")
                                  else ())
    out: list[tuple[str, str | None]] = []
    for resource in resources:
        names: tuple[str | None, ...] = cmd.names or (None,)
        out.extend((kind(resource), name) for name in names)
    if not resources:
        out.extend(("Node", name) for name in cmd.names or (None,))
    return out


def _template(containers: list[dict[str, object]], **pod: object) -> dict[str, object]:
    return {"spec": {"template": {"spec": {"containers": containers, **pod}}}}


def _key_values(args: tuple[str, ...]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for arg in args:
        if arg == "--":
            break
        key, eq, value = arg.partition("=")
        if eq:
            out[key] = value
        elif arg.endswith("-"):
            out[arg[:-1]] = None
    return out


def _overlay(cmd: Command) -> object:
    """Return the overlay a targeted write verb sends (the same for every target)."""
    verb, sub = cmd.verb, cmd.subverb
    if verb in ("label", "annotate"):
        return {"metadata": {"labels" if verb == "label" else "annotations":
                             _key_values(cmd.args)}}
    if verb == "scale":
        return {"spec": {"replicas": int(cmd.flag("replicas") or 0)}}
    if verb in ("cordon", "uncordon"):
        return {"spec": {"unschedulable": verb == "cordon"}}
    if verb == "taint":
        taints = []
        for arg in cmd.args:
            if arg.endswith("-"):
                continue
            key_value, _, effect = arg.rpartition(":")
            key, _, value = key_value.partition("=")
            taints.append({"key": key, "value": value, "effect": effect})
        return {"spec": {"taints": taints}}
    if verb == "set" and sub == "image":
        return _template([{"name": name, "image": image}
                          for name, image in (arg.split("=", 1) for arg in cmd.args)])
    if verb == "set" and sub == "env":
        container: dict[str, object] = {"name": cmd.flag("containers") or "*", "env": [
            {"name": key, "value": value} for key, value in _key_values(
                (*cmd.args, *cmd.flag_values("env"))).items()]}
        source = cmd.flag("from") or ""
        kind, _, name = source.partition("/")
        if kind == "secrets":
            container["envFrom"] = [{"secretRef": {"name": name}}]
        elif kind == "configmaps":
            container["envFrom"] = [{"configMapRef": {"name": name}}]
        return _template([container])
    if verb == "set" and sub == "serviceaccount":
        return _template([], serviceAccountName=cmd.args[0] if cmd.args else None)
    if verb == "set" and sub == "resources":
        return _template([{"name": cmd.flag("containers") or "*", "resources": {
            "limits": cmd.flag("limits"), "requests": cmd.flag("requests")}}])
    if verb == "rollout" and sub == "restart":
        return {"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "now"}}}}}
    return {}


def _rules(cmd: Command) -> list[dict[str, object]]:
    verbs = [v for value in cmd.flag_values("verb") for v in value.split(",")]
    resources = [r for value in cmd.flag_values("resource") for r in value.split(",")]
    rules: list[dict[str, object]] = []
    if verbs and resources:
        rules.append({"apiGroups": ["*"], "verbs": verbs, "resources": resources})
    urls = list(cmd.flag_values("non-resource-url"))
    if verbs and urls:
        rules.append({"verbs": verbs, "nonResourceURLs": urls})
    return rules


def _generated(cmd: Command) -> dict[str, object] | None:
    """Return what ``create GENERATOR NAME ...`` builds (the fields the policy reads)."""
    sub = cmd.subverb or ""
    found = DEFAULT_RESOURCES.lookup(GENERATED_RESOURCES.get(sub, ""))
    if found is None or not cmd.names:
        return None
    kind = found[1].kind
    obj: dict[str, object] = {"kind": kind, "metadata": {"name": cmd.names[0]}}
    if sub in ("deployment", "job", "cronjob") and cmd.flag_values("image"):
        containers: list[dict[str, object]] = [
            {"name": f"c{i}", "image": image} for i, image in enumerate(cmd.flag_values("image"))]
        if "--" in cmd.args:
            containers[0]["command"] = list(cmd.args[cmd.args.index("--") + 1:])
        pod = {"template": {"spec": {"containers": containers}}}
        if sub == "deployment":
            obj["spec"] = {"replicas": int(cmd.flag("replicas") or 1), **pod}
        else:
            obj["spec"] = {"jobTemplate": {"spec": pod}} if sub == "cronjob" else pod
    elif sub in ("rolebinding", "clusterrolebinding"):
        role = cmd.flag("clusterrole")
        obj["roleRef"] = ({"kind": "ClusterRole", "name": role} if role is not None
                          else {"kind": "Role", "name": cmd.flag("role")})
        subjects: list[dict[str, object]] = [
            {"kind": "Group", "name": group} for group in cmd.flag_values("group")]
        for account in cmd.flag_values("serviceaccount"):
            namespace, _, name = account.partition(":")
            subjects.append({"kind": "ServiceAccount", "namespace": namespace, "name": name})
        obj["subjects"] = subjects
    elif sub in ("role", "clusterrole"):
        obj["rules"] = _rules(cmd)
        if cmd.flag("aggregation-rule"):
            obj["aggregationRule"] = {"clusterRoleSelectors": [cmd.flag("aggregation-rule")]}
    elif sub == "secret generic":
        obj["type"] = cmd.flag("type") or "Opaque"
    elif sub == "priorityclass":
        obj["value"] = int(cmd.flag("value") or 0)
        obj["globalDefault"] = cmd.flag("global-default") == "true"
    return obj


_MERGE_WALK = 10_000


def _merge_lists(body: object) -> tuple[tuple[str, ...], ...]:
    """Return the paths of the lists a merge patch (RFC 7386) sets; each replaces a list whole.

    Past :data:`_MERGE_WALK` mappings (YAML aliases can make a short patch a huge tree) the
    whole object counts as set whole, which judges more, never less.
    """
    found: list[tuple[str, ...]] = []
    stack: list[tuple[tuple[str, ...], object]] = [((), body)]
    seen = 0
    while stack:
        path, node = stack.pop()
        seen += 1
        if seen > _MERGE_WALK:
            return ((),)
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, list):
                    found.append((*path, str(key)))
                elif isinstance(value, dict):
                    stack.append(((*path, str(key)), value))
    return tuple(found)


def _patch(cmd: Command, table: ResourceTable, out: Writes) -> None:
    text = cmd.flag("patch") or ""
    try:
        body: object = load_data(text, "patch")
    except CommandError as exc:
        out.unreadable.append(str(exc))
        return
    overlays: list[tuple[object, tuple[tuple[str, ...], ...]]]
    if (cmd.flag("type") or "strategic") == "json":
        patch = read_json_patch(body)
        overlays = [(overlay, () if whole is None else (whole,))
                    for overlay, whole in patch.overlays]
        if patch.body is not None:
            overlays.insert(0, (patch.body, tuple(patch.replaced)))
        out.tests.extend(patch.tests)
        out.opaque.extend(patch.opaque)
        out.unreadable.extend(patch.unreadable)
    elif cmd.flag("type") == "merge":
        overlays = [(body, _merge_lists(body))]
    else:
        overlays = [(body, ())]
    for kind, name in _targets(cmd, table):
        out.items.extend(Written(kind, name, overlay, "patch", "patch", replaced)
                         for overlay, replaced in overlays)


def writes_of(cmd: Command, table: ResourceTable) -> Writes:
    """Return everything ``cmd`` would write (empty for reads)."""
    out = Writes()
    if not cmd.is_write:
        return out
    verb = cmd.verb
    if cmd.manifest is not None:
        mode: Mode = {"apply": "object", "replace": "object", "create": "new"}.get(
            verb, "delete")  # type: ignore[assignment]
        force = verb == "replace" and cmd.flag("force") == "true"
        for obj in _manifest(cmd.manifest):
            meta = obj.get("metadata")
            name = meta.get("name") if isinstance(meta, dict) else None
            kind, named = str(obj.get("kind", "")), name if isinstance(name, str) else None
            if force:  # deleted first, then created again from the manifest
                out.items.append(Written(kind, named, None, "delete", "replace --force"))
            out.items.append(Written(kind, named, None if mode == "delete" else obj, mode,
                                     f"{verb} --force -f -" if force else f"{verb} -f -"))
        return out
    if verb == "delete":
        out.items.extend(Written(kind, name, None, "delete", "delete")
                         for kind, name in _targets(cmd, table))
    elif verb == "patch":
        _patch(cmd, table, out)
    elif verb == "create":
        generated = _generated(cmd)
        if generated is not None:
            out.items.append(Written(str(generated["kind"]), cmd.names[0], generated, "new",
                                     f"create {cmd.subverb}"))
    elif verb in ("label", "annotate", "scale", "cordon", "uncordon", "taint", "set",
                  "rollout"):
        overlay = _overlay(cmd)
        via = f"{verb} {cmd.subverb}" if cmd.subverb else verb
        out.items.extend(Written(kind, name, overlay, "patch", via)
                         for kind, name in _targets(cmd, table))
    return out
