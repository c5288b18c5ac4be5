"""Fields people name, narratives before a question, and kind words that open no name slot.

- A field named in a question ("what does concurrencyPolicy on a cronjob do?", "the fields
  under a container's resources") becomes the ``kubectl explain`` path the kind really has:
  generated from the kubernetes client's models and checked by the sandbox's API server; a
  field no kind has is refused, never given a made-up path.
- "what I saw, then what I ask": the narrative is evidence (its verbs ask for nothing, its
  object is what "it" / "those pods" mean); the question is what is translated.
- Adverbs after "that service" or "the deployment" are never object names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from kubernetes.client import models

from kubechat_lab.cluster import ClusterClient, ClusterConfig
from kubechat_lab.sandbox import demo_grounding
from kubechat_lab.translate import RulesTranslator, TranslationContext, Turn
from kubechat_lab.translate.rules.account import FILLERS
from tests.plugins.sandbox import SandboxInfo

RULES = RulesTranslator()
CTX = TranslationContext.from_dict(demo_grounding())
#: (kind word, model, plural) for the kinds whose fields the questions name.
KINDS = (("pod", models.V1PodSpec, "pods"), ("cronjob", models.V1CronJobSpec, "cronjobs"),
         ("deployment", models.V1DeploymentSpec, "deployments"),
         ("service", models.V1ServiceSpec, "services"))
#: camelCase spec fields of each kind, as the client's models name them. Not hostNetwork and
#: the like (a question naming host access is refused whatever it asks, rules/refusals.py), nor
#: the three fields that are also other words of the vocabulary (a kind, "cluster ip").
SPEC_FIELDS = [(word, plural, field) for word, model, plural in KINDS
               for field in model.attribute_map.values()
               if re.fullmatch(r"[a-z]+(?:[A-Z][a-z0-9]*)+", field)
               and not field.startswith("host")
               and field not in ("serviceAccount", "clusterIP", "clusterIPs")]
FORMS = ("what does {f} on a {k} do?", "explain {f} of a {k}", "what is the {f} field of a {k}")


@pytest.mark.parametrize(("word", "plural", "field"), SPEC_FIELDS)
def test_a_named_spec_field_is_its_explain_path(word: str, plural: str, field: str) -> None:
    for form in FORMS:
        translation = RULES.translate(form.format(f=field, k=word), CTX)
        assert translation.text == f"kubectl explain {plural}.spec.{field}", form


@given(st.from_regex(r"[a-z]{4,8}[A-Z][a-z]{3,8}Zq", fullmatch=True),
       st.sampled_from([k[0] for k in KINDS]))
@settings(max_examples=60, deadline=None)
def test_a_field_no_kind_has_is_refused(field: str, kind: str) -> None:
    translation = RULES.translate(f"what does {field} on a {kind} do?", CTX)
    assert translation.command is None, translation.text


@pytest.fixture(scope="module")
def client(sandbox: SandboxInfo) -> Iterator[ClusterClient]:
    with ClusterClient(ClusterConfig(kubeconfig=str(sandbox.kubeconfig))) as client:
        yield client


@pytest.mark.sandbox
@pytest.mark.parametrize(("question", "field"), [
    ("all the fields under a container's resources, recursively", "resources"),
    ("explain the readinessProbe of a deployment", "readinessProbe"),
    ("what does the tolerations field in a pod mean", "tolerations"),
    ("the pod spec's nodeSelector, explained", "nodeSelector"),
    ("explain the fields of a deployment's strategy", "strategy"),
    ("what does successfulJobsHistoryLimit on a cronjob do?", "successfulJobsHistoryLimit"),
])
def test_explain_paths_are_ones_the_api_server_knows(question: str, field: str,
                                                     client: ClusterClient) -> None:
    translation = RULES.translate(question, CTX)
    assert translation.command is not None, translation.explanation
    assert translation.command.verb == "explain"
    result = client.execute(translation.command)  # raises when the server knows no such path
    assert re.search(rf"\.{field}\b", translation.text), translation.text
    assert result.status == "ok", (translation.text, result)


NARRATIVES = ("{name} keeps timing out since this morning", "{name} got OOMKilled twice",
              "the last deploy restarted {name} and deleted a configmap",
              "{name} logs say `connection refused: retry later`")


@pytest.mark.parametrize("narrative", NARRATIVES)
@pytest.mark.parametrize("question", ("are those pods healthy?", "what's going on with its pods",
                                      "which node are its pods on?"))
def test_a_narrative_is_evidence_and_the_question_is_translated(narrative: str,
                                                                question: str) -> None:
    text = f"{narrative.format(name='checkout')}, {question}"
    translation = RULES.translate(text, CTX)
    command = translation.command
    assert command is not None, (text, translation.explanation)
    assert not command.is_write, (text, translation.text)  # its verbs ask for nothing
    assert command.namespace == "shop" and "app=checkout" in translation.text, translation.text


def test_a_narrative_that_asks_for_a_change_is_not_set_aside() -> None:
    # "restart checkout" is a request even when a question follows: never read as evidence
    translation = RULES.translate("restart checkout, is that ok?", CTX)
    assert not (translation.command is not None and not translation.command.is_write)


def test_a_service_dns_name_in_a_message_names_that_service() -> None:
    translation = RULES.translate("api logs `lookup postgres.data.svc.cluster.local: no such "
                                  "host` -- does that service exist?", CTX)
    assert translation.text == "kubectl get services postgres -n data"


@pytest.mark.parametrize("filler", sorted(w for w in FILLERS if w.isalpha()))
def test_an_adverb_after_a_kind_is_no_name(filler: str) -> None:
    for form in ("does that service {w} exist", "is the deployment {w} running"):
        translation = RULES.translate(form.format(w=filler), CTX)
        command = translation.command
        assert command is None or filler not in command.names, (form, translation.text)


def _prefixes() -> list[tuple[str, str, str]]:
    """(kind word, typed prefix, object) for each object whose 4-letter start is its own."""
    out = []
    for kind, items in CTX.inventory.items():
        if kind not in ("deployments", "statefulsets", "services", "configmaps", "cronjobs"):
            continue
        for _, name in items:
            start = name.replace("-", "")[:4]
            if "-" in name[:5] or CTX.locate(start):
                continue
            owners = {n for _, n in items if n.startswith(start)}
            if owners == {name}:
                out.append((kind[:-1], start, name))
    return out


@pytest.mark.parametrize(("kind", "typed", "name"), _prefixes())
def test_a_shortened_name_is_corrected_and_shown(kind: str, typed: str, name: str) -> None:
    translation = RULES.translate(f"describe the {typed} {kind}", CTX)
    assert translation.command is not None, translation.explanation
    assert translation.command.names == (name,), translation.text
    assert any(typed in a and name in a for a in translation.assumptions)


def test_a_name_shortening_several_objects_asks_which_with_each_offered() -> None:
    # "fr" starts frontend and fraud-detector (deployments): both offered, neither chosen
    translation = RULES.translate("describe the fr deployment", CTX)
    assert translation.command is None
    offered = {c.command.names for c in translation.choices}
    assert offered == {("frontend",), ("fraud-detector",)}, translation.explanation
    assert all(c.command.verb == "describe" for c in translation.choices)


@pytest.mark.parametrize("word", ("workers", "heartbeats", "table", "things", "stuff"))
def test_an_ordinary_word_where_the_cluster_lists_the_kind_is_refused(word: str) -> None:
    translation = RULES.translate(f"describe nodes {word}", CTX)
    assert translation.command is None or word not in translation.command.names


@pytest.mark.parametrize(("question", "command"), [
    # a question that needs its start is read whole, not as "did it complete" about pods
    ("the seed job, did it complete",
     "kubectl get jobs nightly-report-seed -n ci"),
    ("which shop pods go first under memory pressure? show their qos class",
     "kubectl get pods -n shop -o custom-columns=NAME:.metadata.name,QOS:.status.qosClass"),
    ("postgres pods, only two cols: pod name and the node it landed on",
     "kubectl get pods -n data -l app=postgres "
     "-o custom-columns=NAME:.metadata.name,NODE:.spec.nodeName"),
    ("nodes + internal ip, os image and kernel version", "kubectl get nodes -o wide"),
    ("deployment annotations of checkout",
     "kubectl get deployments checkout -n shop -o 'jsonpath={.metadata.annotations}'"),
])
def test_shapes_people_ask_for(question: str, command: str) -> None:
    assert RULES.translate(question, CTX).text == command


def test_a_refusal_offers_no_object_the_cluster_lacks() -> None:
    # "new-cart" is a flag in a ConfigMap, not a lease; "1.0.4" is a version, not a pod
    for question in ("flip dark-mode on in the frontend feature flags, leave new-cart alone",
                     "roll it to 1.0.4"):
        translation = RULES.translate(question, CTX)
        for choice in translation.choices:
            for kind in choice.command.resources:
                if CTX.inventory.get(kind):
                    assert all(CTX.locate(n, kind) for n in choice.command.names), choice


@pytest.mark.parametrize(("before", "question", "command"), [
    ("kubectl get deployment api -n payments", "double it, traffic is coming",
     "kubectl scale deployments/api -n payments --replicas={double}"),
    ("kubectl logs deployment/checkout -n shop", "w/ timestamps, and only the last 15 min",
     "kubectl logs deployments/checkout -n shop --since=15m --timestamps"),
    ("kubectl top pods -n payments", "break that down per container",
     "kubectl top pods -n payments --containers"),
])
def test_follow_ups_change_what_they_name(before: str, question: str, command: str) -> None:
    replicas = next(r for (kind, ns, name), (r, _) in CTX.workloads.items()
                    if (kind, ns, name) == ("deployments", "payments", "api"))
    turn = Turn.from_dict({"question": "earlier", "command": before})
    translation = RULES.translate(question, CTX.with_previous(turn))
    assert translation.text == command.format(double=2 * replicas), translation.explanation


@pytest.mark.parametrize("question", ("leave the running pods alone and list nodes",
                                      "what is landing on kwok-worker-2"))
def test_an_english_word_is_never_corrected_into_a_kind_or_state(question: str) -> None:
    translation = RULES.translate(question, CTX)
    assert not any("as lease" in a or "as pending" in a for a in translation.assumptions)


def test_a_slip_of_a_kind_after_a_listing_verb_is_the_kind() -> None:
    assert RULES.translate("list nods", CTX).text == "kubectl get nodes"


@pytest.mark.parametrize("question", ("restart checkout, give it more memory",
                                      "slap an hpa on checkout, 2-6 pods. scale it to 70"))
def test_a_second_change_is_never_dropped_nor_read_as_a_narrative(question: str) -> None:
    translation = RULES.translate(question, CTX)
    assert translation.command is None, translation.text
