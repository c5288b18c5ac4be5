"""What the traffic and node rules rely on, checked against the sandbox's API server.

A strategic-merge (or merge) patch of ``spec.taints`` replaces a node's whole list, so a patch
that does not list the control-plane taint removes it; and nothing in the API server stops an
EndpointSlice from claiming the ``kubernetes`` Service, so the policy must.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from kubechat_lab.policy import Level, classify
from tests.plugins.sandbox import kjson, kubectl

pytestmark = pytest.mark.sandbox


@pytest.mark.parametrize("patch_type", ["strategic", "merge"])
def test_a_taints_patch_replaces_the_whole_list(sandbox: Any, patch_type: str) -> None:
    name = f"kubechat-test-cp-{uuid.uuid4().hex[:8]}"
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
            "spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane",
                                 "effect": "NoSchedule"}]}}
    kubectl(sandbox, "create", "-f", "-", stdin=json.dumps(node))
    try:
        patch = json.dumps({"spec": {"taints": [{"key": "kubechat-test",
                                                 "effect": "NoSchedule"}]}})
        done = kubectl(sandbox, "patch", "node", name, f"--type={patch_type}", "-p", patch,
                       "--dry-run=server", "-o", "json")
    finally:
        kubectl(sandbox, "delete", "node", name, "--wait=false", check=False)
    after = json.loads(done.stdout)["spec"]["taints"]
    assert [t["key"] for t in after] == ["kubechat-test"], after  # the control plane's is gone
    line = f"kubectl patch node {name} --type={patch_type} -p '{patch}'"
    assert "control-plane-untaint" in classify(line)[1].rule_ids


def test_the_api_server_admits_a_slice_that_claims_the_kubernetes_service(sandbox: Any) -> None:
    assert kjson(sandbox, "get", "service", "kubernetes", "-n", "default")["spec"]["ports"]
    slice_ = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
              "metadata": {"name": "kubechat-test-claim", "namespace": "default",
                           "labels": {"kubernetes.io/service-name": "kubernetes"}},
              "addressType": "IPv4", "endpoints": [{"addresses": ["10.9.9.9"]}],
              "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}
    text = json.dumps(slice_)
    done = kubectl(sandbox, "create", "-f", "-", "--dry-run=server", "-o", "json", stdin=text)
    assert json.loads(done.stdout)["metadata"]["labels"] == slice_["metadata"]["labels"]
    _, assessment = classify("kubectl create -f -", manifest=text)
    assert assessment.level is Level.FORBIDDEN
    assert assessment.rule_ids[0] == "endpoints-apiserver"
