"""``%kubechat why``: an investigation's findings in the notebook, and Save as notebook."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["InvestigationReport"]


def _md(text: object) -> str:
    return str(text).replace("|", "\\|").replace("<", "&lt;")


class InvestigationReport:
    """What ``%kubechat why`` returns (after showing :meth:`to_markdown` and the next-step card).

    ``findings`` is a frame, ``commands`` the reads that ran, ``save`` writes the runbook.

    Parameters
    ----------
    reply
        The server's reply to ``POST investigate``.
    """

    def __init__(self, reply: Mapping[str, Any]) -> None:
        self.reply = dict(reply)

    @property
    def findings(self) -> pd.DataFrame:
        """The findings as a frame (title, severity, next_command, evidence)."""
        import pandas as pd

        frame = pd.DataFrame(self.reply.get("findings") or [],
                             columns=["title", "severity", "next_command", "evidence", "steps"])
        frame.attrs["kind"] = "findings"
        return frame

    @property
    def title(self) -> str:
        """``why: deployment checkout in shop``."""
        subject = self.reply.get("subject") or {}
        where = f" in {subject.get('namespace')}" if subject.get("namespace") else ""
        return f"why: {str(subject.get('kind', ''))[:-1]} {subject.get('name')}{where}"

    @property
    def commands(self) -> list[str]:
        """The exact commands the investigation ran (in order)."""
        return [str(r["command"]) for r in self.reply.get("reads") or []]

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the investigation as a runbook notebook (``.ipynb``); return its path."""
        target = Path(path)
        if target.suffix != ".ipynb":
            target = target.with_suffix(".ipynb")
        text = json.dumps(self.reply["notebook"], indent=1) + "\n"
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".kubechat-", suffix=".ipynb")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
        return target

    def to_markdown(self) -> str:
        """Return the findings and the reads as Markdown (what ``%kubechat why`` shows)."""
        subject = self.reply.get("subject") or {}
        where = f" in {subject.get('namespace')}" if subject.get("namespace") else ""
        lines = [f"### Why: {str(subject.get('kind', ''))[:-1]} {subject.get('name')}{where}",
                 "", "**Findings** (deterministic, from the evidence below; no LLM summary)", ""]
        for i, finding in enumerate(self.reply.get("findings") or [], 1):
            lines.append(f"{i}. **{_md(finding['title'])}** *({finding['severity']})*")
            lines += [f"    - `{_md(row)}`" for row in finding.get("evidence") or []]
            if finding.get("next_command"):
                lines.append(f"    - next: `{_md(finding['next_command'])}`")
        lines += ["", f"**Reads** (safe, each audited as its proposal; "
                      f"{self.reply.get('seconds', 0):.1f} s)", "", "| step | command | result |",
                  "|---|---|---|"]
        for read in self.reply.get("reads") or []:
            got = read.get("error") or (f"{read.get('objects')} objects" if read.get("objects")
                                        else f"{read.get('rows')} rows")
            lines.append(f"| {_md(read['step'])} | `{_md(read['command'])}` | {_md(got)} |")
        lines += ["", "Save it as a runbook: `_.save('why.ipynb')` or `%kubechat why ... "
                      "--save why.ipynb`. The card below offers the next commands: a click "
                      "proposes one (a write waits for its approval)."]
        return "\n".join(lines)

    def __repr__(self) -> str:
        subject = self.reply.get("subject") or {}
        return (f"<InvestigationReport {subject.get('kind')}/{subject.get('name')}: "
                f"{len(self.reply.get('findings') or [])} findings>")
