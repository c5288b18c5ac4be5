"""The shared stores (PostgreSQL) keep the contract of the in-memory ones, across processes.

Each store is tested the same way in memory and in PostgreSQL; in PostgreSQL, two stores with
their own connections stand for two server processes of one hub.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from kubechat_lab.command import parse
from kubechat_lab.server import CapabilityStore, Scope
from kubechat_lab.server._approval_origin import ApprovalOrigin, MemoryLogins
from kubechat_lab.server._audit_log import AuditLog
from kubechat_lab.server._conversations import ConversationStore
from kubechat_lab.server._pg_approval import PgLogins
from kubechat_lab.server._pg_capabilities import PgCapabilityStore
from kubechat_lab.server._pg_conversations import PgConversationStore
from kubechat_lab.server._pg_quotas import PgSlots
from kubechat_lab.server._proposals import BusyError
from kubechat_lab.server._quotas import Slots
from kubechat_lab.translate import Turn


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def connections(request: pytest.FixtureRequest) -> Iterator[Callable[[], AuditLog]]:
    """Open a new connection to one fresh audit database per call (one per 'process')."""
    db = request.getfixturevalue("audit_db")
    opened: list[AuditLog] = []

    def connect() -> AuditLog:
        opened.append(AuditLog(db.app_dsn, connect_timeout=3))
        return opened[-1]

    yield connect
    for log in opened:
        log.close()


@pytest.fixture(params=["memory", pytest.param("postgres", marks=pytest.mark.postgres)])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def capabilities(kind: str, request: pytest.FixtureRequest, clock: Clock) -> Any:
    if kind == "memory":
        return CapabilityStore(clock=clock)
    return PgCapabilityStore(request.getfixturevalue("connections")(), clock=clock)


def conversations(kind: str, request: pytest.FixtureRequest, clock: Clock, **kw: Any) -> Any:
    if kind == "memory":
        return ConversationStore(clock=clock, **kw)
    return PgConversationStore(request.getfixturevalue("connections")(), clock=clock, **kw)


# -- capabilities --------------------------------------------------------------------------


def test_capabilities_are_hashed_scoped_revocable_and_expire(
        kind: str, request: pytest.FixtureRequest) -> None:
    clock = Clock()
    store = capabilities(kind, request, clock)
    token, cap = store.mint(user="alice", scopes=[Scope.PROPOSE], ttl=60, origin="kernel",
                            kernel_id="k1")
    assert token.startswith("kcap_") and cap.digest == hashlib.sha256(token.encode()).hexdigest()
    found = store.lookup(token)
    assert found == cap and found.allows(Scope.PROPOSE) and not found.allows(Scope.EXECUTE)
    assert store.minted_here(found)
    assert store.lookup(token + "x") is None and store.lookup("kcap_" + "A" * 43) is None
    t2, c2 = store.mint(user="alice", scopes=[], ttl=600, origin="token", label="ci")
    assert [c.id for c in store.list()] == [cap.id, c2.id]
    assert store.revoke_kernel("k1") == 1 and store.lookup(token) is None
    assert store.revoke(c2.id) and store.lookup(t2) is None and not store.revoke(c2.id)
    t3, _ = store.mint(user="alice", scopes=[], ttl=60, origin="token")
    clock.now += 61
    assert store.lookup(t3) is None and store.list() == []


@pytest.mark.postgres
def test_a_capability_minted_by_one_process_is_accepted_and_revoked_in_another(
        connections: Callable[[], AuditLog], audit_db: Any) -> None:
    one, other = PgCapabilityStore(connections()), PgCapabilityStore(connections())
    token, cap = one.mint(user="alice", scopes=[Scope.ASK, Scope.EXECUTE], ttl=600,
                          origin="token", label="ci")
    seen = other.lookup(token)
    assert seen == cap and not other.minted_here(seen)  # its kernel is checked by `one` only
    with psycopg.connect(audit_db.dsn) as conn:
        rows = conn.execute("SELECT * FROM kubechat_state.capability").fetchall()
    assert token not in repr(rows) and cap.digest in repr(rows)  # the hash, never the token
    assert other.revoke(cap.id)
    assert one.lookup(token) is None and other.lookup(token) is None
    mine, _ = one.mint(user="alice", scopes=[], ttl=600, origin="kernel", kernel_id="k1")
    theirs, _ = other.mint(user="bob", scopes=[], ttl=600, origin="kernel", kernel_id="k2")
    one.clear()  # one process stops: its capabilities go, the other's stay
    assert other.lookup(mine) is None and other.lookup(theirs) is not None


# -- conversations -------------------------------------------------------------------------


def _turn(text: str, command: str | None = None) -> Turn:
    return Turn(text, parse(command) if command else None)


def test_conversations_keep_the_last_turns_per_owner_until_their_ttl(
        kind: str, request: pytest.FixtureRequest) -> None:
    clock = Clock()
    store = conversations(kind, request, clock, max_turns=2, max_conversations=2, ttl=100)
    assert store.previous("page:alice", "c1") is None
    store.add("page:alice", "c1", _turn("list pods", "kubectl get pods -n shop"), "p_1")
    store.add("page:alice", "c1", _turn("and in data", "kubectl get pods -n data"), "p_2")
    store.add("page:alice", None, _turn("ignored"))
    previous = store.previous("page:alice", "c1")
    assert previous is not None and previous.question == "and in data"
    assert previous.command == parse("kubectl get pods -n data")
    assert store.previous("page:bob", "c1") is None  # private to its owner
    assert store.previous("kernel:k1", "c1") is None
    store.observe("p_2", {"kind": "pods", "columns": [["name", "str"]],
                          "data": [["web-1", "web-2"]]})
    previous = store.previous("page:alice", "c1")
    assert previous is not None and (previous.kind, previous.names) == ("pods",
                                                                        ("web-1", "web-2"))
    clock.now += 1
    store.add("page:alice", "c2", _turn("nodes?"))
    clock.now += 1
    store.add("page:alice", "c3", _turn("events?"))  # over max_conversations: c1 goes
    assert store.previous("page:alice", "c1") is None
    assert len(store) == 2
    clock.now += 101
    assert store.previous("page:alice", "c3") is None  # expired


@pytest.mark.postgres
def test_a_follow_up_reads_the_turn_another_process_wrote(
        connections: Callable[[], AuditLog], audit_db: Any) -> None:
    one, other = PgConversationStore(connections()), PgConversationStore(connections())
    one.add("page:alice", "c1", _turn("list pods", "kubectl get pods -n shop"), "p_1")
    other.observe("p_1", {"kind": "pods", "columns": ["name"], "data": [["web-1"]]})
    previous = one.previous("page:alice", "c1")
    assert previous is not None and previous.command == parse("kubectl get pods -n shop")
    assert previous.names == ("web-1",)
    for turn in range(12):
        other.add("page:alice", "c1", _turn(f"q{turn}"))
    found = one.previous("page:alice", "c1")
    assert found is not None and found.question == "q11"
    with psycopg.connect(audit_db.dsn) as conn:
        kept = conn.execute("SELECT count(*) FROM kubechat_state.conversation_turn").fetchone()
    assert kept == (10,)  # max_turns


# -- quotas --------------------------------------------------------------------------------


@pytest.fixture
def slot_sets(audit_db: Any) -> Iterator[Callable[..., PgSlots]]:
    made: list[PgSlots] = []

    def make(**kw: Any) -> PgSlots:
        made.append(PgSlots("watches", dsn=audit_db.app_dsn, connect_timeout=3, **kw))
        return made[-1]

    yield make
    for slots in made:
        slots.close()


def test_slots_check_and_take_in_one_step(kind: str, request: pytest.FixtureRequest) -> None:
    slots = (Slots("watches", per_owner=2, total=3) if kind == "memory"
             else request.getfixturevalue("slot_sets")(per_owner=2, total=3))
    assert slots.try_take("page:alice") is None and slots.try_take("page:alice") is None
    assert slots.try_take("page:alice") == "owner"
    with pytest.raises(BusyError, match="already runs 2 watches"):
        slots.take("page:alice")
    assert slots.try_take("kernel:k1") is None
    assert slots.try_take("kernel:k2") == "total"
    assert slots.held("page:alice") == 2 and slots.held() == 3
    slots.release("page:alice")
    slots.release("page:bob")  # never taken: ignored
    assert slots.held("page:alice") == 1 and slots.held() == 2
    with slots.hold("page:alice"):
        assert slots.held("page:alice") == 2
    assert slots.held("page:alice") == 1


@pytest.mark.postgres
def test_an_owners_slots_count_over_every_process_and_die_with_one(
        slot_sets: Callable[..., PgSlots]) -> None:
    one, other = slot_sets(per_owner=2), slot_sets(per_owner=2)
    assert one.try_take("page:alice") is None
    assert other.try_take("page:alice") is None
    assert one.try_take("page:alice") == "owner" and other.try_take("page:alice") == "owner"
    assert one.held("page:alice") == 2 and other.held("page:alice") == 2
    assert other.try_take("page:bob") is None  # another owner has slots of its own
    one.release("page:alice")
    assert other.try_take("page:alice") is None  # the slot given back in one is free in other
    assert one.try_take("page:alice") == "owner"
    other.close()  # a process that dies gives its slots back (its session ends)
    assert one.try_take("page:alice") is None and one.try_take("page:alice") is None
    assert one.held("page:alice") == 2


# -- approval-page logins ------------------------------------------------------------------


def test_a_login_code_is_spent_once_and_its_session_ends(
        kind: str, request: pytest.FixtureRequest) -> None:
    clock = Clock()
    logins = (MemoryLogins() if kind == "memory"
              else PgLogins(request.getfixturevalue("connections")()))
    origin = ApprovalOrigin(url="http://127.0.0.1:1/", code_ttl=60, session_ttl=600,
                            clock=clock, logins=logins)
    code = origin.mint_code("alice", ("sre", "dba"))
    token = origin.redeem(code)
    assert token is not None and origin.redeem(code) is None  # once
    session = origin.session(token)
    assert session is not None and session.user == "alice" and len(session.xsrf) == 64
    assert session.groups == ("sre", "dba")
    assert origin.session(token + "x") is None and origin.session(None) is None
    late = origin.mint_code("bob")
    clock.now += 61
    assert origin.redeem(late) is None  # expired
    origin.end(token)
    assert origin.session(token) is None
    again = origin.redeem(origin.mint_code("alice"))
    clock.now += 601
    assert origin.session(again) is None


@pytest.mark.postgres
def test_a_code_minted_by_one_process_signs_in_on_another(
        connections: Callable[[], AuditLog], audit_db: Any) -> None:
    one = ApprovalOrigin(url="http://127.0.0.1:1/", logins=PgLogins(connections()))
    other = ApprovalOrigin(url="http://127.0.0.1:2/", logins=PgLogins(connections()))
    code = one.mint_code("alice", ("sre",))
    token = other.redeem(code)
    assert token is not None and one.redeem(code) is None
    here, there = one.session(token), other.session(token)
    assert here is not None and here == there  # the same user, groups, expiry, form token
    assert here.groups == ("sre",)
    with psycopg.connect(audit_db.dsn) as conn:
        rows = conn.execute("SELECT * FROM kubechat_state.approval_login").fetchall()
    assert token not in repr(rows) and code not in repr(rows)
    one.end(token)
    assert other.session(token) is None
