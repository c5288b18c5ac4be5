"""Typed audit events: one definition per kind, the payload every face appends."""

from __future__ import annotations

import dataclasses

import pytest

from kubechat_lab.audit import canonical_payload
from kubechat_lab.audit.events import (
    Actor,
    ApprovedEvent,
    AuditEvent,
    CapabilityRef,
    EventKind,
    ExecutedEvent,
    ProposedEvent,
    RejectedEvent,
    result_digest,
)


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def test_one_class_per_kind() -> None:
    # (slots dataclasses leave their pre-slots class behind as a subclass too: dedupe by name)
    classes = {c.__name__: c for c in _subclasses(AuditEvent) if c.__name__ != "CommandEvent"}
    assert sorted(c.kind for c in classes.values()) == sorted(EventKind)


def test_payload_shape_leaves_out_unknowns_and_is_canonical() -> None:
    actor = Actor(user="alice", via="capability", kernel_id="k1",
                  capability=CapabilityRef("c1", "token", "nightly", ("approve:warning",)))
    event = ApprovedEvent(actor=actor, proposal="p_1", command="kubectl get pods -n shop",
                          context="sandbox", namespace="shop", level="warning",
                          approver="alice", time="2026-01-01T00:00:00.000Z")
    assert event.to_dict() == {
        "type": "approved", "time": "2026-01-01T00:00:00.000Z", "user": "alice",
        "via": "capability", "kernel_id": "k1",
        "capability": {"id": "c1", "origin": "token", "label": "nightly",
                       "scopes": ["approve:warning"]},
        "proposal": "p_1", "command": "kubectl get pods -n shop", "context": "sandbox",
        "namespace": "shop", "level": "warning", "approver": "alice", "decision": "approved",
    }
    canonical_payload(event.to_dict())  # has exactly one JSON form


def test_decisions_are_fixed_by_the_kind() -> None:
    actor = Actor(user="u", via="cli", origin="cli")
    rejected = RejectedEvent(actor=actor, level="dangerous", approver="policy", reason="no")
    assert rejected.to_dict()["decision"] == "rejected"
    with pytest.raises(TypeError):
        RejectedEvent(actor=actor, level="x", approver="y", decision="approved")  # type: ignore[call-arg]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rejected.level = "safe"  # type: ignore[misc]


def test_an_invalid_line_is_recorded_without_its_text() -> None:
    event = ProposedEvent(actor=Actor(user="u", via="browser", auth="token"), source="propose",
                          outcome="invalid", error_reason="credential-flag", level="forbidden")
    payload = event.to_dict()
    assert "command" not in payload and payload["outcome"] == "invalid"
    assert payload["auth"] == "token"


def test_result_digest_is_independent_of_key_order() -> None:
    assert result_digest({"a": 1, "b": [1, 2]}) == result_digest({"b": [1, 2], "a": 1})
    assert result_digest({"a": 1}) != result_digest({"a": 2})
    assert result_digest({}).startswith("sha256:")
    executed = ExecutedEvent(actor=Actor(user="u", via="cli"), status="ok",
                             result_digest=result_digest({}), rows=0)
    assert executed.to_dict()["rows"] == 0  # zero is kept, only None is left out
