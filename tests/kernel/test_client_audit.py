"""``KubechatClient.audit_records`` / ``audit_verify`` against a real server and database: the
raw records are enough to recompute the chain with the published formula, and the server's own
verification agrees."""

from __future__ import annotations

from typing import Any

import pytest

from kubechat_lab.audit import GENESIS_HASH, canonical_payload, entry_hash
from kubechat_lab.errors import CapabilityRejected
from kubechat_lab.kernel import KubechatClient
from tests.kernel.conftest import in_thread
from tests.server.conftest import Api

pytestmark = pytest.mark.postgres


async def test_raw_records_recompute_and_verify(api: Api, kubechat_app: Any) -> None:
    code, minted = await api.call("POST", "capabilities", {
        "scopes": ["propose", "audit:read"], "label": "audit reader"})
    assert code == 201
    client = KubechatClient(url=kubechat_app.public_url(), capability=minted["token"])
    try:
        for n in (1, 2):
            await in_thread(client.propose, f"kubectl get pods -n ns{n}")
        records = await in_thread(client.audit_records, after=0, limit=1000)
        assert [r["seq"] for r in records] == list(range(1, len(records) + 1))
        assert {"kubectl get pods -n ns1", "kubectl get pods -n ns2"} <= {
            r["event"].get("command") for r in records}
        prev = GENESIS_HASH
        for record in records:
            assert record["prev_hash"] == prev.hex()
            digest = entry_hash(record["seq"], prev, canonical_payload(record["event"]))
            assert digest.hex() == record["entry_hash"]
            prev = digest
        later = await in_thread(client.audit_records, after=records[-2]["seq"], limit=5)
        assert [r["seq"] for r in later] == [records[-1]["seq"]]
        report = await in_thread(client.audit_verify)
        assert report["ok"] is True and report["first_bad_seq"] is None
        assert report["head_seq"] == records[-1]["seq"] and report["head_hash"] == prev.hex()
    finally:
        client.close()
    code, minted = await api.call("POST", "capabilities", {"scopes": ["propose"]})
    assert code == 201
    with KubechatClient(url=kubechat_app.public_url(), capability=minted["token"]) as blind:
        with pytest.raises(CapabilityRejected, match="audit:read"):
            await in_thread(blind.audit_verify)
