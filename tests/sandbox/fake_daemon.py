"""A tiny stand-in daemon for the process-supervision tests (run as a script).

Usage: ``fake_daemon.py MODE [PORT]``. Modes:

- ``serve``: log a line, answer ``GET /health`` with 200 on 127.0.0.1:PORT, exit 0 on SIGTERM.
- ``exit1``: log a line to stdout and one to stderr, exit 1.
- ``silent``: sleep forever without serving (never ready).
- ``stubborn``: serve like ``serve`` but ignore SIGTERM.
- ``family``: serve, and start a grandchild ``sleep`` in the same process group; print its pid.
"""

from __future__ import annotations

import http.server
import signal
import subprocess
import sys
import threading
import time


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server API
        self.send_response(200 if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b'{"health":"true"}')

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        print("request", self.path, flush=True)


def _serve(port: int) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()


def main() -> int:
    mode = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    print(f"fake daemon mode={mode} starting", flush=True)
    if mode == "exit1":
        print("fatal: configuration invalid: --answer must be 42", file=sys.stderr, flush=True)
        return 1
    if mode == "stubborn":
        signal.signal(signal.SIGTERM, lambda *_: print("ignoring SIGTERM", flush=True))
    else:
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if mode == "family":
        child = subprocess.Popen(["sleep", "600"])
        print(f"grandchild pid={child.pid}", flush=True)
    if mode != "silent":
        _serve(port)
    while True:
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
