"""Byte pumps for the tests' TCP stand-ins (tests/browser/_tcp_proxy.py, tests/hub/_balancer.py).

Both forward a connection byte for byte, as a dead server or a Service in front of replicas is
seen by a client; this is the forwarding they share.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable

__all__ = ["splice"]

Closed = Callable[[socket.socket, socket.socket], None]


def splice(client: socket.socket, upstream: socket.socket, closed: Closed | None = None) -> None:
    """Copy bytes both ways between ``client`` and ``upstream``, each way in its own thread.

    When one side closes, both are shut down and ``closed`` (if given) is called with the pair.
    """
    for src, dst in ((client, upstream), (upstream, client)):
        threading.Thread(target=_pump, args=(src, dst, closed), daemon=True).start()


def _pump(src: socket.socket, dst: socket.socket, closed: Closed | None) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        if closed is not None:
            closed(src, dst)
