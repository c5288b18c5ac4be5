"""A TCP proxy a test can stop: the API server, as the lab sees it, goes away on ``stop``.

The shared sandbox serves other tests at the same time, so a test that needs "the API server
stops" points its lab at this proxy and stops the proxy: every connection through it is cut
and new ones are refused, exactly what a client sees of a dead server.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from tests.plugins.tcp import splice

__all__ = ["TcpProxy"]


class TcpProxy:
    """Forward ``127.0.0.1:port`` to ``(host, port)`` until :meth:`stop`."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port: int = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept, name="tcp-proxy", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self.stopped.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=10)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            splice(client, upstream)

    def stop(self) -> None:
        """Refuse new connections and cut every open one."""
        self.stopped.set()
        self.listener.close()
        with self._lock:
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()
        self._thread.join(timeout=5)
