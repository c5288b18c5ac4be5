"""``PgWatchStops``: a watch stopped through any process of one hub (PostgreSQL ``NOTIFY``).

A watch streams from the process its reader is connected to, so only that process can end it.
With several processes behind one address (docs/operator-guide.md, "Several processes, one
hub"; docs/jupyterhub.md), ``DELETE .../watch`` may reach another one: that process sends
``NOTIFY kubechat_watch_stop, '<proposal id>'``, and every process listens on the channel and
stops the watch if it runs there (:class:`~kubechat_lab.server._watches.WatchRegistry`). No
table is needed, and ``LISTEN``/``NOTIFY`` need no grant.

A notification sent while a listener is reconnecting is lost; the sender then sees the watch
still running and answers 404, as for a watch that ended meanwhile.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import psycopg

__all__ = ["CHANNEL", "PgWatchStops"]

logger = logging.getLogger(__name__)

#: The notification channel.
CHANNEL = "kubechat_watch_stop"


class PgWatchStops:
    """Send and hear requests to stop a watch, through the audit database.

    Parameters
    ----------
    dsn
        The audit database (``audit_dsn``).
    connect_timeout
        Seconds to wait for a connection.
    """

    def __init__(self, dsn: str, *, connect_timeout: float = 5.0) -> None:
        self._dsn = dsn
        self._connect_timeout = max(2, int(connect_timeout))
        self._closed = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._sender: psycopg.Connection[Any] | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self._dsn, autocommit=True, connect_timeout=self._connect_timeout)

    def listen(self, on_stop: Callable[[str], None]) -> bool:
        """Call ``on_stop(proposal_id)`` for every stop request, in a thread of its own.

        The first call starts listening (a process that never watches holds no connection);
        every call returns whether the listener is connected, waiting for it a little.
        """
        with self._lock:
            if self._thread is None and not self._closed.is_set():
                self._thread = threading.Thread(target=self._listen, args=(on_stop,),
                                                daemon=True, name="kubechat-watch-stops")
                self._thread.start()
        return self._ready.wait(self._connect_timeout)

    def publish(self, proposal_id: str) -> None:
        """Ask every process to stop its watch of ``proposal_id`` (best effort).

        Raises
        ------
        psycopg.Error
            The database could not be reached.
        """
        with self._lock:
            for attempt in (0, 1):  # a connection the database dropped: once more, afresh
                if self._sender is None or self._sender.closed:
                    self._sender = self._connect()
                try:
                    self._sender.execute("SELECT pg_notify(%s, %s)", [CHANNEL, proposal_id])
                    return
                except psycopg.OperationalError:
                    self._sender.close()
                    self._sender = None
                    if attempt:
                        raise

    def close(self) -> None:
        """Stop listening and close the connections."""
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
        with self._lock:
            if self._sender is not None:
                self._sender.close()
                self._sender = None

    def _listen(self, on_stop: Callable[[str], None]) -> None:
        while not self._closed.is_set():
            try:
                with self._connect() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._ready.set()
                    while not self._closed.is_set():
                        for note in conn.notifies(timeout=1.0):
                            try:
                                on_stop(note.payload)
                            except Exception:  # noqa: BLE001 - one bad stop must not end the rest
                                logger.exception("kubechat: stopping watch %s failed",
                                                 note.payload)
            except psycopg.Error as exc:
                self._ready.clear()
                logger.warning("kubechat: not hearing watch stops from other processes (%s); "
                               "retrying", exc)
                self._closed.wait(2.0)
