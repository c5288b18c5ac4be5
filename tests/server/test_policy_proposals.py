"""The safety review's hostile commands proposed through a real Jupyter server.

Every command of tests/policy/data/effects.jsonl (with its manifest, for ``-f -``) is
proposed as the browser would: the proposal carries the policy's level and rule ids, a
forbidden one is refused and can be neither approved nor run, and a dangerous one asks for
text that names what it hits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.command import DEFAULT_RESOURCES, parse
from kubechat_lab.pipeline._explicit import explicit_namespace, explicit_timeout
from kubechat_lab.policy import confirmation_text
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = pytest.mark.postgres

_DATA = Path(__file__).resolve().parents[1] / "policy" / "data" / "effects.jsonl"
CASES = [json.loads(line) for line in _DATA.read_text().splitlines() if line.strip()]


def shown(command: str, manifest: str | None = None) -> str:
    """The command as the pipeline shows it on a context whose namespace is ``default``."""
    explicit = explicit_namespace(parse(command, manifest=manifest), "default",
                                  DEFAULT_RESOURCES)
    return explicit_timeout(explicit, DEFAULT_RESOURCES).render()


async def _propose(api: Api, command: str, manifest: str | None = None) -> dict[str, Any]:
    body = {"command": command} if manifest is None else {"command": command,
                                                          "manifest": manifest}
    code, proposal = await api.call("POST", "propose", body)
    assert code == 201, (command, proposal)
    assert isinstance(proposal, dict)
    return proposal


async def test_every_class_keeps_its_level_through_the_server(api: Api) -> None:
    assert len({c["class"] for c in CASES}) >= 7 and len(CASES) >= 200
    assert sum("manifest" in c for c in CASES) >= 30
    for case in CASES:
        proposal = await _propose(api, case["command"], case.get("manifest"))
        assert proposal["level"] == case["level"], (case["command"], proposal["reasons"])
        assert set(case["rules"]) <= set(proposal["rule_ids"]), (case, proposal["rule_ids"])
        # the canonical command the proposal shows is judged the same way; it states every
        # default (-n, a blocking verb's --timeout), here the namespace "default"
        assert proposal["command"] == shown(case["command"], case.get("manifest"))
        assert proposal["parsed"]["manifest"] == case.get("manifest")
        if case["level"] == "forbidden":
            assert proposal["state"] == "refused" and proposal["confirm"] is None
        elif case["level"] == "dangerous":
            assert proposal["confirm"] == confirmation_text(
                parse(proposal["command"], manifest=case.get("manifest")))


async def test_forbidden_proposals_can_be_neither_approved_nor_run(api: Api) -> None:
    for command in (
        "kubectl create clusterrolebinding pwn --clusterrole=cluster-admin "
        "--group=system:authenticated",
        "kubectl delete namespace kube-system",
        "kubectl label ns shop pod-security.kubernetes.io/enforce=privileged",
        "kubectl get secrets -n payments --sort-by=.data.password",
        "kubectl patch deploy web -n shop -p "
        "'{\"spec\":{\"template\":{\"spec\":{\"hostNetwork\":true}}}}'",
    ):
        proposal = await _propose(api, command)
        assert proposal["level"] == "forbidden" and proposal["state"] == "refused"
        code, body = await api.call("POST", f"proposals/{proposal['id']}/approve",
                                    {"confirm": "anything"})
        assert code == 403, body
        assert body["reason"] == proposal["rule_ids"][0], body
        code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
        assert code in (403, 409), body
    code, page = await api.call("GET", "audit", params={"type": "proposed"})
    assert code == 200
    refused = [r["event"] for r in page["records"] if r["event"].get("level") == "forbidden"]
    assert {r["rule_ids"][0] for r in refused} >= {
        "rbac-broad-grant", "delete-protected-namespace", "security-weakening",
        "secret-probe", "pod-host-namespaces"}


async def test_dangerous_approvals_type_what_will_be_hit(api: Api,
                                                        approval: ApprovalBrowser) -> None:
    for command, confirm in (
        ("kubectl delete pods --all -n shop", "all pods in shop"),
        ("kubectl delete pods -l app=checkout -n shop", "pods matching app=checkout in shop"),
        ("kubectl create clusterrolebinding ops --clusterrole=admin --group=ops",
         "clusterrolebinding/ops grants admin to group ops"),
        ("kubectl set env deploy/web --from=secret/db -n shop", "web"),
    ):
        proposal = await _propose(api, command)
        assert proposal["level"] == "dangerous" and proposal["confirm"] == confirm
        pid = proposal["id"]
        wrong = await approval.decide(pid, confirm="shop")
        assert wrong.status_code == 400 and "invalid-confirm" in wrong.text, wrong.text
        # dangerous: on the approval page, with the text that names the targets (no cluster
        # here, so running it afterwards fails)
        await approval.decide(pid, confirm=confirm)
        code, body = await api.call("GET", f"proposals/{pid}")
        assert body["approver"] and body["decided_via"] == "approval-page", body
