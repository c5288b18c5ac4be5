"""A TCP balancer for tests: several replicas of a service behind one address.

It stands for what Kubernetes does in front of a Deployment's pods (a Service balances
connections, not requests): each listening port forwards every new connection to the replica
in use, byte for byte. :meth:`Balancer.use` sends the next connections to another replica and
closes the open ones, as a replica taken out of rotation would; it counts the connections each
replica received, so a test can tell which one served it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter

from tests.plugins.tcp import splice

__all__ = ["Balancer"]


class Balancer:
    """Listen on ``127.0.0.1`` ports, each forwarding to one of its replicas' ports.

    Parameters
    ----------
    routes
        Listening port -> the replicas' ports, in the same order for every listener (replica
        ``i`` of each listener is one process).
    """

    def __init__(self, routes: dict[int, tuple[int, ...]]) -> None:
        self.routes = routes
        self.replica = 0
        self.connections: Counter[tuple[int, int]] = Counter()  # (listener, replica) -> count
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._listeners: list[socket.socket] = []
        self._stopped = threading.Event()

    def start(self) -> Balancer:
        """Start listening (a thread per listener)."""
        for port in self.routes:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(("127.0.0.1", port))
            sock.listen(64)
            self._listeners.append(sock)
            threading.Thread(target=self._accept, args=(sock, port), daemon=True).start()
        return self

    def use(self, replica: int) -> None:
        """Send new connections to ``replica``; close the open ones (idle keep-alives)."""
        with self._lock:
            self.replica = replica
            open_now, self._open = self._open, set()
        for sock in open_now:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()

    def stop(self) -> None:
        """Stop listening and close every connection."""
        self._stopped.set()
        for sock in self._listeners:
            with contextlib.suppress(OSError):
                sock.close()
        self.use(self.replica)

    def _accept(self, listener: socket.socket, port: int) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return
            with self._lock:
                replica = self.replica
                self.connections[(port, replica)] += 1
            try:
                upstream = socket.create_connection(("127.0.0.1", self.routes[port][replica]),
                                                    timeout=10)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open.update((client, upstream))
            splice(client, upstream, self._forget)

    def _forget(self, src: socket.socket, dst: socket.socket) -> None:
        with self._lock:
            self._open.difference_update((src, dst))
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.close()
