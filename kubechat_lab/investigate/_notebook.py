"""Save an investigation as a runbook notebook (reads as ``%kubectl`` cells, findings as text).

nbformat 4 JSON, built by hand (no dependency on nbformat).
"""

from __future__ import annotations

from typing import Any

from kubechat_lab.investigate._run import Investigation

__all__ = ["to_notebook"]


def _lines(text: str) -> list[str]:
    parts = text.split("\n")
    return [p + "\n" for p in parts[:-1]] + [parts[-1]]


def _cell(kind: str, text: str) -> dict[str, Any]:
    cell: dict[str, Any] = {"cell_type": kind, "metadata": {}, "source": _lines(text)}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("<", "&lt;")


def to_notebook(inv: Investigation) -> dict[str, Any]:
    """Return the runbook notebook of ``inv`` (a JSON-ready nbformat 4 document).

    Re-running it repeats the same reads (each through kubechat: judged, audited, as the
    person running it) and shows the findings as they were when it was saved. A write a
    finding proposes is written as text, never as a cell that would run it.
    """
    subject = inv.subject
    title = f"# Why: {subject.label}\n\n"
    if inv.question:
        title += f"Question: *{_md_escape(inv.question)}*\n\n"
    title += ("Saved from `%kubechat why`. Every read below is a safe read run through kubechat "
              "(policy, audit, your identity); the findings are those of the saved run.")
    cells = [_cell("markdown", title), _cell("code", "%load_ext kubechat_lab")]
    md = ["## Findings", ""]
    for i, finding in enumerate(inv.findings, 1):
        md.append(f"{i}. **{_md_escape(finding.title)}** ({finding.severity})")
        md += [f"    - `{_md_escape(row)}`" for row in finding.evidence]
        if finding.next_command:
            md.append(f"    - next: `{finding.next_command}`")
    cells.append(_cell("markdown", "\n".join(md)))
    cells.append(_cell("markdown", "## Evidence (the reads, as run)"))
    for e in inv.evidence:
        cells.append(_cell("markdown", f"**{e.read.step}**"
                                       + (f" (gave nothing: {_md_escape(e.error)})"
                                          if e.error else "")))
        cells.append(_cell("code", "%" + e.read.command))
    for i, cell in enumerate(cells):
        cell["id"] = f"why-{i}"
    return {"cells": cells, "metadata": {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "kubechat": {"investigation": subject.to_dict()}}, "nbformat": 4, "nbformat_minor": 5}
