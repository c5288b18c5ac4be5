"""docs/policy.md lists every rule of default_policy.yaml with its level and a working example."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kubechat_lab.policy import Level, PolicyContext, classify, default_policy, load_policy
from kubechat_lab.policy._findings import FINDINGS

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"
_ROW = re.compile(r"^\| `(?P<id>[a-z0-9-]+)` \| (?P<level>safe|warning|dangerous|forbidden) \| "
                  r"`(?P<example>kubectl .*?)`(?P<note>[^|]*)\|$")
_FINDING = re.compile(r"^\| `(?P<name>[a-z0-9-]+)` \| [^|]")
# | `kubectl ...` | `manifest` (or nothing) | level |
_EXAMPLE = re.compile(r"^\| `(?P<example>kubectl [^`]*)` \| (?:`(?P<manifest>[^`]*)`)? ?\| "
                      r"(?P<level>safe|warning|dangerous|forbidden) \|$")


def _rows() -> list[dict[str, str]]:
    return [m.groupdict() for line in DOC.read_text(encoding="utf-8").splitlines()
            if (m := _ROW.match(line))]


ROWS = _rows()
EXAMPLES = [m.groupdict() for line in DOC.read_text(encoding="utf-8").splitlines()
            if (m := _EXAMPLE.match(line))]


def test_the_reference_lists_every_rule_once_at_its_level() -> None:
    policy = default_policy()
    documented = {row["id"]: row["level"] for row in ROWS}
    assert len(documented) == len(ROWS), "a rule is listed twice"
    assert documented == {rule.id: rule.level.value for rule in policy.rules}


def test_the_reference_lists_every_finding() -> None:
    text = DOC.read_text(encoding="utf-8")
    listed = {m["name"] for line in text.splitlines() if (m := _FINDING.match(line))}
    assert set(FINDINGS) <= listed, set(FINDINGS) - listed


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_each_example_matches_its_rule(row: dict[str, str], tmp_path: Path) -> None:
    policy = default_policy()
    if "allowed_registries" in row["note"]:
        registries = re.search(r"allowed_registries: \[([^\]]*)\]", row["note"])
        assert registries is not None
        path = tmp_path / "policy.yaml"
        path.write_text(f"allowed_registries: [{registries[1]}]\n", encoding="utf-8")
        policy = load_policy(path)
    manifest = re.search(r"manifest `([^`]*)`", row["note"])
    running = re.search(r"runs `([^`]*)`", row["note"])
    context = None
    if running is not None:
        live = {"spec": {"template": {"spec": {"containers": [{"image": running[1]}]}}}}
        context = PolicyContext(observe=lambda resource, namespace, name: live)
    command, assessment = classify(row["example"], policy=policy, context=context,
                                   manifest=manifest[1] if manifest else None)
    assert command is not None, assessment
    assert row["id"] in assessment.rule_ids, assessment
    assert assessment.level is Level(row["level"]), assessment


def test_the_examples_of_judged_writes_are_listed() -> None:
    assert len(EXAMPLES) >= 12
    assert {row["level"] for row in EXAMPLES} == {"warning", "dangerous", "forbidden"}


@pytest.mark.parametrize("row", EXAMPLES, ids=[r["example"][:60] for r in EXAMPLES])
def test_each_example_of_a_judged_write_gets_its_level(row: dict[str, str | None]) -> None:
    example = row["example"]
    assert example is not None
    _, assessment = classify(example, manifest=row["manifest"])
    assert assessment.level is Level(str(row["level"])), assessment
