"""``Result``: the typed, JSON-friendly table every cluster operation returns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, cast

import orjson

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

__all__ = ["DTYPES", "JSON", "Column", "Dtype", "Result", "Status"]

#: A JSON value (what a row cell may hold).
JSON: TypeAlias = "str | int | float | bool | None | list[JSON] | dict[str, JSON]"

#: Column types: what a row value means and which pandas dtype ``to_frame`` gives it.
Dtype = Literal["str", "int", "float", "bool", "datetime", "timedelta", "json"]
DTYPES: frozenset[str] = frozenset(
    {"str", "int", "float", "bool", "datetime", "timedelta", "json"}
)

#: ``ok`` for reads, ``dry-run`` for a server-side dry run of a write, ``changed`` after one.
Status = Literal["ok", "dry-run", "changed"]
_STATUSES = frozenset({"ok", "dry-run", "changed"})

@dataclass(frozen=True, slots=True)
class Column:
    """One column of a :class:`Result`.

    Parameters
    ----------
    name
        Column name, snake_case and the same for every kind (``namespace``, ``restarts``).
    dtype
        One of :data:`DTYPES`. Row values are JSON: ``datetime`` as RFC 3339 strings,
        ``timedelta`` as seconds, ``json`` as any JSON value (labels are dicts).
    """

    name: str
    dtype: Dtype

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise ValueError(
                f"column {self.name!r} has dtype {self.dtype!r}; use one of {sorted(DTYPES)}"
            )


@dataclass(frozen=True, slots=True)
class Result:
    """What a cluster operation returned: typed columns and rows, plus optional text or diff.

    Parameters
    ----------
    kind
        The frame kind: a resource (``pods``, ``deployments``, ...), ``logs``, ``top-pods``,
        ``top-nodes``, ``events``, ``describe``, ``changes``, or ``table`` (generic).
    columns
        The columns, in order.
    rows
        One tuple of JSON values per row, in column order.
    text
        Text output (describe, ``-o yaml``, version, ...), else None.
    diff
        Unified diff of the object before and after a write (secrets redacted), else None.
    status
        ``ok``, ``dry-run`` or ``changed``.
    """

    kind: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[JSON, ...], ...] = ()
    text: str | None = None
    diff: str | None = None
    status: Status = "ok"

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {sorted(_STATUSES)}")

    @classmethod
    def from_columns(
        cls,
        kind: str,
        columns: Sequence[Column],
        data: Sequence[Sequence[JSON]],
        *,
        text: str | None = None,
        diff: str | None = None,
        status: Status = "ok",
    ) -> Result:
        """Build a result from column-wise data (one sequence of values per column).

        Raises
        ------
        ValueError
            When the number of data columns differs from ``columns`` or their lengths differ.
        """
        if len(data) != len(columns):
            raise ValueError(f"{len(columns)} columns but {len(data)} data sequences")
        lengths = {len(values) for values in data}
        if len(lengths) > 1:
            raise ValueError(f"columns of {kind!r} have different lengths: {sorted(lengths)}")
        rows = tuple(zip(*data, strict=True)) if data else ()
        return cls(kind, tuple(columns), rows, text=text, diff=diff, status=status)

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names, in order."""
        return tuple(column.name for column in self.columns)

    def column_data(self) -> list[list[JSON]]:
        """Return the values column by column (one list per column)."""
        if not self.rows:
            return [[] for _ in self.columns]
        return [list(values) for values in zip(*self.rows, strict=True)]

    def records(self) -> list[dict[str, JSON]]:
        """Return the rows as ``{column: value}`` dicts (JSON-friendly)."""
        names = self.column_names
        return [dict(zip(names, row, strict=True)) for row in self.rows]

    def to_frame(self) -> pd.DataFrame:
        """Return a pandas DataFrame with the typed columns of docs/cluster.md ("Frames").

        ``str`` columns become pandas strings, ``int`` nullable ``Int64``, ``float``
        ``Float64``, ``bool`` ``boolean``, ``datetime`` UTC datetimes, ``timedelta``
        timedeltas (from seconds) and ``json`` Python objects (dicts, lists).
        """
        import pandas as pd

        data = {
            column.name: _series(values, column.dtype)
            for column, values in zip(self.columns, self.column_data(), strict=True)
        }
        frame = pd.DataFrame(data, columns=list(self.column_names))
        frame.attrs["kind"] = self.kind
        frame.attrs["status"] = self.status
        return frame

    def to_columnar(self) -> dict[str, Any]:
        """Return the columnar JSON form as data (what :meth:`to_json` encodes)."""
        return {
            "kind": self.kind,
            "status": self.status,
            "columns": [[column.name, column.dtype] for column in self.columns],
            "data": self.column_data(),
            "text": self.text,
            "diff": self.diff,
        }

    def to_json(self) -> bytes:
        """Serialize to columnar JSON bytes (see :meth:`from_json`)."""
        return orjson.dumps(self.to_columnar())

    @classmethod
    def from_json(cls, data: bytes | str | Mapping[str, object]) -> Result:
        """Rebuild a result from :meth:`to_json` output (bytes, text or the decoded dict).

        Raises
        ------
        ValueError
            When the document is not a serialized result.
        """
        doc: Any = orjson.loads(data) if isinstance(data, (bytes, str)) else data
        if not isinstance(doc, Mapping) or "columns" not in doc or "data" not in doc:
            raise ValueError("not a serialized Result: expected an object with columns and data")
        try:
            columns = [Column(str(name), cast(Dtype, dtype)) for name, dtype in doc["columns"]]
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad columns in serialized Result: {doc['columns']!r}") from exc
        text = doc.get("text")
        diff = doc.get("diff")
        return cls.from_columns(
            str(doc.get("kind", "table")),
            columns,
            cast("list[list[JSON]]", doc["data"]),
            text=text if isinstance(text, str) else None,
            diff=diff if isinstance(diff, str) else None,
            status=cast(Status, doc.get("status", "ok")),
        )

    def to_arrow(self) -> pa.Table:
        """Return a pyarrow Table with the same typed columns (``json`` as JSON text)."""
        import pyarrow as pa

        arrays = {
            column.name: _arrow_array(values, column.dtype)
            for column, values in zip(self.columns, self.column_data(), strict=True)
        }
        table = pa.table(arrays) if arrays else pa.table({})
        return table.replace_schema_metadata({"kind": self.kind, "status": self.status})

    def __len__(self) -> int:
        return len(self.rows)

    def __repr__(self) -> str:
        return (
            f"Result(kind={self.kind!r}, status={self.status!r}, "
            f"columns={list(self.column_names)!r}, rows={len(self.rows)})"
        )


def _series(values: list[JSON], dtype: str) -> object:
    """Convert one column of JSON values to a typed pandas array."""
    from kubechat_lab._dtypes import typed_series

    return typed_series(values, dtype)


def _arrow_array(values: list[JSON], dtype: str) -> object:
    import pyarrow

    if dtype == "str":
        return pyarrow.array(values, type=pyarrow.string())
    if dtype == "int":
        return pyarrow.array(values, type=pyarrow.int64())
    if dtype == "float":
        return pyarrow.array(values, type=pyarrow.float64())
    if dtype == "bool":
        return pyarrow.array(values, type=pyarrow.bool_())
    if dtype == "datetime":
        import pandas

        stamps = pandas.to_datetime(pandas.Series(values, dtype="object"), utc=True,
                                    format="ISO8601")
        return pyarrow.array(stamps, type=pyarrow.timestamp("ns", tz="UTC"))
    if dtype == "timedelta":
        micros = [None if v is None else round(float(cast(float, v)) * 1_000_000) for v in values]
        return pyarrow.array(micros, type=pyarrow.duration("us"))
    return pyarrow.array(
        [None if v is None else orjson.dumps(v).decode() for v in values], type=pyarrow.string()
    )
