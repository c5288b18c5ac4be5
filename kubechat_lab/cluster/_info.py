"""Read verbs about the cluster: api-resources, api-versions, version, auth can-i, explain.

Also ``cluster-info``, ``wait`` and ``label/annotate --list``.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kubechat_lab.cluster._context import Context
from kubechat_lab.cluster._jsonpath import evaluate
from kubechat_lab.cluster._result import JSON, Column, Result
from kubechat_lab.cluster._units import parse_duration
from kubechat_lab.cluster._writes import bad_request
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["INFO_VERBS"]


def _api_resources(ctx: Context, cmd: Command) -> Result:
    rows: list[tuple[JSON, ...]] = []
    namespaced = cmd.flag("namespaced")
    group = cmd.flag("api-group")
    for res in ctx.discovery.resources():
        if namespaced is not None and res.namespaced != (namespaced == "true"):
            continue
        if group is not None and res.info.group != group:
            continue
        if cmd.flag("verbs") and not set(str(cmd.flag("verbs")).split(",")) <= set(res.verbs):
            continue
        rows.append((res.info.plural, ",".join(res.info.short_names) or None,
                     res.info.group_version, res.namespaced, res.info.kind, list(res.verbs),
                     res.canonical))
    columns = (Column("name", "str"), Column("shortnames", "str"), Column("apiversion", "str"),
               Column("namespaced", "bool"), Column("kind", "str"), Column("verbs", "json"),
               Column("resource", "str"))
    return Result("api-resources", columns, tuple(rows))


def _api_versions(ctx: Context, cmd: Command) -> Result:
    versions = sorted(ctx.discovery.group_versions())
    return Result("api-versions", (Column("group_version", "str"),),
                  tuple((v,) for v in versions), text="".join(f"{v}\n" for v in versions))


def server_version(ctx: Context) -> dict[str, Any]:
    """Return the decoded ``/version`` document."""
    doc: dict[str, Any] = ctx.transport.get("/version")
    return doc


def whoami(ctx: Context) -> dict[str, Any]:
    """Return who the API server sees this client as (a ``SelfSubjectReview``'s userInfo).

    Impersonation headers apply, so an impersonating client gets the impersonated identity.
    """
    review = ctx.transport.send(
        "POST", "/apis/authentication.k8s.io/v1/selfsubjectreviews",
        {"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"},
    )
    info = (review.get("status") or {}).get("userInfo") or {}
    return {"username": str(info.get("username", "")),
            "groups": [str(g) for g in info.get("groups") or ()]}


def _version(ctx: Context, cmd: Command) -> Result:
    doc = server_version(ctx)
    columns = (Column("component", "str"), Column("git_version", "str"),
               Column("platform", "str"), Column("go_version", "str"))
    row = ("server", doc.get("gitVersion"), doc.get("platform"), doc.get("goVersion"))
    return Result("version", columns, (row,), text=f"Server Version: {doc.get('gitVersion')}\n")


def _cluster_info(ctx: Context, cmd: Command) -> Result:
    host = ctx.transport.host
    version = server_version(ctx).get("gitVersion")
    return Result("cluster-info", (Column("component", "str"), Column("url", "str")),
                  (("control plane", host),),
                  text=f"Kubernetes control plane ({version}) is running at {host}\n")


def _auth(ctx: Context, cmd: Command) -> Result:
    if cmd.subverb not in ("can-i", None):
        raise bad_request(f"`kubectl auth {cmd.subverb}` is not supported; use auth can-i")
    args = list(cmd.args)
    if not args:
        raise bad_request("`kubectl auth can-i` needs a VERB and a resource (e.g. list pods)")
    verb = args[0]
    resource_name = cmd.resources[0] if cmd.resources else (args[1] if len(args) > 1 else "*")
    name = cmd.names[0] if cmd.names else None
    attrs: dict[str, Any] = {"verb": verb}
    if resource_name.startswith("/"):
        spec: dict[str, Any] = {"nonResourceAttributes": {"path": resource_name, "verb": verb}}
        label = resource_name
    else:
        if "/" in resource_name and name is None:
            resource_name, _, name = resource_name.partition("/")
        if resource_name == "*":
            attrs.update(resource="*", group="*")
            namespaced = True
        else:
            res = ctx.discovery.resolve(resource_name)
            attrs.update(resource=res.info.plural, group=res.info.group)
            namespaced = res.namespaced
        if name:
            attrs["name"] = name
        if cmd.flag("subresource"):
            attrs["subresource"] = cmd.flag("subresource")
        if namespaced and not cmd.all_namespaces:
            attrs["namespace"] = cmd.namespace or ctx.transport.default_namespace
        spec = {"resourceAttributes": attrs}
        label = resource_name + (f"/{name}" if name else "")
    review = ctx.transport.send(
        "POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
         "spec": spec},
    )
    status = review.get("status") or {}
    allowed = bool(status.get("allowed"))
    columns = (Column("verb", "str"), Column("resource", "str"), Column("namespace", "str"),
               Column("allowed", "bool"), Column("reason", "str"))
    row = (verb, label, attrs.get("namespace"), allowed,
           status.get("reason") or status.get("evaluationError"))
    return Result("auth", columns, (row,), text="yes\n" if allowed else "no\n")


def _schema_for(ctx: Context, group_version: str, kind: str) -> tuple[dict[str, Any],
                                                                      dict[str, Any]]:
    index = ctx.transport.get("/openapi/v3")
    key = f"api/{group_version}" if "/" not in group_version else f"apis/{group_version}"
    entry = (index.get("paths") or {}).get(key)
    if not entry:
        raise ClusterError(f"the API server publishes no OpenAPI schema for {group_version}",
                           status=404, reason="NotFound")
    doc = ctx.transport.get(entry["serverRelativeURL"].split("?")[0])
    schemas = (doc.get("components") or {}).get("schemas") or {}
    group, _, version = group_version.rpartition("/")
    for schema in schemas.values():
        for gvk in schema.get("x-kubernetes-group-version-kind") or ():
            if gvk.get("kind") == kind and gvk.get("group", "") == group and (
                    gvk.get("version") == version):
                return schema, schemas
    raise ClusterError(f"no OpenAPI schema for {kind} in {group_version}", status=404,
                       reason="NotFound")


def _deref(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    for _ in range(10):
        ref = schema.get("$ref") or next((s.get("$ref") for s in schema.get("allOf") or ()
                                          if "$ref" in s), None)
        if not ref:
            return schema
        description = schema.get("description")
        schema = dict(schemas.get(ref.rsplit("/", 1)[-1], {}))
        if description and "description" not in schema:
            schema["description"] = description
    return schema


def _type(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    schema = _deref(schema, schemas)
    kind = schema.get("type")
    if kind == "array":
        return f"[]{_type(schema.get('items') or {}, schemas)}"
    if kind == "object" and "additionalProperties" in schema:
        return "map[string]" + _type(schema["additionalProperties"] or {}, schemas)
    return str(kind or "Object")


def _explain(ctx: Context, cmd: Command) -> Result:
    if not cmd.resources:
        raise bad_request("`kubectl explain` needs a resource (e.g. explain pods.spec)")
    res = ctx.discovery.resolve(cmd.resources[0])
    path = [p for arg in cmd.args for p in arg.split(".") if p]
    schema, schemas = _schema_for(ctx, res.info.group_version, res.info.kind)
    field_label = res.info.kind
    for part in path:
        schema = _deref(schema, schemas)
        if schema.get("type") == "array":
            schema = _deref(schema.get("items") or {}, schemas)
        props = schema.get("properties") or {}
        if part not in props:
            raise ClusterError(f"field {part!r} does not exist in {field_label}", status=404,
                               reason="NotFound")
        schema = props[part]
        field_label += f".{part}"
    description = _deref(schema, schemas).get("description") or schema.get("description") or ""
    target = _deref(schema, schemas)
    if target.get("type") == "array":
        target = _deref(target.get("items") or {}, schemas)
    lines = [f"KIND:     {res.info.kind}", f"VERSION:  {res.info.group_version}", ""]
    if path:
        lines += [f"FIELD: {path[-1]} <{_type(schema, schemas)}>", ""]
    lines += ["DESCRIPTION:", *(f"    {line}" for line in str(description).splitlines()), ""]
    rows: list[tuple[JSON, ...]] = []
    props = target.get("properties") or {}
    required = set(target.get("required") or ())
    if props:
        lines.append("FIELDS:")
    for name, sub in props.items():
        kind = _type(sub, schemas)
        text = _deref(sub, schemas).get("description") or sub.get("description") or ""
        flag = " -required-" if name in required else ""
        lines.append(f"  {name}\t<{kind}>{flag}")
        first = str(text).splitlines()[0] if text else ""
        lines.append(f"    {first}")
        rows.append((name, kind, name in required, text))
    columns = (Column("field", "str"), Column("type", "str"), Column("required", "bool"),
               Column("description", "str"))
    return Result("explain", columns, tuple(rows), text="\n".join(lines) + "\n")


def _wait(ctx: Context, cmd: Command) -> Result:
    condition = cmd.flag("for")
    if not condition:
        raise bad_request("`kubectl wait` needs --for=condition=NAME, --for=delete or "
                          "--for=jsonpath='{...}'=VALUE")
    timeout = parse_duration(cmd.flag("timeout") or "30s")
    deadline = time.monotonic() + timeout
    rows: list[tuple[JSON, ...]] = []
    for target in ctx.targets(cmd):
        while True:
            try:
                obj: dict[str, Any] | None = ctx.get_object(target.resource, target.namespace,
                                                            target.name)
            except ClusterError as exc:
                if exc.status != 404:
                    raise
                obj = None
            met = _met(condition, obj)
            if met or time.monotonic() >= deadline:
                break
            time.sleep(0.5)
        if not met:
            raise ClusterError(
                f"timed out after {timeout:g}s waiting for {condition} on "
                f"{target.resource.canonical}/{target.name}",
                status=504,
                reason="Timeout",
            )
        rows.append((target.resource.canonical, target.namespace, target.name, condition, met))
    columns = (Column("resource", "str"), Column("namespace", "str"), Column("name", "str"),
               Column("condition", "str"), Column("met", "bool"))
    return Result("wait", columns, tuple(rows),
                  text="".join(f"{r[0]}/{r[2]} condition met\n" for r in rows))


def _met(condition: str, obj: dict[str, Any] | None) -> bool:
    if condition == "delete":
        return obj is None
    if obj is None:
        return False
    kind, _, spec = condition.partition("=")
    if kind == "condition":
        name, _, value = spec.partition("=")
        want = (value or "true").lower()
        return any(c.get("type", "").lower() == name.lower() and
                   str(c.get("status", "")).lower() == want
                   for c in (obj.get("status") or {}).get("conditions") or ())
    if kind == "jsonpath":
        # the value may hold "=" itself (base64 padding): split where the expression ends
        expr, sep, value = spec.partition("}=") if "}=" in spec else (spec, "", "")
        expr += "}" if sep else ""
        found = evaluate(expr.strip("'\""), obj)
        if not sep:
            return bool(found)
        return any(str(v) == value.strip("'\"") for v in found)
    raise bad_request(f"--for={condition!r} must be condition=NAME[=VALUE], delete, or "
                      "jsonpath='{...}'=VALUE")


def _list_metadata(ctx: Context, cmd: Command) -> Result:
    field = "labels" if cmd.verb == "label" else "annotations"
    rows = []
    for target in ctx.targets(cmd):
        obj = ctx.get_object(target.resource, target.namespace, target.name)
        for key, value in sorted(((obj.get("metadata") or {}).get(field) or {}).items()):
            rows.append((target.resource.canonical, target.namespace, target.name, key, value))
    columns = (Column("resource", "str"), Column("namespace", "str"), Column("name", "str"),
               Column("key", "str"), Column("value", "str"))
    return Result(field, columns, tuple(rows))


INFO_VERBS = {
    "api-resources": _api_resources,
    "api-versions": _api_versions,
    "version": _version,
    "cluster-info": _cluster_info,
    "auth": _auth,
    "explain": _explain,
    "wait": _wait,
    "label": _list_metadata,
    "annotate": _list_metadata,
}
"""Read verbs about the cluster, by verb (label/annotate only for ``--list``)."""
