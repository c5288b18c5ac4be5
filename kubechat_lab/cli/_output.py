"""Terminal output of ``kubechat run``: kubectl-like tables, csv, json and parquet."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from kubechat_lab.cli._errors import UsageFailure

if TYPE_CHECKING:
    from kubechat_lab.cluster import Result

__all__ = ["format_table", "write_result"]

_TEXT_KINDS = frozenset({"describe", "objects", "text", "names", "version", "cluster-info",
                         "explain", "api-versions", "auth", "rollout-status", "wait"})


def _human_age(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 3600 * 2:
        return f"{seconds // 60}m"
    if seconds < 86400 * 2:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def _cell(value: Any, dtype: str) -> str:
    if value is None:
        return "<none>"
    if dtype == "timedelta":
        return _human_age(float(value))
    if dtype == "bool":
        return "true" if value else "false"
    if dtype == "json":
        if isinstance(value, dict):
            return ",".join(f"{k}={v}" for k, v in value.items()) or "<none>"
        return orjson.dumps(value).decode()
    return str(value)


def format_table(result: Result, *, show_labels: bool = False) -> str:
    """Render a result like kubectl prints tables (text results print their text).

    As kubectl, ``labels`` shows only with ``show_labels``, and ``created`` not next to
    ``age``; csv, json and parquet always carry every column.
    """
    if result.kind == "logs":
        pods = {(row[1], row[2]) for row in result.rows}
        if len(pods) > 1:
            return "".join(f"[{row[1]}/{row[2]}] {row[4]}\n" for row in result.rows)
        return "".join(f"{row[4]}\n" for row in result.rows)
    if result.text is not None and (result.kind in _TEXT_KINDS or not result.rows):
        return result.text
    if not result.rows:
        return "No resources found.\n"
    names = set(result.column_names)
    hidden = set() if show_labels else {"labels"}
    if "age" in names:
        hidden.add("created")
    keep = [i for i, c in enumerate(result.columns) if c.name not in hidden]
    columns = [result.columns[i] for i in keep]
    headers = [c.name.upper() for c in columns]
    cells = [[_cell(row[i], result.columns[i].dtype) for i in keep] for row in result.rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["   ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["   ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in cells]
    return "\n".join(lines) + "\n"


def _json_text_frame(result: Result) -> Any:
    frame = result.to_frame()
    for column in result.columns:
        if column.dtype == "json":
            frame[column.name] = [None if v is None else orjson.dumps(v).decode()
                                  for v in frame[column.name]]
    return frame


def write_result(result: Result, fmt: str, out: Path | None, *, show_labels: bool = False
                 ) -> None:
    """Print (or write to ``out``) a result as table, csv, json (row objects) or parquet."""
    if fmt == "parquet":
        if out is None:
            raise UsageFailure("--format parquet needs --out FILE")
        _json_text_frame(result).to_parquet(out, index=False)
        return
    if fmt == "json":
        data = orjson.dumps(result.records(), option=orjson.OPT_INDENT_2) + b"\n"
    elif fmt == "csv":
        data = _json_text_frame(result).to_csv(index=False).encode()
    else:
        data = format_table(result, show_labels=show_labels).encode()
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        out.write_bytes(data)
