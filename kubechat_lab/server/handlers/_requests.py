"""Typed request bodies: each field checked, a bad one answered with a 400 that names it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubechat_lab.server._conversations import check_conversation
from kubechat_lab.server._proposals import BadRequestError
from kubechat_lab.server._service import MAX_MANIFEST

__all__ = [
    "ApproveRequest",
    "AskRequest",
    "MintRequest",
    "ProposeRequest",
    "RejectRequest",
]


def _str(data: Mapping[str, Any], name: str, *, required: bool, limit: int = 4000) -> str | None:
    value = data.get(name)
    if value is None:
        if required:
            raise BadRequestError(f"field {name!r} is required (a string)", field=name)
        return None
    if not isinstance(value, str):
        msg = f"field {name!r} must be a string, got {type(value).__name__}"
        raise BadRequestError(msg, field=name)
    if len(value) > limit:
        msg = f"field {name!r} is {len(value)} characters; the limit is {limit}"
        raise BadRequestError(msg, field=name)
    return value


def _unknown(data: Mapping[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        msg = f"unknown field {extra[0]!r}; allowed fields: {', '.join(sorted(allowed))}"
        raise BadRequestError(msg, field=extra[0])


@dataclass(frozen=True, slots=True)
class AskRequest:
    """Body of ``POST ask``."""

    question: str
    context: str | None = None
    conversation: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AskRequest:
        """Validate a JSON object."""
        _unknown(data, {"question", "context", "conversation"})
        question = _str(data, "question", required=True, limit=2000) or ""
        conversation = _str(data, "conversation", required=False, limit=64)
        return cls(question=question, context=_str(data, "context", required=False, limit=253),
                   conversation=None if conversation is None else check_conversation(conversation))


@dataclass(frozen=True, slots=True)
class ProposeRequest:
    """Body of ``POST propose``."""

    command: str
    context: str | None = None
    manifest: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProposeRequest:
        """Validate a JSON object; ``manifest`` is the YAML or JSON a ``-f -`` command sends."""
        _unknown(data, {"command", "context", "manifest"})
        command = _str(data, "command", required=True) or ""
        return cls(command=command, context=_str(data, "context", required=False, limit=253),
                   manifest=_str(data, "manifest", required=False, limit=MAX_MANIFEST))


@dataclass(frozen=True, slots=True)
class ApproveRequest:
    """Body of ``POST proposals/{id}/approve``; ``confirm`` is the target typed back."""

    confirm: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApproveRequest:
        """Validate a JSON object."""
        _unknown(data, {"confirm"})
        return cls(confirm=_str(data, "confirm", required=False, limit=1000))


@dataclass(frozen=True, slots=True)
class RejectRequest:
    """Body of ``POST proposals/{id}/reject``."""

    reason: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RejectRequest:
        """Validate a JSON object."""
        _unknown(data, {"reason"})
        return cls(reason=_str(data, "reason", required=False, limit=500) or "")


@dataclass(frozen=True, slots=True)
class MintRequest:
    """Body of ``POST capabilities`` (used by ``kubechat token``)."""

    scopes: tuple[str, ...]
    ttl: float | None
    label: str
    #: For an agent (``kubechat mcp``): every request with it acts with origin ``mcp``.
    agent: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MintRequest:
        """Validate a JSON object."""
        _unknown(data, {"scopes", "ttl", "label", "agent"})
        agent = data.get("agent", False)
        if not isinstance(agent, bool):
            raise BadRequestError("field 'agent' must be true or false", field="agent")
        scopes = data.get("scopes", ["ask", "propose", "execute"])
        if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
            raise BadRequestError("field 'scopes' must be a list of strings", field="scopes")
        ttl = data.get("ttl")
        if ttl is not None and (
            isinstance(ttl, bool) or not isinstance(ttl, int | float) or ttl <= 0
        ):
            msg = f"field 'ttl' must be a positive number of seconds, got {ttl!r}"
            raise BadRequestError(msg, field="ttl")
        label = _str(data, "label", required=False, limit=200) or ""
        return cls(scopes=tuple(scopes), ttl=float(ttl) if ttl is not None else None, label=label,
                   agent=agent)
