"""``GET kubechat/api/dashboard`` on a real server and the sandbox: the policy is the gate.

A read the operator's policy does not judge safe is not run by the dashboard (its tiles say
why, the others stand), and the one audit event of the refresh lists only what ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

POLICY = """\
version: 1
rules:
  - id: events-need-a-person
    level: warning
    reason: "events are read only with a person's approval here."
    match: {verbs: [get], resources: [events]}
"""


@pytest.fixture
def kubechat_settings(sandbox: Any, audit_db: Any, api_key_file: Path,
                      tmp_path: Path) -> dict[str, Any]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    return {"audit_dsn": audit_db.app_dsn, "audit_dsn_env": "",
            "kubeconfig": str(sandbox.kubeconfig), "openai_api_key_file": str(api_key_file),
            "request_timeout": 20.0, "policy_file": str(policy),
            "dashboard_refresh_seconds": 3.0}


async def test_a_read_the_policy_does_not_judge_safe_is_not_run(api: Api) -> None:
    code, snap = await api.call("GET", "dashboard")
    assert code == 200, snap
    assert snap["refresh_seconds"] == 3.0
    assert not any(" events " in f"{c} " for c in snap["commands"]), snap["commands"]
    tiles = {t["id"]: t for t in snap["tiles"]}
    assert "not run: the policy judged it warning" in tiles["warnings"]["error"]
    assert "events are read only with a person's approval" in tiles["warnings"]["error"]
    assert not tiles["warnings"]["rows"]
    assert tiles["phases"]["rows"] and tiles["phases"]["error"] is None
    assert any(r[0] == "shop" for r in tiles["pending"]["rows"])  # pods still read
    code, page = await api.call("GET", "audit", params={"type": "dashboard_read"})
    assert code == 200
    events = [r["event"] for r in page["records"]]
    assert len(events) == 1 and events[0]["commands"] == snap["commands"]
    assert events[0]["context"] == snap["context"]


async def test_an_unknown_context_is_refused(api: Api) -> None:
    code, reply = await api.call("GET", "dashboard", params={"context": "nowhere"})
    assert code in (400, 403, 404), (code, reply)
    assert "nowhere" in reply["message"]
    code, page = await api.call("GET", "audit", params={"type": "dashboard_read"})
    assert page["records"] == []  # nothing read, nothing recorded


async def test_the_live_dashboard_watches_only_what_the_policy_judges_safe(
    api: Api, jp_http_port: int, jp_base_url: str
) -> None:
    from tests.server.test_dashboard_watch import audit_of, dashboard_watch

    async with dashboard_watch(api, jp_http_port, jp_base_url) as stream:
        start = await stream.next()
        first = await stream.next()
    assert start["type"] == "start" and first["type"] == "dashboard", (start, first)
    assert not any(" events " in f"{c} " for c in start["commands"]), start["commands"]
    assert not any(" events " in f"{c} " for c in start["watched"]), start["watched"]
    assert any(" get pods -A" in c for c in start["watched"])
    tiles = {t["id"]: t for t in first["dashboard"]["tiles"]}
    assert "not run: the policy judged it warning" in tiles["warnings"]["error"]
    started = await audit_of(api, "watch_started", start["watch"])
    assert len(started) == 1 and started[0]["commands"] == start["commands"]
