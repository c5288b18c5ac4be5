"""Result: typed columns, column-wise construction, columnar JSON and Arrow round trips."""

from __future__ import annotations

import pandas as pd
import pytest

from kubechat_lab.cluster import Column, Result

COLUMNS = (Column("namespace", "str"), Column("name", "str"), Column("restarts", "int"),
           Column("cpu_share", "float"), Column("ready", "bool"), Column("age", "timedelta"),
           Column("created", "datetime"), Column("labels", "json"))
DATA = [["shop", None], ["web-1", "web-2"], [3, None], [0.5, None], [True, None],
        [90.5, None], ["2026-01-02T03:04:05Z", None], [{"app": "web"}, {}]]


def result() -> Result:
    return Result.from_columns("pods", COLUMNS, DATA)


def test_to_frame_types_every_column_and_keeps_nulls() -> None:
    frame = result().to_frame()
    assert list(frame.columns) == [c.name for c in COLUMNS]
    assert frame["restarts"].dtype == "Int64"
    assert frame["cpu_share"].dtype == "Float64"
    assert frame["ready"].dtype == "boolean"
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]"
    assert str(frame["age"].dtype) == "timedelta64[ns]"
    assert frame["age"][0] == pd.Timedelta(seconds=90.5)
    assert frame["created"][0] == pd.Timestamp("2026-01-02T03:04:05Z")
    assert frame["labels"][0] == {"app": "web"}
    assert frame["restarts"].isna().tolist() == [False, True]
    assert pd.isna(frame["namespace"][1]) and pd.isna(frame["created"][1])
    assert frame.attrs["kind"] == "pods"


def test_empty_result_still_has_typed_columns() -> None:
    frame = Result("pods", COLUMNS, ()).to_frame()
    assert len(frame) == 0
    assert frame["restarts"].dtype == "Int64"
    assert str(frame["created"].dtype) == "datetime64[ns, UTC]"


def test_columnar_json_round_trip() -> None:
    original = Result.from_columns("pods", COLUMNS, DATA, diff="--- a\n", status="dry-run")
    again = Result.from_json(original.to_json())
    assert again == original
    assert Result.from_json(original.to_json().decode()) == original


def test_arrow_has_the_same_types() -> None:
    table = result().to_arrow()
    assert str(table.schema.field("created").type) == "timestamp[ns, tz=UTC]"
    assert str(table.schema.field("age").type) == "duration[us]"
    frame = table.to_pandas()
    assert frame["age"][0] == pd.Timedelta(seconds=90.5)
    assert frame["labels"][0] == '{"app":"web"}'


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match="2 columns but 1 data sequences"):
        Result.from_columns("x", COLUMNS[:2], [[1]])
    with pytest.raises(ValueError, match="different lengths"):
        Result.from_columns("x", COLUMNS[:2], [[1], [1, 2]])
    with pytest.raises(ValueError, match="dtype 'date'"):
        Column("x", "date")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a serialized Result"):
        Result.from_json(b"[1, 2]")
