"""A translator plugin that refuses with choices, installed for one test through an entry point.

Until the rules translator offers choices for a question the tests can rely on, the tests of
what a refusal's choices become (the ``ask`` reply, ``kubechat translate``, the widget card and
the side panel) use this plugin: a real entry point in the ``kubechat_lab.translators`` group,
found by the registry like any installed plugin. For "frobnicate the NAME deployment" it
refuses and offers three readings: one the default policy forbids (deleting the
``kube-system`` namespace), a warning write with its namespace (``rollout restart`` in the
namespace the question names, ``shop`` when it names none) and a safe read without one
(``get pods -l app=NAME``), so a test sees the forbidden one left out and the
namespace made explicit. Every other question goes to the rules translator.

``plugin_path(tmp)`` writes the ``.dist-info`` that declares the entry point under ``tmp``
(put it on ``sys.path`` or ``PYTHONPATH``, with the repository root, to install the plugin).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from kubechat_lab.command import parse
from kubechat_lab.translate import (
    Choice,
    RulesTranslator,
    Translation,
    TranslationContext,
)

__all__ = ["PLUGIN_ID", "ChoicesTranslator", "plugin_path"]

PLUGIN_ID = "choices-test"
_QUESTION = re.compile(r"\bfrobnicate (?:the )?([a-z0-9][a-z0-9-]*) deployment\b"
                       r"(?: in (?:namespace )?([a-z0-9][a-z0-9-]*))?")


class ChoicesTranslator:
    """Refuses "frobnicate the NAME deployment [in NS]" with three choices; rules for the rest."""

    id: ClassVar[str] = PLUGIN_ID
    display_name: ClassVar[str] = "Choices (test plugin)"
    requires_network: ClassVar[bool] = False
    api_key_env: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.rules = RulesTranslator()

    def translate(self, question: str, context: TranslationContext | None = None
                  ) -> Translation:
        """Refuse the frobnicate question with choices; hand anything else to the rules."""
        found = _QUESTION.search(question.lower())
        if found is None:
            return self.rules.translate(question, context)
        name, namespace = found.group(1), found.group(2) or "shop"
        choices = (
            Choice(parse("kubectl delete namespace kube-system"), "wipe: a reading never offered"),
            Choice(parse(f"kubectl rollout restart deployment {name} -n {namespace}"),
                   "bounce: restart its pods"),
            Choice(parse(f"kubectl get pods -l app={name}"), "look: list its pods"),
        )
        return Translation(question, None, "", provider=PLUGIN_ID, choices=choices,
                           explanation="I do not know the verb 'frobnicate'; did you mean one "
                                       "of these?")


def plugin_path(tmp: Path) -> Path:
    """Write the ``.dist-info`` declaring this plugin's entry point under ``tmp``; return it."""
    dist = tmp / "kubechat_choices_test_plugin-0.1.dist-info"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kubechat-choices-test-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(
        f"[kubechat_lab.translators]\n{PLUGIN_ID} = tests.plugins.choices_translator:"
        "ChoicesTranslator\n")
    return tmp
