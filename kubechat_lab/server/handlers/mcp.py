"""``kubechat/api/mcp``: the MCP face over streamable HTTP, for agents holding a capability.

Only a capability request reaches the MCP server: the capability is checked here first (a
forged, expired or revoked one, or none, gets 403 before any MCP message is read), and each tool
call then acts through that same capability with origin ``mcp`` (``kubechat_lab/mcp/_http.py``),
so an agent connected over HTTP has exactly the rights of ``kubechat mcp`` over stdio.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jupyter_server.auth.decorator import allow_unauthenticated

from kubechat_lab.errors import AuditError, PolicyViolation
from kubechat_lab.server._proposals import BadRequestError
from kubechat_lab.server.handlers._base import KubechatHandler

__all__ = ["McpHandler", "default_handlers"]


class McpHandler(KubechatHandler):
    """Bridge one HTTP request into the MCP SDK's streamable-HTTP transport (ASGI)."""

    auth_resource = "kubechat_lab:mcp"
    route = "mcp"

    def initialize(self, *args: Any, **kwargs: Any) -> None:
        """Set up the disconnect signal the ASGI bridge reports."""
        super().initialize(*args, **kwargs)
        self._gone = asyncio.Event()

    def on_connection_close(self) -> None:
        """Tell the MCP transport the client went away."""
        self._gone.set()
        super().on_connection_close()

    @allow_unauthenticated
    async def post(self) -> None:
        """One JSON-RPC message (or batch) of an MCP session; the reply is JSON."""
        await self._serve()

    @allow_unauthenticated
    async def delete(self) -> None:
        """End an MCP session."""
        await self._serve()

    @allow_unauthenticated
    async def get(self) -> None:
        """No server-initiated stream is offered (405, as the transport allows)."""
        self.prepare_timing()
        self.set_header("Allow", "POST, DELETE")
        self.set_status(405)
        self.finish(b'{"message": "this MCP endpoint answers POST with JSON; no SSE stream", '
                    b'"reason": "method-not-allowed"}')

    async def _serve(self) -> None:
        self.prepare_timing()
        try:
            if self.capability_token is None:
                msg = ("the MCP endpoint needs a kubechat capability in the "
                       "X-Kubechat-Capability header (mint one with `kubechat token`)")
                raise PolicyViolation(msg, rule_id="capability-invalid")
            await self.lookup_capability()
            self.capability_principal()
        except (PolicyViolation, BadRequestError, AuditError) as exc:
            self.fail(exc)
            return
        req = self.request
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                   for k, v in req.headers.get_all()]
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": req.method, "scheme": req.protocol, "path": "/mcp", "raw_path": b"/mcp",
            "root_path": "", "query_string": (req.query or "").encode("latin-1"),
            "headers": headers, "client": (req.remote_ip or "", 0), "server": None,
        }
        body = req.body or b""
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self._gone.wait()
            return {"type": "http.disconnect"}

        async def send(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.set_status(int(message["status"]))
                self.clear_header("Content-Type")
                for name, value in message.get("headers", []):
                    self.add_header(name.decode("latin-1"), value.decode("latin-1"))
            elif message["type"] == "http.response.body":
                self.write(message.get("body", b""))
                if message.get("more_body"):
                    await self.flush()

        await self.kubechat.mcp_face().handle(scope, receive, send)
        if not self._finished:
            self.finish()


default_handlers = [(r"/kubechat/api/mcp", McpHandler)]
