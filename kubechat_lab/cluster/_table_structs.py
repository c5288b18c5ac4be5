"""msgspec structs for the narrow Table decoder (imported only when msgspec is installed)."""

from __future__ import annotations

from typing import Any

import msgspec
import orjson

from kubechat_lab.cluster._table_page import FAST_TABLE_KEY

__all__ = ["decode"]


class _Meta(msgspec.Struct):
    name: str | None = None
    namespace: str | None = None
    creationTimestamp: str | None = None  # noqa: N815 - the API's field name
    labels: dict[str, str] | None = None


class _Object(msgspec.Struct):
    metadata: _Meta | None = None


class _Row(msgspec.Struct):
    cells: list[Any] = []
    object: _Object | None = None


class _ColumnDefinition(msgspec.Struct):
    name: str = ""
    type: str = "string"
    format: str = ""


class _ListMeta(msgspec.Struct):
    continue_: str | None = msgspec.field(default=None, name="continue")


class _Table(msgspec.Struct):
    kind: str = ""
    metadata: _ListMeta | None = None
    columnDefinitions: list[_ColumnDefinition] = []  # noqa: N815
    rows: list[_Row] | None = None


_DECODER: Any = msgspec.json.Decoder(_Table)
_EMPTY: Any = _Meta()


def decode(body: bytes) -> dict[str, Any]:
    """Decode one Table page into the column-wise page ``TableBuilder.add`` reads."""
    table = _DECODER.decode(body)
    if table.kind != "Table" or table.rows is None:
        doc: dict[str, Any] = orjson.loads(body)
        return doc
    rows = table.rows
    metas = [(row.object.metadata if row.object is not None else None) or _EMPTY for row in rows]
    width = len(table.columnDefinitions)
    cells = [
        row.cells if len(row.cells) == width else (row.cells + [None] * width)[:width]
        for row in rows
    ]
    return {
        "kind": "Table",
        "metadata": {"continue": table.metadata.continue_ if table.metadata else None},
        "columnDefinitions": [
            {"name": c.name, "type": c.type, "format": c.format} for c in table.columnDefinitions
        ],
        FAST_TABLE_KEY: (
            [m.namespace for m in metas],
            [m.name for m in metas],
            [m.creationTimestamp for m in metas],
            [m.labels or {} for m in metas],
            [list(column) for column in zip(*cells, strict=True)]
            if cells
            else [[] for _ in range(width)],
        ),
    }
