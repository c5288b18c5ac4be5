"""The store protocol's transitions: compare-and-set, audited while the claim is held."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubechat_lab.audit import AuditStore
from kubechat_lab.audit.events import Actor, AuditEvent
from kubechat_lab.errors import AuditError, PolicyViolation
from kubechat_lab.pipeline import (
    Lifecycle,
    MemoryProposalStore,
    PgProposalStore,
    Pipeline,
    ProposalConflictError,
    ProposalNotFoundError,
    ProposalStore,
    State,
)
from kubechat_lab.policy import default_policy
from tests.pipeline.test_steps import Recording

ACTOR = Actor(user="alice", via="browser")
DECISIONS = {"approved", "rejected"}


class Sink:
    """An audit sink that keeps the event kinds; ``hold`` makes one kind wait for a signal."""

    def __init__(self) -> None:
        self.kinds: list[str] = []
        self.broken: set[str] = set()
        self.hold: str | None = None
        self.entered = threading.Event()
        self.release = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, event: AuditEvent) -> int:
        kind = event.kind.value
        if kind == self.hold:
            self.hold = None
            self.entered.set()
            if not self.release.wait(30):
                raise AssertionError("the held append was never released")
        if kind in self.broken:
            raise OSError("the audit database is down")
        with self._lock:
            self.kinds.append(kind)
            return len(self.kinds)


#: Makes the store each test runs over: in memory, then in PostgreSQL (the same contract).
_STORES: dict[str, Callable[..., ProposalStore]] = {}


@pytest.fixture(autouse=True, params=["memory",
                                      pytest.param("postgres", marks=pytest.mark.postgres)])
def store_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "memory":
        _STORES["new"] = MemoryProposalStore
        yield "memory"
        return
    dsn = request.getfixturevalue("audit_db").app_dsn
    with AuditStore(dsn) as audit, AuditStore(dsn) as reader:
        _STORES["new"] = functools.partial(PgProposalStore, audit, reader=reader)
        yield "postgres"


def make(*, clock: Any = None, ttl: float = 600.0) -> tuple[Lifecycle, Sink, list[str]]:
    log: list[str] = []
    sink = Sink()
    pipeline = Pipeline(policy=default_policy(), clients=Recording(log), sink=sink)
    store = (_STORES["new"](ttl=ttl) if clock is None
             else _STORES["new"](ttl=ttl, clock=clock))
    return Lifecycle(pipeline, store), sink, log


def propose(life: Lifecycle, text: str = "label configmap c a=b") -> str:
    target = life.pipeline.resolve(None, user="alice", identity=(None, ()))
    plan = life.pipeline.plan(text, target)
    return life.propose(ACTOR, plan, user="alice", source="propose", preview=False).id


def test_a_decision_racing_a_held_decision_gets_a_conflict_and_one_event() -> None:
    life, sink, _ = make()
    pid = propose(life)
    sink.hold = "approved"
    outcome: dict[str, Any] = {}

    def approve() -> None:
        outcome["approve"] = life.decide(ACTOR, pid, approve=True, approver="alice",
                                         via="browser")

    first = threading.Thread(target=approve)
    first.start()
    assert sink.entered.wait(30)  # the approval holds the claim while it is being audited
    assert life.store.get(pid).state is State.PROPOSED  # not visible before it is audited

    def reject() -> None:
        try:
            life.decide(ACTOR, pid, approve=False, approver="bob", via="browser")
        except ProposalConflictError as exc:
            outcome["reject"] = exc

    second = threading.Thread(target=reject)
    second.start()
    sink.release.set()
    first.join(30)
    second.join(30)
    assert outcome["approve"].state is State.APPROVED
    assert isinstance(outcome["reject"], ProposalConflictError)
    assert outcome["reject"].state == "approved" and outcome["reject"].reason == (
        "proposal-conflict")
    assert [k for k in sink.kinds if k in DECISIONS] == ["approved"]
    assert life.store.get(pid).state is State.APPROVED


def _race(racers: int) -> None:
    life, sink, _ = make()
    pid = propose(life)
    barrier = threading.Barrier(racers)
    won: list[State] = []
    lost: list[ProposalConflictError] = []

    def decide(approve: bool) -> None:
        barrier.wait(30)
        try:
            won.append(life.decide(ACTOR, pid, approve=approve, approver="alice",
                                   via="browser").state)
        except ProposalConflictError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=decide, args=(i % 2 == 0,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(won) == 1 and len(lost) == racers - 1
    assert [k for k in sink.kinds if k in DECISIONS] == [won[0].value]
    assert life.store.get(pid).state is won[0]


def test_many_racing_decisions_make_exactly_one() -> None:
    for _ in range(20):
        _race(8)


def test_an_unaudited_decision_changes_nothing_and_can_be_made_again() -> None:
    life, sink, _ = make()
    pid = propose(life)
    sink.broken.add("rejected")
    with pytest.raises(AuditError):
        life.decide(ACTOR, pid, approve=False, approver="alice", via="browser")
    before = life.store.get(pid)
    assert before.state is State.PROPOSED and before.approver is None
    done = life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    assert done.state is State.APPROVED and done.approver == "alice"
    assert done.audit_seqs == (1, 2) and sink.kinds == ["proposed", "approved"]


def test_a_proposal_runs_once_and_executing_comes_first() -> None:
    life, sink, log = make()
    pid = propose(life)
    with pytest.raises(PolicyViolation, match="not approved"):
        life.execute(ACTOR, pid)
    life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    sink.broken.add("executing")
    with pytest.raises(AuditError):
        life.execute(ACTOR, pid)
    assert life.store.get(pid).state is State.APPROVED  # nothing ran: still approved
    assert not [e for e in log if e.startswith("cluster:")]
    sink.broken.clear()
    done, result = life.execute(ACTOR, pid)
    assert done.state is State.EXECUTED and done.result == result and len(result) == 2
    assert sink.kinds == ["proposed", "approved", "executing", "executed"]
    assert done.audit_seqs == (1, 2, 3, 4)
    with pytest.raises(ProposalConflictError, match="'executed'"):
        life.execute(ACTOR, pid)
    assert [e for e in log if e.startswith("cluster:")] == [
        "cluster:execute " + done.text]


def test_decisions_and_runs_end_at_expiry() -> None:
    now = [1000.0]
    life, _, _ = make(clock=lambda: now[0], ttl=10.0)
    pid = propose(life)
    now[0] += 11
    with pytest.raises(ProposalConflictError, match="expired") as info:
        life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    assert info.value.state == "expired"


def test_state_changes_only_through_transition() -> None:
    life, _, _ = make()
    pid = propose(life)
    with pytest.raises(TypeError, match="transition"):
        life.store.update(pid, state=State.EXECUTED)
    with pytest.raises(ProposalNotFoundError) as info:
        life.store.transition("p_" + "0" * 20, frozenset({State.PROPOSED}), State.APPROVED)
    assert info.value.reason == "proposal-not-found"


def test_safe_is_approved_by_policy_and_forbidden_is_refused() -> None:
    life, sink, _ = make()
    safe = life.store.get(propose(life, "get pods"))
    assert safe.state is State.APPROVED and safe.approver == "policy:auto-safe"
    refused = life.store.get(propose(life, "get secrets -n payments --sort-by=.data.password"))
    assert refused.state is State.REFUSED
    with pytest.raises(ProposalConflictError):
        life.decide(ACTOR, refused.id, approve=True, approver="alice", via="browser")
    assert sink.kinds == ["proposed", "approved", "proposed"]


class Watching(Recording):
    """The recording client with watches: each records its stop; secrets are refused."""

    def __init__(self, log: list[str]) -> None:
        super().__init__(log)
        self.stopped: list[str] = []

    def watch(self, command: Any) -> Any:
        from kubechat_lab.cluster._watch import NEVER_STREAMED_REASON
        from kubechat_lab.errors import ClusterError

        if "secrets" in command.resources:
            raise ClusterError("secrets are never streamed", status=403,
                               reason=NEVER_STREAMED_REASON)
        log, stopped, text = self.log, self.stopped, command.render()
        log.append("cluster:watch " + text)

        class Watch:
            def stop(self) -> None:
                stopped.append(text)

        return Watch()


def make_watching() -> tuple[Lifecycle, Sink, Watching]:
    log: list[str] = []
    sink = Sink()
    client = Watching(log)
    pipeline = Pipeline(policy=default_policy(), clients=client, sink=sink)
    return Lifecycle(pipeline, _STORES["new"](ttl=600.0),
                     auto_approve_safe=False), sink, client


def test_a_watch_is_one_run_of_an_approved_read_audited_first() -> None:
    life, sink, client = make_watching()
    pid = propose(life, "get pods -n shop")
    with pytest.raises(PolicyViolation, match="not approved"):
        life.start_watch(ACTOR, pid, seconds=60)
    life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    sink.broken.add("watch_started")
    with pytest.raises(AuditError):
        life.start_watch(ACTOR, pid, seconds=60)
    assert life.store.get(pid).state is State.APPROVED  # nothing read: still approved
    assert client.stopped == ["kubectl get pods -n shop"]  # the opened watch was closed
    sink.broken.clear()
    running, _ = life.start_watch(ACTOR, pid, seconds=60)
    assert running.state is State.EXECUTING
    with pytest.raises(ProposalConflictError):
        life.start_watch(ACTOR, pid, seconds=60)  # it runs once: as one watch...
    with pytest.raises(ProposalConflictError):
        life.execute(ACTOR, pid)  # ...or one execution, never both
    seq = life.finish_watch(ACTOR, running, reason="stopped", events=3, seconds=1.0,
                            error=None)
    done = life.store.get(pid)
    assert done.state is State.EXECUTED and seq in done.audit_seqs
    assert sink.kinds == ["proposed", "approved", "watch_started", "watch_stopped"]


def test_secrets_are_never_watched_and_a_forgotten_watch_is_still_audited() -> None:
    life, sink, _ = make_watching()
    pid = propose(life, "get secrets -n shop")
    life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
    with pytest.raises(PolicyViolation) as info:
        life.start_watch(ACTOR, pid, seconds=60)
    assert info.value.rule_id == "secrets-never-streamed"
    other = propose(life, "get pods -n shop")
    life.decide(ACTOR, other, approve=True, approver="alice", via="browser")
    running, _ = life.start_watch(ACTOR, other, seconds=60)
    forgotten = MemoryProposalStore(ttl=600.0)  # a store that no longer holds the proposal
    seq = Lifecycle(life.pipeline, forgotten).finish_watch(
        ACTOR, running, reason="deadline", events=0, seconds=60.0, error=None)
    assert seq is not None and sink.kinds[-1] == "watch_stopped"
