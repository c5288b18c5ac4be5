"""The kernel's frames have exactly the dtypes and values of ``kubechat run`` (Result.to_frame),
whether the result travelled as Arrow IPC or as columnar JSON."""

from __future__ import annotations

import orjson
import pandas.testing as pdt
import pyarrow as pa
import pytest

from kubechat_lab.cluster import Column, Result
from kubechat_lab.kernel._frames import frame_from_arrow, outcome_from_json
from kubechat_lab.server.handlers._arrow import arrow_payload

COLUMNS = (
    Column("namespace", "str"), Column("name", "str"), Column("restarts", "int"),
    Column("ratio", "float"), Column("ready", "bool"), Column("created", "datetime"),
    Column("age", "timedelta"), Column("labels", "json"),
)
ROWS = (
    ("shop", "web-1", 3, 0.5, True, "2025-01-02T03:04:05Z", 3600.0, {"app": "web"}),
    ("shop", None, None, None, None, None, None, None),
    ("data", "etl-0", 0, 1.25, False, "2025-06-01T00:00:00Z", 12.5, {"a": [1, 2]}),
)
PROPOSAL = {"id": "p_" + "0" * 20, "state": "executed", "command": "kubectl get pods -A"}


@pytest.fixture
def result() -> Result:
    return Result("pods", COLUMNS, ROWS, text=None, diff="--- a\n+++ b\n", status="ok")


def test_arrow_frame_equals_kubechat_run_frame(result: Result) -> None:
    outcome = frame_from_arrow(arrow_payload(PROPOSAL, result))
    expected = result.to_frame()
    assert outcome.frame is not None
    pdt.assert_frame_equal(outcome.frame, expected)
    assert list(outcome.frame.dtypes.astype(str)) == list(expected.dtypes.astype(str))
    assert outcome.frame.attrs == {"kind": "pods", "status": "ok"}
    assert outcome.proposal == PROPOSAL
    assert outcome.diff == "--- a\n+++ b\n" and outcome.text is None
    assert outcome.frame.loc[0, "labels"] == {"app": "web"}


def test_json_frame_equals_kubechat_run_frame(result: Result) -> None:
    body = {**PROPOSAL, "result": orjson.loads(result.to_json())}
    outcome = outcome_from_json(body, 100)
    assert outcome.frame is not None and outcome.transfer == "json"
    pdt.assert_frame_equal(outcome.frame, result.to_frame())


def test_empty_and_text_only_results() -> None:
    empty = Result("pods", COLUMNS, ())
    outcome = frame_from_arrow(arrow_payload(PROPOSAL, empty))
    assert outcome.frame is not None and len(outcome.frame) == 0
    pdt.assert_frame_equal(outcome.frame, empty.to_frame())
    text = Result("describe", (), text="Name: web-1\n")
    outcome = frame_from_arrow(arrow_payload(PROPOSAL, text))
    assert outcome.frame is None and outcome.text == "Name: web-1\n"


def test_not_an_arrow_stream_is_a_clear_error(result: Result) -> None:
    with pytest.raises(ValueError, match="not an Arrow IPC stream"):
        frame_from_arrow(b"<html>proxy error</html>")
    # an Arrow stream that is not kubechat's (no columns or proposal in its metadata)
    sink = pa.BufferOutputStream()
    table = result.to_arrow()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    with pytest.raises(ValueError, match="lacks kubechat metadata"):
        frame_from_arrow(sink.getvalue().to_pybytes())
