"""``%kubechat watch``: propose a ``get``, stream its watch into a live table, return the frame.

The cell runs while the watch does (like ``kubectl get -w``), and ends on the table's Stop
button (the page asks the server to stop), a kernel interrupt, ``--for DURATION``, or the
server's own limit. The final frame is the table as it stood; every change is kept in the
``watch_events`` frame (time, type, namespace, name) for SQL.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import ClusterError
from kubechat_lab.kernel._frames import frame_from_rows

if TYPE_CHECKING:
    import pandas as pd

    from kubechat_lab.kernel._client import KubechatClient
    from kubechat_lab.kernel._registry import FrameRegistry
    from kubechat_lab.kernel.magics import Options

__all__ = ["run_watch"]

_REDRAW = 0.2  # seconds between two redraws of the live table


def run_watch(client: KubechatClient, text: str, opts: Options,
              registry: FrameRegistry) -> pd.DataFrame:
    """Watch ``text`` (a kubectl get) until stopped; return the table as it stood.

    Raises
    ------
    KubechatError
        The proposal was refused or not approved, or the watch could not start.
    """
    from kubechat_lab.kernel._display import show
    from kubechat_lab.kernel._flow import settle
    from kubechat_lab.widgets import CommandCard, LiveTable
    from kubechat_lab.widgets._cards import CardState

    proposal = client.propose(text, context=opts.context)
    card = CommandCard(proposal)
    show(card)
    approved = settle(client, card, proposal, approve=opts.approve, wait=opts.wait)
    pid = str(approved["id"])
    table = LiveTable(proposal_id=pid, command=str(approved.get("command") or text))
    show(table)
    card.move(CardState.EXECUTING, "watching…")
    state = _State()
    stream = client.watch(pid, seconds=opts.duration)
    reason = "ended"
    try:
        for event in stream:
            reason = state.apply(event) or reason
            if state.due() or event["type"] in ("start", "snapshot", "end"):
                table.show(state.column_names, state.rows_json(), events=state.events,
                           elapsed=state.elapsed(), status="watching" if event["type"] != "end"
                           else f"stopped ({reason})", last=state.last)
            if event["type"] == "end":
                break
    except KeyboardInterrupt:
        reason = "interrupted"
    finally:
        stream.close()  # closing the stream stops the watch on the server (audited)
    if state.error:
        card.move(CardState.FAILED, state.error)
        table.status = f"failed: {state.error}"
        raise ClusterError(f"the watch failed: {state.error}", reason=state.error_reason)
    card.move(CardState.EXECUTED, f"watch {reason}: {state.events} events in "
                                  f"{state.elapsed():.1f} s")
    table.show(state.column_names, state.rows_json(), events=state.events,
               elapsed=state.elapsed(), status=f"stopped ({reason})", last=state.last)
    frame = state.frame()
    registry.add(state.events_frame())
    return frame


class _State:
    """The table a watch keeps current, keyed by (namespace, name)."""

    def __init__(self) -> None:
        self.columns: list[list[str]] = []
        self.kind = "table"
        self.rows: dict[tuple[Any, Any], list[Any]] = {}
        self.log: list[tuple[str, str, Any, Any]] = []
        self.events = 0
        self.started = time.monotonic()
        self.drawn = 0.0
        self.last = ""
        self.error = ""
        self.error_reason = ""

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    def _key(self, row: list[Any]) -> tuple[Any, Any]:
        names = self.column_names
        ns = row[names.index("namespace")] if "namespace" in names else None
        return (ns, row[names.index("name")] if "name" in names else tuple(row))

    def apply(self, event: dict[str, Any]) -> str | None:
        kind = event.get("type")
        if kind == "start":
            self.columns = [list(c) for c in event.get("columns") or ()]
            self.kind = str(event.get("kind") or "table")
        elif kind == "snapshot":
            self.rows = {self._key(r): r for r in event.get("rows") or ()}
        elif kind in ("ADDED", "MODIFIED", "DELETED"):
            self.events += 1
            now = datetime.now(UTC).isoformat()
            for row in event.get("rows") or ():
                key = self._key(row)
                if kind == "DELETED":
                    self.rows.pop(key, None)
                else:
                    self.rows[key] = row
                self.log.append((now, str(kind), key[0], key[1]))
                self.last = f"{kind} {key[1]}" + (f" in {key[0]}" if key[0] else "")
        elif kind == "error":
            self.error = str(event.get("message") or "watch failed")
            self.error_reason = str(event.get("reason") or "")
        elif kind == "end":
            return str(event.get("reason") or "ended")
        return None

    def due(self) -> bool:
        now = time.monotonic()
        if now - self.drawn >= _REDRAW:
            self.drawn = now
            return True
        return False

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def rows_json(self) -> list[list[Any]]:
        return [[_cell(v) for v in row] for row in self.rows.values()]

    def frame(self) -> pd.DataFrame:
        return frame_from_rows(self.columns, list(self.rows.values()), self.kind)

    def events_frame(self) -> pd.DataFrame:
        columns = [["time", "datetime"], ["type", "str"], ["namespace", "str"], ["name", "str"]]
        return frame_from_rows(columns, [list(e) for e in self.log], "watch-events")


def _cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return str(value)
    return value
