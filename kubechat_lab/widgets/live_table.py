"""``LiveTable``: a table a watch keeps current, with counters and a Stop button."""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from kubechat_lab.widgets import _bundle

__all__ = ["LiveTable"]

#: Rows sent to the page at most (the frame in the kernel keeps them all).
MAX_SHOWN = 200


class LiveTable(anywidget.AnyWidget):
    """The live view of ``%kubechat watch``: rows, events so far, elapsed time, and Stop.

    Stop goes from the page to the server (browser route), which ends the stream; the kernel
    then returns the final frame. A kernel interrupt or ``--for`` stop it too.

    Parameters
    ----------
    proposal_id
        The watched proposal.
    command
        The command shown in the header.
    """

    _esm = _bundle.esm()
    _css = _bundle.css()

    view = traitlets.Unicode("live").tag(sync=True)
    proposal_id = traitlets.Unicode("").tag(sync=True)
    command = traitlets.Unicode("").tag(sync=True)
    columns = traitlets.List(traitlets.Unicode()).tag(sync=True)
    rows: traitlets.List[list[Any]] = traitlets.List().tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)
    events = traitlets.Int(0).tag(sync=True)
    elapsed = traitlets.Float(0.0).tag(sync=True)
    status = traitlets.Unicode("starting").tag(sync=True)
    last = traitlets.Unicode("").tag(sync=True)

    def show(self, columns: list[str], rows: list[list[Any]], *, events: int, elapsed: float,
             status: str, last: str = "") -> None:
        """Replace what the page shows (at most :data:`MAX_SHOWN` rows)."""
        with self.hold_sync():
            self.columns = columns
            self.rows = rows[:MAX_SHOWN]
            self.total = len(rows)
            self.events = events
            self.elapsed = round(elapsed, 1)
            self.status = status
            if last:
                self.last = last

    def __repr__(self) -> str:
        return f"LiveTable({self.proposal_id}, {self.status})"
