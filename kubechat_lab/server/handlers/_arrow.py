"""Results to kernels as Arrow IPC; browsers keep the columnar JSON.

A request whose ``Accept`` names ``application/vnd.apache.arrow.stream`` gets the result's
typed columns as one Arrow IPC stream, built straight from the cluster's
:class:`~kubechat_lab.cluster.Result`; the schema metadata carries what the JSON reply would
(kind, status, columns with their kubechat dtypes, text, diff, and the proposal itself).
``kernel/_frames.py`` reads it back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

if TYPE_CHECKING:
    from tornado.web import RequestHandler

    from kubechat_lab.cluster import Result
    from kubechat_lab.server._proposals import ProposalStore

__all__ = ["ARROW_STREAM", "arrow_payload", "run_with_progress", "wants_arrow"]

T = TypeVar("T")

ARROW_STREAM = "application/vnd.apache.arrow.stream"


def wants_arrow(handler: RequestHandler) -> bool:
    """Return whether the request asks for an Arrow IPC stream."""
    return ARROW_STREAM in handler.request.headers.get("Accept", "")


def arrow_payload(proposal: Mapping[str, Any], result: Result | None) -> bytes:
    """Encode a result (None: an empty one) and its proposal as one Arrow IPC stream."""
    import pyarrow as pa

    from kubechat_lab.cluster import Result

    if result is None:
        result = Result("none", ())
    table = result.to_arrow()
    meta = {
        b"kubechat.kind": result.kind.encode(),
        b"kubechat.status": str(result.status).encode(),
        b"kubechat.columns": orjson.dumps([[c.name, c.dtype] for c in result.columns]),
        b"kubechat.proposal": orjson.dumps(proposal),
    }
    for key, value in (("text", result.text), ("diff", result.diff)):
        if value is not None:
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
