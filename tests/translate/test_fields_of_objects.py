"""A field asked of an object, an object of another kind, and what only pods have.

- "recs deployment, whats its node selector set to": the field comes from the kind's model in
  the kubernetes client (``-o jsonpath`` for one object, a column beside each name for a list);
  a field kubectl's table already shows is a plain read ("what port is the checkout svc on").
- "does checkout have a PDB?", "the nightly-report jobs": checkout is a Deployment and
  nightly-report a CronJob, so the read lists that kind where they live, never an object
  named after them (and never without a namespace).
- "how many restarts is fraud-detector at": restarts, exit codes and usage are its pods'.
- "did the seed job complete": the state of one named object is its row, not a filter.
"""

from __future__ import annotations

import re

import pytest
from kubernetes.client import models

from kubechat_lab.command import parse
from kubechat_lab.sandbox import demo_grounding
from kubechat_lab.translate import RulesTranslator, TranslationContext

RULES = RulesTranslator()
CTX = TranslationContext.from_dict(demo_grounding())
#: camelCase fields of a pod template's spec that are no other word of the vocabulary.
POD_SPEC_FIELDS = sorted(
    field for field in models.V1PodSpec.attribute_map.values()
    if re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)+", field) and not field.startswith("host")
    and field not in ("serviceAccount", "serviceAccountName", "nodeName"))


def canonical(command: str) -> str:
    """Return ``command`` as the translator renders it."""
    return parse(command).render()


@pytest.mark.parametrize("field", POD_SPEC_FIELDS)
def test_a_pod_spec_field_of_a_deployment_is_that_field(field: str) -> None:
    spaced = re.sub(r"([A-Z])", lambda m: " " + m.group(1).lower(), field)
    translation = RULES.translate(f"what is the {spaced} of the checkout deployment", CTX)
    if translation.command is None:
        return  # refused: never a different field
    assert translation.text == canonical(
        "kubectl get deployments checkout -n shop -o "
        f"jsonpath={{.spec.template.spec.{field}}}"), translation.text


