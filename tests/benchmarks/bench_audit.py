"""Benchmark: audit appends/s and verify rows/s against a real PostgreSQL (fsync on).

A script, not a timed test. It prints:

- appends/s with 1 writer and with 16 writers (1 process x 16 threads, 4 processes x 4 threads),
  for the default durable group commit (append commits with ``synchronous_commit=off``, then a
  synchronous durability barrier) and for the obvious alternative measured in the same run:
  a plain synchronous commit while holding the head lock (``group_commit=False``);
- verify rows/s on an N-row chain for the set-based SQL verifier and the streaming Python
  verifier, and their ratio.

Each number is the median of ``--repeat`` runs, the two commit modes interleaved (the machine
this was written on is shared, so single runs swing by 30% or more).

    .venv/bin/python tests/benchmarks/bench_audit.py [--appends 4000] [--rows 200000]
        [--shapes 1x1,1x16,4x4] [--repeat 3] [--dsn SUPERUSER_DSN]

Without ``--dsn`` it starts an embedded PostgreSQL in a temporary directory (stopped at the
end). Every run uses a fresh database, dropped at the end.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from psycopg import sql  # noqa: E402
from psycopg.conninfo import make_conninfo  # noqa: E402

from kubechat_lab.audit import (  # noqa: E402
    APP_ROLE,
    AuditStore,
    EmbeddedPostgres,
    canonical_payload,
)


def _writer_process(
    dsn: str, threads: int, per_thread: int, group_commit: bool, start: float
) -> float:
    """Run ``threads`` writers; return the time the last one finished (monotonic)."""
    stores = [AuditStore(dsn, group_commit=group_commit).open() for _ in range(threads)]

    def run(store: AuditStore, t: int) -> None:
        for i in range(per_thread):
            store.append(
                {"type": "executed", "user": f"user{t}", "command": "kubectl get pods -n shop",
                 "level": "safe", "reasons": ["read-only"], "i": i}
            )  # fmt: skip

    while time.time() < start:  # all processes start together
        time.sleep(0.001)
    workers = [threading.Thread(target=run, args=(s, t)) for t, s in enumerate(stores)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for store in stores:
        store.close()
    return time.time()


def appends_per_second(
    dsn: str, processes: int, threads: int, total: int, group_commit: bool
) -> float:
    per_thread = max(1, total // (processes * threads))
    start = time.time() + 1.5  # after the children have imported and connected
    if processes == 1:
        end = _writer_process(dsn, threads, per_thread, group_commit, start)
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(processes) as pool:
            ends = pool.starmap(
                _writer_process,
                [(dsn, threads, per_thread, group_commit, start)] * processes,
            )
        end = max(ends)
    return per_thread * processes * threads / (end - start)


def build_chain(admin_dsn: str, rows: int) -> None:
    """Append ``rows`` events fast: 500 append-function calls per transaction.

    Not more: within one transaction every call leaves a dead version of the head row that
    cannot be pruned until commit, so each further call walks a longer version chain.
    """
    payloads = [
        canonical_payload({"type": "executed", "user": "bulk", "i": i, "command": "kubectl get po"})
        for i in range(rows)
    ]
    with psycopg.connect(admin_dsn) as conn:
        for offset in range(0, rows, 500):
            conn.execute(
                "SELECT count(*) FROM unnest(%s::bytea[]) AS p,"
                " LATERAL kubechat_audit.kubechat_audit_append(p)",
                [payloads[offset : offset + 500]],
            )
            conn.commit()


def verify_rate(app_dsn: str, method: str) -> tuple[float, int]:
    with AuditStore(app_dsn) as store:
        began = time.perf_counter()
        report = store.verify_sql() if method == "sql" else store.verify_stream()
        elapsed = time.perf_counter() - began
    if not report.ok:
        raise SystemExit(f"verify failed: {report}")
    return report.rows_checked / elapsed, report.rows_checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="superuser DSN of an existing server")
    parser.add_argument("--appends", type=int, default=4000, help="events per append run")
    parser.add_argument("--repeat", type=int, default=3, help="runs per number (median shown)")
    parser.add_argument("--rows", type=int, default=200_000, help="rows for the verify runs")
    parser.add_argument(
        "--shapes",
        default="1x1,1x16,4x4",
        help="writer shapes PROCESSESxTHREADS, comma-separated (1x16: one server process "
        "with 16 concurrent requests; 4x4: four processes sharing the chain)",
    )
    args = parser.parse_args()

    tmp: str | None = None
    server: EmbeddedPostgres | None = None
    if args.dsn:
        admin = args.dsn
    else:
        tmp = tempfile.mkdtemp(prefix="kubechat-bench-pg-")
        server = EmbeddedPostgres(Path(tmp) / "pg").start()
        admin = server.dsn_for("postgres")
    dbname = f"kc_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        settings = {
            name: conn.execute(sql.SQL("SHOW {}").format(sql.Identifier(name))).fetchone()[0]
            for name in ("server_version", "fsync", "synchronous_commit", "wal_sync_method")
        }
    password = server.app_password if server is not None else uuid.uuid4().hex
    owner_dsn = make_conninfo(admin, dbname=dbname)
    with AuditStore(owner_dsn) as store:
        store.migrate(app_password=password)
    app_dsn = (
        server.app_dsn_for(dbname)
        if server is not None
        else make_conninfo(admin, user=APP_ROLE, password=password, dbname=dbname)
    )
    shapes = [tuple(int(n) for n in shape.split("x")) for shape in args.shapes.split(",")]
    print(f"PostgreSQL {settings['server_version']}: fsync={settings['fsync']} "
          f"synchronous_commit={settings['synchronous_commit']} "
          f"wal_sync_method={settings['wal_sync_method']}")  # fmt: skip
    try:
        rates: dict[tuple[int, int, bool], list[float]] = {}
        for _ in range(args.repeat):  # interleaved, so load from other work hits both modes
            for processes, threads in shapes:
                total = args.appends if processes * threads > 1 else max(200, args.appends // 4)
                for group in (False, True):
                    rate = appends_per_second(app_dsn, processes, threads, total, group)
                    rates.setdefault((processes, threads, group), []).append(rate)
        for processes, threads in shapes:
            writers = processes * threads
            fast = statistics.median(rates[(processes, threads, True)])
            plain = statistics.median(rates[(processes, threads, False)])
            shape = f"{writers} writer{'s' if writers > 1 else ''} ({processes} process"
            shape += (
                f"{'es' if processes > 1 else ''} x {threads} thread{'s' if threads > 1 else ''})"
            )
            line = f"appends/s, {shape}: group commit {fast:,.0f}  |  sync commit under "
            line += f"the head lock {plain:,.0f}  |  ratio {fast / plain:.2f}x"
            print(line, flush=True)

        with AuditStore(app_dsn) as store:
            existing = store.head()[0]
        began = time.perf_counter()
        build_chain(owner_dsn, max(0, args.rows - existing))
        print(
            f"(built a {args.rows:,}-row chain in {time.perf_counter() - began:.1f} s)", flush=True
        )
        sql_rate = statistics.median(verify_rate(app_dsn, "sql")[0] for _ in range(args.repeat))
        stream_rate = statistics.median(
            verify_rate(app_dsn, "stream")[0] for _ in range(args.repeat)
        )
        rows = args.rows
        ratio = stream_rate / sql_rate
        print(f"verify rows/s over {rows:,} rows: SQL (set-based) {sql_rate:,.0f}  |  "
              f"Python stream {stream_rate:,.0f}  |  stream/SQL {ratio:.2f}x")  # fmt: skip
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )
        if server is not None:
            server.stop()
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
