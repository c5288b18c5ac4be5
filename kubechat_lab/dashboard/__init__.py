"""The cluster at a glance: fixed safe reads, and the tiles derived from their results."""

from __future__ import annotations

from kubechat_lab.dashboard._build import AllReadsFailedError, build_snapshot
from kubechat_lab.dashboard._derive import PHASES, derive_tiles, phase_of
from kubechat_lab.dashboard._model import DashboardRead, Snapshot, Tile
from kubechat_lab.dashboard._reads import READS, cell_source, magic_line

__all__ = [
    "PHASES",
    "READS",
    "AllReadsFailedError",
    "DashboardRead",
    "Snapshot",
    "Tile",
    "build_snapshot",
    "cell_source",
    "derive_tiles",
    "magic_line",
    "phase_of",
]
