"""No import circles inside a subpackage (issue 9: value types apart from registries and parsers).

The graph is grimp's (the library import-linter is built on): every import a module makes,
at module level or inside a function, counts; imports under ``if TYPE_CHECKING:`` do not
(they never run). ``from pkg import sub`` is an import of the submodule ``pkg.sub``, not of
the package's ``__init__``. A circle is a strongly connected set of two or more modules.
"""

from __future__ import annotations

import pathlib

import grimp
import pytest

# Each subpackage that must stay free of circles.
CHECKED = (
    "kubechat_lab.audit",
    "kubechat_lab.cli",
    "kubechat_lab.cluster",
    "kubechat_lab.command",
    "kubechat_lab.investigate",
    "kubechat_lab.kernel",
    "kubechat_lab.pipeline",
    "kubechat_lab.policy",
    "kubechat_lab.sandbox",
    "kubechat_lab.server",
    "kubechat_lab.translate",
    "kubechat_lab.widgets",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("kubechat_lab", exclude_type_checking_imports=True, cache_dir=None)


def circles(graph: grimp.ImportGraph, package: str) -> list[list[str]]:
    """Return the import circles among ``package``'s modules (Tarjan's algorithm)."""
    modules = {m for m in graph.modules if m == package or m.startswith(package + ".")}
    edges = {m: sorted(graph.find_modules_directly_imported_by(m) & modules) for m in modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for module in sorted(modules):
        if module not in index:
            visit(module)
    return found


def describe(graph: grimp.ImportGraph, circle: list[str]) -> str:
    members = set(circle)
    lines = []
    for importer in circle:
        for imported in sorted(graph.find_modules_directly_imported_by(importer) & members):
            details = graph.get_import_details(importer=importer, imported=imported)
            where = ", ".join(str(d["line_number"]) for d in details)
            lines.append(f"  {importer} -> {imported} (line {where})")
    return "\n".join(lines)


@pytest.mark.parametrize("package", CHECKED)
def test_no_import_circle(graph: grimp.ImportGraph, package: str) -> None:
    found = circles(graph, package)
    assert not found, f"import circles in {package}:\n" + "\n\n".join(
        describe(graph, c) for c in found
    )


def test_checker_counts_lazy_imports_and_skips_type_checking(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The checker itself, on a package written here: a circle closed by an import inside a
    # function is found; the same import under TYPE_CHECKING is not a circle.
    package = tmp_path / "circlepkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "grammar.py").write_text("from circlepkg.model import Command\n")
    (package / "model.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from circlepkg.render import render\n"
        "class Command:\n"
        "    def parse(self):\n"
        "        from circlepkg.grammar import parse\n"
    )
    (package / "render.py").write_text("from circlepkg.model import Command\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("circlepkg", exclude_type_checking_imports=True, cache_dir=None)
    assert circles(graph, "circlepkg") == [["circlepkg.grammar", "circlepkg.model"]]
