"""Audit records as a pandas DataFrame and as a Parquet file that can still be verified."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING

from kubechat_lab.audit._records import AuditRecord

if TYPE_CHECKING:
    import pandas as pd  # type: ignore[import-untyped,unused-ignore]

    from kubechat_lab.audit._store import AuditStore

__all__ = ["PARQUET_COLUMNS", "export_parquet", "to_frame"]

logger = logging.getLogger(__name__)

PARQUET_COLUMNS = (
    "seq", "at", "type", "user", "prev_hash", "entry_hash", "payload", "event_json",
)  # fmt: skip
"""Columns of :func:`export_parquet`: hashes and ``payload`` are the raw bytes."""

_LEAD = ("seq", "at", "type", "user", "prev_hash", "entry_hash")


def to_frame(records: Iterable[AuditRecord]) -> pd.DataFrame:
    """Build a DataFrame with one row per record, event fields flattened one level.

    Parameters
    ----------
    records
        Audit records (e.g. ``store.records(...)``).

    Returns
    -------
    pandas.DataFrame
        Columns ``seq`` (int64), ``at`` (datetime64 UTC), ``type``, ``user``, ``prev_hash``
        and ``entry_hash`` (hex strings), then every other top-level event field in sorted
        order (nested values stay Python lists/dicts); missing fields are ``None``.
    """
    import pandas as pd

    rows: list[dict[str, object]] = []
    extra: set[str] = set()
    for record in records:
        row: dict[str, object] = {
            "seq": record.seq,
            "at": record.at,
            "prev_hash": record.prev_hash.hex(),
            "entry_hash": record.entry_hash.hex(),
        }
        for key, value in record.event.items():
            if key in ("seq", "at", "prev_hash", "entry_hash"):
                key = f"event_{key}"
            row[key] = value
            extra.add(key)
        rows.append(row)
    columns = [*_LEAD, *sorted(extra - set(_LEAD))]
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["seq"] = frame["seq"].astype("int64")
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    return frame.astype({c: object for c in columns[2:]}).where(frame.notna(), None)


def export_parquet(
    store: AuditStore, path: str | os.PathLike[str], *, batch_size: int = 5_000
) -> int:
    """Write the whole chain (up to the current head) to a Parquet file.

    The file keeps the exact payload bytes and both hashes, so the chain can be re-verified
    from the export alone (:func:`kubechat_lab.audit.entry_hash` over ``payload``).

    Parameters
    ----------
    store
        An open store.
    path
        Target ``.parquet`` file (replaced atomically).
    batch_size
        Records per row group.

    Returns
    -------
    int
        Rows written.
    """
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    schema = pa.schema(
        [
            ("seq", pa.int64()),
            ("at", pa.timestamp("us", tz="UTC")),
            ("type", pa.string()),
            ("user", pa.string()),
            ("prev_hash", pa.binary(32)),
            ("entry_hash", pa.binary(32)),
            ("payload", pa.binary()),
            ("event_json", pa.string()),
        ]
    )
    target = os.fspath(path)
    partial = f"{target}.partial"
    written = 0
    with pq.ParquetWriter(partial, schema) as writer:
        batch: list[AuditRecord] = []
        for record in store.iter_records(batch_size=batch_size):
            batch.append(record)
            if len(batch) >= batch_size:
                writer.write_table(_table(batch, schema))
                written += len(batch)
                batch = []
        if batch or written == 0:
            writer.write_table(_table(batch, schema))
            written += len(batch)
    os.replace(partial, target)
    logger.info("audit export rows=%d path=%s", written, target)
    return written


def _table(records: list[AuditRecord], schema: object) -> object:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]

    def text(value: object) -> str | None:
        return value if isinstance(value, str) else None

    return pa.table(
        {
            "seq": [r.seq for r in records],
            "at": [r.at for r in records],
            "type": [text(r.event.get("type")) for r in records],
            "user": [text(r.event.get("user")) for r in records],
            "prev_hash": [r.prev_hash for r in records],
            "entry_hash": [r.entry_hash for r in records],
            "payload": [r.payload for r in records],
            "event_json": [r.payload.decode("utf-8") for r in records],
        },
        schema=schema,
    )
