"""Value types of the audit package: one chain record and one verification report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubechat_lab.audit._canonical import JSONValue

__all__ = ["AuditRecord", "VerifyReport"]


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One entry of the audit chain, as stored.

    Attributes
    ----------
    seq
        Position in the chain (1, 2, ... without gaps).
    at
        Commit-side timestamp from the database clock (tz-aware). Not covered by the hash;
        the hashed event carries its own ``time``.
    prev_hash
        ``entry_hash`` of ``seq - 1`` (32 zero bytes for seq 1).
    entry_hash
        ``sha256(b"kubechat-audit/v1" 0x00 seq prev_hash sha256(payload))``.
    payload
        The exact RFC 8785 bytes that were hashed.
    event
        The decoded payload. Treat it as read-only.
    """

    seq: int
    at: datetime
    prev_hash: bytes
    entry_hash: bytes
    payload: bytes
    event: dict[str, JSONValue]

    def to_dict(self) -> dict[str, JSONValue]:
        """Return a JSON-ready dict (hashes as hex, ``at`` as ISO 8601).

        Returns
        -------
        dict
            ``seq``, ``at``, ``prev_hash``, ``entry_hash`` and ``event``.
        """
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "prev_hash": self.prev_hash.hex(),
            "entry_hash": self.entry_hash.hex(),
            "event": self.event,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """The outcome of checking the chain (or the checkpoints against it).

    Attributes
    ----------
    ok
        True when every check passed.
    rows_checked
        How many chain rows were read.
    first_bad_seq
        The first seq at which a check failed (``None`` when ok).
    reason
        Why that seq failed (empty when ok).
    head_seq
        The head seq the check saw.
    head_hash
        The head hash the check saw.
    method
        ``"sql"``, ``"stream"`` or ``"checkpoints"``.
    """

    ok: bool
    rows_checked: int
    first_bad_seq: int | None
    reason: str
    head_seq: int = 0
    head_hash: bytes = bytes(32)
    method: str = ""

    def with_method(self, method: str) -> VerifyReport:
        """Return a copy labelled with the verifier that produced it.

        Parameters
        ----------
        method
            ``"sql"``, ``"stream"`` or ``"checkpoints"``.

        Returns
        -------
        VerifyReport
            The same report with ``method`` set.
        """
        return dataclasses.replace(self, method=method)

    def summary(self) -> str:
        """Return one human line: ``intact: N rows, head ...`` or ``first bad seq N: reason``.

        Returns
        -------
        str
            The line the CLI prints.
        """
        label = f"[{self.method}] " if self.method else ""
        if self.ok:
            return (
                f"{label}audit chain intact: {self.rows_checked} rows checked, head seq "
                f"{self.head_seq} hash {self.head_hash.hex()}"
            )
        return f"{label}first bad seq {self.first_bad_seq}: {self.reason}"
