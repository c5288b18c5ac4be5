"""No import circles inside a subpackage, and none between the subpackages of kubechat_lab.

Inside a package, value types stay apart from registries and parsers; between packages,
dependencies flow one way (``command`` <- ``policy`` <- ``translate``, ``kernel`` ->
``widgets``, never back). The graph is grimp's (the library import-linter is built on): every
import a module makes, at module level or inside a function, counts; imports under
``if TYPE_CHECKING:`` do not (they never run). ``from pkg import sub`` is an import of the
submodule ``pkg.sub``, not of the package's ``__init__``. A circle is a strongly connected set
of two or more modules (or, between packages, of two or more packages).
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
    return strongly_connected(edges)


def package_of(module: str, root: str = "kubechat_lab") -> str:
    """Return the subpackage (or top-level module) of ``root`` that ``module`` belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == root and len(parts) > 1 else module


def package_edges(graph: grimp.ImportGraph, root: str = "kubechat_lab") -> dict[str, list[str]]:
    """Return the imports between ``root``'s subpackages (and its top-level modules)."""
    edges: dict[str, set[str]] = {}
    for module in graph.modules:
        source = package_of(module, root)
        edges.setdefault(source, set())
        for imported in graph.find_modules_directly_imported_by(module):
            target = package_of(imported, root)
            if target != source:
                edges[source].add(target)
    return {k: sorted(v & set(edges)) for k, v in edges.items()}


def strongly_connected(edges: dict[str, list[str]]) -> list[list[str]]:
    """Return the strongly connected sets of two or more nodes (Tarjan's algorithm)."""
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

    for module in sorted(edges):
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


def test_no_import_circle_between_packages(graph: grimp.ImportGraph) -> None:
    edges = package_edges(graph)
    found = strongly_connected(edges)
    lines = []
    for circle in found:
        for importer in circle:
            for module in sorted(m for m in graph.modules if package_of(m) == importer):
                for imported in sorted(graph.find_modules_directly_imported_by(module)):
                    if package_of(imported) in circle and package_of(imported) != importer:
                        details = graph.get_import_details(importer=module, imported=imported)
                        where = ", ".join(str(d["line_number"]) for d in details)
                        lines.append(f"  {module} -> {imported} (line {where})")
    assert not found, "import circles between packages:\n" + "\n".join(lines)


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


def test_checker_finds_circles_between_packages(
    tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two subpackages whose modules import each other only through a function-level import:
    # no circle inside either package, one between them.
    root = tmp_path / "pkgcircle"
    for sub in ("kernel", "widgets"):
        (root / sub).mkdir(parents=True)
        (root / sub / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / "kernel" / "flow.py").write_text("from pkgcircle.widgets.card import Card\n")
    (root / "widgets" / "card.py").write_text("class Card: ...\n")
    (root / "widgets" / "panel.py").write_text(
        "def make():\n    from pkgcircle.kernel.client import Client\n")
    (root / "kernel" / "client.py").write_text("class Client: ...\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    graph = grimp.build_graph("pkgcircle", exclude_type_checking_imports=True, cache_dir=None)
    assert circles(graph, "pkgcircle.kernel") == [] and circles(graph, "pkgcircle.widgets") == []
    found = strongly_connected(package_edges(graph, "pkgcircle"))
    assert found == [["pkgcircle.kernel", "pkgcircle.widgets"]]
