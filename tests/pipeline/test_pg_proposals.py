"""Proposals in PostgreSQL: two stores on one database (two processes) share them.

Each store has its own connection, as two server processes do. A transition and its audit
event commit in one transaction, so of two stores racing to decide one proposal exactly one
wins and exactly one decision is in the chain; a proposal outlives its store; expiry holds for
every store; a database that goes away changes nothing and appends nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubechat_lab.audit import AuditStore
from kubechat_lab.audit.events import Actor
from kubechat_lab.errors import AuditError, PolicyViolation
from kubechat_lab.pipeline import (
    Lifecycle,
    PgProposalStore,
    Pipeline,
    ProposalConflictError,
    ProposalNotFoundError,
    State,
)
from kubechat_lab.policy import default_policy
from tests.pipeline.test_steps import Recording

pytestmark = pytest.mark.postgres

ACTOR = Actor(user="alice", via="browser")
DECISIONS = ("approved", "rejected")


class Process:
    """What one server process holds: its audit connection, pipeline and proposal store."""

    def __init__(self, dsn: str, *, ttl: float = 600.0, clock: Any = time.time) -> None:
        self.audit = AuditStore(dsn, connect_timeout=3, statement_timeout=10).open()
        self.log: list[str] = []
        pipeline = Pipeline(policy=default_policy(), clients=Recording(self.log),
                            sink=lambda event: self.audit.append(event.to_dict()).seq)
        self.store = PgProposalStore(self.audit, ttl=ttl, clock=clock)
        self.life = Lifecycle(pipeline, self.store)

    def propose(self, text: str = "label configmap c a=b") -> str:
        target = self.life.pipeline.resolve(None, user="alice", identity=(None, ()))
        plan = self.life.pipeline.plan(text, target)
        return self.life.propose(ACTOR, plan, user="alice", source="propose",
                                 preview=False).id

    def close(self) -> None:
        self.audit.close()


@pytest.fixture
def two(audit_db: Any) -> Iterator[tuple[Process, Process]]:
    a, b = Process(audit_db.app_dsn), Process(audit_db.app_dsn)
    try:
        yield a, b
    finally:
        a.close()
        b.close()


def _events(dsn: str, proposal: str) -> list[str]:
    with AuditStore(dsn) as store:
        return [r.event["type"] for r in store.records(proposal=proposal, limit=1000)]


def _verified(dsn: str) -> None:
    with AuditStore(dsn) as store:
        assert store.verify_stream().ok
        assert store.verify_sql().ok


def _race(a: Process, b: Process, dsn: str, a_approves: bool) -> None:
    pid = a.propose()
    barrier = threading.Barrier(2)
    won: list[State] = []
    lost: list[ProposalConflictError] = []

    def decide(process: Process, approve: bool) -> None:
        barrier.wait(30)
        try:
            won.append(process.life.decide(ACTOR, pid, approve=approve, approver="alice",
                                           via="browser").state)
        except ProposalConflictError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=decide, args=(a, a_approves)),
               threading.Thread(target=decide, args=(b, not a_approves))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(won) == 1 and len(lost) == 1, (won, lost)
    assert lost[0].state == won[0].value
    assert [k for k in _events(dsn, pid) if k in DECISIONS] == [won[0].value]
    assert a.store.get(pid).state is won[0] and b.store.get(pid).state is won[0]
    assert a.store.get(pid).audit_seqs == b.store.get(pid).audit_seqs


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(a_approves=st.booleans())
def test_two_stores_racing_a_decision_make_one_winner_and_one_event(
        two: tuple[Process, Process], audit_db: Any, a_approves: bool) -> None:
    a, b = two
    _race(a, b, audit_db.app_dsn, a_approves)
    _verified(audit_db.dsn)


def test_a_decision_is_not_visible_to_another_store_before_it_commits(
        two: tuple[Process, Process], audit_db: Any) -> None:
    a, b = two
    pid = a.propose()
    entered, release = threading.Event(), threading.Event()
    original = a.audit.append

    def held_append(event: Any) -> Any:
        record = original(event)
        if event.get("type") == "approved":
            entered.set()
            assert release.wait(30)
        return record

    a.audit.append = held_append  # type: ignore[method-assign]
    done: list[Any] = []
    first = threading.Thread(target=lambda: done.append(
        a.life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")))
    first.start()
    assert entered.wait(30)
    # appended but not committed: the other process sees neither the state nor the event
    assert b.store.get(pid).state is State.PROPOSED
    assert "approved" not in _events(audit_db.app_dsn, pid)
    release.set()
    first.join(30)
    assert done[0].state is State.APPROVED
    assert b.store.get(pid).state is State.APPROVED
    assert _events(audit_db.app_dsn, pid) == ["proposed", "approved"]


def test_a_proposal_outlives_its_process_and_is_decided_and_run_by_another(
        audit_db: Any) -> None:
    first = Process(audit_db.app_dsn)
    pid = first.propose()
    made = first.store.get(pid)
    first.close()  # the process goes away with the proposal pending
    second = Process(audit_db.app_dsn)
    try:
        again = second.store.get(pid)
        assert again.state is State.PROPOSED
        assert (again.text, again.level, again.reasons, again.rule_ids, again.user,
                again.created, again.expires, again.audit_seqs) == (
            made.text, made.level, made.reasons, made.rule_ids, made.user, made.created,
            made.expires, made.audit_seqs)
        assert [p.id for p in second.store.waiting()] == [pid]
        second.life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
        done, result = second.life.execute(ACTOR, pid)
        assert done.state is State.EXECUTED and len(result) == 2
        assert second.log[-1] == "cluster:execute " + made.text
        assert _events(audit_db.app_dsn, pid) == ["proposed", "approved", "executing",
                                                  "executed"]
        assert second.store.get(pid).result == result
    finally:
        second.close()
    _verified(audit_db.dsn)


def test_expiry_holds_for_every_process(audit_db: Any) -> None:
    now = [1000.0]
    a = Process(audit_db.app_dsn, ttl=60, clock=lambda: now[0])
    b = Process(audit_db.app_dsn, ttl=60, clock=lambda: now[0] + 61)  # a later clock
    try:
        pid = a.propose()
        assert [p.id for p in a.store.waiting()] == [pid]
        assert b.store.waiting() == []
        with pytest.raises(ProposalConflictError) as info:
            b.life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
        assert info.value.state == "expired"
        assert "approved" not in _events(audit_db.app_dsn, pid)
        with pytest.raises(ProposalNotFoundError):
            b.store.get("p_missing")
    finally:
        a.close()
        b.close()


def test_secret_values_never_reach_the_table_and_only_their_holder_runs_them(
        two: tuple[Process, Process], audit_db: Any) -> None:
    a, b = two
    pid = a.propose("create secret generic s -n team --from-literal=password=hunter2-sEcReT")
    with psycopg.connect(audit_db.dsn) as conn:
        body = conn.execute("SELECT body::text FROM kubechat_state.proposal WHERE id = %s",
                            [pid]).fetchone()
    assert body is not None and "hunter2-sEcReT" not in body[0] and "<redacted>" in body[0]
    a.life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    with pytest.raises(PolicyViolation) as info:
        b.life.execute(ACTOR, pid)  # b holds only the redacted command
    assert info.value.rule_id == "secret-values-elsewhere"
    assert b.log == [] and b.store.get(pid).state is State.APPROVED
    a.life.execute(ACTOR, pid)
    assert "password=hunter2-sEcReT" in a.log[-1]


def test_the_app_role_may_not_touch_the_chain_through_the_state_grants(audit_db: Any) -> None:
    with psycopg.connect(audit_db.app_dsn, autocommit=True) as conn:
        for statement in ("DELETE FROM kubechat_audit.audit_event",
                          "DROP TABLE kubechat_state.proposal",
                          "CREATE TABLE kubechat_state.x (a int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_database_that_goes_away_changes_nothing(dedicated_pg: Any) -> None:
    a = Process(dedicated_pg.app_dsn)
    try:
        pid = a.propose()
        seqs = a.store.get(pid).audit_seqs
        dedicated_pg.stop(mode="immediate")
        with pytest.raises(AuditError):
            a.life.decide(ACTOR, pid, approve=False, approver="alice", via="browser")
        with pytest.raises(AuditError):
            a.store.get(pid)
        dedicated_pg.start()
        again = a.store.get(pid)  # the connection is replaced on the next call
        assert again.state is State.PROPOSED and again.audit_seqs == seqs
        assert _events(dedicated_pg.app_dsn, pid) == ["proposed"]
        a.life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
        assert _events(dedicated_pg.app_dsn, pid) == ["proposed", "approved"]
    finally:
        a.close()
    _verified(dedicated_pg.dsn)


def test_the_app_role_may_write_exactly_the_state_tables(audit_db: Any) -> None:
    with psycopg.connect(audit_db.dsn) as conn:
        granted = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
            " WHERE grantee = 'kubechat_app' AND table_schema = 'kubechat_state'"
            " ORDER BY 1, 2").fetchall()
    tables = ("approval_login", "capability", "conversation_turn", "proposal")
    assert granted == [(t, p) for t in tables for p in ("DELETE", "INSERT", "SELECT", "UPDATE")]
