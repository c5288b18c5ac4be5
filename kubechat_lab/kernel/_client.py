"""``KubechatClient``: a kernel's (or a script's) one way to the kubechat server, over HTTP.

It holds no credential but the capability the server gave this kernel (``KUBECHAT_CAPABILITY``)
and never reads a kubeconfig: every command is proposed to the server, which parses, assesses,
audits, waits for approval and runs it. Results come back as Arrow IPC (docs/notebook.md) and
become typed pandas DataFrames.
"""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Generator, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from kubechat_lab.errors import NotConnected
from kubechat_lab.kernel._errors import error_from_reply, unreachable
from kubechat_lab.kernel._frames import ARROW_STREAM, Outcome, frame_from_arrow, outcome_from_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CAPABILITY_HEADER", "ClientClosedError", "KubechatClient"]

#: The header kernels authenticate with (the server's ``X-Kubechat-Capability``).
CAPABILITY_HEADER = "X-Kubechat-Capability"
_CONVERSATION = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
#: Set by the server instead of ``KUBECHAT_CAPABILITY`` when it refused this kernel one (why).
REFUSED_ENV = "KUBECHAT_CAPABILITY_REFUSED"


class ClientClosedError(RuntimeError):
    """A KubechatClient was used after ``close()`` (or after its ``with`` block ended)."""

    def __init__(self) -> None:
        super().__init__("this KubechatClient is closed; create a new KubechatClient() to talk "
                         "to the kubechat server again")


class _State(enum.Enum):
    OPEN = "open"
    CLOSED = "closed"