@pytest.mark.parametrize(("question", "expected"), [
    ("recs deployment, whats its node selector set to",
     "kubectl get deployments recommendations -n shop "
     "-o jsonpath={.spec.template.spec.nodeSelector}"),
    ("tolerations of the checkout deployment",
     "kubectl get deployments checkout -n shop -o jsonpath={.spec.template.spec.tolerations}"),
    ("what port is the checkout svc on", "kubectl get services checkout -n shop"),
    ("before anyone drains anything: does checkout have a PDB?",
     "kubectl get poddisruptionbudgets -n shop"),
    ("nightly-report jobs oldest first",
     "kubectl get jobs -n ci --sort-by=.metadata.creationTimestamp"),
    ("did the nightly report seed job complete", "kubectl get jobs nightly-report-seed -n ci"),
    ("pagerduty: `KubePodCrashLooping payments/fraud-detector` again. how many restarts is it at",
     "kubectl get pods -n payments -l app=fraud-detector"),
    ("what is the exit code of fraud-detector",
     "kubectl describe pods -n payments -l app=fraud-detector"),
    ("frontend containers getting OOMKilled?? what are they using right now",
     "kubectl top pods -n shop -l app=frontend"),
    ("busiest node cpu-wise?", "kubectl top nodes --sort-by=cpu"),
    ("client + server version?", "kubectl version"),
])
def test_fields_relations_and_pod_properties(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_an_english_word_after_a_kind_the_inventory_lists_is_no_name() -> None:
    translation = RULES.translate("describe deployment cart", CTX)
    assert translation.command is None and "cart" in translation.explanation
    # where the inventory cannot say (a namespace it does not know), kubectl's slot stands
    assert RULES.translate("describe deployment cart in orders", CTX).text == canonical(
        "kubectl describe deployments cart -n orders")


@pytest.mark.parametrize(("question", "expected"), [
    ("describe the fraud detecter pod", "kubectl describe pods -n payments -l app=fraud-detector"),
    ("show me the front end pods", "kubectl get pods -n shop -l app=frontend"),
    ("hows the fraud detection thingy doing", "kubectl get deployments fraud-detector -n payments"),
])
def test_two_words_that_spell_one_name(question: str, expected: str) -> None:
    translation = RULES.translate(question, CTX)
    assert translation.text == canonical(expected)
    assert any("read as" in a for a in translation.assumptions)


def test_two_kinds_of_a_name_the_cluster_has_under_neither_are_refused() -> None:
    translation = RULES.translate(
        "before anyone drains a node - is there a disruption budget guarding postgres?", CTX)
    assert translation.command is None


@pytest.mark.parametrize(("question", "expected"), [
    ("shop deployments as a table: name, desired replicas, image",
     "kubectl get deployments -n shop -o 'custom-columns=NAME:.metadata.name,"
     "REPLICAS:.spec.replicas,IMAGE:.spec.template.spec.containers[*].image'"),
    ("payments pods as columns: name | node | restarts",
     "kubectl get pods -n payments -o 'custom-columns=NAME:.metadata.name,NODE:.spec.nodeName,"
     "RESTARTS:.status.containerStatuses[*].restartCount'"),
    ("name + replica count table for the shop deploys",
     "kubectl get deployments -n shop -o "
     "custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas"),
    ("table: node name and its cpu capacity",
     "kubectl get nodes -o custom-columns=NAME:.metadata.name,CPU:.status.capacity.cpu"),
])
def test_columns_people_list(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_a_pipe_to_a_program_is_still_shell_in_a_column_question() -> None:
    translation = RULES.translate("pods as a table | grep checkout", CTX)
    assert translation.command is None and "shell" in translation.explanation


@pytest.mark.parametrize(("question", "expected"), [
    ("short names for every resource type", "kubectl api-resources"),
    ("is metrics.k8s.io available", "kubectl api-resources --api-group=metrics.k8s.io"),
    ("what apis are served", "kubectl api-versions"),
    ("what fields does a toleration have?", "kubectl explain pods.spec.tolerations"),
    ("what does spec.replicas mean on a statefulset", "kubectl explain statefulsets.spec.replicas"),
    ("explain the hpa metrics field", "kubectl explain horizontalpodautoscalers.spec.metrics"),
    ("explain deployments", "kubectl explain deployments"),
])
def test_questions_about_the_api(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("recs pods -- which nodes did they land on, if any",
     "kubectl get pods -n shop -l app=recommendations -o wide"),
    ("which node is checkout running on", "kubectl get pods -n shop -l app=checkout -o wide"),
    ("postgres zero, which node did it land on", "kubectl get pods postgres-0 -n data -o wide"),
    ("describe postgres one", "kubectl describe pods postgres-1 -n data"),
    ("what version is recs on", "kubectl get deployments recommendations -n shop -o wide"),
])
def test_where_and_which_version(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("api-config in yaml form", "kubectl get configmaps api-config -n payments -o yaml"),
    ("pod names in shop only", "kubectl get pods -n shop -o name"),
    ("give me bare pod names in data", "kubectl get pods -n data -o name"),
    ("nothing but the names of the shop services", "kubectl get services -n shop -o name"),
    ("postgres sts whole spec please", "kubectl get statefulsets postgres -n data -o yaml"),
])
def test_output_forms(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_an_unlisted_namespace_that_shortens_an_object_is_no_namespace() -> None:
    assert RULES.translate("pods in front", CTX).command is None
    assert RULES.translate("deployment cart in orders", CTX).text == canonical(
        "kubectl get deployments cart -n orders")


@pytest.mark.parametrize(("question", "expected"), [
    ("how's node 3 doing", "kubectl get nodes kwok-worker-3"),
    ("give me the full rundown on worker3", "kubectl describe nodes kwok-worker-3"),
    ("pods on worker3", "kubectl get pods -A --field-selector=spec.nodeName=kwok-worker-3"),
    ("PD: KubePodCrashLooping payments/fraud-detector restarts=41. what exit code did the last "
     "run die with", "kubectl describe pods -n payments -l app=fraud-detector"),
    ("the postgres headless svc", "kubectl get services postgres -n data"),
])
def test_nodes_by_number_and_alerts_by_namespace(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_an_event_reason_is_a_reason_name_never_a_word() -> None:
    translation = RULES.translate(
        "why was fraud-detector's container terminated last time? reason + exit code", CTX)
    assert "reason=and" not in translation.text


@pytest.mark.parametrize(("question", "expected"), [
    ("which namespace is postgres in",
     "kubectl get statefulsets -A --field-selector=metadata.name=postgres"),
    ('`Error from server (NotFound): deployments.apps "checkout" not found` -- what ns is it in??',
     "kubectl get deployments -A --field-selector=metadata.name=checkout"),
])
def test_which_namespace_an_object_lives_in(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_the_replicasets_of_a_deployment_are_by_its_label() -> None:
    assert RULES.translate("replicasets of the checkout deployment", CTX).text == canonical(
        "kubectl get replicasets -n shop -l app=checkout")


@pytest.mark.parametrize(("question", "expected"), [
    ("put each node's zone in its own column",
     "kubectl get nodes -L topology.kubernetes.io/zone"),
    ("how many nodes per zone", "kubectl get nodes -L topology.kubernetes.io/zone"),
    ("explain tolerations on a pod spec", "kubectl explain pods.spec.tolerations"),
    ("explain pod spec", "kubectl explain pods.spec"),
])
def test_well_known_labels_and_fields_under_the_spec(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_what_a_drain_left_behind_is_the_pods_on_the_node() -> None:
    translation = RULES.translate(
        "someone drained kwok-worker-3 earlier - did it leave anything behind? just look", CTX)
    assert translation.text == canonical(
        "kubectl get pods -A --field-selector=spec.nodeName=kwok-worker-3")
