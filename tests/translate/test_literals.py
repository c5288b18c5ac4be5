"""Literals stay as typed (an image, a label value, a path is never read as words), and a
condition the command cannot apply is said, not silently dropped.

"latest" in ``nginx:latest`` is part of the image, not a request to sort by age; "yaml" in
``tier=yaml`` is a label value, not an output format.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.translate import RulesTranslator, TranslationContext

RULES = RulesTranslator()
CTX = TranslationContext(namespace="default", namespaces=("default", "orders"),
                         inventory={"deployments": [("orders", "cart")]})
# Words other extractors know (sorting, output formats, namespaces, states, verbs).
WORDS = ("latest", "newest", "oldest", "recent", "top", "cpu", "memory", "all", "wide", "yaml",
         "json", "orders", "running", "pending", "failed", "restart", "delete", "1.27", "v2")
IMAGE_TEMPLATES = ("set cart image {i}", "set cart image to {i}", "set image of cart to {i}",
                   "update cart image to {i}", "change the image of cart to {i}")
LABEL_TEMPLATES = ("label cart {k}={v}", "label deployment cart with {k}={v} in orders",
                   "add label {k}={v} to cart")


@settings(max_examples=200, deadline=None, derandomize=True)
@given(template=st.sampled_from(IMAGE_TEMPLATES), repo=st.sampled_from(("nginx", "redis",
       "registry.example.com/team/app")), tag=st.sampled_from(WORDS))
def test_an_image_is_kept_as_typed(template: str, repo: str, tag: str) -> None:
    image = f"{repo}:{tag}"
    translation = RULES.translate(template.format(i=image), CTX)
    assert translation.command is not None, (template, translation.explanation)
    assert translation.command.args == (f"cart={image}",), translation.text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(template=st.sampled_from(LABEL_TEMPLATES), key=st.sampled_from(("tier", "track", "app")),
       value=st.sampled_from(WORDS))
def test_a_label_value_is_kept_as_typed(template: str, key: str, value: str) -> None:
    translation = RULES.translate(template.format(k=key, v=value), CTX)
    assert translation.command is not None, (template, translation.explanation)
    assert f"{key}={value}" in translation.command.args, translation.text
    assert translation.command.output is None and not translation.command.has_flag("sort-by")


def test_a_condition_kubectl_cannot_select_on_is_said_not_dropped() -> None:
    cases = {"pods in orders older than 1 day": "older than 1 day",
             "deployments without the tier label in orders": "without the tier label",
             "pods that restarted more than 3 times": "more than 3 times",
             "services of type LoadBalancer everywhere": "type LoadBalancer"}
    for question, condition in cases.items():
        translation = RULES.translate(question, CTX)
        assert translation.command is not None and not translation.command.is_write
        assert any(repr(condition) in a and "filter the DataFrame" in a
                   for a in translation.assumptions), (question, translation.assumptions)
    for question in ("pods that are not running in orders", "the oldest pods in orders",
                     "show me the pods in orders"):
        translation = RULES.translate(question, CTX)
        assert not any("cannot select" in a for a in translation.assumptions), question
