"""The MCP face for agents: kubechat's tools over the Model Context Protocol (docs/mcp.md).

An MCP process is a client of the running kubechat server, like a kernel: it holds a capability,
never a credential, and everything it does is judged, audited (origin ``mcp``) and, for writes,
approved by a person on the server. The ``mcp`` SDK is imported only when serving.
"""

from __future__ import annotations

from kubechat_lab.mcp._client import AgentClient
from kubechat_lab.mcp._face import AgentFace, ToolReply
from kubechat_lab.mcp._http import HttpMcp
from kubechat_lab.mcp._stdio import build_server, serve_stdio
from kubechat_lab.mcp._tools import TOOLS, ToolSpec

__all__ = ["TOOLS", "AgentClient", "AgentFace", "HttpMcp", "ToolReply", "ToolSpec",
           "build_server", "serve_stdio"]
