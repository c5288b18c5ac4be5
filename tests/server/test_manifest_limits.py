"""Manifests cannot exhaust the server: alias bombs are refused, large manifests do not stall it.

A YAML alias bomb ("billion laughs") and manifests of about 1 MB are proposed over and over
while another client keeps reading; the bombs get a 400 that names the rule, the large
manifests are read, and the other client's reads keep answering. The bound on the reader's
latency is generous (a second, on a shared two-core machine): this is a robustness test, not a
benchmark.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from tests.command.test_yaml_loader import BOMB
from tests.server.conftest import Api

pytestmark = pytest.mark.postgres


def _large_manifest() -> str:
    data = {f"key-{i}": "v" * 40 for i in range(17_500)}
    text = json.dumps({"apiVersion": "v1", "kind": "ConfigMap",
                       "metadata": {"name": "large", "namespace": "shop"}, "data": data})
    assert 900_000 < len(text) <= 1_000_000
    return text


async def test_bombs_and_large_manifests_leave_other_clients_answered(
        api: Api, kubechat_app: Any) -> None:
    code, read = await api.call("POST", "propose", {"command": "kubectl get pods -n shop"})
    assert code == 201, read
    large = _large_manifest()
    latencies: list[float] = []
    stop = asyncio.Event()

    async def reader() -> None:
        while not stop.is_set():
            started = time.monotonic()
            code, got = await api.call("GET", f"proposals/{read['id']}")
            latencies.append(time.monotonic() - started)
            assert code == 200 and got["id"] == read["id"], got
            await asyncio.sleep(0.02)

    async def attacker() -> list[tuple[int, Any]]:
        answers = []
        until = time.monotonic() + 3.0
        round_ = 0
        while round_ < 6 or time.monotonic() < until:
            for command in ("kubectl apply -f -", "kubectl create -f -"):
                answers.append(await api.call("POST", "propose",
                                              {"command": command, "manifest": BOMB}))
            if round_ % 2 == 0:
                answers.append(await api.call("POST", "propose",
                                              {"command": "kubectl apply -f -",
                                               "manifest": large}))
            round_ += 1
        return answers

    reading = asyncio.create_task(reader())
    try:
        answers = await asyncio.gather(attacker(), attacker())
    finally:
        stop.set()
        await reading
    flat = [answer for group in answers for answer in group]
    bombs = [body for code, body in flat if code == 400]
    large_answers = [(code, body) for code, body in flat if code != 400]
    assert len(bombs) >= 24 and len(large_answers) >= 6, [
        (code, str(body)[:200]) for code, body in flat]
    assert all(body["reason"] == "yaml-alias" and "anchors and aliases" in body["message"]
               for body in bombs), bombs[0]
    assert all(code == 201 for code, _ in large_answers), large_answers[0]
    assert len(latencies) >= 20, latencies
    assert max(latencies) < 1.0, sorted(latencies)[-5:]
