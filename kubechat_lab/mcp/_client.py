"""``AgentClient``: the MCP face's one way to the kubechat server, as a capability holder.

Like a kernel it holds only ``KUBECHAT_URL`` and a capability, never a kubeconfig, key or DSN;
every request also declares ``X-Kubechat-Origin: mcp`` and the agent's name and version, so the
audit records them and the server refuses this caller any approval whatever its scopes.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Any

import httpx
import orjson

from kubechat_lab.errors import NotConnected, ServerUnreachable, ServiceError

__all__ = ["AgentClient"]

#: The server's headers (``kubechat_lab/server/_capabilities.py``); this side imports no server.
CAPABILITY_HEADER = "X-Kubechat-Capability"
ORIGIN_HEADER = "X-Kubechat-Origin"
CLIENT_NAME_HEADER = "X-Kubechat-Client-Name"
CLIENT_VERSION_HEADER = "X-Kubechat-Client-Version"


def _printable(value: str) -> str:
    return "".join(c for c in value if c.isprintable())[:100]


class AgentClient:
    """Propose, ask, read proposals, run approved ones and read the audit, for one agent.

    Parameters
    ----------
    url
        The kubechat (Jupyter) server's base URL.
    capability
        The capability token (``kubechat token``, or a kernel's).
    timeout
        Seconds one request may take.
    transport
        An ``httpx`` transport (tests of the shaping may pass one).

    Raises
    ------
    NotConnected
        When the URL or the capability is empty.
    """

    def __init__(self, url: str, capability: str, *, timeout: float = 120.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not url or not capability:
            missing = " and ".join(n for n, v in (("the server URL", url),
                                                  ("the capability", capability)) if not v)
            msg = (f"{missing} is missing: set KUBECHAT_URL and KUBECHAT_CAPABILITY (from "
                   "`eval \"$(kubechat token --scope ask --scope propose --scope execute "
                   "--scope audit:read)\"`), or name the capability's variable with "
                   "--capability-env")
            raise NotConnected(msg, reason="not-connected")
        self.url = url if url.endswith("/") else url + "/"
        self.client_name = "unknown"
        self.client_version = ""
        self._http = httpx.Client(
            base_url=self.url + "kubechat/api/",
            headers={CAPABILITY_HEADER: capability, ORIGIN_HEADER: "mcp",
                     "User-Agent": "kubechat-mcp/0.1"},
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
            trust_env=False,  # its own server, never through a proxy
        )

    def declare(self, name: str, version: str) -> None:
        """Record the agent program's declared name and version (sent with every request)."""
        self.client_name = _printable(name) or "unknown"
        self.client_version = _printable(version)

    def __enter__(self) -> AgentClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- requests ----------------------------------------------------------------------------

    def call(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None, ok: tuple[int, ...] = ()) -> Any:
        """Send one request; return the decoded JSON reply.

        Raises
        ------
        ServiceError
            For an error reply (``status`` and the server's ``reason`` kept), unless its status
            is in ``ok``.
        ServerUnreachable
            When nothing answered.
        """
        headers = {"Accept": "application/json", CLIENT_NAME_HEADER: self.client_name,
                   CLIENT_VERSION_HEADER: self.client_version}
        content = None
        if body is not None:
            content = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, content=content, params=params,
                                          headers=headers)
        except httpx.HTTPError as exc:
            msg = (f"the kubechat server at {self.url} did not answer ({type(exc).__name__}); "
                   "is JupyterLab with kubechat still running there (KUBECHAT_URL)?")
            raise ServerUnreachable(msg, reason="unreachable") from exc
        try:
            data = orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            data = None
        if response.status_code >= 400 and response.status_code not in ok:
            if not isinstance(data, dict):
                msg = (f"{response.request.url} answered HTTP {response.status_code} without a "
                       "kubechat error body; is KUBECHAT_URL a server running kubechat_lab?")
                raise ServiceError(msg, status=response.status_code, reason="not-kubechat")
            raise ServiceError(str(data.get("message") or f"HTTP {response.status_code}"),
                               status=response.status_code, reason=str(data.get("reason") or ""))
        return data

    def propose(self, command: str, *, context: str | None, manifest: str | None) -> Any:
        """``POST propose``: the server parses, judges and audits the command."""
        body: dict[str, Any] = {"command": command}
        if context:
            body["context"] = context
        if manifest is not None:
            body["manifest"] = manifest
        return self.call("POST", "propose", body=body)

    def ask(self, question: str, *, context: str | None) -> Any:
        """``POST ask``: translate, judge and audit."""
        body: dict[str, Any] = {"question": question}
        if context:
            body["context"] = context
        return self.call("POST", "ask", body=body)

    def proposal(self, proposal_id: str) -> Any:
        """``GET proposals/{id}``."""
        return self.call("GET", f"proposals/{proposal_id}")

    def execute(self, proposal_id: str) -> Any:
        """``POST proposals/{id}/execute`` (JSON): run an approved proposal once."""
        return self.call("POST", f"proposals/{proposal_id}/execute", body={})

    def health(self) -> Any:
        """``GET health`` (answered even when degraded)."""
        return self.call("GET", "health", ok=(503,))

    def audit(self, *, after: int, limit: int) -> Any:
        """``GET audit`` of this capability's own events (``capability=mine``)."""
        return self.call("GET", "audit", params={"after": after, "limit": limit,
                                                 "capability": "mine"})
