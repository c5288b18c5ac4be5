"""The dashboard's values: the reads it runs, its tiles and one snapshot of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kubechat_lab.cluster._result import JSON

__all__ = ["DashboardRead", "Snapshot", "Tile"]


@dataclass(frozen=True, slots=True)
class DashboardRead:
    """One of the fixed safe reads a refresh runs.

    Parameters
    ----------
    key
        What the tiles call it (``pods``, ``top-nodes``).
    command
        The command as written (``kubectl get pods -A``); the pipeline makes it explicit.
    variable
        The name the read's frame gets in an inserted notebook cell.
    """

    key: str
    command: str
    variable: str


@dataclass(frozen=True, slots=True)
class Tile:
    """One tile: a small table derived from some of the reads, with the commands it came from.

    Parameters
    ----------
    id
        Stable identifier (``nodes``, ``pending``).
    title
        What the tile is called on screen.
    commands
        The exact commands (as run, context explicit) whose results it was derived from.
    columns
        Column names of :attr:`rows`.
    rows
        The rows shown (at most the tile's limit; :attr:`total` says how many there were).
    total
        How many rows there were before the limit.
    counts
        Headline numbers ``(label, value)`` shown on the tile (``("NotReady", 1)``).
    targets
        Per row, what ``Investigate`` names (``pod/x -n shop``), or None.
    error
        Why the tile could not be built (a read failed or was not run), else None.
    cell
        A notebook cell of ``%kubectl`` lines that reads the same frames into pandas.
    """

    id: str
    title: str
    commands: tuple[str, ...]
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[JSON, ...], ...] = ()
    total: int = 0
    counts: tuple[tuple[str, int], ...] = ()
    targets: tuple[str | None, ...] = ()
    error: str | None = None
    cell: str = ""

    @property
    def alarming(self) -> bool:
        """Whether the tile shows something failing (rows in a tile of problems, or errors)."""
        return self.error is not None or (self.id in PROBLEM_TILES and self.total > 0)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form the REST route and the widget send."""
        return {"id": self.id, "title": self.title, "commands": list(self.commands),
                "columns": list(self.columns), "rows": [list(r) for r in self.rows],
                "total": self.total, "counts": [[k, v] for k, v in self.counts],
                "targets": list(self.targets), "error": self.error,
                "alarming": self.alarming, "cell": self.cell}


#: Tiles whose every row is a problem (a non-empty one is shown as alarming).
PROBLEM_TILES = frozenset({"not-running", "pending", "workloads", "warnings"})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What one refresh saw.

    Parameters
    ----------
    context
        The kubeconfig context read.
    generated_at
        When the reads finished (RFC 3339, UTC).
    seconds
        How long the reads and the derivation took.
    commands
        Every command the refresh ran, exactly as run (what the audit event lists).
    tiles
        The tiles, in display order.
    errors
        ``(command, message)`` of each read that failed or was not run.
    audit_seq
        Seq of the refresh's one audit event (None when the sink has none).
    """

    context: str | None
    generated_at: str
    seconds: float
    commands: tuple[str, ...]
    tiles: tuple[Tile, ...]
    errors: tuple[tuple[str, str], ...] = ()
    audit_seq: int | None = None

    def tile(self, tile_id: str) -> Tile:
        """Return the tile ``tile_id`` (KeyError naming the known ids when there is none)."""
        for t in self.tiles:
            if t.id == tile_id:
                return t
        msg = f"no tile {tile_id!r}; tiles: {', '.join(t.id for t in self.tiles)}"
        raise KeyError(msg)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form of ``GET kubechat/api/dashboard``."""
        return {"context": self.context, "generated_at": self.generated_at,
                "seconds": round(self.seconds, 4), "commands": list(self.commands),
                "tiles": [t.to_dict() for t in self.tiles],
                "errors": [{"command": c, "message": m} for c, m in self.errors],
                "audit_seq": self.audit_seq}
