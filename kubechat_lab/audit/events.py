"""Typed audit events: one definition per kind, the one shape the server and the CLI append.

Every face builds these classes and appends ``event.to_dict()``; nobody writes an event dict by
hand. ``to_dict`` leaves out fields that are ``None`` (so an event carries only what is known)
and writes tuples as lists. The kinds and their fields are listed in ``docs/audit.md``.

Order of a command's life (each appended *before* the step it announces touches the cluster):
``proposed`` (the preview dry run comes after it) -> ``approved`` | ``rejected`` ->
``executing`` -> ``executed``; a watch is ``watch_started`` -> ``watch_stopped``.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

import orjson

if TYPE_CHECKING:
    from kubechat_lab.audit._canonical import JSONValue

__all__ = [
    "Actor",
    "ApprovedEvent",
    "AskEvent",
    "AuditEvent",
    "CapabilityMintedEvent",
    "CapabilityRef",
    "ClientRef",
    "CommandEvent",
    "DashboardReadEvent",
    "EventKind",
    "ExecutedEvent",
    "ExecutingEvent",
    "ProposedEvent",
    "RejectedEvent",
    "WatchStartedEvent",
    "WatchStoppedEvent",
    "result_digest",
    "utc_now",
]


class EventKind(enum.StrEnum):
    """The ``type`` of an audit event."""

    ASK = "ask"
    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTING = "executing"
    EXECUTED = "executed"
    WATCH_STARTED = "watch_started"
    WATCH_STOPPED = "watch_stopped"
    CAPABILITY_MINTED = "capability_minted"
    DASHBOARD_READ = "dashboard_read"


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with milliseconds and ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def result_digest(data: object) -> str:
    """Return ``sha256:<hex>`` of a result's JSON form with sorted keys (the ``executed`` digest).

    Parameters
    ----------
    data
        The result as JSON-ready data (``orjson.loads(result.to_json())``).
    """
    raw = orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def _json(value: object) -> JSONValue:
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, enum.Enum):
        return _json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    msg = f"audit event field of type {type(value).__name__} has no JSON form"
    raise TypeError(msg)


@dataclass(frozen=True, slots=True)
class CapabilityRef:
    """The capability an actor used (never its token).

    Parameters
    ----------
    id
        Public capability id.
    origin
        ``"kernel"`` (minted at kernel start) or ``"token"`` (``kubechat token``).
    label
        Free text given at minting.
    scopes
        Its scopes, sorted (so an approval by an ``approve:warning`` token says so).
    """

    id: str
    origin: str
    label: str
    scopes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClientRef:
    """The program acting through a face, as it declared itself (an MCP client's ``clientInfo``).

    Declared, not proven: it says which agent the person ran, never who may act.

    Parameters
    ----------
    name
        The client's declared name (``claude-code``, ``jupyter-ai``).
    version
        Its declared version (empty when it gave none).
    """

    name: str
    version: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Actor:
    """Who acts: the fields every event carries about them (no secrets).

    Parameters
    ----------
    user
        Jupyter user (server) or OS user (``kubechat run``).
    via
        ``"browser"``, ``"capability"`` or ``"cli"``.
    auth
        How a browser request authenticated: ``"cookie"`` (login cookie and XSRF) or
        ``"token"`` (the Jupyter token only).
    origin
        ``"cli"`` for ``kubechat run``; ``"mcp"`` for an agent's call through ``kubechat mcp``.
    client
        The agent program behind an ``mcp`` call, as it declared itself.
    capability
        The capability used, for capability requests.
    kernel_id
        The kernel the capability belongs to.
    impersonate_user, impersonate_groups
        The Kubernetes identity commands run as (None: the kubeconfig's own).
    """

    user: str
    via: str
    auth: str | None = None
    origin: str | None = None
    client: ClientRef | None = None
    capability: CapabilityRef | None = None
    kernel_id: str | None = None
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()

    def fields(self) -> dict[str, JSONValue]:
        """Return the actor's event fields (``None`` and empty values left out)."""
        out: dict[str, JSONValue] = {"user": self.user, "via": self.via}
        if self.auth is not None:
            out["auth"] = self.auth
        if self.origin is not None:
            out["origin"] = self.origin
        if self.client is not None:
            out["client"] = _json(self.client)
        if self.capability is not None:
            out["capability"] = _json(self.capability)
        if self.kernel_id is not None:
            out["kernel_id"] = self.kernel_id
        if self.impersonate_user is not None:
            out["impersonate_user"] = self.impersonate_user
        if self.impersonate_groups:
            out["impersonate_groups"] = list(self.impersonate_groups)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """Base of every event: the kind, the actor and the time.

    Subclasses set :attr:`kind` and add their fields; :meth:`to_dict` is the payload.
    """

    kind: ClassVar[EventKind]
    actor: Actor
    time: str = field(default_factory=utc_now)

    def to_dict(self) -> dict[str, JSONValue]:
        """Return the event as appended: ``type``, ``time``, the actor, then the kind's fields."""
        out: dict[str, JSONValue] = {"type": self.kind.value, "time": self.time}
        out.update(self.actor.fields())
        for f in dataclasses.fields(self):
            if f.name in ("actor", "time"):
                continue
            value = getattr(self, f.name)
            if value is not None:
                out[f.name] = _json(value)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class AskEvent(AuditEvent):
    """A question was translated (or not): appended before anything is proposed."""

    kind: ClassVar[EventKind] = EventKind.ASK
    question: str
    provider: str | None = None
    outcome: str
    command: str | None = None
    context: str | None = None
    cluster: str | None = None
    conversation: str | None = None
    #: True when the model's answer came from the LLM answer cache (absent otherwise).
    cached: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandEvent(AuditEvent):
    """Base of the events about one proposed command: where it runs and what it is.

    ``manifest_digest`` is ``sha256:`` of the inline manifest a ``-f -`` command sends: the
    chain proves which manifest ran without keeping its text (it may hold Secret data).
    """

    kind: ClassVar[EventKind] = EventKind.PROPOSED
    proposal: str | None = None
    command: str | None = None
    manifest_digest: str | None = None
    context: str | None = None
    cluster: str | None = None
    namespace: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProposedEvent(CommandEvent):
    """A command was proposed and judged; appended before its preview dry run.

    A line the grammar refuses is recorded with ``outcome="invalid"``, its ``error_reason``
    and *without* its text (it may hold a credential such as ``--token=...``).
    """

    kind: ClassVar[EventKind] = EventKind.PROPOSED
    source: str
    question: str | None = None
    provider: str | None = None
    level: str
    reasons: tuple[str, ...] | None = None
    rule_ids: tuple[str, ...] | None = None
    decision: str | None = None
    outcome: str | None = None
    error_reason: str | None = None
    #: The group whose member (never the proposer) must approve it (two-person approval).
    approvers: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovedEvent(CommandEvent):
    """A proposal was approved (by a person, a capability, or the policy for safe reads).

    ``proposer`` names who proposed it; under two-person approval ``approvers`` names the
    group the approver is a member of (docs/policy.md, "Two-person approval").
    """

    kind: ClassVar[EventKind] = EventKind.APPROVED
    level: str
    approver: str
    #: Who proposed it: with ``approver``, both people of a two-person approval.
    proposer: str | None = None
    #: The group the approver was required to belong to (two-person approval).
    approvers: str | None = None
    decision: str = field(default="approved", init=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectedEvent(CommandEvent):
    """A proposal was rejected (or, in ``kubechat run``, not approved)."""

    kind: ClassVar[EventKind] = EventKind.REJECTED
    level: str
    approver: str
    reason: str | None = None
    proposer: str | None = None
    approvers: str | None = None
    decision: str = field(default="rejected", init=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutingEvent(CommandEvent):
    """An approved command is about to be sent to the cluster."""

    kind: ClassVar[EventKind] = EventKind.EXECUTING
    level: str
    approver: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutedEvent(CommandEvent):
    """The cluster answered: ``status`` and the result digest, or ``status="error"``."""

    kind: ClassVar[EventKind] = EventKind.EXECUTED
    status: str
    result_digest: str | None = None
    rows: int | None = None
    error: str | None = None
    error_code: int | None = None
    seconds: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchStartedEvent(CommandEvent):
    """A live watch is about to read the cluster: of an approved ``get``, or a dashboard's.

    A live dashboard's watch has no proposal: it carries ``watch`` (its id), ``commands`` (the
    dashboard's safe reads it covers) and ``watched`` (those followed by the watch API).
    """

    kind: ClassVar[EventKind] = EventKind.WATCH_STARTED
    level: str
    approver: str | None = None
    seconds: float | None = None
    #: A live dashboard's watch (no proposal): its id, pairing the start with its stop.
    watch: str | None = None
    #: A live dashboard's watch: every read it covers, exactly as run.
    commands: tuple[str, ...] | None = None
    #: Of :attr:`commands`, those it opens a watch for (the rest, and any whose watch the API
    #: refuses, are re-read on the refresh interval).
    watched: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchStoppedEvent(CommandEvent):
    """A live watch ended: why, how many events it streamed, how long it ran.

    A live dashboard's stop carries its ``watch`` id and ``updates`` (the dashboards it sent).
    """

    kind: ClassVar[EventKind] = EventKind.WATCH_STOPPED
    reason: str
    events: int
    seconds: float
    error: str | None = None
    #: A live dashboard's watch: its id (as in its ``watch_started``).
    watch: str | None = None
    #: A live dashboard's watch: the recomputed dashboards it sent.
    updates: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CapabilityMintedEvent(AuditEvent):
    """A capability was minted for a headless process (``kubechat token``)."""

    kind: ClassVar[EventKind] = EventKind.CAPABILITY_MINTED
    capability_id: str
    origin: str
    label: str
    scopes: tuple[str, ...]
    expires: float


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardReadEvent(AuditEvent):
    """A dashboard refresh is about to run its safe reads: one event lists them all.

    Appended before the reads touch the cluster (fail closed), once per refresh, so a live
    dashboard adds one row per refresh rather than one per read.
    """

    kind: ClassVar[EventKind] = EventKind.DASHBOARD_READ
    commands: tuple[str, ...]
    level: str = "safe"
    context: str | None = None
    cluster: str | None = None
