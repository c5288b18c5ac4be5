"""Traffic and nodes, over their spellings: endpoints that claim a Service, control-plane taints."""

from __future__ import annotations

import json

import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kubechat_lab.policy import Level, classify

_NAME = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,5})?", fullmatch=True)
_ADDRESSES = st.lists(st.from_regex(r"10\.[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{1,2}", fullmatch=True),
                      min_size=1, max_size=3)


def _slice(name: str, service: str, namespace: str | None, addresses: list[str]
           ) -> dict[str, object]:
    meta: dict[str, object] = {"name": name, "labels": {"kubernetes.io/service-name": service}}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "metadata": meta,
            "addressType": "IPv4", "endpoints": [{"addresses": addresses}],
            "ports": [{"port": 443}]}


def _text(obj: dict[str, object], as_json: bool) -> str:
    return json.dumps(obj) if as_json else yaml.safe_dump(obj)


@settings(max_examples=100, deadline=None)
@given(_NAME, st.sampled_from([None, "default"]), _ADDRESSES, st.booleans(),
       st.sampled_from(["apply", "create", "replace"]))
def test_any_slice_claiming_the_api_server_is_forbidden(
        name: str, namespace: str | None, addresses: list[str], as_json: bool, verb: str) -> None:
    text = _text(_slice(name, "kubernetes", namespace, addresses), as_json)
    _, assessment = classify(f"kubectl {verb} -f -", manifest=text)
    assert assessment.level is Level.FORBIDDEN, assessment
    assert assessment.rule_ids[0] == "endpoints-apiserver"


@settings(max_examples=150, deadline=None)
@given(_NAME, _NAME, st.sampled_from(["shop", "payments", "data"]), _ADDRESSES, st.booleans())
def test_a_slice_is_a_claim_exactly_when_its_name_is_not_its_service(
        name: str, service: str, namespace: str, addresses: list[str], as_json: bool) -> None:
    text = _text(_slice(name, service, namespace, addresses), as_json)
    _, assessment = classify("kubectl apply -f -", manifest=text)
    own = name == service or name.startswith(f"{service}-")
    assert ("endpoints-claim" in assessment.rule_ids) is not own, (name, service, assessment)
    assert assessment.level is (Level.WARNING if own else Level.DANGEROUS)
    assert "endpoints-apiserver" not in assessment.rule_ids


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["node-role.kubernetes.io/control-plane",
                        "node-role.kubernetes.io/master"]),
       st.sampled_from(["", ":NoSchedule", ":PreferNoSchedule", ":NoExecute"]),
       st.sampled_from(["nodes cp-1", "node cp-1 cp-2", "no -l tier=control", "nodes --all"]))
def test_removing_the_control_plane_taint_is_dangerous(key: str, effect: str, target: str
                                                       ) -> None:
    _, assessment = classify(f"kubectl taint {target} {key}{effect}-")
    assert assessment.level >= Level.DANGEROUS
    assert "control-plane-untaint" in assessment.rule_ids, assessment


@settings(max_examples=60, deadline=None)
@given(st.from_regex(r"[a-z]{1,8}\.example\.com/[a-z]{1,8}", fullmatch=True),
       st.sampled_from(["", ":NoSchedule"]))
def test_removing_another_taint_is_not(key: str, effect: str) -> None:
    assume("node-role" not in key)
    _, assessment = classify(f"kubectl taint nodes kwok-worker-1 {key}{effect}-")
    assert "control-plane-untaint" not in assessment.rule_ids
    assert assessment.level is Level.WARNING, assessment
