"""``POST proposals/{id}/watch`` streams a live watch (NDJSON); ``DELETE`` stops it.

The stream is one JSON object per line: ``start`` (columns, kind, proposal), ``snapshot`` (the
current rows), ``ADDED``/``MODIFIED``/``DELETED`` (rows), ``heartbeat`` (every few seconds, so a
closed client is noticed), ``error``, and ``end`` (reason, events, seconds, audit seq). The
client closing the connection stops the watch (audited as ``client-closed``).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import orjson
from tornado.iostream import StreamClosedError

from kubechat_lab.server._proposals import BadRequestError, Principal, ProposalNotFoundError
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel

if TYPE_CHECKING:
    from kubechat_lab.server._watches import LiveWatch, WatchRegistry

__all__ = ["HEARTBEAT", "Streamed", "WatchHandler", "default_handlers", "stream_ndjson"]

#: Seconds between heartbeat lines when nothing changes.
HEARTBEAT = 5.0


class Streamed(Protocol):
    """A running watch a reply streams: a proposal's, or a live dashboard's."""

    events: int
    started: float
    done: threading.Event

    def run(self, emit: Callable[[dict[str, Any]], None]) -> None:
        """Stream events to ``emit`` until stopped; emit ``end`` last."""

    def stop(self, reason: str) -> None:
        """Ask the watch to end."""


async def stream_ndjson(handler: KubechatHandler, live: Streamed, name: str) -> None:
    """Run ``live`` in a thread named ``name``; write its events as NDJSON lines, with heartbeats.

    The client closing the connection stops it (``client-closed``).
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def emit(event: dict[str, Any]) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, event)

    thread = threading.Thread(target=live.run, args=(emit,), daemon=True, name=name)
    thread.start()
    handler.set_status(200)
    handler.set_header("Content-Type", "application/x-ndjson")
    handler.set_header("Cache-Control", "no-cache")
    handler.set_header("X-Accel-Buffering", "no")
    try:
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), timeout=HEARTBEAT)
            except TimeoutError:
                event = {"type": "heartbeat", "events": live.events,
                         "elapsed": round(time.monotonic() - live.started, 3)}
            handler.write(orjson.dumps(event) + b"\n")
            await handler.flush()
            if event["type"] == "end":
                break
    except StreamClosedError:
        live.stop("client-closed")
    finally:
        live.stop("client-closed")
        await asyncio.get_running_loop().run_in_executor(None, live.done.wait, 30.0)
    if not handler._finished:
        handler.finish(set_content_type="application/x-ndjson")


class WatchHandler(KubechatHandler):
    """Stream or stop the watch of an approved ``get`` proposal."""

    auth_resource = "kubechat_lab:proposals"
    route = "proposal.watch"
    _live: LiveWatch | None = None

    @property
    def watches(self) -> WatchRegistry:
        """The live watches of this server."""
        return self.kubechat.watches

    @browser_or_kernel
    async def post(self, principal: Principal, proposal_id: str) -> None:
        """Body ``{"seconds": number?}``; the reply streams until the watch ends."""
        body = self.json_body()
        extra = sorted(set(body) - {"seconds"})
        if extra:
            raise BadRequestError(f"unknown field {extra[0]!r}; allowed fields: seconds",
                                  field=extra[0])
        seconds = body.get("seconds")
        if seconds is not None and (isinstance(seconds, bool)
                                    or not isinstance(seconds, int | float)):
            raise BadRequestError("field 'seconds' must be a number", field="seconds")
        live = await self.kubechat.run_blocking(
            lambda: self.watches.start(principal, proposal_id,
                                       float(seconds) if seconds is not None else None))
        self._live = live
        await stream_ndjson(self, live, f"kubechat-watch-{live.proposal.id}")

    def on_connection_close(self) -> None:
        """Stop the watch when the client goes away."""
        if self._live is not None:
            self._live.stop("client-closed")
        super().on_connection_close()

    @browser_or_kernel
    async def delete(self, principal: Principal, proposal_id: str) -> None:
        """Stop the running watch of this proposal (the stream ends with reason ``stopped``)."""
        if not await self.kubechat.run_blocking(self.watches.stop, principal, proposal_id):
            raise ProposalNotFoundError(f"no running watch of proposal {proposal_id!r}")
        self.reply({"stopped": True, "proposal": proposal_id})


default_handlers = [
    (r"/kubechat/api/proposals/(?P<proposal_id>p_[0-9a-f]{20})/watch", WatchHandler),
]
