"""Decisions over REST: made once (an approve racing a reject), and reasons a client can act on."""

from __future__ import annotations

import asyncio

import pytest

from kubechat_lab.errors import ClusterError, ServiceError
from kubechat_lab.kernel._errors import error_from_reply
from tests.server.conftest import Api

pytestmark = pytest.mark.postgres

WARNING = "kubectl scale deployment web --replicas=3 -n shop"


async def _decisions(api: Api, pid: str) -> list[str]:
    code, page = await api.call("GET", "audit", params={"proposal": pid, "limit": "100"})
    assert code == 200, page
    return [r["event"]["type"] for r in page["records"]
            if r["event"]["type"] in ("approved", "rejected")]


async def test_an_approve_racing_a_reject_one_wins_the_other_gets_409(api: Api) -> None:
    for _ in range(6):
        code, proposal = await api.call("POST", "propose", {"command": WARNING})
        assert code == 201 and proposal["state"] == "proposed", proposal
        pid = proposal["id"]
        (a_code, approved), (r_code, rejected) = await asyncio.gather(
            api.call("POST", f"proposals/{pid}/approve", {}),
            api.call("POST", f"proposals/{pid}/reject", {"reason": "race"}))
        assert sorted([a_code, r_code]) == [200, 409], (approved, rejected)
        winner, loser = (approved, rejected) if a_code == 200 else (rejected, approved)
        assert loser["reason"] == "proposal-conflict", loser
        code, final = await api.call("GET", f"proposals/{pid}")
        assert code == 200 and final["state"] == winner["state"]
        assert await _decisions(api, pid) == [winner["state"]]
    code, report = await api.call("GET", "audit/verify")
    assert code == 200 and report["ok"], report


async def test_a_decided_proposal_is_not_decided_again(api: Api) -> None:
    code, proposal = await api.call("POST", "propose", {"command": WARNING})
    pid = proposal["id"]
    code, body = await api.call("POST", f"proposals/{pid}/approve", {})
    assert code == 200 and body["state"] == "approved", body
    code, body = await api.call("POST", f"proposals/{pid}/reject", {})
    assert code == 409 and body["reason"] == "proposal-conflict", body
    code, body = await api.call("POST", f"proposals/{pid}/approve", {})
    assert code == 409 and body["reason"] == "proposal-conflict", body
    assert await _decisions(api, pid) == ["approved"]


async def test_proposal_reasons_map_to_typed_errors_without_reading_messages(api: Api) -> None:
    code, body = await api.call("GET", "proposals/p_00000000000000000000")
    assert code == 404 and body["reason"] == "proposal-not-found", body
    missing = error_from_reply(code, body, url="u", proposal_id="p_00000000000000000000")
    assert type(missing) is ServiceError and missing.reason == "proposal-not-found"
    # the reason decides, whatever the message says
    reworded = error_from_reply(404, {"reason": "proposal-not-found",
                                      "message": "no such object in the cluster"}, url="u")
    assert not isinstance(reworded, ClusterError)
    cluster = error_from_reply(404, {"reason": "cluster-not-found",
                                     "message": "proposal p_1's configmap is gone"}, url="u")
    assert isinstance(cluster, ClusterError) and cluster.reason == "NotFound"
