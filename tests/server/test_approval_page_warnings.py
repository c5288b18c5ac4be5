"""``approve_on_page_levels``: warnings move to the approval page too, and 'dangerous' stays."""

from __future__ import annotations

from typing import Any

import pytest
from traitlets import TraitError

from kubechat_lab.server.app import KubechatApp
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = pytest.mark.postgres

WARNING = "kubectl scale deployment web --replicas=3 -n shop"


@pytest.fixture
def kubechat_settings(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {**kubechat_settings, "approve_on_page_levels": ["warning", "dangerous"]}


async def test_warnings_are_approved_only_on_the_approval_page(
        api: Api, approval: ApprovalBrowser, jp_base_url: str) -> None:
    code, proposal = await api.call("POST", "propose", {"command": WARNING})
    assert code == 201 and proposal["level"] == "warning", proposal
    pid = proposal["id"]
    assert proposal["approval_page"] == f"{jp_base_url}kubechat/api/proposals/{pid}/approval-page"
    for signed_in in (False, True):
        code, body = await api.call("POST", f"proposals/{pid}/approve", {}, signed_in=signed_in)
        assert code == 403 and body["reason"] == "approve-on-approval-page", body
    page = await approval.sign_in(pid)
    assert "data-testid=confirm" not in page.text  # no name to type for a warning
    await approval.decide(pid)  # approved; no cluster here, so running it then fails
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["decided_via"] == "approval-page", body


async def test_an_approve_warning_capability_cannot_approve_them_either(api: Api) -> None:
    code, minted = await api.call("POST", "capabilities",
                                  {"scopes": ["propose", "approve:warning"]})
    assert code == 201, minted
    cap = minted["token"]
    code, proposal = await api.call("POST", "propose", {"command": WARNING}, capability=cap)
    assert code == 201 and proposal["level"] == "warning", proposal
    code, body = await api.call("POST", f"proposals/{proposal['id']}/approve", {},
                                capability=cap)
    assert code == 403 and body["reason"] == "approve-on-approval-page", body


async def test_the_page_may_not_give_dangerous_approvals_back() -> None:
    for levels in ([], ["warning"], ["dangerous", "safe"]):
        with pytest.raises(TraitError, match="approve_on_page_levels"):
            KubechatApp(approve_on_page_levels=levels)
    assert KubechatApp(approve_on_page_levels=["dangerous"]).approve_on_page_levels == [
        "dangerous"]
