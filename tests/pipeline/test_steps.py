"""The pipeline's audited steps with a recording client: the event comes before the cluster."""

from __future__ import annotations

from typing import Any

import pytest

from kubechat_lab.audit.events import Actor, AuditEvent
from kubechat_lab.cluster import Column, Result
from kubechat_lab.errors import AuditError, ClusterError
from kubechat_lab.pipeline import Pipeline, ResultWithheldError
from kubechat_lab.policy import default_policy

ACTOR = Actor(user="alice", via="cli", origin="cli")


class Recording:
    """A client source whose one client records every call in the shared log."""

    def __init__(self, log: list[str], *, fail: bool = False) -> None:
        self.log = log
        self.fail = fail

    def client(self, context: str | None, identity: Any) -> Recording:
        return self

    context_name = "ctx"
    default_namespace = "team"
    host = "https://127.0.0.1:1"

    def resource_table(self, *, refresh: bool = False) -> Any:
        from kubechat_lab.command import DEFAULT_RESOURCES

        self.log.append("discovery")
        return DEFAULT_RESOURCES

    def dry_run(self, command: Any) -> Result:
        self.log.append("cluster:dry-run " + command.render())
        return Result("objects", (Column("name", "str"),), (("x",),), diff="+ x")

    def execute(self, command: Any) -> Result:
        self.log.append("cluster:execute " + command.render())
        if self.fail:
            raise ClusterError("forbidden", status=403, reason="Forbidden")
        return Result("objects", (Column("name", "str"),), (("x",), ("y",)))


def make(log: list[str], *, broken: set[str] = frozenset(), fail: bool = False) -> Pipeline:  # type: ignore[assignment]
    def sink(event: AuditEvent) -> int:
        if event.kind.value in broken:
            raise OSError("the audit database is down")
        log.append("audit:" + event.kind.value)
        return len(log)

    return Pipeline(policy=default_policy(), clients=Recording(log, fail=fail), sink=sink)


def test_proposed_before_preview_and_executing_before_execute() -> None:
    log: list[str] = []
    pipeline = make(log)
    target = pipeline.resolve(None, user="alice", identity=(None, ()))
    plan = pipeline.plan("label configmap c a=b", target)
    assert plan.text == "kubectl label configmaps c a=b -n team"
    proposed = pipeline.record_proposed(ACTOR, plan, proposal="p_1", source="propose")
    pipeline.preview(proposed)
    pipeline.record_decision(ACTOR, plan, proposal="p_1", approved=True, approver="alice")
    seqs: list[int] = []
    done = pipeline.execute(ACTOR, plan, proposal="p_1", approver="alice", on_seq=seqs.append)
    assert log == ["discovery", "audit:proposed", "cluster:dry-run " + plan.text,
                   "audit:approved", "audit:executing", "cluster:execute " + plan.text,
                   "audit:executed"]
    assert done.data["data"] == [["x", "y"]] and done.seqs == tuple(seqs) and len(seqs) == 2


@pytest.mark.parametrize("broken", ["executing"])
def test_no_event_no_cluster_call(broken: str) -> None:
    log: list[str] = []
    pipeline = make(log, broken={broken})
    target = pipeline.resolve(None, user="alice", identity=(None, ()))
    plan = pipeline.plan("label configmap c a=b", target)
    with pytest.raises(AuditError, match="audit database is down"):
        pipeline.execute(ACTOR, plan, proposal="p_1", approver="alice")
    assert not [entry for entry in log if entry.startswith("cluster:")]


def test_a_failed_proposed_event_leaves_nothing_to_preview() -> None:
    log: list[str] = []
    pipeline = make(log, broken={"proposed"})
    target = pipeline.resolve(None, user="alice", identity=(None, ()))
    plan = pipeline.plan("label configmap c a=b", target)
    with pytest.raises(AuditError):
        pipeline.record_proposed(ACTOR, plan, proposal="p_1", source="propose")
    assert log == ["discovery"]  # preview needs the Proposed receipt it never got


def test_unrecorded_result_is_withheld_and_failure_is_recorded() -> None:
    log: list[str] = []
    pipeline = make(log, broken={"executed"})
    target = pipeline.resolve(None, user="alice", identity=(None, ()))
    plan = pipeline.plan("get pods", target)
    with pytest.raises(ResultWithheldError):
        pipeline.execute(ACTOR, plan, proposal="p_1", approver="policy:auto-safe")
    log.clear()
    failing = make(log, fail=True)
    with pytest.raises(ClusterError):
        failing.execute(ACTOR, plan, proposal="p_2", approver="policy:auto-safe")
    assert log == ["audit:executing", "cluster:execute " + plan.text, "audit:executed"]
