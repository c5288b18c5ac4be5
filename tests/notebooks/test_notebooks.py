"""The runbook notebooks as committed: no outputs, a parameters cell, explicit approvals only.

Fast checks on the files (no services). ``test_nbval.py`` runs them against the sandbox.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest

from kubechat_lab.kernel.magics import split_options
from kubechat_lab.policy import Level, classify

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
EXPECTED = ["01-quickstart", "02-exploratory-analysis", "03-incident-runbook", "04-audit-review"]

# A magic line: the magic name, then the rest (placeholders {x} are filled in by IPython).
MAGIC_LINE = re.compile(r"^\s*(?:[A-Za-z_][A-Za-z0-9_]*\s*=\s*)?%(?P<magic>kubectl|kubechat)\b"
                        r"(?P<rest>.*)$")
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def cells(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return list(notebook.cells)


def magic_lines(path: Path, magic: str) -> list[str]:
    """Every line of a code cell that calls ``%magic`` (also inside loops and assignments)."""
    found = []
    for cell in cells(path):
        if cell.cell_type != "code" or cell.source.lstrip().startswith("%%"):
            continue
        for line in cell.source.splitlines():
            match = MAGIC_LINE.match(line)
            if match and match["magic"] == magic:
                found.append(match["rest"].strip())
    return found


def filled(rest: str) -> str:
    """The line as IPython would expand it, with harmless values: '{patch}' -> '{}'."""
    rest = re.sub(r"'\{[^{}]*\}'", "'PATCH'", rest)
    return PLACEHOLDER.sub("1", rest).replace("'PATCH'", "'{}'")


def test_the_four_notebooks_exist() -> None:
    assert [p.stem for p in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    dirty = [i for i, c in enumerate(notebook.cells)
             if c.cell_type == "code" and (c.outputs or c.execution_count is not None)]
    assert not dirty, (
        f"{path.name}: code cells {dirty} keep outputs or execution counts; clear them before "
        f"committing: jupyter nbconvert --clear-output --inplace notebooks/{path.name}")
    assert "widgets" not in notebook.metadata, f"{path.name} stores widget state; clear it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_narrative_then_parameters(path: Path) -> None:
    all_cells = cells(path)
    assert all_cells[0].cell_type == "markdown" and all_cells[0].source.startswith("# ")
    code = [c for c in all_cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell is parameters"
    names = {t.id for node in ast.parse(code[0].source).body if isinstance(node, ast.Assign)
             for t in node.targets if isinstance(t, ast.Name)}
    assert "context" in names and names & {"namespace", "namespaces"}, names
    prose = sum(len(c.source) for c in all_cells if c.cell_type == "markdown")
    assert prose > 1500, f"{path.name}: a runbook explains itself; {prose} characters of prose"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_change_is_approved_explicitly_and_never_dangerous(path: Path) -> None:
    """A headless run approves only what the notebook says, and only warning-level writes."""
    for rest in magic_lines(path, "kubectl"):
        text, options = split_options(filled(rest), kubectl=True)
        command, assessment = classify("kubectl " + text)
        assert command is not None, f"{path.name}: %kubectl {rest}: {assessment.reasons}"
        if assessment.level is Level.SAFE:
            assert not options.approve, f"{path.name}: --approve on a read: %kubectl {rest}"
            continue
        assert assessment.level is Level.WARNING, (
            f"{path.name}: %kubectl {rest} is {assessment.level.value}; a kernel can never "
            "approve it, so a headless run cannot either: show it as a card for a person")
        assert options.approve, f"{path.name}: %kubectl {rest} changes the cluster without an " \
            "explicit --approve"


def test_the_checker_sees_writes() -> None:
    """The check above is not vacuous: the runbooks do change things, each with --approve."""
    approved = [r for p in NOTEBOOKS for r in magic_lines(p, "kubectl")
                if split_options(filled(r), kubectl=True)[1].approve]
    verbs = {filled(r).split()[0] for r in approved}
    assert {"annotate", "patch", "rollout"} <= verbs, verbs
    text, _ = split_options(filled("delete deployment {app} -n {ns} --approve"), kubectl=True)
    assert classify("kubectl " + text)[1].level is Level.DANGEROUS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_credential_in_the_source(path: Path) -> None:
    source = "\n".join(c.source for c in cells(path))
    for pattern in (r"kcap_[A-Za-z0-9_-]{20,}", r"token=[0-9a-f]{16,}", r"password=\S+",
                    r"BEGIN [A-Z ]*PRIVATE KEY", r"sk-[A-Za-z0-9]{16,}"):
        assert not re.search(pattern, source), f"{path.name} holds {pattern}"
    assert "KUBECHAT_CAPABILITY" not in source, "notebooks never handle the capability itself"
