"""Links in the README, the docs and the notebooks' prose resolve: files exist, anchors name a
heading of the target (GitHub's slugs), images are there. External URLs are not fetched (the
tests run offline); they must at least be well-formed."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")


def pages() -> list[Path]:
    return [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
            *sorted((REPO / "notebooks").glob("*.md")), *sorted((REPO / "binder").glob("*.md")),
            *sorted((REPO / "notebooks").glob("*.ipynb"))]


def markdown_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        notebook = nbformat.read(path, as_version=4)
        return "\n\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    return path.read_text()


def prose(text: str) -> str:
    """The text without code blocks and code spans (links there are examples)."""
    return CODE.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", markdown_of(path))
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.M)}


def links() -> list[tuple[Path, str]]:
    return [(path, m["target"]) for path in pages()
            for m in LINK.finditer(prose(markdown_of(path)))]


def test_there_are_links_to_check() -> None:
    found = links()
    assert len(found) > 30
    targets = {t for _, t in found}
    for page in ("docs/user-guide.md", "docs/operator-guide.md", "docs/security.md",
                 "docs/troubleshooting.md", "docs/configuration.md"):
        assert any(t.endswith(page) for t in targets), f"the README links {page}"


@pytest.mark.parametrize(("path", "target"), links(),
                         ids=lambda v: v.name if isinstance(v, Path) else v)
def test_link_resolves(path: Path, target: str) -> None:
    parsed = urlparse(target)
    if parsed.scheme in ("http", "https"):
        assert parsed.netloc and " " not in target, target
        return
    assert not parsed.scheme, f"{path.name}: unexpected link scheme in {target}"
    file_part, _, anchor = target.partition("#")
    dest = (path.parent / unquote(file_part)).resolve() if file_part else path
    assert dest.exists(), f"{path.relative_to(REPO)}: {target} -> {dest} does not exist"
    assert REPO in dest.parents or dest == REPO, f"{target} points outside the repository"
    if anchor:
        assert dest.suffix in (".md", ".ipynb"), f"{target}: anchor into a non-Markdown file"
        assert anchor in anchors(dest), (
            f"{path.relative_to(REPO)}: {target}: no heading with anchor #{anchor} in "
            f"{dest.name}; headings: {sorted(anchors(dest))}")


def test_slugs_follow_github() -> None:
    assert slug("Back up and restore, and what verify says then") == \
        "back-up-and-restore-and-what-verify-says-then"
    assert slug("Headless runs: `kubechat token`") == "headless-runs-kubechat-token"
