"""Writer processes for the concurrency and fault tests (importable by spawned children)."""

from __future__ import annotations

import os
import threading

from kubechat_lab.audit import AuditError, AuditStore


def append_many(
    dsn: str, process: int, threads: int, per_thread: int
) -> list[tuple[int, str, str]]:
    """Append from ``threads`` threads; return ``(seq, entry_hash hex, event id)`` acked."""
    acked: list[tuple[int, str, str]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(thread: int) -> None:
        try:
            with AuditStore(dsn) as store:
                for i in range(per_thread):
                    event_id = f"p{process}-t{thread}-{i}"
                    record = store.append({"type": "execute", "id": event_id, "user": "load"})
                    with lock:
                        acked.append((record.seq, record.entry_hash.hex(), event_id))
        except BaseException as exc:  # reported to the parent below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    if errors:
        raise RuntimeError(f"writer process {process} failed: {errors[0]!r}")
    return acked


def append_until_killed(dsn: str, ack_path: str, threads: int) -> None:
    """Append forever from ``threads`` threads, writing each acknowledged record to a file."""
    fd = os.open(ack_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def run(thread: int) -> None:
        with AuditStore(dsn) as store:
            i = 0
            while True:
                try:
                    record = store.append({"type": "execute", "id": f"t{thread}-{i}"})
                except AuditError:
                    return
                # One write() per line with O_APPEND: lines never interleave.
                os.write(fd, f"{record.seq} {record.entry_hash.hex()}\n".encode())
                i += 1

    workers = [threading.Thread(target=run, args=(t,), daemon=True) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
