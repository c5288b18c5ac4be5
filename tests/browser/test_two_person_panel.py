"""Two-person approval in a real JupyterLab page in Chromium: the proposer's card says who must
approve, and the approval page refuses the proposer's own approval (nothing runs).

The operator's policy sends dangerous commands in this module's scratch namespace to
``sre-leads`` (docs/policy.md, "Two-person approval"); the server's owner is in no group. The
second person's approval is tested on a server with two people in
tests/server/test_two_person.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.plugins.browser import LabPage
from tests.plugins.sandbox import SandboxInfo, kjson, kubectl, scratch_namespace

pytestmark = [pytest.mark.sandbox, pytest.mark.postgres]

PANEL_TAB = "[data-id='kubechat-lab-panel']"
INPUT = ".jp-kubechat-input"


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-two-panel") as name:
        yield name


@pytest.fixture(scope="module")
def lab_kubechat_settings(sandbox: SandboxInfo, lab_database: str, scratch: str,
                          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    context = yaml.safe_load(Path(sandbox.kubeconfig).read_text())["current-context"]
    policy = tmp_path_factory.mktemp("policy") / "policy.yaml"
    policy.write_text(yaml.safe_dump({"version": 1, "two_person": [
        {"levels": ["dangerous"], "contexts": [context], "namespaces": [scratch],
         "approvers": "sre-leads"}]}))
    return {"kubeconfig": str(sandbox.kubeconfig), "audit_dsn": lab_database,
            "request_timeout": 30.0, "policy_file": str(policy)}


def test_the_proposer_is_told_and_refused(lab_page: LabPage, sandbox: SandboxInfo,
                                          scratch: str) -> None:
    lab, page = lab_page, lab_page.page
    deploy = f"web-{os.urandom(2).hex()}"
    kubectl(sandbox, "create", "deployment", deploy, "--image=nginx:1.27", "-n", scratch)
    panel = page.locator("#kubechat-lab-panel")
    if not panel.is_visible():
        page.click(PANEL_TAB)
    panel.wait_for(state="visible")
    page.fill(INPUT, f"delete deployment {deploy} in namespace {scratch}")
    page.press(INPUT, "Enter")
    card = page.locator(".jp-kubechat-turn").last.locator(".jp-kubechat-card")
    card.wait_for()
    assert card.locator(".jp-kubechat-badge").inner_text() == "DANGEROUS"
    note = card.locator("[data-testid=kc-two-person]")
    assert note.inner_text() == "needs approval by a member of sre-leads other than you"
    lab.shot("two-person card")

    with page.context.expect_page() as opened:
        card.locator(".jp-kubechat-approval-page").click()
    person = opened.value
    person.wait_for_selector("[data-testid=command]")
    assert "needs approval by a member of sre-leads" in person.inner_text(
        "[data-testid=two-person]")
    person.fill("[data-testid=confirm]", deploy)
    person.click("[data-testid=approve]")
    refusal = person.inner_text("[data-testid=error]")
    assert "you cannot approve your own proposal" in refusal, refusal
    person.screenshot(path=str(lab.artifacts / "approval-page-refuses-the-proposer.png"))
    assert person.inner_text("[data-testid=state]") == "proposed"
    assert kjson(sandbox, "get", "deployment", deploy, "-n", scratch)["metadata"]["name"] == deploy
