"""The fixture both faces render in js/src/__tests__/faces.spec.tsx is what the kernel sends.

The side panel renders the proposal itself; the notebook widgets render the kernel's
``card_fields`` / ``choice_fields`` of it. The vitest test renders both from
tests/fixtures/faces/proposal.json; this test fails when the kernel's fields drift from it.
"""

from __future__ import annotations

import json
from pathlib import Path

from kubechat_lab.widgets._cards import card_fields, choice_fields

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "faces" / "proposal.json"


def test_the_widget_fields_in_the_fixture_are_what_the_kernel_sends() -> None:
    fx = json.loads(FIXTURE.read_text())
    assert fx["card_fields"] == json.loads(json.dumps(card_fields(fx["proposal"])))
    assert fx["choice_fields"] == choice_fields(fx["answer"])
    assert fx["proposal"]["level"] == "dangerous" and fx["proposal"]["state"] == "proposed"
    assert fx["answer"]["proposal"] is None and len(fx["choice_fields"]) == 2
