"""``kubectl get``: server-side Tables, paged, into typed frames; and the ``-o`` formats."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from kubechat_lab.cluster import _progress as progress
from kubechat_lab.cluster import frames
from kubechat_lab.cluster._context import Context, holds_secrets
from kubechat_lab.cluster._diff import clean, redact_secret, to_yaml
from kubechat_lab.cluster._discovery import ApiResource
from kubechat_lab.cluster._fastdecode import table_decoder
from kubechat_lab.cluster._jsonpath import evaluate, render_template
from kubechat_lab.cluster._result import JSON, Column, Result
from kubechat_lab.cluster._transport import ACCEPT_TABLE, drop_managed_fields
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.command import Command

__all__ = ["get", "sort_key"]

logger = logging.getLogger(__name__)


def get(ctx: Context, cmd: Command) -> Result:
    """Run ``kubectl get``: one typed frame (or text for yaml/json/jsonpath output)."""
    groups = ctx.groups(cmd, quick=True)
    output = (cmd.output or "").strip()
    if output in ("", "wide"):
        if len(groups) == 1:
            resource, names = groups[0]
            if resource.canonical == "events":
                items = _objects(ctx, cmd, resource, names)
                return frames.events_result(items)
            return _table(ctx, cmd, resource, names)
        parts = [_table(ctx, cmd, resource, names) for resource, names in groups]
        return _combine(parts, [resource.canonical for resource, _ in groups])
    objects: list[dict[str, Any]] = []
    for resource, names in groups:
        objects.extend(_objects(ctx, cmd, resource, names))
    objects = [clean(obj) for obj in objects]  # redacted before the sort looks at a value
    sort_by = cmd.flag("sort-by")
    if sort_by:
        objects.sort(key=lambda obj: sort_key(sort_by, obj))
    return _formatted(output, objects, len(groups) == 1 and bool(groups[0][1]) and
                      len(groups[0][1]) == 1)


def sort_key(path: str, obj: Any) -> tuple[int, float, str]:
    """Key that orders objects by the JSONPath ``path`` (numbers, then text, then missing)."""
    values = evaluate(path, obj)
    if not values or values[0] is None:
        return (2, 0.0, "")
    value = values[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value), "")
    return (1, 0.0, str(value))


def _table(ctx: Context, cmd: Command, resource: ApiResource, names: tuple[str, ...]) -> Result:
    sort_by = cmd.flag("sort-by")
    query: dict[str, str] = {}
    if sort_by and not sort_by.lstrip("{").startswith(".metadata."):
        query["includeObject"] = "Object"  # sorting needs fields beyond the metadata
    namespace = ctx.namespace(cmd, resource)
    builder = frames.TableBuilder(resource.canonical, namespaced=resource.namespaced,
                                  now=datetime.now(UTC))
    keyed: list[tuple[tuple[int, float, str], dict[str, Any]]] = []
    secret = holds_secrets(resource)
    if names:
        ns = namespace if namespace is not None or not resource.namespaced else (
            cmd.namespace or ctx.transport.default_namespace)
        for name in names:
            doc = ctx.transport.get(resource.path(ns, name), query=query, accept=ACCEPT_TABLE)
            drop_managed_fields(doc)
            if secret:
                _redact_rows(doc)
            if sort_by:
                keyed.append((_row_key(sort_by, doc), doc))
            else:
                builder.add(doc)
    else:
        if cmd.selector:
            query["labelSelector"] = cmd.selector
        if cmd.field_selector:
            query["fieldSelector"] = cmd.field_selector
        decode = None if sort_by else table_decoder()
        for page in ctx.transport.pages(resource.path(namespace), query=query,
                                        accept=ACCEPT_TABLE, decode=decode):
            if page.fresh:
                builder.reset()
                keyed = []
            if secret:
                _redact_rows(page.doc)
            if sort_by:
                keyed.extend(_split_rows(sort_by, page.doc))
                progress.report(len(keyed))
            else:
                builder.add(page.doc)
                progress.report(len(builder))
    if sort_by:
        keyed.sort(key=lambda pair: pair[0])
        for _, doc in keyed:
            builder.add(doc)
    result = builder.result()
    logger.info("kubernetes get resource=%s namespace=%s rows=%d", resource.canonical,
                namespace or "*", len(result))
    return result


def _redact_rows(doc: dict[str, Any]) -> None:
    """Redact the Secrets in a Table (row objects) or a plain list/object, before any sort."""
    if doc.get("kind") == "Table":
        for row in doc.get("rows") or ():
            if isinstance(row, dict):
                redact_secret(row.get("object"))
    elif isinstance(doc.get("items"), list):
        for item in doc["items"]:
            redact_secret(item)
    else:
        redact_secret(doc)


def _row_key(path: str, doc: dict[str, Any]) -> tuple[int, float, str]:
    rows = doc.get("rows") or [{}]
    return sort_key(path, rows[0].get("object") or doc)


def _split_rows(
    path: str, doc: dict[str, Any]
) -> list[tuple[tuple[int, float, str], dict[str, Any]]]:
    """One single-row Table per row, keyed for sorting (the builder takes them in order)."""
    if doc.get("kind") != "Table":
        return [(sort_key(path, item), {"items": [item]}) for item in doc.get("items") or ()]
    out = []
    definitions = doc.get("columnDefinitions")
    for row in doc.get("rows") or ():
        single = {"kind": "Table", "columnDefinitions": definitions, "rows": [row]}
        out.append((sort_key(path, row.get("object") or {}), single))
    return out


def _combine(parts: list[Result], resources: list[str]) -> Result:
    """Several kinds in one frame: resource, namespace, name, age, created, labels."""
    keep = ("namespace", "name", "age", "created", "labels")
    data: list[list[JSON]] = [[] for _ in range(len(keep) + 1)]
    for resource, part in zip(resources, parts, strict=True):
        index = {c.name: i for i, c in enumerate(part.columns)}
        for row in part.rows:
            data[0].append(resource)
            for j, name in enumerate(keep, start=1):
                data[j].append(row[index[name]] if name in index else None)
    columns = [Column("resource", "str"), Column("namespace", "str"), Column("name", "str"),
               Column("age", "timedelta"), Column("created", "datetime"),
               Column("labels", "json")]
    return Result.from_columns("table", columns, data)


def _objects(
    ctx: Context, cmd: Command, resource: ApiResource, names: tuple[str, ...]
) -> list[dict[str, Any]]:
    namespace = ctx.namespace(cmd, resource)
    if names:
        ns = namespace
        if resource.namespaced and ns is None:
            ns = cmd.namespace or ctx.transport.default_namespace
        objects = []
        for name in names:
            obj = ctx.get_object(resource, ns, name)
            objects.append(obj)
        return objects
    return ctx.list_objects(resource, namespace, cmd.selector, cmd.field_selector)


def _formatted(output: str, objects: list[dict[str, Any]], single: bool) -> Result:
    now = datetime.now(UTC)
    base = frames.objects_result(objects, now=now)
    if output in ("yaml", "json"):
        doc: Any = objects[0] if single and objects else {
            "apiVersion": "v1", "kind": "List", "items": objects,
            "metadata": {"resourceVersion": ""},
        }
        text = (to_yaml(doc) if output == "yaml"
                else orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode() + "\n")
        data: list[list[JSON]] = [*base.column_data(), list(objects)]
        return Result.from_columns("objects", [*base.columns, Column("object", "json")], data,
                                   text=text)
    if output == "name":
        names: list[JSON] = [
            f"{_kind_group(obj)}/{(obj.get('metadata') or {}).get('name')}" for obj in objects
        ]
        return Result.from_columns("names", [Column("name", "str")], [names],
                                   text="".join(f"{n}\n" for n in names))
    kind, _, spec = output.partition("=")
    if kind in ("jsonpath", "jsonpath-as-json"):
        doc = objects[0] if single and objects else {"kind": "List", "items": objects}
        if kind == "jsonpath-as-json":
            text = orjson.dumps(evaluate(spec, doc), option=orjson.OPT_INDENT_2).decode() + "\n"
        else:
            text = render_template(spec, doc)
        return Result("text", (), text=text)
    if kind == "custom-columns":
        return _custom_columns(spec, objects)
    raise ClusterError(
        f"output format {output!r} is not supported; use wide, yaml, json, name, "
        "jsonpath=..., or custom-columns=...",
        status=400,
        reason="BadRequest",
    )


def _kind_group(obj: dict[str, Any]) -> str:
    kind = str(obj.get("kind", "")).lower()
    group = str(obj.get("apiVersion", "")).rpartition("/")[0]
    return f"{kind}.{group}" if group else kind


def _custom_columns(spec: str, objects: list[dict[str, Any]]) -> Result:
    columns: list[Column] = []
    data: list[list[JSON]] = []
    for part in spec.split(","):
        header, sep, path = part.partition(":")
        if not sep or not path:
            raise ClusterError(
                f"custom-columns entry {part!r} is not HEADER:.json.path",
                status=400,
                reason="BadRequest",
            )
        values: list[JSON] = []
        for obj in objects:
            found = evaluate(path, obj)
            values.append(found[0] if len(found) == 1 else (found or None))
        kinds = {type(v) for v in values if v is not None}
        dtype = "json"
        if kinds == {str}:
            dtype = "str"
        elif kinds == {int}:
            dtype = "int"
        elif kinds <= {int, float} and kinds:
            dtype = "float"
        elif kinds == {bool}:
            dtype = "bool"
        columns.append(Column(header.strip(), dtype))  # type: ignore[arg-type]
        data.append(values)
    return Result.from_columns("table", columns, data)
