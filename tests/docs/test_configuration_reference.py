"""docs/configuration.md against the code, both ways (traits found by traitlets introspection).

Every configurable trait of every kubechat class is documented with its real default, every
documented trait exists, and every ``c.Class.trait`` / ``--Class.trait=`` written anywhere in the
README or docs names a real option.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest

from tests.docs._configurables import configurables, default_of, is_computed, own_traits

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "docs" / "configuration.md"
DEFAULT_CLASS = "KubechatApp"
HEADER = re.compile(r"^\|\s*(?:`(?P<cls>\w+)`\s+)?trait\s*\|\s*default\s*\|", re.IGNORECASE)
CELL = re.compile(r"^`([^`]+)`$")


def documented() -> dict[tuple[str, str], str]:
    """``{(class, trait): default cell}`` from the reference's trait tables."""
    rows: dict[tuple[str, str], str] = {}
    cls = None
    for line in REFERENCE.read_text().splitlines():
        header = HEADER.match(line)
        if header:
            cls = header["cls"] or DEFAULT_CLASS
            continue
        if cls is None or not line.startswith("|"):
            cls = None if not line.startswith("|") else cls
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-: "):
            continue
        name = CELL.match(cells[0])
        assert name, f"docs/configuration.md: trait cell {cells[0]!r} is not `name`"
        key = (cls, name.group(1))
        assert key not in rows, f"docs/configuration.md lists {key} twice"
        rows[key] = cells[1]
    return rows


def code() -> dict[tuple[str, str], Any]:
    return {(cls_name, name): cls for cls_name, cls in configurables().items()
            for name in own_traits(cls)}


def test_the_code_has_the_expected_classes() -> None:
    assert {"KubechatApp", "TranslatorRegistry"} <= set(configurables())
    assert len(code()) >= 30


def test_every_trait_is_documented_with_its_real_default() -> None:
    docs = documented()
    problems = []
    for (cls_name, name), cls in sorted(code().items()):
        cell = docs.get((cls_name, name))
        real = default_of(cls, name)
        if cell is None:
            problems.append(f"{cls_name}.{name} (default {real!r}) is not in "
                            "docs/configuration.md: add a row `| `" + name + f"` | `{real!r}` | "
                            "... |` to its table")
            continue
        literal = CELL.match(cell)
        if literal is None:
            if not (is_computed(cls, name) and cell.startswith("computed:")):
                problems.append(f"{cls_name}.{name}: default cell {cell!r} must be the literal "
                                f"`{real!r}` (or 'computed: ...' for a @default trait)")
            continue
        try:
            value = ast.literal_eval(literal.group(1))
        except (ValueError, SyntaxError):
            problems.append(f"{cls_name}.{name}: default {cell} is not a Python literal")
            continue
        if value != real or type(value) is not type(real):
            problems.append(f"{cls_name}.{name}: documented default {value!r}, real {real!r}")
    assert not problems, "\n".join(problems)


def test_every_documented_trait_exists() -> None:
    known = code()
    ghosts = [f"{c}.{n}" for c, n in documented() if (c, n) not in known]
    assert not ghosts, f"docs/configuration.md documents traits the code does not have: {ghosts}"


OPTION = re.compile(r"(?:\bc\.|--)(?P<cls>[A-Z]\w+)\.(?P<trait>[a-z_]\w*)")


def jupyter_classes() -> dict[str, Any]:
    """Jupyter's own classes the docs may configure beside kubechat's."""
    from jupyter_server.auth.identity import IdentityProvider
    from jupyter_server.gateway.gateway_client import GatewayClient
    from jupyter_server.serverapp import ServerApp
    from jupyterhub.app import JupyterHub
    from jupyterhub.spawner import Spawner
    from jupyterlab.labapp import LabApp

    return {"ServerApp": ServerApp, "IdentityProvider": IdentityProvider, "LabApp": LabApp,
            "GatewayClient": GatewayClient, "JupyterHub": JupyterHub, "Spawner": Spawner}


def test_every_option_written_in_the_docs_exists() -> None:
    classes = {**jupyter_classes(), **configurables()}
    texts = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")),
             *sorted((REPO / "binder").glob("*"))]
    problems, seen = [], 0
    for path in texts:
        for match in OPTION.finditer(path.read_text()):
            seen += 1
            cls = classes.get(match["cls"])
            if cls is None:
                problems.append(f"{path.name}: {match[0]}: no configurable class {match['cls']}")
            elif match["trait"] not in cls.class_traits(config=True):
                problems.append(f"{path.name}: {match[0]}: {match['cls']} has no option "
                                f"{match['trait']!r}")
    assert seen > 20 and not problems, "\n".join(problems)


def _with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, old: str, new: str) -> None:
    text = REFERENCE.read_text()
    assert old in text
    fake = tmp_path / "configuration.md"
    fake.write_text(text.replace(old, new, 1))
    monkeypatch.setattr(f"{__name__}.REFERENCE", fake)


def test_a_wrong_default_is_caught(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _with(tmp_path, monkeypatch, "| `proposal_ttl` | `900.0` |", "| `proposal_ttl` | `600.0` |")
    with pytest.raises(AssertionError, match="proposal_ttl: documented default 600.0, real 900.0"):
        test_every_trait_is_documented_with_its_real_default()


def test_a_missing_and_a_ghost_trait_are_caught(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    _with(tmp_path, monkeypatch, "| `proposal_ttl` | `900.0` |", "| `proposal_tll` | `900.0` |")
    with pytest.raises(AssertionError, match="KubechatApp.proposal_ttl .* is not in"):
        test_every_trait_is_documented_with_its_real_default()
    with pytest.raises(AssertionError, match="KubechatApp.proposal_tll"):
        test_every_documented_trait_exists()
