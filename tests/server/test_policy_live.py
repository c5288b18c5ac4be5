"""Rules that compare a write with what runs now, through a real server on the sandbox.

The pipeline gives the policy a reader of live objects (as the user): an image from another
source than the running Deployment's is dangerous, a new tag of the same image a plain write;
replacing the taints of a node without a control-plane taint is a plain write, while the same
command judged without the cluster may remove one and is dangerous.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from kubechat_lab.policy import classify
from tests.plugins.sandbox import kjson, kubectl, scratch_namespace
from tests.server._cluster import cluster_settings  # noqa: F401 (kubechat_settings)
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


async def _level(api: Api, command: str) -> tuple[str, list[str]]:
    code, proposal = await api.call("POST", "propose", {"command": command})
    assert code == 201, proposal
    return proposal["level"], proposal["rule_ids"]


async def test_images_are_compared_with_the_running_workload(api: Api, sandbox: Any) -> None:
    with scratch_namespace(sandbox, "kc-images") as ns:
        kubectl(sandbox, "create", "deployment", "web", "--image=nginx:1.25", "-n", ns)
        level, rules = await _level(api, f"kubectl set image deployment/web nginx=nginx:1.27 "
                                         f"-n {ns}")
        assert level == "warning" and "image-source-change" not in rules, rules
        for image in ("evil/nginx:1.27", "quay.io/library/nginx:1.27"):
            level, rules = await _level(api, f"kubectl set image deployment/web nginx={image} "
                                             f"-n {ns}")
            assert level == "dangerous" and rules[0] == "image-source-change", rules
        # a Deployment that does not exist yet has nothing to compare with
        level, rules = await _level(api, f"kubectl set image deployment/gone nginx=evil/x -n "
                                         f"{ns}")
        assert "image-source-change" not in rules


async def test_node_taints_are_judged_by_the_live_node(api: Api, sandbox: Any) -> None:
    nodes = kjson(sandbox, "get", "nodes")["items"]
    plain = [n["metadata"]["name"] for n in nodes if not any(
        t.get("key", "").startswith("node-role.kubernetes.io/")
        for t in n.get("spec", {}).get("taints") or [])]
    assert plain, "the sandbox has worker nodes"
    command = f"kubectl patch node {plain[0]} --type=merge -p '{{\"spec\":{{\"taints\":[]}}}}'"
    level, rules = await _level(api, command)
    assert level == "warning" and "control-plane-untaint" not in rules, rules
    _, offline = classify(command)  # without the cluster the node may be a control-plane node
    assert "control-plane-untaint" in offline.rule_ids


async def test_roles_not_written_here_are_read_from_the_cluster(api: Api, sandbox: Any) -> None:
    suffix = uuid.uuid4().hex[:8]
    reader, lister = f"kubechat-test-secrets-{suffix}", f"kubechat-test-pods-{suffix}"
    kubectl(sandbox, "create", "clusterrole", reader, "--verb=get", "--resource=secrets")
    kubectl(sandbox, "create", "clusterrole", lister, "--verb=get,list", "--resource=pods")
    try:
        bind = "kubectl create clusterrolebinding everyone --clusterrole={} " \
               "--group=system:authenticated"
        level, rules = await _level(api, bind.format(reader))
        assert level == "forbidden" and rules[0] == "rbac-broad-grant", rules
        code, proposal = await api.call("POST", "propose", {"command": bind.format(reader)})
        assert "reads secrets" in proposal["reasons"][0], proposal["reasons"]
        level, rules = await _level(api, bind.format(lister))
        assert level == "dangerous" and "rbac-broad-grant" not in rules, rules
        # judged alone, the same binding is of a role of unknown power
        assert "rbac-broad-grant" in classify(bind.format(lister))[1].rule_ids
        label = "kubectl label clusterrole {} rbac.authorization.k8s.io/aggregate-to-view=true"
        level, rules = await _level(api, label.format(reader))
        assert level == "forbidden" and rules[0] == "rbac-broad-grant", rules
        level, rules = await _level(api, label.format(lister))
        assert level == "dangerous" and "rbac-broad-grant" not in rules, rules
    finally:
        kubectl(sandbox, "delete", "clusterrole", reader, lister, check=False)