class KubechatClient:
    """Ask, propose, approve, reject, execute and read the audit log of a kubechat server.

    Parameters
    ----------
    url
        The server's base URL (``http://127.0.0.1:8888/``). Default: ``$KUBECHAT_URL``, which
        the server sets in every kernel it starts.
    capability
        The capability token. Default: ``$KUBECHAT_CAPABILITY``; a script gets one from
        ``eval "$(kubechat token)"``.
    timeout
        Seconds one request may take (a slow list or a waiting write counts as one).
    conversation
        Conversation id sent with questions (docs/translation.md), so follow-ups see the last turn.
    transport
        An ``httpx`` transport (tests pass ``httpx.MockTransport``).

    Raises
    ------
    NotConnected
        When no URL or capability is given and the environment has none.

    Examples
    --------
    >>> with KubechatClient() as kc:  # doctest: +SKIP
    ...     proposal = kc.propose("kubectl get pods -A")
    ...     pods = kc.execute(proposal["id"]).frame
    """

    def __init__(
        self,
        url: str | None = None,
        capability: str | None = None,
        *,
        timeout: float = 120.0,
        conversation: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        url = url if url is not None else os.environ.get("KUBECHAT_URL", "")
        refused = os.environ.get(REFUSED_ENV, "") if capability is None else ""
        capability = (capability if capability is not None
                      else os.environ.get("KUBECHAT_CAPABILITY", ""))
        if not capability and refused:
            # The server started this kernel but would not give it a capability (it could not
            # tell who started it); say so, not "no server".
            raise NotConnected(refused, reason="no-identity")
        if not url or not capability:
            missing = " and ".join(n for n, v in (("KUBECHAT_URL", url),
                                                  ("KUBECHAT_CAPABILITY", capability)) if not v)
            raise NotConnected(
                f"{missing} is not set: this kernel was not started by a Jupyter server running "
                "the kubechat_lab extension. Start JupyterLab with `kubechat serve` (or enable "
                "the extension), or for a script run `eval \"$(kubechat token)\"`, which sets "
                "KUBECHAT_URL and KUBECHAT_CAPABILITY, or pass url= and capability=",
                reason="not-connected",
            )
        if conversation is not None and not _CONVERSATION.match(conversation):
            raise ValueError(f"conversation {conversation!r} must be 1-64 characters of "
                             "A-Z a-z 0-9 _ -")
        self.url = url if url.endswith("/") else url + "/"
        self.conversation = conversation
        self._conversations = True
        self._http = httpx.Client(
            base_url=self.url + "kubechat/api/",
            headers={CAPABILITY_HEADER: capability, "User-Agent": "kubechat-kernel/0.1"},
            timeout=httpx.Timeout(timeout, connect=10.0),
            transport=transport,
            trust_env=False,  # the kernel talks to its own server, never through a proxy
        )
        self._state = _State.OPEN

    # -- lifecycle ---------------------------------------------------------------------------

    def __enter__(self) -> KubechatClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        if self._state is _State.OPEN:
            self._http.close()
        self._state = _State.CLOSED

    def __repr__(self) -> str:
        return f"KubechatClient(url={self.url!r}, state={self._state.value})"

    # -- requests ----------------------------------------------------------------------------

    def _send(self, method: str, path: str, *, body: Mapping[str, Any] | None = None,
              params: Mapping[str, Any] | None = None, accept: str = "application/json",
              proposal_id: str | None = None) -> httpx.Response:
        if self._state is _State.CLOSED:
            raise ClientClosedError()
        content = orjson.dumps(body) if body is not None else None
        headers = {"Accept": accept}
        if content is not None:
            headers["Content-Type"] = "application/json"
        try:
            response = self._http.request(method, path, content=content, params=params,
                                          headers=headers)
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from exc
        if response.status_code >= 400:
            raise error_from_reply(response.status_code, _json_or_none(response),
                                   url=str(response.request.url), proposal_id=proposal_id)
        return response

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._send(method, path, **kwargs)
        return orjson.loads(response.content) if response.content else None

    # -- the API -----------------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        """Return the server's health report (database, cluster, provider), even when degraded."""
        if self._state is _State.CLOSED:
            raise ClientClosedError()
        try:
            response = self._http.get("health")
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from exc
        body = _json_or_none(response)
        if response.status_code in (200, 503) and isinstance(body, dict) and "ok" in body:
            return body
        raise error_from_reply(response.status_code, body, url=str(response.request.url))

    def ask(self, question: str, *, context: str | None = None) -> dict[str, Any]:
        """Translate a question; return ``{"translation", "proposal" | None, "audit_seq"}``."""
        body: dict[str, Any] = {"question": question}
        if context:
            body["context"] = context
        if self.conversation and self._conversations:
            try:
                return dict(self._json("POST", "ask",
                                       body={**body, "conversation": self.conversation}))
            except Exception as exc:
                # A server without conversations names the field it refused.
                if getattr(exc, "reason", "") != "invalid-conversation":
                    raise
                self._conversations = False
        return dict(self._json("POST", "ask", body=body))

    def investigate(self, target: str, *, context: str | None = None) -> dict[str, Any]:
        """Investigate one object (``deployment/checkout -n shop`` or a why question).

        Returns the server's ``{"subject", "reads", "findings", "notebook", ...}``; every read
        ran as an audited safe proposal of this kernel.
        """
        body: dict[str, Any] = {"target": target}
        if context:
            body["context"] = context
        return dict(self._json("POST", "investigate", body=body))

    def propose(self, command: str, *, context: str | None = None,
                manifest: str | None = None) -> dict[str, Any]:
        """Propose a kubectl command line; return the proposal (level, reasons, state).

        ``manifest``: the YAML or JSON that ``-f -`` sends (``apply``, ``create``, ``replace``,
        ``delete``); the policy judges what it writes.
        """
        body: dict[str, Any] = {"command": command}
        if context:
            body["context"] = context
        if manifest is not None:
            body["manifest"] = manifest
        return dict(self._json("POST", "propose", body=body))

    def get(self, proposal_id: str) -> dict[str, Any]:
        """Return a proposal's current state."""
        return dict(self._json("GET", f"proposals/{proposal_id}", proposal_id=proposal_id))

    def approve(self, proposal_id: str) -> dict[str, Any]:
        """Approve a *warning* proposal from the kernel.

        Works only where this capability carries the ``approve:warning`` scope
        (docs/configuration.md); the audit records a kernel approval. Dangerous proposals are
        never approvable here: the server refuses with
        :class:`~kubechat_lab.errors.PolicyViolation`.
        """
        return dict(self._json("POST", f"proposals/{proposal_id}/approve", body={},
                               proposal_id=proposal_id))

    def reject(self, proposal_id: str, *, reason: str = "") -> dict[str, Any]:
        """Reject a proposal (it never runs)."""
        return dict(self._json("POST", f"proposals/{proposal_id}/reject",
                               body={"reason": reason} if reason else {},
                               proposal_id=proposal_id))

    def execute(self, proposal_id: str, *, arrow: bool = True) -> Outcome:
        """Run an approved proposal; return the typed frame and the final proposal.

        Parameters
        ----------
        proposal_id
            The proposal to run (approved: by policy for reads, by a person otherwise).
        arrow
            Ask for Arrow IPC (default); False asks for the browser's columnar JSON.

        Raises
        ------
        ApprovalRequired
            The proposal is not approved yet.
        ClusterError
            The cluster refused or failed the command (RBAC, not found, unreachable).
        """
        accept = f"{ARROW_STREAM}, application/json;q=0.5" if arrow else "application/json"
        response = self._send("POST", f"proposals/{proposal_id}/execute", body={},
                              accept=accept, proposal_id=proposal_id)
        if response.headers.get("content-type", "").startswith(ARROW_STREAM):
            return frame_from_arrow(response.content)
        return outcome_from_json(orjson.loads(response.content), len(response.content))

    def audit(self, *, limit: int = 20, after: int | None = None,
              filters: Mapping[str, str] | None = None) -> pd.DataFrame:
        """Return the most recent ``limit`` audit events (or those after ``after``) as a frame.

        Needs the ``audit:read`` scope. Columns: ``seq``, ``time``, ``type``, ``user``,
        ``via``, ``proposal``, ``command``, ``level``, ``decision``, ``status``, ``event``.
        """
        import pandas

        if after is None:  # the newest events: start ``limit`` before the chain's head
            after = max(0, self._head_seq() - limit)
        records = self.audit_records(after=after, limit=limit, filters=filters)[-limit:]
        rows = []
        for record in records:
            event = record.get("event") or {}
            rows.append({
                "seq": record.get("seq"),
                "time": event.get("time"),
                "type": event.get("type"),
                "user": event.get("user"),
                "via": event.get("via"),
                "proposal": event.get("proposal"),
                "command": event.get("command"),
                "level": event.get("level"),
                "decision": event.get("decision"),
                "status": event.get("status"),
                "event": event,
            })
        frame = pandas.DataFrame(rows, columns=["seq", "time", "type", "user", "via", "proposal",
                                                "command", "level", "decision", "status",
                                                "event"])
        frame["seq"] = frame["seq"].astype("Int64")
        frame["time"] = pandas.to_datetime(frame["time"], utc=True, format="ISO8601").astype(
            "datetime64[ns, UTC]")
        for name in ("type", "user", "via", "proposal", "command", "level", "decision",
                     "status"):
            frame[name] = frame[name].astype("str")
        frame.attrs["kind"] = "audit"
        return frame

    def audit_records(self, *, after: int = 0, limit: int = 1000,
                      filters: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
        """Return one page of raw audit records: those after seq ``after``, at most ``limit``.

        Each record is ``{"seq", "at", "prev_hash", "entry_hash", "event"}`` with the hashes in
        hex: what an independent check of the chain needs (``kubechat_lab.audit.entry_hash``
        of ``canonical_payload(event)``). ``limit`` is capped at 1000 by the server; page on
        with ``after`` = the last seq. Needs the ``audit:read`` scope.
        """
        page = self._json("GET", "audit", params={"after": after, "limit": min(limit, 1000),
                                                  **(filters or {})})
        return list(page.get("records") or [])

    def audit_verify(self) -> dict[str, Any]:
        """Have the server recompute the whole chain; return its report.

        ``{"ok", "rows_checked", "first_bad_seq", "reason", "head_seq", "head_hash"}``, the same
        check as ``kubechat audit verify --method sql``. Needs the ``audit:read`` scope.
        """
        return dict(self._json("GET", "audit/verify"))

    def _head_seq(self) -> int:
        health = self.health()
        return int((health.get("database") or {}).get("head_seq") or 0)

    def watch(self, proposal_id: str, *, seconds: float | None = None
              ) -> Generator[dict[str, Any], None, None]:
        """Stream the watch of an approved ``get`` proposal: one dict per event line.

        The first event is ``{"type": "start", "columns", "kind", "proposal"}``, then
        ``snapshot`` (the current rows), then ``ADDED``/``MODIFIED``/``DELETED`` with
        ``rows``, ``heartbeat`` now and then, and ``end`` with the reason it stopped.
        Closing the iterator (``break``, an interrupt) closes the stream, which stops the
        watch on the server (audited).
        """
        if self._state is _State.CLOSED:
            raise ClientClosedError()
        body: dict[str, Any] = {} if seconds is None else {"seconds": seconds}
        request = self._http.build_request(
            "POST", f"proposals/{proposal_id}/watch", content=orjson.dumps(body),
            headers={"Content-Type": "application/json", "Accept": "application/x-ndjson"},
            timeout=httpx.Timeout(None, connect=10.0),
        )
        try:
            response = self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise unreachable(self.url, exc) from exc
        try:
            if response.status_code >= 400:
                response.read()
                raise error_from_reply(response.status_code, _json_or_none(response),
                                       url=str(request.url), proposal_id=proposal_id)
            try:
                for line in response.iter_lines():
                    if line.strip():
                        yield orjson.loads(line)
            except httpx.HTTPError as exc:
                raise unreachable(self.url, exc) from exc
        finally:
            response.close()

    def stop_watch(self, proposal_id: str) -> dict[str, Any]:
        """Stop a running watch of this proposal (the stream ends with reason ``stopped``)."""
        return dict(self._json("DELETE", f"proposals/{proposal_id}/watch",
                               proposal_id=proposal_id))


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return orjson.loads(response.content) if response.content else None
    except orjson.JSONDecodeError:
        return None
