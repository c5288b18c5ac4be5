"""Writes judged by what they leave behind, proposed through a real Jupyter server.

The same verdicts as ``kubechat classify`` (tests/policy/test_write_forms.py): a JSON patch
path that is not RFC 6901 is refused and can be neither approved nor run; conflicting label
changes are refused before anything is judged; a whole-value write without the enforce label
and a ``replace --force`` of a protected namespace are refused; a dry run of a dangerous write
is safe and asks for no confirmation; any order of label changes gets one verdict.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from tests.server.conftest import Api

pytestmark = pytest.mark.postgres

ENFORCE = "pod-security.kubernetes.io/enforce"


async def _propose(api: Api, command: str, manifest: str | None = None) -> dict[str, Any]:
    body = {"command": command} if manifest is None else {"command": command,
                                                          "manifest": manifest}
    code, proposal = await api.call("POST", "propose", body)
    assert code == 201, (command, proposal)
    assert isinstance(proposal, dict)
    return proposal


async def _refused_for_good(api: Api, proposal: dict[str, Any], rule: str) -> None:
    assert proposal["level"] == "forbidden" and proposal["state"] == "refused", proposal
    assert rule in proposal["rule_ids"], proposal["rule_ids"]
    code, body = await api.call("POST", f"proposals/{proposal['id']}/approve",
                                {"confirm": "shop"}, signed_in=True)
    assert code == 403, body
    code, body = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code in (403, 409), body


async def test_pointers_the_server_reads_otherwise_are_refused(api: Api) -> None:
    for path in ("x/metadata/labels/pod-security.kubernetes.io~1enforce",
                 "metadata/labels/pod-security.kubernetes.io~1enforce",
                 "/metadata/labels/pod-security.kubernetes.io~2enforce"):
        patch = json.dumps([{"op": "add", "path": path, "value": "privileged"}])
        proposal = await _propose(api, f"kubectl patch ns shop --type=json -p '{patch}'")
        await _refused_for_good(api, proposal, "unreadable-write")
        assert "RFC 6901" in " ".join(proposal["reasons"])
    patch = json.dumps([{"op": "replace", "path": "/spec/template/spec/containers/-1/image",
                         "value": "nginx"}])
    proposal = await _propose(api, f"kubectl patch deploy web -n shop --type=json -p '{patch}'")
    await _refused_for_good(api, proposal, "unreadable-write")


async def test_conflicting_label_changes_are_refused_before_judging(api: Api) -> None:
    for command in (f"kubectl label ns shop {ENFORCE}=privileged {ENFORCE}-",
                    f"kubectl label ns shop {ENFORCE}- {ENFORCE}=restricted",
                    "kubectl annotate deploy web -n shop note=a note=b"):
        code, body = await api.call("POST", "propose", {"command": command})
        assert code == 400, body
        assert "conflicting changes" in body["message"], body


async def test_whole_value_writes_and_forced_replaces_are_judged_by_their_effect(
        api: Api) -> None:
    patch = json.dumps([{"op": "replace", "path": "/metadata/labels", "value": {}}])
    proposal = await _propose(api, f"kubectl patch ns shop --type=json -p '{patch}'")
    await _refused_for_good(api, proposal, "security-weakening")
    namespace = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                            "metadata": {"name": "shop", "labels": {"team": "shop"}}})
    proposal = await _propose(api, "kubectl apply -f -", namespace)
    await _refused_for_good(api, proposal, "security-weakening")
    lease = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": "kube-node-lease"}})
    proposal = await _propose(api, "kubectl replace --force -f -", lease)
    await _refused_for_good(api, proposal, "delete-protected-namespace")
    proposal = await _propose(api, "kubectl delete pods -l app=web -A")
    await _refused_for_good(api, proposal, "delete-all-namespaces")
    kept = json.dumps({"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": "shop", "labels": {ENFORCE: "restricted"}}})
    proposal = await _propose(api, "kubectl replace --force -f -", kept)
    assert proposal["level"] == "dangerous" and "delete" in proposal["rule_ids"]
    assert proposal["confirm"] == "namespace/shop"


async def test_a_dry_run_is_judged_as_the_write_it_previews(api: Api) -> None:
    proposal = await _propose(api, "kubectl delete ns shop --dry-run=server")
    assert proposal["level"] == "dangerous" and "delete" in proposal["rule_ids"]
    proposal = await _propose(api, "kubectl delete ns kube-system --dry-run=server")
    await _refused_for_good(api, proposal, "delete-protected-namespace")


async def test_label_changes_in_any_order_get_one_verdict(api: Api) -> None:
    changes = [f"{ENFORCE}=baseline", "team=shop", "pod-security.kubernetes.io/warn-"]
    seen = set()
    for order in itertools.permutations(changes):
        proposal = await _propose(api, f"kubectl label ns shop {' '.join(order)}")
        seen.add((proposal["level"], frozenset(proposal["rule_ids"])))
    assert seen == {("dangerous", frozenset({"pod-security-labels", "write"}))}
