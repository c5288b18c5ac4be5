"""The pandas dtype of each kubechat column type, shared by ``cluster`` and ``kernel``.

Both build frames from the same JSON values (``Result.to_frame`` in the server and CLI, the
kernel's decoder of Arrow and JSON replies), and they must agree exactly; this module holds the
one mapping and imports nothing heavy until a frame is built.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PANDAS_DTYPES", "typed_series"]

#: pandas dtype of each column type (nullable, so the dtype never depends on the data).
PANDAS_DTYPES: dict[str, str] = {
    "str": "str",
    "int": "Int64",
    "float": "Float64",
    "bool": "boolean",
    "datetime": "datetime64[ns, UTC]",
    "timedelta": "timedelta64[ns]",
    "json": "object",
}


def typed_series(values: Any, dtype: str) -> Any:
    """Convert one column of JSON values (``datetime`` as RFC 3339, ``timedelta`` as seconds)."""
    import pandas

    if dtype == "datetime":
        return pandas.to_datetime(
            pandas.Series(values, dtype="object"), utc=True, format="ISO8601"
        ).astype("datetime64[ns, UTC]")
    if dtype == "timedelta":
        return pandas.to_timedelta(
            pandas.Series(values, dtype="float64"), unit="s"
        ).astype("timedelta64[ns]")
    if dtype == "json":
        return pandas.Series(values, dtype="object")
    return pandas.Series(values, dtype=PANDAS_DTYPES.get(dtype, "object"))
