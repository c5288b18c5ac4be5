"""Counts, versions and order words are content; idioms of parking, trimming and resuming.

- A number or a version no rule read is a word not understood: "describe worker 9" (no such
  node) is refused, never ``describe nodes``; "roll frontend back to 1.26" is a new tag, never
  ``rollout undo`` with the version dropped.
- "only the last 50" after a logs command is ``--tail=50``; words of order and time count only
  when the command carries the flag that acts on them.
- "worker 2" is the one node whose name ends with ``worker-2``; "park", "shave one replica off",
  "let the rollout carry on", "pin X to nginx 1.26" are the writes they say.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.command import parse
from kubechat_lab.sandbox import demo_grounding
from kubechat_lab.translate import RulesTranslator, TranslationContext, Turn

RULES = RulesTranslator()
CTX = TranslationContext.from_dict(demo_grounding())


def canonical(command: str) -> str:
    """Return ``command`` as the translator renders it (its canonical form)."""
    return parse(command).render()


@settings(max_examples=80, deadline=None)
@given(value=st.one_of(st.integers(min_value=2, max_value=999).map(str),
                       st.from_regex(r"v?[1-9]\.[0-9]{1,2}(\.[0-9])?", fullmatch=True)),
       template=st.sampled_from(("describe the checkout deployment {v}",
                                 "show pods in shop {v}", "describe node worker {v}0",
                                 "events for postgres {v}")))
def test_a_number_no_rule_reads_is_never_dropped(value: str, template: str) -> None:
    question = template.format(v=value)
    translation = RULES.translate(question, CTX)
    if translation.command is not None:
        assert value.lstrip("v") in translation.text, f"{question!r} -> {translation.text!r}"


def test_a_version_after_roll_back_is_a_tag_not_an_undo() -> None:
    assert RULES.translate("roll frontend back to 1.26", CTX).text == canonical(
        "kubectl set image deployments/frontend -n shop frontend=nginx:1.26")
    assert RULES.translate("roll back frontend", CTX).text == canonical(
        "kubectl rollout undo deployments/frontend -n shop")
    pinned = RULES.translate("pin frontend back to nginx 1.26, 1.27 is leaking mem", CTX)
    assert pinned.text == canonical(
        "kubectl set image deployments/frontend -n shop frontend=nginx:1.26")


def test_last_n_after_logs_is_the_tail() -> None:
    turn = Turn("payments api logs", parse("kubectl logs deployment/api -n payments"))
    translation = RULES.translate("only the last 50, with timestamps",
                                  CTX.with_previous(turn))
    assert translation.text == canonical(
        "kubectl logs deployments/api -n payments --tail=50 --timestamps")


def test_an_absolute_start_is_since_time_and_no_name() -> None:
    translation = RULES.translate("checkout logs from 2025-03-14 09:30Z onward", CTX)
    assert translation.text == canonical(
        "kubectl logs deployments/checkout -n shop --since-time=2025-03-14T09:30:00Z")


@pytest.mark.parametrize(("question", "expected"), [
    ("worker 2 is patched, put it back in the pool", "kubectl uncordon kwok-worker-2"),
    ("describe node worker 3", "kubectl describe nodes kwok-worker-3"),
    ("park the recs deploy for now, it cant schedule anyway",
     "kubectl scale deployments/recommendations -n shop --replicas=0"),
    ("shave one replica off the payments api, its overprovisioned",
     "kubectl scale deployments/api -n payments --replicas=1"),
    ("new frontend pods look fine, let the rollout carry on",
     "kubectl rollout resume deployments/frontend -n shop"),
])
def test_operational_idioms(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_a_number_that_names_nothing_is_refused() -> None:
    translation = RULES.translate("describe worker 9", CTX)
    assert translation.command is None
    assert "9" in translation.explanation


@pytest.mark.parametrize("write", ["roll back", "restart", "delete anything", "scale it",
                                   "drain", "touch the replicas"])
def test_a_clause_saying_what_not_to_do_asks_nothing(write: str) -> None:
    translation = RULES.translate(f"show me the rollout history of api, dont {write} yet", CTX)
    assert translation.text == canonical("kubectl rollout history deployments/api -n payments")


@pytest.mark.parametrize(("question", "expected"), [
    ("show me the rollback options for api, dont roll back yet",
     "kubectl rollout history deployments/api -n payments"),
    ("list the taints on the workers, not adding any", "kubectl describe nodes"),
    ("DiskPressure alert on kwok-worker-1 -- did the kubelet taint it?",
     "kubectl describe nodes kwok-worker-1"),
    ("node names only, nothing else", "kubectl get nodes -o name"),
    ("node heartbeat leases, are they being renewed?", "kubectl get leases -n kube-node-lease"),
    ("any evicted pods lying around cluster wide?",
     "kubectl get pods -A --field-selector=status.phase=Failed"),
    ("what api versions does this cluster serve", "kubectl api-versions"),
])
def test_how_people_ask_to_look(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("park the nightly report cron for now, its hammering the warehouse",
     "kubectl patch cronjob nightly-report -n ci -p '{\"spec\":{\"suspend\":true}}'"),
    ("how many replicas is fraud-detector set to? number only",
     "kubectl get deployments fraud-detector -n payments -o jsonpath={.spec.replicas}"),
    ("recommendations has been Pending for an hour now. what is the scheduler complaining about?",
     "kubectl describe pods -n shop -l app=recommendations"),
    ("fraud-detector keeps backing off. pull up the BackOff events in payments",
     "kubectl get events -n payments --field-selector=reason=BackOff"),
    ("api keeps logging `level=WARN msg=\"fraud-detector unreachable\"`. is fraud-detector even "
     "up? show its pods", "kubectl get pods -n payments -l app=fraud-detector"),
    ("last 200 lines from every checkout pod, prefix each line with the pod name",
     "kubectl logs -l app=checkout -n shop --tail=200 --prefix"),
])
def test_what_a_narrative_and_its_question_ask(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_halving_an_odd_count_is_a_question_back() -> None:
    translation = RULES.translate("halve frontend", CTX)  # frontend runs 3
    assert translation.command is None
    assert "'scale frontend to 1' or 'to 2'" in translation.explanation


def test_of_two_versions_the_one_asked_for_is_the_tag() -> None:
    translation = RULES.translate("downgrade fraud-detector from 1.0.3 to 1.0.2", CTX)
    assert translation.text == canonical(
        "kubectl set image deployments/fraud-detector -n payments "
        "fraud-detector=ghcr.io/example/fraud-detector:1.0.2")


@pytest.mark.parametrize("report", [
    "someone ran rollout pause earlier", "we scaled it down yesterday",
    "oncall already restarted it", "a teammate deleted a pod earlier",
    "they drained a node this morning"])
def test_a_report_of_what_someone_did_asks_for_no_write(report: str) -> None:
    for question in (f"is the frontend rollout paused? {report}",
                     f"{report}, what does the frontend deployment look like"):
        translation = RULES.translate(question, CTX)
        assert translation.command is None or not translation.command.is_write, (
            question, translation.text)


def test_a_change_to_an_english_compound_the_cluster_lacks_is_refused() -> None:
    refused = RULES.translate("rollout restart the cart-service deployment", CTX)
    assert refused.command is None and "cart-service" in refused.explanation
    near = RULES.translate("restart deployment check-out", CTX)
    assert near.command is None
    assert [c.text for c in near.choices] == [
        canonical("kubectl rollout restart deployments/checkout -n shop")]
    # a generated name stays as typed: the cluster may have it since the inventory was read
    assert RULES.translate("cordon worker-7", CTX).text == canonical("kubectl cordon worker-7")


@pytest.mark.parametrize(("previous", "command", "question", "expected"), [
    ("pods on kwok-worker-1", "kubectl get pods -A --field-selector=spec.nodeName=kwok-worker-1",
     "and kwok-worker-2?", "kubectl get pods -A --field-selector=spec.nodeName=kwok-worker-2"),
    ("top pods in data", "kubectl top pods -n data", "what about the nodes", "kubectl top nodes"),
])
def test_a_short_follow_up_keeps_the_verb(previous: str, command: str, question: str,
                                          expected: str) -> None:
    turn = Turn(previous, parse(command))
    assert RULES.translate(question, CTX.with_previous(turn)).text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("kwok-worker-2 is healthy again, open it back up for scheduling",
     "kubectl uncordon kwok-worker-2"),
    ("ci jobs - how many succeeded vs failed", "kubectl get jobs -n ci"),
    ("b4 I nuke them: which pods match app=frontend in shop? dont nuke anything yet",
     "kubectl get pods -n shop -l app=frontend"),
    ("namespaced resource types that support list",
     "kubectl api-resources --namespaced=true --verbs=list"),
    ("roll the postgres sts pls, one pod at a time like always",
     "kubectl rollout restart statefulsets/postgres -n data"),
    ("which 3 pods eat the most ram, any namespace", "kubectl top pods -A --sort-by=memory"),
])
def test_more_ways_people_ask(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_copying_an_object_elsewhere_is_refused() -> None:
    translation = RULES.translate(
        "copy api-credentials over into shop so checkout can mount it too", CTX)
    assert translation.command is None and "two steps" in translation.explanation


@pytest.mark.parametrize(("question", "expected"), [
    ("let the frontend rollout carry on, I'm done looking at the new pods",
     "kubectl rollout resume deployments/frontend -n shop"),
    ("what did the crashed fraud-detector container say on its way out? timestamps please",
     "kubectl logs deployments/fraud-detector -n payments --previous --timestamps"),
    ("how many payments-api pods are up?", "kubectl get pods -n payments -l app=api"),
    ("total replicas we're asking for across every deployment", "kubectl get deployments -A"),
])
def test_objects_as_people_name_them(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_a_bare_name_the_cluster_lacks_gets_no_change() -> None:
    translation = RULES.translate("scale redis to 3", CTX)
    assert translation.command is None and "redis" in translation.explanation
    # named after its kind, in kubectl's order, it is taken as typed (it may be newer)
    assert RULES.translate("scale statefulset db in data to 3", CTX).text == canonical(
        "kubectl scale statefulsets/db -n data --replicas=3")


@pytest.mark.parametrize(("question", "expected"), [
    ("put api back on rev 3 from its rollout history",
     "kubectl rollout undo deployments/api -n payments --to-revision=3"),
    ("hold off the nightly report for a while, it keeps paging us",
     "kubectl patch cronjob nightly-report -n ci -p '{\"spec\":{\"suspend\":true}}'"),
    ("babysit the api rollout and tell me when it lands",
     "kubectl rollout status deployments/api -n payments"),
    ("KubeDeploymentReplicasMismatch firing for shop/recommendations. why won't its pods "
     "schedule?", "kubectl describe pods -n shop -l app=recommendations"),
    ("anything Evicted in data? just list the events",
     "kubectl get events -n data --field-selector=reason=Evicted"),
    ("client + server versions as yaml", "kubectl version -o yaml"),
    ("postgres-0 output since 12:03 on 1 Jan 2025, UTC",
     "kubectl logs postgres-0 -n data --since-time=2025-01-01T12:03:00Z"),
    ("checkout logs from noon on jan 1 2025 (UTC) onwards",
     "kubectl logs deployments/checkout -n shop --since-time=2025-01-01T12:00:00Z"),
    ("pg-1 logs", "kubectl logs postgres-1 -n data"),
    ("which resource types can I list?", "kubectl api-resources --verbs=list"),
    ("postgres pods: name and node, that's it",
     "kubectl get pods -n data -l app=postgres -o "
     "custom-columns=NAME:.metadata.name,NODE:.spec.nodeName"),
])
def test_a_ninth_round_of_phrasings(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


@pytest.mark.parametrize("verb", ["kill", "restart", "delete", "scale", "drain", "eviction",
                                  "rollout", "patch"])
@pytest.mark.parametrize("noun", ["count", "rate", "policy", "history", "events", "timestamp"])
def test_a_write_word_that_names_a_thing_asks_for_no_write(verb: str, noun: str) -> None:
    question = f"{verb} {noun} for fraud-detector -- how many times has it been restarted?"
    translation = RULES.translate(question, CTX)
    assert translation.command is None or not translation.command.is_write, translation.text


@pytest.mark.parametrize(("question", "expected"), [
    ("get rid of it, nobody's used it in months", None),  # "in months" is no namespace
    ("the api creds secret, how old is it", "kubectl get secrets api-credentials -n payments"),
    ("just tag kwok-worker-3 with disk=ssd, nothing else",
     "kubectl label nodes kwok-worker-3 disk=ssd"),
    ("what does podManagementPolicy do on a statefulset",
     "kubectl explain statefulsets.spec.podManagementPolicy"),
])
def test_times_creds_tags_and_what_a_field_does(question: str, expected: str | None) -> None:
    translation = RULES.translate(question, CTX)
    if expected is None:
        assert translation.command is None or "months" not in translation.text
    else:
        assert translation.text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("zero out recommendations, it's never going to schedule anyway",
     "kubectl scale deployments/recommendations -n shop --replicas=0"),
    ("park kwok-worker-1 so nothing new lands on it", "kubectl cordon kwok-worker-1"),
    ("ci events in chronological order",
     "kubectl get events -n ci --sort-by=.lastTimestamp"),
    ("deployments in shop incl. their container images and selectors",
     "kubectl get deployments -n shop -o wide"),
    ("which node is working hardest, cpu wise?", "kubectl top nodes --sort-by=cpu"),
    ("which pods would disappear if someone deleted the frontend deployment? list them, "
     "don't delete", "kubectl get pods -n shop -l app=frontend"),
    ("what version is the API server on?", "kubectl version"),
    ("is the ServiceMonitor CRD installed here?", "kubectl get customresourcedefinitions"),
    ("which namespaced resources does the apps group have?",
     "kubectl api-resources --api-group=apps --namespaced=true"),
])
def test_a_tenth_round_of_phrasings(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


@pytest.mark.parametrize(("question", "expected"), [
    ("did the report seed job complete?", "kubectl get jobs nightly-report-seed -n ci"),
    ("when did nightly-report last actually fire?", "kubectl get cronjobs nightly-report -n ci"),
])
def test_parts_of_a_name_and_the_last_run_of_a_cron(question: str, expected: str) -> None:
    assert RULES.translate(question, CTX).text == canonical(expected)


def test_a_follow_up_narrows_the_same_pods_to_a_node() -> None:
    turn = Turn("data pods with their nodes", parse("kubectl get pods -n data -o wide"))
    translation = RULES.translate("only the ones sitting on kwok-worker-2",
                                  CTX.with_previous(turn))
    assert translation.text == canonical(
        "kubectl get pods -n data --field-selector=spec.nodeName=kwok-worker-2 -o wide")
