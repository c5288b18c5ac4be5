"""SRE idioms against the real sandbox: grounded on its inventory, accepted by its API server.

Each family is asked in several wordings (not the evaluation sets'); the translation must be
the one command the idiom means, with the namespace the cluster says, and the API server must
accept it as a server-side dry run (nothing changes).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubechat_lab.cluster import ClusterClient, ClusterConfig
from kubechat_lab.command import parse
from kubechat_lab.translate import RulesTranslator, TranslationContext, same_command
from tests.plugins.sandbox import SandboxInfo

pytestmark = pytest.mark.sandbox

FAMILIES: dict[str, tuple[tuple[str, ...], str]] = {
    "out of rotation": (("take kwok-worker-3 out of rotation", "pull kwok-worker-3 out of the pool",
                         "get kwok-worker-3 out of rotation please"),
                        "kubectl cordon kwok-worker-3"),
    "back into rotation": (("put kwok-worker-3 back into rotation",
                            "kwok-worker-3 can go back in the pool"),
                           "kubectl uncordon kwok-worker-3"),
    "bounce": (("bounce checkout", "give checkout a kick", "cycle checkout, it is wedged",
                "checkout needs fresh pods",
                "cycle checkout, theyre holding a stale dns entry for postgres"),
               "kubectl rollout restart deployment/checkout -n shop"),
    "freeze": (("freeze the frontend rollout", "pause frontend's rollout for a minute"),
               "kubectl rollout pause deployment/frontend -n shop"),
    "unfreeze": (("unfreeze the frontend rollout", "resume the frontend rollout"),
                 "kubectl rollout resume deployment/frontend -n shop"),
    "suspend a cronjob": (("suspend the nightly-report cronjob", "pause the nightly-report cron"),
                          "kubectl patch cronjob nightly-report -n ci -p "
                          "'{\"spec\":{\"suspend\":true}}'"),
    "one-off job": (("kick off a one-off run of nightly-report, call the job adhoc-7",
                     "trigger a manual run of the nightly-report cronjob, name it adhoc-7"),
                    "kubectl create job adhoc-7 --from=cronjob/nightly-report -n ci"),
    "scale to nothing": (("scale fraud-detector to nothing", "shut down fraud-detector"),
                         "kubectl scale deployment/fraud-detector -n payments --replicas=0"),
    "nuke failed pods": (("nuke the failed pods in shop", "get rid of failed pods in shop"),
                         "kubectl delete pods -n shop --field-selector=status.phase=Failed"),
    "tidy labels": (("stick team=web on the frontend deployment",
                     "tidy labels: add team=web to deployment frontend"),
                    "kubectl label deployment frontend team=web -n shop"),
    "bump a configmap key": (("set TIMEOUT_MS to 4000 in checkout-config",
                              "bump RETRIES_MAX to 4000 in configmap checkout-config"),
                             ""),
    "evacuate": (("evacuate kwok-worker-3", "drain kwok-worker-3 for maintenance"),
                 "kubectl drain kwok-worker-3 --ignore-daemonsets"),
    "env from a secret": (("let fraud-detector pick up api-credentials as env vars",
                           "load the api-credentials secret into fraud-detector as environment "
                           "variables", "small change: expose api-credentials to fraud-detector "
                           "as env vars"),
                          "kubectl set env deployment/fraud-detector -n payments "
                          "--from=secret/api-credentials"),
    "autoscale": (("slap an hpa on checkout, 2-6 pods, scale out at 70% cpu",
                   "autoscale checkout between 2 and 6 replicas at 70% cpu"),
                  "kubectl autoscale deployment/checkout -n shop --min=2 --max=6 "
                  "--cpu-percent=70"),
    "more headroom": (("checkout keeps getting cpu throttled, give it more headroom - limits "
                       "of 2 cores and 1Gi mem",
                       "set the limits of checkout to 2 cores and 1Gi memory"),
                      "kubectl set resources deployment/checkout -n shop "
                      "--limits=cpu=2,memory=1Gi"),
    "set a variable": (("set env LOG_LEVEL=debug on checkout",
                        "set the environment variable LOG_LEVEL=debug on the checkout deployment"),
                       "kubectl set env deployment/checkout -n shop LOG_LEVEL=debug"),
}


def _replicas(client: ClusterClient, kind: str, namespace: str, name: str) -> int:
    live = client.live_object(kind, namespace, name)
    assert live is not None
    return int(live["spec"]["replicas"])


def _image(client: ClusterClient, namespace: str, name: str) -> tuple[str, str]:
    live = client.live_object("deployments", namespace, name)
    assert live is not None
    container = live["spec"]["template"]["spec"]["containers"][0]
    return container["name"], container["image"]


# Relative to what runs: the expected command is computed from the live objects.
RELATIVE = {
    "two more": lambda c: "kubectl scale deployment/frontend -n shop --replicas="
                          f"{_replicas(c, 'deployments', 'shop', 'frontend') + 2}",
    "one fewer": lambda c: "kubectl scale statefulset/postgres -n data --replicas="
                           f"{_replicas(c, 'statefulsets', 'data', 'postgres') - 1}",
    "ship a tag": lambda c: "kubectl set image deployment/checkout -n shop "
                            f"{_image(c, 'shop', 'checkout')[0]}="
                            f"{_image(c, 'shop', 'checkout')[1].rsplit(':', 1)[0]}:9.9.9",
}
FAMILIES.update({
    "two more": (("spin up 2 more frontend pods", "add 2 replicas to frontend",
                  "frontend needs 2 more instances, traffic is climbing"), ""),
    "one fewer": (("scale postgres down by 1", "one fewer postgres replica",
                   "trim postgres by one pod, it is quiet tonight"), ""),
    "ship a tag": (("ship checkout 9.9.9", "deploy checkout version 9.9.9"), ""),
})


@pytest.mark.parametrize("question", ("what env vars does checkout have",
                                      "show the environment variables of the checkout deployment",
                                      "env of checkout"))
def test_env_vars_asked_about_are_listed_not_set(
        question: str, grounded: tuple[ClusterClient, TranslationContext]) -> None:
    client, ctx = grounded
    command = RulesTranslator().translate(question, ctx).command
    assert command is not None and not command.is_write, question
    assert same_command(command, parse("kubectl set env deployment/checkout -n shop --list",
                                       resources=ctx.resources))
    assert client.execute(command).status == "ok"  # the API server answers the read


@pytest.fixture(scope="module")
def grounded(sandbox: SandboxInfo) -> Iterator[tuple[ClusterClient, TranslationContext]]:
    with ClusterClient(ClusterConfig(kubeconfig=str(sandbox.kubeconfig))) as client:
        inventory = client.inventory()
        objects = {kind: tuple((ns or "", name) for ns, name in pairs)
                   for kind, pairs in inventory.objects.items()}
        workloads = {(kind, ns, name): (replicas, containers)
                     for kind, ns, name, replicas, containers in inventory.workloads}
        yield client, TranslationContext(namespace="default", namespaces=inventory.namespaces,
                                         inventory=objects, resources=client.resource_table(),
                                         workloads=workloads)


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_idiom_family(family: str, grounded: tuple[ClusterClient, TranslationContext]) -> None:
    client, ctx = grounded
    questions, expected = FAMILIES[family]
    if family in RELATIVE:
        expected = RELATIVE[family](client)
    rules = RulesTranslator()
    for question in questions:
        translation = rules.translate(question, ctx)
        command = translation.command
        assert command is not None, f"{question!r}: {translation.explanation}"
        if expected:
            want = parse(expected, resources=ctx.resources)
            assert same_command(command, want), f"{question!r} -> {translation.text}"
        else:  # a ConfigMap key: the key and value as typed, on the object the cluster has
            assert command.verb == "patch" and command.names == ("checkout-config",)
            assert command.namespace == "shop"
            key, value = question.split()[1], question.split()[3]
            assert f'"{key}":"{value}"' in translation.text
        assert command.is_write
        if command.verb == "drain":
            continue  # a dry-run drain evicts from every namespace, other tests' scratch ones too
        result = client.dry_run(command)  # the API server accepts exactly this command
        assert result.kind == "changes", (question, result)
