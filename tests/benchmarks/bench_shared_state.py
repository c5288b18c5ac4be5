"""Benchmark: a decision's latency with proposals in memory and in PostgreSQL (fsync on).

A script, not a timed test. Both runs append to a real audit chain; they differ only in the
proposal store: :class:`MemoryProposalStore` (a decision is the durable group-committed append,
then a change in memory) and :class:`PgProposalStore` (the row lock, the append and the state
change in one synchronously committed transaction). It prints the median and p95 of ``decide``
(approve) over ``--n`` proposals, the two stores interleaved in ``--repeat`` rounds.

    .venv/bin/python tests/benchmarks/bench_shared_state.py [--n 300] [--repeat 3]

It starts an embedded PostgreSQL in a temporary directory (stopped at the end).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kubechat_lab.audit import AuditStore, EmbeddedPostgres  # noqa: E402
from kubechat_lab.audit.events import Actor  # noqa: E402
from kubechat_lab.pipeline import (  # noqa: E402
    Lifecycle,
    MemoryProposalStore,
    PgProposalStore,
    Pipeline,
)
from kubechat_lab.policy import default_policy  # noqa: E402
from tests.pipeline.test_steps import Recording  # noqa: E402

ACTOR = Actor(user="alice", via="browser")


def decide_latencies(app_dsn: str, kind: str, n: int) -> list[float]:
    with AuditStore(app_dsn) as audit, AuditStore(app_dsn) as reader:
        store: Any = (MemoryProposalStore(ttl=600) if kind == "memory"
                      else PgProposalStore(audit, ttl=600, reader=reader))
        pipeline = Pipeline(policy=default_policy(), clients=Recording([]),
                            sink=lambda event: audit.append(event.to_dict()).seq)
        life = Lifecycle(pipeline, store)
        target = pipeline.resolve(None, user="alice", identity=(None, ()))
        plan = pipeline.plan("label configmap c a=b", target)
        out = []
        for _ in range(n):
            pid = life.propose(ACTOR, plan, user="alice", source="propose", preview=False).id
            start = time.perf_counter()
            life.decide(ACTOR, pid, approve=True, approver="alice", via="browser")
            out.append(time.perf_counter() - start)
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=300, help="decisions per run")
    parser.add_argument("--repeat", type=int, default=3, help="rounds (interleaved)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="kubechat-bench-pg-")
    server = EmbeddedPostgres(Path(tmp) / "pg").start()
    try:
        with AuditStore(server.dsn) as owner:
            owner.migrate(app_password=server.app_password)
        times: dict[str, list[float]] = {"memory": [], "postgres": []}
        for _ in range(args.repeat):
            for kind in times:
                times[kind] += decide_latencies(server.app_dsn, kind, args.n)
        for kind, values in times.items():
            values.sort()
            p95 = values[int(len(values) * 0.95)]
            print(f"{kind:8} decide: median {statistics.median(values) * 1000:.2f} ms, "
                  f"p95 {p95 * 1000:.2f} ms ({len(values)} decisions)")
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
