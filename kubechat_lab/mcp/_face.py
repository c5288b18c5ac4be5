"""``AgentFace``: each MCP tool call checked, sent to the kubechat server and shaped as data.

The face judges nothing itself: every command goes to the server, which parses, makes explicit,
judges, audits and (for a safe read) runs it, exactly as for a kernel. The face only checks the
arguments against the tool's schema (an unknown argument is refused, never ignored), runs
what the policy already approved, and returns cluster output fenced as untrusted data
(``mcp/_shape.py``). It has no way to approve: it never calls an approve route, and the server
refuses any approval from an ``mcp`` caller.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from kubechat_lab.errors import ServiceError
from kubechat_lab.mcp._client import AgentClient
from kubechat_lab.mcp._shape import approval_hint, approve_link, cluster_data, fence, summary
from kubechat_lab.mcp._tools import ToolSpec, tool_named

__all__ = ["AgentFace", "ToolReply"]

#: Seconds between two looks at a proposal while waiting for a person.
POLL = 0.5
#: How many of the chain's most recent events the ``audit`` tool looks through.
AUDIT_WINDOW = 20_000


@dataclass(frozen=True, slots=True)
class ToolReply:
    """One tool result: the structured content, the text a model reads, and whether it failed."""

    structured: dict[str, Any]
    text: str
    is_error: bool = False


def _refusal(status: str, message: str, reason: str, **extra: Any) -> ToolReply:
    body = {"status": status, "reason": reason, "message": message, **extra}
    return ToolReply(body, f"{status} ({reason}): {message}", is_error=True)


def check_arguments(tool: ToolSpec, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Return the arguments with defaults filled, checked against the tool's schema.

    Raises
    ------
    ValueError
        Naming the first argument that is unknown, missing, of the wrong type or out of range.
    """
    schema = tool.input_schema
    props: dict[str, Any] = schema.get("properties", {})
    extra = sorted(set(arguments) - set(props))
    if extra:
        allowed = ", ".join(sorted(props)) or "none"
        raise ValueError(f"unknown argument {extra[0]!r} for {tool.name}; allowed: {allowed}")
    out: dict[str, Any] = {}
    for name, spec in props.items():
        if name not in arguments or arguments[name] is None:
            if name in schema.get("required", ()):
                raise ValueError(f"argument {name!r} is required for {tool.name}")
            if "default" in spec:
                out[name] = spec["default"]
            continue
        value = arguments[name]
        if spec["type"] == "string":
            if not isinstance(value, str):
                raise ValueError(f"argument {name!r} must be a string")
            if not spec.get("minLength", 0) <= len(value) <= spec.get("maxLength", 10**9):
                raise ValueError(f"argument {name!r} has {len(value)} characters; allowed "
                                 f"{spec.get('minLength', 0)} to {spec.get('maxLength')}")
            if "pattern" in spec and not re.fullmatch(spec["pattern"], value):
                raise ValueError(f"argument {name!r} must match {spec['pattern']}")
        elif spec["type"] == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"argument {name!r} must be an integer")
            if not spec.get("minimum", -(10**18)) <= value <= spec.get("maximum", 10**18):
                raise ValueError(f"argument {name!r} must be between {spec.get('minimum')} "
                                 f"and {spec.get('maximum')}")
        out[name] = value
    return out


