"""The pipeline's pure steps: defaults made explicit, limits, the approval gate (no cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubechat_lab.command import DEFAULT_RESOURCES, CommandError, parse
from kubechat_lab.pipeline import (
    Authority,
    Limits,
    Refusal,
    Target,
    blocking_seconds,
    check_approval,
    make_plan,
    uses_namespace,
)
from kubechat_lab.pipeline._explicit import explicit_namespace, explicit_timeout
from kubechat_lab.policy import Level, default_policy

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "kubectl-examples.jsonl"


def _examples() -> list[str]:
    return [json.loads(line)["command"] for line in EXAMPLES.read_text().splitlines()]


def target(namespace: str = "kube-system", context: str | None = "ctx") -> Target:
    return Target(context=context, cluster="https://127.0.0.1:1", namespace=namespace,
                  user="alice")


def plan(text: str, manifest: str | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return make_plan(text, target(), policy=default_policy(), limits=Limits(**kw),  # type: ignore[arg-type]
                     manifest=manifest)


@pytest.mark.parametrize(("text", "shown"), [
    ("get pods", "kubectl get pods -n kube-system"),
    ("get pods -A", "kubectl get pods -A"),
    ("get pods -n shop", "kubectl get pods -n shop"),
    ("get nodes", "kubectl get nodes"),
    ("get namespaces", "kubectl get namespaces"),
    ("get pods,nodes", "kubectl get pods,nodes -n kube-system"),
    ("get all", "kubectl get all -n kube-system"),
    ("logs web-1", "kubectl logs web-1 -n kube-system"),
    ("events", "kubectl events -n kube-system"),
    ("top pods", "kubectl top pods -n kube-system"),
    ("top nodes", "kubectl top nodes"),
    ("create configmap c --from-literal=a=b", "kubectl create configmap c -n kube-system "
                                              "--from-literal=a=b"),
    ("create clusterrole r --verb=get --resource=pods",
     "kubectl create clusterrole r --resource=pods --verb=get"),
    ("create namespace x", "kubectl create namespace x"),
    ("cordon kwok-worker-1", "kubectl cordon kwok-worker-1"),
    ("auth can-i delete pods", "kubectl auth can-i delete pods -n kube-system"),
    ("explain pods", "kubectl explain pods"),
    ("version", "kubectl version"),
    ("api-resources", "kubectl api-resources"),
    ("wait --for=delete pod/x", "kubectl wait pods/x -n kube-system --for=delete --timeout=30s"),
    ("rollout status deploy/x", "kubectl rollout status deployments/x -n kube-system "
                                "--timeout=60s"),
    ("drain kwok-worker-1", "kubectl drain kwok-worker-1 --timeout=60s"),
])
def test_defaults_are_made_explicit(text: str, shown: str) -> None:
    assert plan(text).text == shown


MANIFEST_NO_NS = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}'
MANIFEST_NS = ('{"apiVersion": "v1", "kind": "ConfigMap", '
               '"metadata": {"name": "a", "namespace": "shop"}}')
MANIFEST_NODE = '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "n"}}'


def test_manifests_get_a_namespace_only_where_an_object_lacks_one() -> None:
    assert plan("apply -f -", MANIFEST_NO_NS).namespace == "kube-system"
    assert plan("apply -f -", MANIFEST_NS).namespace is None
    assert plan("apply -f -", MANIFEST_NODE).namespace is None
    # judged where it will land: a write in kube-system is dangerous
    assert plan("apply -f -", MANIFEST_NO_NS).level is Level.DANGEROUS


@pytest.mark.parametrize("text", _examples())
def test_explicit_commands_parse_back_to_themselves(text: str) -> None:
    try:
        command = parse(text)
    except CommandError:
        return
    shown = explicit_timeout(explicit_namespace(command, "kube-system", DEFAULT_RESOURCES),
                             DEFAULT_RESOURCES)
    assert parse(shown.render(), manifest=shown.manifest) == shown
    again = explicit_timeout(explicit_namespace(shown, "kube-system", DEFAULT_RESOURCES),
                             DEFAULT_RESOURCES)
    assert again == shown  # idempotent: nothing more to make explicit
    assert not uses_namespace(shown, DEFAULT_RESOURCES)


def test_the_protected_context_namespace_is_judged() -> None:
    done = plan("set image deployment/coredns coredns=registry.k8s.io/coredns:v1.11")
    assert done.text.endswith("-n kube-system")
    assert done.level is Level.DANGEROUS
    assert done.confirm == "coredns"
    assert done.display.startswith("kubectl --context=ctx set image")
    assert any("kube-system" in a for a in done.assumptions)


def test_blocking_verbs_are_bounded_with_the_limit_named() -> None:
    assert blocking_seconds(parse("wait --for=delete pod/x --timeout=2m")) == 120
    assert blocking_seconds(parse("get pods")) is None
    refused = plan("wait --for=delete pod/x --timeout=1h", max_block_seconds=300)
    assert refused.level is Level.FORBIDDEN
    assert refused.rule_ids[0] == "server:blocking-limit"
    assert "300 s" in refused.reasons[0] and "3600 s" in refused.reasons[0]
    allowed = plan("wait --for=delete pod/x --timeout=5m", max_block_seconds=300)
    assert allowed.level is Level.SAFE and allowed.blocking == 300
    assert plan("drain kwok-worker-1", max_block_seconds=30).level is Level.FORBIDDEN


@pytest.mark.parametrize(("level", "authority", "confirm", "why"), [
    ("safe", Authority.NONE, None, None),
    ("warning", Authority.NONE, None, Refusal.NEEDS_AUTHORITY),
    ("warning", Authority.WARNING, None, None),
    ("dangerous", Authority.WARNING, "web-1", Refusal.NEEDS_AUTHORITY),
    ("dangerous", Authority.PERSON, None, Refusal.NEEDS_CONFIRM),
    ("dangerous", Authority.PERSON, "web-2", Refusal.NEEDS_CONFIRM),
    ("dangerous", Authority.PERSON, " web-1 ", None),
    ("forbidden", Authority.PERSON, "web-1", Refusal.FORBIDDEN),
])
def test_the_approval_gate(level: str, authority: Authority, confirm: str | None,
                           why: Refusal | None) -> None:
    denial = check_approval(level, "web-1", authority=authority, confirm=confirm)
    assert (denial.why if denial else None) is why


def test_an_unknown_context_still_states_a_namespace() -> None:
    done = make_plan("get pods", target("default", None), policy=default_policy(),
                     limits=Limits())
    assert done.text == "kubectl get pods -n default" and done.display == done.text
