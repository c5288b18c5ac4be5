"""Golden cases (tests/command/data/*.jsonl): canonical renderings and refusal reasons."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kubechat_lab.command import (
    DEFAULT_RESOURCES,
    CommandError,
    ResourceInfo,
    ResourceTable,
    parse,
    render,
)

DATA = Path(__file__).parent / "data"
CRDS: ResourceTable = DEFAULT_RESOURCES.with_resources(
    [ResourceInfo("widgets", "widget", "Widget", ("wg",), "example.com", "v1alpha1", True)]
)


def _load(name: str) -> list[dict[str, object]]:
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


CANONICAL = _load("canonical.jsonl")
REFUSED = _load("refused.jsonl")


@pytest.mark.parametrize("case", CANONICAL, ids=[str(c["in"])[:60] for c in CANONICAL])
def test_canonical(case: dict[str, object]) -> None:
    table = CRDS if case.get("crd") else None
    command = parse(str(case["in"]), resources=table)
    assert render(command) == case["out"]
    assert command.render() == case["out"]
    assert parse(str(case["out"]), resources=table) == command
    fields = case.get("fields", {})
    assert isinstance(fields, dict)
    as_dict = command.to_dict()
    for name, want in fields.items():
        assert as_dict[name] == want, name


@pytest.mark.parametrize("case", REFUSED, ids=[str(c["in"])[:60] for c in REFUSED])
def test_refused(case: dict[str, object]) -> None:
    with pytest.raises(CommandError) as info:
        parse(str(case["in"]))
    assert info.value.reason == case["reason"], str(info.value)
    message = str(info.value)
    assert len(message) > 20
