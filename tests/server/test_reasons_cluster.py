"""Reasons over REST on the real sandbox: a missing cluster object is not a missing proposal."""

from __future__ import annotations

import secrets

import pytest

from kubechat_lab.errors import ClusterError, ServiceError
from kubechat_lab.kernel._errors import error_from_reply
from tests.server._cluster import cluster_settings  # noqa: F401 (kubechat_settings)
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


async def test_a_missing_object_and_a_missing_proposal_have_their_own_reasons(api: Api) -> None:
    name = "kc-missing-" + secrets.token_hex(4)
    code, proposal = await api.call("POST", "propose",
                                    {"command": f"kubectl get configmap {name} -n shop"})
    assert code == 201 and proposal["state"] == "approved", proposal
    pid = proposal["id"]
    code, body = await api.call("POST", f"proposals/{pid}/execute")
    assert code == 404 and body["reason"] == "cluster-not-found", body
    error = error_from_reply(code, body, url="u", proposal_id=pid)
    assert isinstance(error, ClusterError) and error.reason == "NotFound"
    # the proposal ran (and failed): running it again is a conflict of the proposal's state
    code, body = await api.call("POST", f"proposals/{pid}/execute")
    assert code == 409 and body["reason"] == "proposal-conflict", body
    conflict = error_from_reply(code, body, url="u", proposal_id=pid)
    assert type(conflict) is ServiceError and conflict.reason == "proposal-conflict"
    code, body = await api.call("GET", f"proposals/{pid}")
    assert code == 200 and body["state"] == "failed"
    code, body = await api.call("POST", "proposals/p_" + "f" * 20 + "/execute")
    assert code == 404 and body["reason"] == "proposal-not-found", body
    missing = error_from_reply(code, body, url="u")
    assert not isinstance(missing, ClusterError) and missing.reason == "proposal-not-found"
