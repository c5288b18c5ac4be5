"""Frames of one kernel, by kind and by ``-o`` name, and DuckDB SQL over them.

Every result frame is registered under its kind (``pods``, ``nodes``, ``top_pods``, ...; the
latest of each kind wins) and under every name given with ``-o``. At query time a name stored
with ``-o`` is read back from the user namespace, so a frame the user filtered or edited is the
one queried. ``json`` columns (labels, objects) are handed to DuckDB as JSON text, so
``labels->>'app'`` works.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["FrameRegistry", "table_name"]

_NOT_IDENT = re.compile(r"[^0-9A-Za-z_]")


def table_name(kind: str) -> str:
    """Return the SQL table name of a frame kind (``top-pods`` -> ``top_pods``)."""
    name = _NOT_IDENT.sub("_", kind.strip().lower()) or "table"
    return f"t_{name}" if name[0].isdigit() else name


class FrameRegistry:
    """Frames of one kernel, for ``%kubechat sql``.

    Parameters
    ----------
    namespace
        The user namespace (``get_ipython().user_ns``), where ``-o`` names live.
    """

    def __init__(self, namespace: MutableMapping[str, Any] | None = None) -> None:
        self._namespace = namespace if namespace is not None else {}
        self._by_kind: dict[str, pd.DataFrame] = {}
        self._names: set[str] = set()

    def add(self, frame: pd.DataFrame, name: str | None = None) -> None:
        """Register ``frame`` under its kind, and under ``name`` (also set in the namespace)."""
        self._by_kind[table_name(str(frame.attrs.get("kind", "table")))] = frame
        if name:
            self._namespace[name] = frame
            self._names.add(name)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return ``{sql table name: frame}``; ``-o`` names win over kinds."""
        import pandas

        out = dict(self._by_kind)
        for name in sorted(self._names):
            value = self._namespace.get(name)
            if isinstance(value, pandas.DataFrame):
                out[name] = value
        return out

    def sql(self, query: str) -> pd.DataFrame:
        """Run ``query`` with DuckDB over :meth:`tables`; return a DataFrame.

        Raises
        ------
        LookupError
            A table the query names is not a frame of this kernel (the message says how to
            get it).
        ValueError
            Any other SQL error (syntax, types), with DuckDB's message.
        """
        import duckdb

        tables = self.tables()
        con = duckdb.connect(database=":memory:")
        try:
            for name, frame in tables.items():
                con.register(name, _sql_ready(frame))
            try:
                return con.sql(query).df()
            except duckdb.CatalogException as exc:
                known = ", ".join(sorted(tables)) or "none yet"
                missing = re.search(r"Table with name (\w+) does not exist", str(exc))
                what = f"no frame named {missing.group(1)!r}" if missing else str(exc)
                hint = (f"; run `%kubectl get {missing.group(1)}` first (or store a frame with "
                        f"-o {missing.group(1)})") if missing else ""
                raise LookupError(f"{what} in this kernel{hint}. Frames: {known}") from exc
            except duckdb.Error as exc:
                raise ValueError(f"SQL error: {exc}") from exc
        finally:
            con.close()


def _sql_ready(frame: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``frame`` with dict/list cells as JSON text (DuckDB reads them as JSON)."""
    import orjson

    out = frame
    for column in frame.columns:
        if frame[column].dtype == object and frame[column].map(
                lambda v: isinstance(v, Mapping | list)).any():
            if out is frame:
                out = frame.copy()
            out[column] = frame[column].map(
                lambda v: None if v is None else orjson.dumps(v, default=str).decode())
    return out
