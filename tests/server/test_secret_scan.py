"""Scan: after every secret-writing form runs through the server, no value is anywhere recorded.

A real jupyter server with kubechat, the real sandbox (a scratch namespace), the real audit
database, a local webhook receiver and every log record the server process emits. Each form
writes fresh random values; afterwards every ``audit_event`` row (``payload`` and
``payload_json``), every webhook body and every log line is searched for each value in every
spelling (as typed, base64, JSON-escaped).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.plugins.sandbox import scratch_namespace
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]


class _Hooks:
    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.lock = threading.Lock()


@pytest.fixture
def hooks() -> Iterator[tuple[str, _Hooks]]:
    state = _Hooks()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with state.lock:
                state.bodies.append(body)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", state
    server.shutdown()
    server.server_close()


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def server_log() -> Iterator[_Capture]:
    """Every record of every logger, DEBUG included (the prompt and request lines too)."""
    capture = _Capture()
    root = logging.getLogger()
    saved = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(capture)
    extra = [logging.getLogger(n) for n in ("ServerApp", "tornado.access",
                                            "tornado.application", "tornado.general")]
    for logger in extra:
        logger.addHandler(capture)
    yield capture
    root.removeHandler(capture)
    root.setLevel(saved)
    for logger in extra:
        logger.removeHandler(capture)


@pytest.fixture
def kubechat_settings(sandbox: Any, audit_db: Any, api_key_file: Path,
                      hooks: tuple[str, _Hooks]) -> dict[str, Any]:
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 20.0,
        "event_webhooks": [hooks[0]],
    }


@pytest.fixture
def admin(sandbox: Any) -> Iterator[Any]:
    """The kubernetes client as the sandbox admin, to check what the cluster got."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    yield client.CoreV1Api(api_client)
    api_client.close()


@pytest.fixture
def namespace(sandbox: Any) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-redact") as name:
        yield name


def _value() -> str:
    return "Sv" + secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _spellings(value: str) -> list[bytes]:
    return [s.encode() for s in {value, _b64(value), json.dumps(value)[1:-1]}]


_SHARED: list[str] = []  # what proposals offer for sharing (runbooks): scanned like the rest


async def _run(api: Api, proposal: dict[str, Any]) -> dict[str, Any]:
    _SHARED.append(json.dumps([proposal.get("secret_template"), proposal.get("redacted")]))
    assert proposal["secret_template"] is not None and proposal["redacted"], proposal
    pid = proposal["id"]
    assert proposal["level"] == "warning", proposal
    code, body = await api.call("POST", f"proposals/{pid}/approve")
    assert code == 200, body
    code, body = await api.call("POST", f"proposals/{pid}/execute")
    assert code == 200, body
    return dict(body)


async def _propose(api: Api, command: str, manifest: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"command": command}
    if manifest is not None:
        body["manifest"] = manifest
    code, proposal = await api.call("POST", "propose", body)
    assert code == 201, proposal
    return dict(proposal)