class AgentFace:
    """Run MCP tool calls against the kubechat server for one agent.

    Parameters
    ----------
    client
        The agent's client of the server (its capability, origin ``mcp``).
    sleep, clock
        Waiting while a person decides (tests of the shaping may pass their own).
    """

    def __init__(self, client: AgentClient, *, sleep: Callable[[float], None] = time.sleep,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.client = client
        self._sleep = sleep
        self._clock = clock

    def call(self, name: str, arguments: Mapping[str, Any] | None) -> ToolReply:
        """Run one tool call; every failure is a reply with ``is_error`` (fail closed)."""
        tool = tool_named(name)
        if tool is None:
            return _refusal("refused", f"there is no tool {name!r}", "unknown-tool")
        try:
            args = check_arguments(tool, arguments or {})
        except ValueError as exc:
            return _refusal("refused", str(exc), "invalid-arguments")
        handler: Callable[[dict[str, Any]], ToolReply] = getattr(self, "_" + name)
        try:
            return handler(args)
        except ServiceError as exc:
            return self._service_error(exc)

    @staticmethod
    def _service_error(exc: ServiceError, proposal: dict[str, Any] | None = None) -> ToolReply:
        if exc.reason.startswith("cluster-"):
            # the cluster's own words: data, fenced like any other
            body: dict[str, Any] = {"status": "failed", "reason": exc.reason,
                                    "cluster_data": {"trust": "untrusted-cluster-data",
                                                     "text": str(exc)}}
            if proposal is not None:
                body["proposal"] = summary(proposal)
            return ToolReply(body, f"failed ({exc.reason}):\n" + fence(str(exc)),
                             is_error=True)
        if exc.status in (400, 403, 404, 409, 413, 429):
            return _refusal("refused", str(exc), exc.reason or "refused", http_status=exc.status)
        return _refusal("unavailable", f"{exc} (nothing ran)", exc.reason or "unavailable",
                        http_status=exc.status)

    # -- tools -------------------------------------------------------------------------------

    def _kubectl(self, args: dict[str, Any]) -> ToolReply:
        proposal = self.client.propose(args["command"], context=args.get("context"),
                                       manifest=args.get("manifest"))
        return self._settle(proposal, limit=args["limit"], offset=args["offset"])

    def _ask(self, args: dict[str, Any]) -> ToolReply:
        out = self.client.ask(args["question"], context=args.get("context"))
        translation = out.get("translation") or {}
        proposal = out.get("proposal")
        if proposal is None:
            body = {"status": "no_command", "choices": out.get("choices") or [],
                    "explanation": translation.get("explanation"),
                    "notes": translation.get("notes") or [], "audit_seq": out.get("audit_seq")}
            text = ("No single command answers this question; nothing was proposed. "
                    "Readings to choose from (send one to the kubectl tool):\n"
                    + "\n".join(f"- {c['command']} ({c['level']}): {c.get('why', '')}"
                                for c in body["choices"]))
            return ToolReply(body, text)
        return self._settle(proposal, limit=args["limit"], offset=args["offset"])

    def _proposal(self, args: dict[str, Any]) -> ToolReply:
        proposal = summary(self.client.proposal(args["id"]))
        return ToolReply({"status": proposal.get("state"), "proposal": proposal},
                         _dump(proposal))

    def _wait_for_decision(self, args: dict[str, Any]) -> ToolReply:
        deadline = self._clock() + args["seconds"]
        while True:
            proposal = self.client.proposal(args["id"])
            if proposal.get("state") not in ("proposed", "executing"):
                break
            if self._clock() >= deadline:
                body = {"status": "waiting_for_approval", "proposal": summary(proposal),
                        "approve_at": approve_link(self.client.url, proposal)}
                return ToolReply(body, "still " + approval_hint(self.client.url, proposal))
            self._sleep(POLL)
        return self._settle(proposal, limit=args["limit"], offset=args["offset"])

    def _contexts(self, args: dict[str, Any]) -> ToolReply:
        health = self.client.health()
        cluster = health.get("cluster") or {}
        contexts = [{"name": name, **{k: v for k, v in info.items() if k in
                                      ("ok", "version", "context", "error")}}
                    for name, info in (cluster.get("contexts") or {}).items()]
        body = {"status": "ok", "default": health.get("context"), "contexts": contexts,
                "identity": health.get("identity"),
                "audit_ok": bool((health.get("database") or {}).get("ok"))}
        return ToolReply(body, _dump(body))

    def _audit(self, args: dict[str, Any]) -> ToolReply:
        health = self.client.health()
        head = int((health.get("database") or {}).get("head_seq") or 0)
        # this capability's own events among the chain's recent ones (filtered by the server)
        after: int | None = max(0, head - AUDIT_WINDOW)
        own: list[dict[str, Any]] = []
        while after is not None:
            page = self.client.audit(after=after, limit=1000)
            own = (own + [
                {**{k: e[k] for k in ("type", "time", "proposal", "command", "level",
                                      "decision", "status", "origin", "client") if k in e},
                 "seq": r.get("seq")}
                for r in page.get("records") or [] if (e := r.get("event") or {})
            ])[-args["limit"]:]
            after = page.get("next_after")
        body = {"status": "ok", "events": own}
        return ToolReply(body, _dump(body))

    # -- shaping -----------------------------------------------------------------------------

    def _settle(self, proposal: dict[str, Any], *, limit: int, offset: int) -> ToolReply:
        """Run what the policy (or a person) approved; say what waits or was refused."""
        state = proposal.get("state")
        if state == "approved":
            try:
                done = self.client.execute(proposal["id"])
            except ServiceError as exc:
                if exc.status != 409:  # 409: run meanwhile (a person, another call)
                    return self._service_error(exc, proposal)
                return self._settle(self.client.proposal(proposal["id"]), limit=limit,
                                    offset=offset)
            data = cluster_data(done.get("result"), limit=limit, offset=offset)
            body = {"status": "executed", "proposal": summary(done), "cluster_data": data}
            head = (f"ran {done.get('command')} ({done.get('level')}); rows "
                    f"{data['offset']}..{data['offset'] + len(data['rows'])} of {data['total']}")
            if data["next_offset"] is not None:
                head += f"; for more call again with offset={data['next_offset']}"
            shown = {k: data[k] for k in ("columns", "rows", "text", "diff") if k in data}
            return ToolReply(body, head + "\n" + fence(_dump(shown)))
        if state == "proposed":
            body = {"status": "waiting_for_approval", "proposal": summary(proposal),
                    "approve_at": approve_link(self.client.url, proposal)}
            return ToolReply(body, approval_hint(self.client.url, proposal))
        if state == "refused":
            body = {"status": "refused", "proposal": summary(proposal),
                    "rule_ids": proposal.get("rule_ids") or [],
                    "reasons": proposal.get("reasons") or []}
            text = (f"refused: {proposal.get('command')} is {proposal.get('level')} "
                    f"(rule {', '.join(body['rule_ids']) or 'forbidden'}): "
                    + "; ".join(body["reasons"]))
            return ToolReply(body, text, is_error=True)
        body = {"status": str(state), "proposal": summary(proposal)}
        if state == "executed":
            text = (f"{proposal.get('command')} was already run (it was approved and run "
                    "elsewhere); its result is shown where it ran")
        else:
            text = f"{proposal.get('command')} is {state}" + (
                f": {proposal['error']}" if proposal.get("error") else "")
        return ToolReply(body, text, is_error=state in ("rejected", "failed"))


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
