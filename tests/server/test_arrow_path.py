"""Results reach kernels as Arrow built straight from the ``Result``; the audit digest too.

The old path went Result -> JSON -> dict -> Result -> Arrow; the reference below keeps it, and
both paths must give the same table, metadata and digest, for made-up results of every dtype
and for real ones read from the sandbox cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import orjson
import pyarrow as pa
import pytest

from kubechat_lab.audit.events import result_digest
from kubechat_lab.cluster import ClusterClient, ClusterConfig, Column, Result
from kubechat_lab.command import parse
from kubechat_lab.kernel._frames import frame_from_arrow
from kubechat_lab.pipeline import digest_result
from kubechat_lab.server.handlers._arrow import arrow_payload

PROPOSAL = {"id": "p_1", "command": "kubectl get pods -A", "state": "executed"}

MADE_UP = [
    Result("none", ()),
    Result("pods", (Column("name", "str"), Column("restarts", "int"), Column("cpu", "float"),
                    Column("ready", "bool"), Column("created", "datetime"),
                    Column("age", "timedelta"), Column("labels", "json")),
           (("web-0", 3, 0.25, True, "2026-01-02T03:04:05Z", 90.5, {"b": 1, "a": [1, None]}),
            (None, None, None, None, None, None, None),
            ("ünïcode", -1, 1e-9, False, "2026-12-31T23:59:59.5Z", 0.0, "text"))),
    Result("pods", (Column("name", "str"),), ()),
    Result("describe", (), text="Name: web-0\nStatus: Running\n"),
    Result("changes", (Column("name", "str"),), (("cm",),), diff="- a\n+ b\n", status="changed"),
]


def _old_payload(proposal: Mapping[str, Any], result: Mapping[str, Any] | None) -> bytes:
    """The path before: the result's JSON dict, rebuilt as a Result, then Arrow."""
    if result is None:
        result = {"kind": "none", "status": "ok", "columns": [], "data": []}
    table = Result.from_json(result).to_arrow()
    meta = {
        b"kubechat.kind": str(result.get("kind", "table")).encode(),
        b"kubechat.status": str(result.get("status", "ok")).encode(),
        b"kubechat.columns": orjson.dumps(result.get("columns") or []),
        b"kubechat.proposal": orjson.dumps(proposal),
    }
    for key in ("text", "diff"):
        value = result.get(key)
        if isinstance(value, str):
            meta[f"kubechat.{key}".encode()] = value.encode()
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=8192)
    data: bytes = sink.getvalue().to_pybytes()
    return data


def _same(result: Result) -> None:
    data = orjson.loads(result.to_json())
    assert result.to_columnar() == data
    assert digest_result(result) == result_digest(data)
    new, old = arrow_payload(PROPOSAL, result), _old_payload(PROPOSAL, data)
    new_table = pa.ipc.open_stream(new).read_all()
    old_table = pa.ipc.open_stream(old).read_all()
    assert new_table.equals(old_table, check_metadata=True)
    assert new_table.schema.metadata == old_table.schema.metadata
    outcome = frame_from_arrow(new)
    assert outcome.kind == result.kind and outcome.status == result.status
    if result.columns:
        assert outcome.frame is not None and len(outcome.frame) == len(result)


@pytest.mark.parametrize("result", MADE_UP, ids=lambda r: f"{r.kind}-{len(r)}")
def test_arrow_and_digest_from_the_result_equal_the_json_detour(result: Result) -> None:
    _same(result)


def test_no_result_is_the_empty_one() -> None:
    assert arrow_payload(PROPOSAL, None) == _old_payload(PROPOSAL, None)


@pytest.fixture(scope="module")
def client(sandbox: Any) -> Iterator[ClusterClient]:
    client = ClusterClient(ClusterConfig(kubeconfig=str(sandbox.kubeconfig)))
    yield client
    client.close()


@pytest.mark.sandbox
@pytest.mark.parametrize("text", [
    "kubectl get pods -A", "kubectl get deployments -n shop -o wide", "kubectl get nodes",
    "kubectl get events -A", "kubectl describe deployment checkout -n shop",
    "kubectl get configmaps -A -o yaml", "kubectl api-resources",
])
def test_real_results_take_the_same_path(client: ClusterClient, text: str) -> None:
    _same(client.execute(parse(text)))
