"""The MCP SDK's own streamable-HTTP client, as an agent that connects uses it.

:func:`http_agent` opens a session at ``{url}kubechat/api/mcp`` with a capability;
:class:`AgentThread` runs one in a thread of its own, for tests whose own thread holds another
event loop (Playwright's sync API in the browser tests).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

__all__ = ["AgentThread", "http_agent"]


@asynccontextmanager
async def http_agent(url: str, capability: str, client: tuple[str, str]) -> AsyncIterator[Any]:
    """An initialized MCP client session over streamable HTTP, declaring ``client``."""
    import httpx2
    import mcp_types
    from mcp.client.session import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with (
        httpx2.AsyncClient(headers={"X-Kubechat-Capability": capability},
                           timeout=httpx2.Timeout(60.0)) as http,
        streamable_http_client(url + "kubechat/api/mcp", http_client=http) as (read, write),
        ClientSession(read, write, client_info=mcp_types.Implementation(
            name=client[0], version=client[1])) as session,
    ):
        await session.initialize()
        yield session


class AgentThread:
    """One MCP session over streamable HTTP, held open in a thread with its own event loop.

    Use as a context manager; :meth:`call` calls a tool and returns the SDK's result.
    """

    def __init__(self, url: str, capability: str, client: tuple[str, str]) -> None:
        self._args = (url, capability, client)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._session: Any = None
        self._closing: asyncio.Event | None = None
        self._main: concurrent.futures.Future[None] | None = None

    async def _hold(self, ready: concurrent.futures.Future[None]) -> None:
        self._closing = asyncio.Event()
        try:
            async with http_agent(*self._args) as session:
                self._session = session
                ready.set_result(None)
                await self._closing.wait()
        except BaseException as exc:
            if not ready.done():
                ready.set_exception(exc)
            raise

    def __enter__(self) -> AgentThread:
        self._thread.start()
        ready: concurrent.futures.Future[None] = concurrent.futures.Future()
        self._main = asyncio.run_coroutine_threadsafe(self._hold(ready), self._loop)
        ready.result(timeout=120)
        return self

    def call(self, tool: str, arguments: dict[str, Any], timeout: float = 180.0) -> Any:
        """Call ``tool`` with ``arguments`` in the held session; return the ``CallToolResult``."""
        done = asyncio.run_coroutine_threadsafe(
            self._session.call_tool(tool, arguments), self._loop)
        return done.result(timeout=timeout)

    def __exit__(self, *exc: object) -> None:
        if self._closing is not None:
            self._loop.call_soon_threadsafe(self._closing.set)
        if self._main is not None:
            try:
                self._main.result(timeout=60)
            except Exception:  # noqa: BLE001 - closing: the test's own outcome matters
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
