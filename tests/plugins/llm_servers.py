"""Local HTTP servers that speak the Ollama and OpenAI wire protocols, with scripted replies.

No model runs here, so the real ``ollama`` and ``openai`` client libraries talk to these
servers on 127.0.0.1. Each test scripts what the "model" answers, in order (a JSON answer,
prose, an error status with a body and headers, a slow reply), and then asserts on what the
server received.

Implemented:

- Ollama ``POST /api/chat``: ``format`` (JSON schema) and ``stream`` (NDJSON lines, an
  ``{"error": ...}`` line mid-stream), error bodies ``{"error": "..."}``.
- OpenAI ``POST /v1/chat/completions``: ``response_format`` (json_schema), ``stream`` (SSE
  ``data:`` chunks and ``[DONE]``), error bodies ``{"error": {"message", "type", ...}}``,
  ``Retry-After`` headers.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

import pytest

__all__ = ["FakeLLMServer", "Received", "Scripted", "ollama_server", "openai_server"]

Protocol = Literal["ollama", "openai"]


@dataclass
class Scripted:
    """One scripted answer: the model's message content, or an HTTP error, maybe slow."""

    content: str | None = None
    status: int = 200
    error: str = "scripted failure"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    stream_error: str | None = None  # ollama: an {"error": ...} line after the first chunk


@dataclass
class Received:
    """One request the server got."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def prompt(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # keep test output clean

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"_raw": raw.decode(errors="replace")}
        fake.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                      body))
        expected = "/api/chat" if fake.protocol == "ollama" else "/v1/chat/completions"
        if self.path != expected:
            self._send(404, {"error": f"fake {fake.protocol} server has no {self.path}"})
            return
        script = fake.next_reply()
        try:
            if script.delay:
                time.sleep(script.delay)
            if script.status != 200:
                self._error(script)
            elif body.get("stream"):
                self._stream(script, body)
            else:
                self._send(200, fake.completion(script.content or "", body))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)

    def _error(self, script: Scripted) -> None:
        fake = self.server.fake
        if fake.protocol == "ollama":
            payload: dict[str, Any] = {"error": script.error}
        else:
            payload = {"error": {"message": script.error, "type": "scripted_error",
                                 "param": None, "code": str(script.status)}}
        self._send(script.status, payload, script.headers)

    def _send(self, status: int, payload: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, script: Scripted, body: dict[str, Any]) -> None:
        fake = self.server.fake
        ollama = fake.protocol == "ollama"
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, line in enumerate(fake.stream_lines(script.content or "", body)):
            if ollama and script.stream_error and index == 1:
                self._chunk(json.dumps({"error": script.stream_error}) + "\n")
                break
            self._chunk(line)
        self._chunk("")

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeLLMServer


class FakeLLMServer:
    """An in-process Ollama or OpenAI server on 127.0.0.1 with a queue of scripted replies.

    Parameters
    ----------
    protocol
        ``"ollama"`` or ``"openai"``.
    """

    def __init__(self, protocol: Protocol) -> None:
        self.protocol = protocol
        self.received: list[Received] = []
        self._script: list[Scripted] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """What the client is pointed at (OpenAI: the ``/v1`` base URL)."""
        root = f"http://127.0.0.1:{self.port}"
        return root if self.protocol == "ollama" else f"{root}/v1"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- scripting ----------------------------------------------------------------------------

    def reply(self, content: str | None = None, **options: Any) -> FakeLLMServer:
        """Queue one reply (see :class:`Scripted` for the options)."""
        with self._lock:
            self._script.append(Scripted(content=content, **options))
        return self

    def answer(self, command: str, explanation: str = "Does what was asked.") -> FakeLLMServer:
        """Queue a well-formed structured answer."""
        return self.reply(json.dumps({"command": command, "explanation": explanation}))

    def next_reply(self) -> Scripted:
        with self._lock:
            if not self._script:
                return Scripted(status=500, error="the test scripted no more replies")
            return self._script.pop(0)

    # -- wire formats -------------------------------------------------------------------------

    def completion(self, content: str, body: dict[str, Any]) -> dict[str, Any]:
        model = body.get("model", "fake")
        if self.protocol == "ollama":
            return {"model": model, "created_at": "2026-01-01T00:00:00Z",
                    "message": {"role": "assistant", "content": content}, "done": True,
                    "done_reason": "stop", "total_duration": 1000, "eval_count": 10}
        return {
            "id": "chatcmpl-fake", "object": "chat.completion", "created": 1767225600,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content,
                                                 "refusal": None},
                         "logprobs": None, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }

    def stream_lines(self, content: str, body: dict[str, Any]) -> Iterator[str]:
        model = body.get("model", "fake")
        pieces = [content[i : i + 7] for i in range(0, len(content), 7)] or [""]
        if self.protocol == "ollama":
            for piece in pieces:
                yield json.dumps({"model": model, "created_at": "2026-01-01T00:00:00Z",
                                  "message": {"role": "assistant", "content": piece},
                                  "done": False}) + "\n"
            yield json.dumps({"model": model, "created_at": "2026-01-01T00:00:00Z",
                              "message": {"role": "assistant", "content": ""}, "done": True,
                              "done_reason": "stop"}) + "\n"
            return
        base = {"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                "created": 1767225600, "model": model}
        for index, piece in enumerate(pieces):
            delta = {"content": piece} if index else {"role": "assistant", "content": piece}
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk)}\n\n"
        final = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield f"data: {json.dumps(final)}\n\n"
        yield "data: [DONE]\n\n"


@pytest.fixture
def ollama_server() -> Iterator[FakeLLMServer]:
    """A fake Ollama server on 127.0.0.1 (stopped after the test)."""
    server = FakeLLMServer("ollama").start()
    yield server
    server.stop()


@pytest.fixture
def openai_server() -> Iterator[FakeLLMServer]:
    """A fake OpenAI-compatible server on 127.0.0.1 (stopped after the test)."""
    server = FakeLLMServer("openai").start()
    yield server
    server.stop()