async def test_no_secret_value_in_audit_rows_logs_or_webhooks(
    api: Api, admin: Any, audit_db: Any, namespace: str, hooks: tuple[str, _Hooks],
    server_log: _Capture,
) -> None:
    import psycopg

    values: dict[str, str] = {}
    _SHARED.clear()

    def new(name: str) -> str:
        values[name] = _value()
        return values[name]

    ns = namespace
    # create secret generic: both --from-literal spellings
    await _run(api, await _propose(
        api, f"kubectl create secret generic s1 -n {ns} --from-literal=pw={new('lit1')} "
        f"--from-literal other={new('lit2')}"))
    # patches of every type, data and stringData
    await _run(api, await _propose(
        api, f"kubectl patch secret s1 -n {ns} --type=merge "
        f"-p '{{\"data\":{{\"pw\":\"{_b64(new('merge'))}\"}}}}'"))
    await _run(api, await _propose(
        api, f"kubectl patch secret/s1 -n {ns} --type=json "
        f"-p '[{{\"op\":\"add\",\"path\":\"/stringData\",\"value\":"
        f"{{\"k\":\"{new('json')}\"}}}}]'"))
    await _run(api, await _propose(
        api, f"kubectl patch secrets s1 -n {ns} "
        f"--patch='{{\"stringData\":{{\"s\":\"{new('strategic')}\"}}}}'"))
    # manifests: YAML documents, a JSON List, a replace
    manifest = (f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: s2\nstringData:\n"
                f"  pw: {new('yaml1')}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n"
                f"  name: s3\ndata:\n  pw: {_b64(new('yaml2'))}\n")
    await _run(api, await _propose(api, f"kubectl apply -n {ns} -f -", manifest))
    listed = json.dumps({"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s4"},
         "stringData": {"token": new("list")}}]})
    await _run(api, await _propose(api, f"kubectl create -n {ns} -f -", listed))
    replaced = json.dumps({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s2"},
                           "data": {"pw": _b64(new("replace"))}})
    await _run(api, await _propose(api, f"kubectl replace -n {ns} -f -", replaced))
    # a question that asks for a secret, run
    code, asked = await api.call("POST", "ask", {
        "question": f"create a secret called s5 in {ns} with password={new('asked')}"})
    assert code == 200 and asked["proposal"] is not None, asked
    await _run(api, asked["proposal"])
    # questions whose values no command keeps (the translator drops or refuses them)
    for question in (f"remember that the api token is {new('dropped')}",
                     f"create secret docker-registry reg -n {ns} "
                     f"--docker-password={new('docker')} --docker-username=bob"):
        code, asked = await api.call("POST", "ask", {"question": question})
        assert code in (200, 400), asked
    # lines the grammar refuses are recorded without their text
    for line in (f"kubectl create secret docker-registry reg -n {ns} "
                 f"--docker-password={new('refused')}",
                 f"kubectl create secret generic s6 -n {ns} --from-env-file=/tmp/{new('env')}",
                 f"kubectl create secret generic s6 -n {ns} --from-file=k=/tmp/{new('file')}"):
        code, body = await api.call("POST", "propose", {"command": line})
        assert code == 400, body
    # a rejection whose reason quotes a value
    proposal = await _propose(
        api, f"kubectl create secret generic s7 -n {ns} --from-literal=pw={new('rejected')}")
    code, body = await api.call("POST", f"proposals/{proposal['id']}/reject",
                                {"reason": f"not with password={values['rejected']}"})
    assert code == 200, body

    # The cluster got the values: what runs is what was typed.
    written = admin.read_namespaced_secret("s1", ns).data
    assert base64.b64decode(written["k"]).decode() == values["json"]
    assert base64.b64decode(written["other"]).decode() == values["lit2"]
    assert base64.b64decode(admin.read_namespaced_secret("s2", ns).data["pw"]).decode() == (
        values["replace"])
    assert base64.b64decode(admin.read_namespaced_secret("s5", ns).data["password"]).decode() == (
        values["asked"])

    with psycopg.connect(audit_db.dsn) as conn:
        rows = conn.execute(
            "SELECT seq, convert_from(payload, 'UTF8'), payload_json::text"
            " FROM kubechat_audit.audit_event ORDER BY seq").fetchall()
    head = rows[-1][0]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # waiting for delivery, not asserting a duration
        with hooks[1].lock:
            seen = {json.loads(b).get("seq") for b in hooks[1].bodies}
        if {r[0] for r in rows} <= seen:
            break
        time.sleep(0.1)
    with hooks[1].lock:
        bodies = list(hooks[1].bodies)
    assert len(rows) >= 30 and len(bodies) >= len(rows), (len(rows), len(bodies))
    assert any("<redacted>" in r[1] for r in rows)
    places = {
        "audit payload": "\n".join(r[1] for r in rows).encode(),
        "audit payload_json": "\n".join(r[2] for r in rows).encode(),
        "webhooks": b"\n".join(bodies),
        "server log": "\n".join(server_log.lines).encode(),
        "runbook template": "\n".join(_SHARED).encode(),
    }
    assert "kubernetes command verb=patch" in "\n".join(server_log.lines)
    leaks = [(name, where) for name, value in values.items() for where, text in places.items()
             for spelling in _spellings(value) if spelling in text]
    assert not leaks, f"secret values reached: {leaks} (audit head {head})"
    code, verified = await api.call("GET", "audit/verify")
    assert code == 200 and verified["ok"], verified


async def test_a_conversation_keeps_no_value_for_a_follow_up(
    api: Api, admin: Any, namespace: str
) -> None:
    """The turn a follow-up reads has no value; reusing it is refused, not written."""
    from kubernetes.client.exceptions import ApiException

    with pytest.raises(ApiException) as absent:  # the follow-up's target is free
        admin.read_namespaced_secret("db", "default")
    assert absent.value.status == 404
    value = _value()
    code, asked = await api.call("POST", "ask", {
        "question": f"create a secret called db in {namespace} with password={value}",
        "conversation": "kc-redact-follow-up"})
    assert code == 200 and asked["proposal"] is not None, asked
    await _run(api, asked["proposal"])
    code, again = await api.call("POST", "ask", {
        "question": "and in default?", "conversation": "kc-redact-follow-up"})
    assert code == 400 and again["reason"] == "redacted-value", again
    assert value not in json.dumps(again)
    with pytest.raises(ApiException) as missing:  # nothing was written with the placeholder
        admin.read_namespaced_secret("db", "default")
    assert missing.value.status == 404
