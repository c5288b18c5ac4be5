"""The MCP server over streamable HTTP, for the Jupyter server to mount at ``kubechat/api/mcp``.

Each call acts through the capability the HTTP request itself carried (checked by the route
before the request gets here), as a client of this same server over its local URL: the HTTP face
is exactly as strong as ``kubechat mcp`` and no stronger, with origin ``mcp`` on every request.
The SDK's session manager answers JSON (no server-initiated streams) and keeps sessions so an
agent's declared name and version reach the audit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from kubechat_lab.mcp._client import CAPABILITY_HEADER, AgentClient
from kubechat_lab.mcp._stdio import build_server

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, MutableMapping

    Scope = MutableMapping[str, Any]
    Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
    Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

__all__ = ["HttpMcp"]

logger = logging.getLogger(__name__)


class HttpMcp:
    """The SDK's streamable-HTTP session manager, started on first use and stopped with the app.

    Parameters
    ----------
    url
        This server's own URL (what kernels get as ``KUBECHAT_URL``): every tool call is sent
        there with the request's capability, never to a host the request names.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self._manager: Any = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()

    def _client_for(self, ctx: Any) -> AgentClient:
        request = getattr(ctx, "request", None)
        headers = getattr(request, "headers", None) or {}
        return AgentClient(self.url, str(headers.get(CAPABILITY_HEADER.lower()) or ""))

    async def _start(self) -> None:
        async with self._lock:
            if self._task is not None:
                return
            from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

            server = build_server(self._client_for, close_clients=True)
            self._manager = StreamableHTTPSessionManager(app=server, json_response=True)
            ready = asyncio.Event()

            async def run() -> None:
                async with self._manager.run():
                    ready.set()
                    await self._stop.wait()

            self._task = asyncio.create_task(run())
            await ready.wait()

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI request (a POST of JSON-RPC, or a DELETE ending a session)."""
        await self._start()
        await self._manager.handle_request(scope, receive, send)

    async def close(self) -> None:
        """Stop the session manager (every session ends)."""
        self._stop.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                logger.warning("mcp sessions did not stop in 10 s")
            self._task = None
