"""Results to kernels as Arrow IPC (contract C3); browsers keep the columnar JSON.

A request whose ``Accept`` names ``application/vnd.apache.arrow.stream`` gets the result's
typed columns as one Arrow IPC stream; the schema metadata carries what the JSON reply would
(kind, status, columns with their kubechat dtypes, text, diff, and the proposal itself).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

if TYPE_CHECKING:
    from tornado.web import RequestHandler

    from kubechat_lab.server._proposals import ProposalStore

__all__ = ["ARROW_STREAM", "arrow_payload", "run_with_progress", "wants_arrow"]

T = TypeVar("T")

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def wants_arrow(handler: RequestHandler) -> bool:
    """Return whether the request asks for an Arrow IPC stream."""
    return ARROW_STREAM in handler.request.headers.get("Accept", "")


def arrow_payload(proposal: Mapping[str, Any], result: Mapping[str, Any] | None) -> bytes:
    """Encode a columnar result (``Result.to_json`` form) and its proposal as Arrow IPC."""
    import pyarrow as pa

    from kubechat_lab.cluster import Result

    if result is None:
        result = {"kind": "none", "status": "ok", "columns": [], "data": []}
    table = Result.from_json(result).to_arrow()
    meta = {
        b"kubechat.kind": str(result.get("kind", "table")).encode(),
        b"kubechat.status": str(result.get("status", "ok")).encode(),
        b"kubechat.columns": orjson.dumps(result.get("columns") or []),
        b"kubechat.proposal": orjson.dumps(proposal),
    }
    for key in ("text", "diff"):
        value = result.get(key)
        if isinstance(value, str):
            meta[f"kubechat.{key}".encode()] = value.encode()
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=8192)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def run_with_progress(proposals: ProposalStore, proposal_id: str, run: Callable[[], T]) -> T:
    """Call ``run()`` (a blocking execute) with the rows it has read so far kept on the proposal.

    A list that pages reports after each page; ``GET proposals/{id}`` then shows
    ``progress: {"rows", "seconds"}``, which the kernel shows while it waits.
    """
    from kubechat_lab.cluster._progress import reporting

    started = time.monotonic()

    def note(rows: int) -> None:
        current = proposals.get(proposal_id)
        extra = {**current.extra, "progress": {
            "rows": rows, "seconds": round(time.monotonic() - started, 3)}}
        proposals.update(proposal_id, extra=extra)

    with reporting(note):
        return run()
