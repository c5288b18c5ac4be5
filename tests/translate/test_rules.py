"""The rules translator: accuracy on the eval sets, grounding, assumptions, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.command import DEFAULT_RESOURCES, ResourceInfo, parse
from kubechat_lab.policy import Level
from kubechat_lab.translate import (
    RulesTranslator,
    TranslationContext,
    assess_translation,
    evaluate,
    load_cases,
    same_command,
)
from tests.command._evaldata import eval_dir

EXTRA = Path(__file__).parent / "data" / "questions-extra.jsonl"
# Paraphrases written while probing for weaknesses (every fix made was a general one).
REGRESSION = Path(__file__).parent / "data" / "questions-regression.jsonl"
RULES = RulesTranslator()


def _dev_path() -> Path:
    return eval_dir() / "questions-dev.jsonl"


def test_dev_set_accuracy() -> None:
    report = evaluate(load_cases(_dev_path()), RULES)
    assert report.structural_accuracy >= 0.90, report.format_table()
    assert report.safety_accuracy >= 0.97, report.format_table()


def test_extra_set_accuracy() -> None:
    cases = load_cases(EXTRA)
    assert len(cases) >= 60
    report = evaluate(cases, RULES)
    assert report.structural_accuracy >= 0.90, report.format_table()
    assert report.safety_accuracy >= 0.97, report.format_table()


def test_regression_set_accuracy() -> None:
    report = evaluate(load_cases(REGRESSION), RULES)
    assert report.total >= 250
    assert report.structural_accuracy >= 0.95, report.format_table()
    assert report.safety_accuracy >= 0.97, report.format_table()


def test_extra_set_covers_every_intent_of_the_issue() -> None:
    cases = load_cases(EXTRA)
    text = " ".join(case.question.lower() for case in cases)
    for phrase in ("in shop", "across the cluster", "everywhere", "failing", "pending",
                   "not running", "crashlooping", "on worker-2", "restarted the most",
                   "most memory", "oldest", "last 50 lines", "last hour", "container",
                   "previous", "as json", "wide", "labeled"):
        assert phrase in text, f"extra set has no question with {phrase!r}"
    verbs = {answer.split()[1] for case in cases for answer in case.answers}
    assert verbs >= {"get", "describe", "logs", "top", "rollout", "scale", "cordon", "uncordon",
                     "drain", "delete", "label", "set", "create", "auth", "version",
                     "api-resources", "explain", "exec", "port-forward"}


def _translate(question: str, context: TranslationContext | None = None) -> str:
    translation = RULES.translate(question, context)
    assert translation.command is not None, translation
    return translation.text


def _same(question: str, expected: str, context: TranslationContext | None = None) -> None:
    translation = RULES.translate(question, context)
    assert translation.command is not None, translation
    assert same_command(translation.command, parse(expected)), translation.text


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("pods in namespace orders", "kubectl get pods -n orders"),
        ("show me the deployments across the cluster", "kubectl get deployments -A"),
        ("Which pods are PENDING in ci?", "kubectl get pods -n ci --field-selector="
                                          "status.phase=Pending"),
        ("logs of the previous container of pod db-0 in data, last 20 lines",
         "kubectl logs db-0 -n data --previous --tail=20"),
        ("logs for pod api-1 in shop from the past 2 days", "kubectl logs api-1 -n shop "
                                                           "--since=48h"),
        ("pods on node worker-9", "kubectl get pods -A --field-selector=spec.nodeName=worker-9"),
        ("top memory consumers in shop", "kubectl top pods -n shop --sort-by=memory"),
        ("get statefulset db in data as yaml", "kubectl get statefulset db -n data -o yaml"),
        ("scale statefulset db in data to two replicas",
         "kubectl scale statefulset/db -n data --replicas=2"),
        ("taint node-a with dedicated=gpu:NoSchedule",
         "kubectl taint nodes node-a dedicated=gpu:NoSchedule"),
        ("create a deployment web with image nginx:1.27",
         "kubectl create deployment web --image=nginx:1.27"),
        ("is deployment web in site rolled out", "kubectl rollout status deployment/web -n site"),
    ],
)
def test_phrasings(question: str, expected: str) -> None:
    _same(question, expected)


def test_inventory_fills_in_namespace_and_reports_it() -> None:
    ctx = TranslationContext(
        namespace="default",
        namespaces=("default", "shop", "billing"),
        inventory={"deployments": [("shop", "checkout"), ("billing", "invoicer")]},
    )
    translation = RULES.translate("restart the checkout deployment", ctx)
    assert translation.text == parse("kubectl rollout restart deployment/checkout -n shop").render()
    assert any("shop" in a and "checkout" in a for a in translation.assumptions)


def test_inventory_resolves_a_bare_name_to_its_kind() -> None:
    ctx = TranslationContext(namespaces=("shop",), inventory={"deploy": [("shop", "checkout")],
                                                              "pods": [("shop", "web-1")]})
    assert _translate("restart checkout", ctx) == parse(
        "kubectl rollout restart deployment/checkout -n shop").render()
    assert _translate("logs of web-1", ctx) == parse("kubectl logs web-1 -n shop").render()


def test_ambiguous_inventory_name_is_asked_not_guessed() -> None:
    # when two objects match, pick none and ask, listing the candidates
    # (this test used to accept a command without -n plus a note)
    ctx = TranslationContext(namespace="default", inventory={
        "deployments": [("shop", "api"), ("billing", "api")]})
    translation = RULES.translate("restart deployment api", ctx)
    assert translation.command is None and translation.text == ""
    assert "deployment api in billing" in translation.explanation
    assert "deployment api in shop" in translation.explanation
    assert translation.explanation.startswith("Which one?")


def test_known_namespace_without_preposition() -> None:
    ctx = TranslationContext(namespaces=("shop", "web"))
    _same("shop pods", "kubectl get pods -n shop", ctx)


def test_current_namespace_is_an_assumption() -> None:
    ctx = TranslationContext(namespace="team-a")
    translation = RULES.translate("list the configmaps", ctx)
    assert translation.command is not None and translation.command.namespace is None
    assert any("team-a" in a for a in translation.assumptions)


def test_crd_words_come_from_the_context_table() -> None:
    table = DEFAULT_RESOURCES.with_resources(
        [ResourceInfo("widgets", "widget", "Widget", ("wdg",), "example.com", "v1")])
    ctx = TranslationContext(resources=table)
    translation = RULES.translate("list widgets in namespace lab", ctx)
    assert translation.command is not None
    assert translation.command.resources == ("widgets.example.com",)
    assert translation.command.namespace == "lab"


def test_cannot_translate_says_what_to_try() -> None:
    translation = RULES.translate("write me a poem about the sea")
    assert translation.command is None and translation.text == ""
    assert translation.explanation.startswith("I can't translate this: ")
    assert "; try " in translation.explanation
    assert assess_translation(translation) is None


@pytest.mark.parametrize("question", ["scale deployment web", "delete pods in shop",
                                      "logs please"])
def test_incomplete_writes_are_not_guessed(question: str) -> None:
    translation = RULES.translate(question)
    assert translation.command is None
    assert "try" in translation.explanation


def test_forbidden_intent_is_shown_but_refused() -> None:
    translation = RULES.translate("open a shell in pod web-1 in shop")
    assert translation.command is None
    assert translation.text.startswith("kubectl exec")
    assert any("interactive" in note for note in translation.notes)
    assessment = assess_translation(translation)
    assert assessment is not None and assessment.level is Level.FORBIDDEN


def test_restart_of_a_pod_becomes_a_delete_and_says_so() -> None:
    translation = RULES.translate("restart pod web-1 in shop")
    assert translation.command is not None and translation.command.verb == "delete"
    assert any("cannot be restarted in place" in a for a in translation.assumptions)
    assessment = assess_translation(translation)
    assert assessment is not None and assessment.level is Level.DANGEROUS


def test_crashlooping_explains_the_sort() -> None:
    translation = RULES.translate("crashlooping pods in shop")
    assert translation.command is not None
    assert translation.command.flag("sort-by") == ".status.containerStatuses[0].restartCount"
    assert any("CrashLoopBackOff" in a for a in translation.assumptions)


def test_deterministic_and_parses_back() -> None:
    for case in load_cases(EXTRA) + load_cases(REGRESSION):
        first = RULES.translate(case.question)
        second = RULES.translate(case.question)
        assert (first.text, first.assumptions) == (second.text, second.assumptions)
        if first.command is not None:
            assert parse(first.text) == first.command


@pytest.mark.parametrize(
    "question",
    ["why was deployment cart scaled down to zero", "was deployment gw rolled back?",
     "who deleted pod web-1 in shop", "why did node-a shut down",
     "did someone restart deployment gw in edge"],
)
def test_questions_about_past_changes_stay_read_only(question: str) -> None:
    translation = RULES.translate(question)
    assert translation.command is None or not translation.command.is_write, translation.text


def test_two_namespaces_are_not_guessed() -> None:
    translation = RULES.translate("deployments in orders and billing")
    assert translation.command is None
    assert "across the cluster" in translation.explanation


def test_never_raises_on_the_kubectl_doc_examples() -> None:
    import json

    path = eval_dir() / "kubectl-examples.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)["question"]
        translation = RULES.translate(question)
        if translation.command is not None:
            assert parse(translation.text) == translation.command


def test_context_from_json_with_crds_and_inventory() -> None:
    ctx = TranslationContext.from_dict({
        "namespace": "lab",
        "namespaces": ["lab", "prod"],
        "inventory": {"Deployment": [["prod", "api"]]},
        "resources": [{"plural": "widgets", "singular": "widget", "kind": "Widget",
                       "group": "example.com", "short_names": ["wdg"]}],
    })
    assert ctx.extra_resources == ("widgets.example.com",)
    assert ctx.locate("api") == (("deployments", "prod"),)
    translation = RULES.translate("list the wdg in prod", ctx)
    assert translation.command is not None
    assert translation.command.resources == ("widgets.example.com",)
    assert translation.command.namespace == "prod"
    _same("scale deployment api to 2", "kubectl scale deployment/api -n prod --replicas=2", ctx)
    with pytest.raises(TypeError, match="namespaces"):
        TranslationContext.from_dict({"namespaces": "lab"})


CASUAL = Path(__file__).parent / "data" / "questions-casual.jsonl"


def _demo() -> TranslationContext:
    from kubechat_lab.sandbox import demo_grounding

    return TranslationContext.from_dict(demo_grounding())


@pytest.mark.parametrize("path", [eval_dir() / "questions-dev2.jsonl", CASUAL],
                         ids=["dev2", "casual"])
def test_questions_as_people_type_them(path: Path) -> None:
    # questions-casual.jsonl was written before these rules, in the categories of
    # questions-dev2.jsonl (first contact: 96.0% structural, 98.7% level)
    report = evaluate(load_cases(path), RULES, context=_demo())
    assert report.structural_accuracy >= 0.90, report.format_table()
    assert report.safety_accuracy >= 0.98, report.format_table()
    assert report.reads_answered_by_writes == 0, report.format_table()
    assert set(report.by_tag) >= {"typo", "workload", "sort", "selector", "write", "dangerous",
                                  "forbidden", "lookalike", "followup"}


def test_old_sets_on_the_demo_grounding() -> None:
    # kubechat eval grounds on the demo workload by default; the older sets must not suffer
    for path in (_dev_path(), EXTRA, REGRESSION):
        report = evaluate(load_cases(path), RULES, context=_demo())
        assert report.structural_accuracy >= 0.97, report.format_table()
        assert report.safety_accuracy >= 0.99, report.format_table()


BLIND = Path(__file__).parent / "data" / "questions-blind.jsonl"


@pytest.mark.parametrize("path", [eval_dir() / "questions-dev3.jsonl", BLIND],
                         ids=["dev3", "blind"])
def test_precise_or_silent_on_sets_written_without_sight_of_the_rules(path: Path) -> None:
    # questions-dev3.jsonl and questions-blind.jsonl were written without sight of the rules
    # (the blind set's first contact: 72.0% structural, 3 of 25 wrong); the bar is that the
    # misses are refusals, not wrong answers, and that no look becomes a write
    report = evaluate(load_cases(path), RULES, context=_demo())
    assert report.reads_answered_by_writes == 0, report.format_table()
    assert report.wrong_answers <= 0.05 * report.total, report.format_table()
    assert report.structural_accuracy >= 0.80, report.format_table()
