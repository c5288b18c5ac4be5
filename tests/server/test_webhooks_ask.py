"""Event webhooks (a real local HTTP receiver, with a failing first attempt) and ``ask``."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Api

pytestmark = pytest.mark.postgres


class Receiver:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.attempts = 0
        self.lock = threading.Lock()


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.attempts += 1
                fail = state.attempts == 1  # the first delivery fails: it must be retried
                if not fail:
                    state.events.append(json.loads(body))
            self.send_response(503 if fail else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    server.shutdown()
    server.server_close()


@pytest.fixture
def kubechat_settings(
    audit_db: Any, api_key_file: Path, tmp_path: Path, receiver: tuple[str, Receiver]
) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(tmp_path / "missing.kubeconfig"),
        "openai_api_key_file": str(api_key_file),
        "event_webhooks": [receiver[0]],
    }


async def test_every_audit_event_is_posted_with_retries(
    api: Api, receiver: tuple[str, Receiver]
) -> None:
    _, state = receiver
    code, proposal = await api.call("POST", "propose", {"command": "kubectl get pods -n shop"})
    assert code == 201
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with state.lock:
            got = {e["seq"] for e in state.events}
        if set(proposal["audit_seqs"]) <= got:
            break
        time.sleep(0.1)  # waiting for delivery, not asserting a duration
    with state.lock:
        events = list(state.events)
        attempts = state.attempts
    assert {e["seq"] for e in events} == set(proposal["audit_seqs"])
    assert attempts == len(events) + 1  # one failed attempt, retried
    assert events[0]["event"]["type"] == "proposed"
    assert len(events[0]["entry_hash"]) == 64


async def test_ask_translates_assesses_and_audits(api: Api) -> None:
    code, out = await api.call("POST", "ask", {"question": "show me the pods in shop"})
    assert code == 200, out
    proposal = out["proposal"]
    assert proposal is not None, out
    assert proposal["command"].startswith("kubectl get pods")
    assert proposal["source"] == "ask" and proposal["provider"] == "rules"
    assert proposal["level"] == "safe"
    code, page = await api.call("GET", "audit")
    types = [r["event"]["type"] for r in page["records"]]
    assert types[:3] == ["ask", "proposed", "approved"]
    assert page["records"][0]["event"]["question"] == "show me the pods in shop"
