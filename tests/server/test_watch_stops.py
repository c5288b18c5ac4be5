"""A stop asked through one process reaches the watch another runs (PostgreSQL NOTIFY)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from kubechat_lab.server._pg_watch_stops import PgWatchStops
from tests.plugins.postgres import AuditDb

pytestmark = pytest.mark.postgres


def test_a_stop_published_by_one_process_is_heard_by_the_others(audit_db: AuditDb) -> None:
    heard: dict[str, list[str]] = {"one": [], "two": []}
    arrived = threading.Event()
    one, two, sender = (PgWatchStops(audit_db.app_dsn, connect_timeout=3) for _ in range(3))
    try:
        def hear(name: str) -> Callable[[str], None]:
            def on_stop(proposal_id: str) -> None:
                heard[name].append(proposal_id)
                if heard["one"] and heard["two"]:
                    arrived.set()
            return on_stop

        assert one.listen(hear("one")) and two.listen(hear("two"))
        assert one.listen(hear("one"))  # listening once is enough: no second listener
        sender.publish("p_0123456789abcdef0123")
        assert arrived.wait(10), heard
        assert heard == {"one": ["p_0123456789abcdef0123"], "two": ["p_0123456789abcdef0123"]}
    finally:
        for stops in (one, two, sender):
            stops.close()
