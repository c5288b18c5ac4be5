"""Which questions become investigations (investigate/_route.py): precise or silent."""

from __future__ import annotations

import pytest

from kubechat_lab.investigate import Subject, is_why_question, route_why, target_text

INVENTORY = {
    "deployments": (("shop", "checkout"), ("shop", "recommendations"), ("shop", "frontend"),
                    ("payments", "fraud-detector"), ("payments", "api")),
    "services": (("shop", "checkout"), ("shop", "frontend"), ("payments", "api"),
                 ("staging", "api")),
    "pods": (("shop", "recommendations-5d9c7b-x2k4p"), ("payments", "fraud-detector-7f-abcde")),
    "nodes": (("", "kwok-worker-1"), ("", "kwok-worker-2"), ("", "kwok-control")),
    "jobs": (("ci", "nightly-report-29944620"),),
    "persistentvolumeclaims": (("data", "pg-data"),),
}
NAMESPACES = ("shop", "payments", "data", "ci", "staging", "default")


def route(question: str):  # type: ignore[no-untyped-def]
    return route_why(question, INVENTORY, NAMESPACES, "default")


@pytest.mark.parametrize(("question", "subject"), [
    ("why is recommendations pending", Subject("deployments", "recommendations", "shop")),
    ("Why does fraud-detector crash?", Subject("deployments", "fraud-detector", "payments")),
    ("why has checkout no endpoints", Subject("services", "checkout", "shop")),
    ("what's wrong with node kwok-worker-2", Subject("nodes", "kwok-worker-2")),
    ("What is wrong with kwok-worker-1?", Subject("nodes", "kwok-worker-1")),
    ("how come nightly-report-29944620 failed", Subject("jobs", "nightly-report-29944620", "ci")),
    ("why is pvc pg-data still pending", Subject("persistentvolumeclaims", "pg-data", "data")),
    ("why is pod recommendations-5d9c7b-x2k4p pending",
     Subject("pods", "recommendations-5d9c7b-x2k4p", "shop")),
    ("investigate deployment/checkout -n shop", Subject("deployments", "checkout", "shop")),
    ("so why is frontend down?", Subject("deployments", "frontend", "shop")),
    ("tell me why checkout fails", Subject("deployments", "checkout", "shop")),
])
def test_a_why_question_about_one_object_is_an_investigation_of_it(
        question: str, subject: Subject) -> None:
    routed = route(question)
    assert routed is not None and routed.subject == subject
    out = routed.to_dict()
    assert out["target"] == target_text(subject)
    # the explicit target reads back as the same object
    again = route_why(f"why {out['target']}", INVENTORY, NAMESPACES)
    assert again is not None and again.subject == subject
    # the first reads of the plan: the object itself, read as exactly that kind and name
    assert out["plan"][0].startswith(f"kubectl get {subject.kind} {subject.name}")
    assert out["choices"] == []


@pytest.mark.parametrize("question", [
    "pods in shop",
    "show the logs of fraud-detector",
    "restart checkout in shop",
    "scale recommendations to 0",
    "is checkout running?",
    "describe node kwok-worker-2",
])
def test_a_question_that_is_not_a_why_is_not_routed(question: str) -> None:
    assert not is_why_question(question)
    assert route(question) is None


@pytest.mark.parametrize("question", [
    "why are pods pending in shop?",
    "why was it scaled down",
    "why are nodes NotReady",
    "why is the node NotReady",
])
def test_a_why_question_that_names_no_object_is_left_to_the_translator(question: str) -> None:
    assert is_why_question(question)
    assert route(question) is None


def test_a_name_that_is_not_there_is_refused_not_guessed() -> None:
    routed = route("why is pod web-7d9f-zz9 pending")
    assert routed is not None and routed.subject is None
    assert "no pod 'web-7d9f-zz9'" in routed.explanation
    assert routed.to_dict()["target"] is None and routed.to_dict()["plan"] == []


def test_a_typo_is_refused_with_the_objects_it_may_mean() -> None:
    routed = route("why is recomendations pending")
    assert routed is not None and routed.subject is None
    assert routed.choices == (Subject("deployments", "recommendations", "shop"),)
    assert routed.to_dict()["choices"][0]["target"] == "deployment/recommendations -n shop"


def test_an_ambiguous_name_is_refused_with_each_object_as_a_choice() -> None:
    routed = route("why has api no endpoints")  # Services api in payments and in staging
    assert routed is not None and routed.subject is None
    assert set(routed.choices) == {Subject("services", "api", "payments"),
                                   Subject("services", "api", "staging")}
    assert "names 2 objects" in routed.explanation
    one = route("why has api no endpoints in staging")
    assert one is not None and one.subject == Subject("services", "api", "staging")


def test_an_object_the_asker_may_not_list_is_not_found() -> None:
    hidden = {k: tuple(p for p in v if p[0] != "payments") for k, v in INVENTORY.items()}
    routed = route_why("why does fraud-detector-7f-abcde crash", hidden, NAMESPACES)
    assert routed is not None and routed.subject is None
    assert all(c.namespace != "payments" for c in routed.choices)
