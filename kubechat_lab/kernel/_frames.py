"""Results -> typed pandas DataFrames, from Arrow IPC (the fast path) or columnar JSON.

The dtypes are those of ``kubechat run`` (``Result.to_frame`` in the cluster package, which
kernels never import): ``str`` -> pandas strings, ``int`` -> ``Int64``, ``float`` ->
``Float64``, ``bool`` -> ``boolean``, ``datetime`` -> ``datetime64[ns, UTC]``, ``timedelta`` ->
``timedelta64[ns]``, ``json`` -> Python objects (dicts, lists). A test checks both paths give
exactly the frame ``Result.to_frame`` gives.

The Arrow stream the server sends (``server/handlers/_arrow.py``) carries in its schema metadata:
``kubechat.columns`` (JSON ``[[name, dtype], ...]``), ``kubechat.kind``, ``kubechat.status``,
``kubechat.text``, ``kubechat.diff`` and ``kubechat.proposal`` (the proposal as JSON).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from kubechat_lab._dtypes import PANDAS_DTYPES, typed_series

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["ARROW_STREAM", "Outcome", "frame_from_arrow", "frame_from_columnar", "frame_from_rows",
           "outcome_from_json"]

#: Media type of an Arrow IPC stream (the ``Accept`` a kernel sends on execute).
ARROW_STREAM = "application/vnd.apache.arrow.stream"

@dataclass(frozen=True, slots=True)
class Outcome:
    """What executing a proposal gave the kernel.

    Parameters
    ----------
    proposal
        The proposal as the server returned it (``state`` is ``executed``).
    frame
        The typed DataFrame (``attrs["kind"]`` names the frame kind), or None when the result
        has no columns (text-only output).
    kind
        The frame kind (``pods``, ``top-pods``, ``events``, ``changes``, ``describe``, ...).
    status
        ``ok`` for reads, ``changed`` after a write, ``dry-run`` for a dry run.
    text
        Text output (describe, ``-o yaml``), else None.
    diff
        The write's unified diff, else None.
    transfer
        ``arrow`` or ``json``: how the result travelled.
    nbytes
        Size of the result on the wire.
    """

    proposal: Mapping[str, Any]
    frame: pd.DataFrame | None
    kind: str
    status: str
    text: str | None = None
    diff: str | None = None
    transfer: str = "arrow"
    nbytes: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)


def frame_from_columnar(columns: Sequence[Sequence[str]], data: Sequence[Sequence[Any]],
                        kind: str, status: str = "ok") -> pd.DataFrame:
    """Build the typed frame of a columnar JSON result (``columns`` = ``[[name, dtype]]``)."""
    import pandas

    names = [str(name) for name, _ in columns]
    if not data:
        data = [[] for _ in names]
    series = {str(name): typed_series(list(values), str(dtype))
              for (name, dtype), values in zip(columns, data, strict=True)}
    frame = pandas.DataFrame(series, columns=names)
    frame.attrs["kind"] = kind
    frame.attrs["status"] = status
    return frame


def frame_from_rows(columns: Sequence[Sequence[str]], rows: Sequence[Sequence[Any]],
                    kind: str) -> pd.DataFrame:
    """Build the typed frame of row-wise JSON values (watch events)."""
    data = [list(col) for col in zip(*rows, strict=True)] if rows else []
    return frame_from_columnar(columns, data, kind)


def _meta(metadata: Mapping[bytes, bytes], key: str) -> str | None:
    raw = metadata.get(f"kubechat.{key}".encode())
    return raw.decode() if raw is not None else None


def frame_from_arrow(payload: bytes) -> Outcome:
    """Decode the server's Arrow IPC stream into an :class:`Outcome` with a typed frame.

    Raises
    ------
    ValueError
        When the payload is not a kubechat Arrow result.
    """
    import pandas
    import pyarrow as pa

    try:
        table = pa.ipc.open_stream(payload).read_all()
    except pa.ArrowInvalid as exc:
        raise ValueError(f"the server's reply is not an Arrow IPC stream: {exc}") from exc
    metadata = table.schema.metadata or {}
    columns_raw = _meta(metadata, "columns")
    proposal_raw = _meta(metadata, "proposal")
    if columns_raw is None or proposal_raw is None:
        raise ValueError("the Arrow stream lacks kubechat metadata (columns, proposal)")
    columns: list[list[str]] = orjson.loads(columns_raw)
    kind = _meta(metadata, "kind") or "table"
    status = _meta(metadata, "status") or "ok"
    frame = None
    if columns:
        mapper = {pa.int64(): pandas.Int64Dtype(), pa.float64(): pandas.Float64Dtype(),
                  pa.bool_(): pandas.BooleanDtype()}.get
        series: dict[str, Any] = {}
        for name, dtype in columns:
            chunked = table.column(name)
            if dtype == "json":
                values = [None if v is None else orjson.loads(v) for v in chunked.to_pylist()]
                series[name] = pandas.Series(values, dtype="object")
            elif dtype == "str":
                series[name] = pandas.Series(chunked.to_pandas(), dtype="str")
            else:
                converted = chunked.to_pandas(types_mapper=mapper)
                series[name] = converted.astype(PANDAS_DTYPES[dtype])
        frame = pandas.DataFrame(series, columns=[name for name, _ in columns])
        frame.attrs["kind"] = kind
        frame.attrs["status"] = status
    return Outcome(
        proposal=orjson.loads(proposal_raw),
        frame=frame,
        kind=kind,
        status=status,
        text=_meta(metadata, "text"),
        diff=_meta(metadata, "diff"),
        transfer="arrow",
        nbytes=len(payload),
    )


def outcome_from_json(body: Mapping[str, Any], nbytes: int) -> Outcome:
    """Build an :class:`Outcome` from the JSON reply of execute (what browsers get)."""
    result = body.get("result") or {}
    proposal = {k: v for k, v in body.items() if k != "result"}
    columns = result.get("columns") or []
    kind = str(result.get("kind") or "table")
    status = str(result.get("status") or "ok")
    frame = frame_from_columnar(columns, result.get("data") or [], kind, status) if columns \
        else None
    return Outcome(proposal=proposal, frame=frame, kind=kind, status=status,
                   text=result.get("text"), diff=result.get("diff"), transfer="json",
                   nbytes=nbytes)
