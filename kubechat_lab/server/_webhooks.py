"""Event webhooks: POST every audit record to configured URLs, with retries, in the background."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from typing import Any

import httpx
import orjson
from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_when_event_set,
    wait_exponential,
)

__all__ = ["WebhookSender"]

logger = logging.getLogger(__name__)

_STOP = object()


class _RetryableStatus(Exception):
    """A 5xx or 429 answer: worth another try."""


class WebhookSender:
    """Deliver audit events to webhook URLs from one background thread.

    Delivery is best effort and never blocks or fails a request: the audit chain in PostgreSQL
    is the record, webhooks are notifications. Each event is retried with exponential backoff
    on connection errors, 429 and 5xx answers.

    Parameters
    ----------
    urls : sequence of str
        Where to POST (``Content-Type: application/json``).
    timeout : float
        Seconds per attempt.
    attempts : int
        Attempts per event and URL (at least 1).
    backoff : float
        First backoff in seconds (doubles each retry, capped at 30 s).
    """

    def __init__(
        self, urls: Sequence[str], *, timeout: float = 5.0, attempts: int = 5, backoff: float = 0.5
    ) -> None:
        self.urls = tuple(urls)
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._queue: queue.Queue[object] = queue.Queue(maxsize=10_000)
        self._client = httpx.Client(timeout=httpx.Timeout(timeout))
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kubechat-webhooks", daemon=True)
        self.delivered = 0
        self.failed = 0
        if self.urls:
            self._thread.start()

    def submit(self, event: dict[str, Any]) -> None:
        """Queue one event for delivery (dropped with a warning when the queue is full)."""
        if not self.urls:
            return
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            logger.warning("webhook queue full; dropped event seq=%s", event.get("seq"))

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout`` seconds), then stop the thread.

        Past the timeout, retries are cut short and what is still queued is dropped; the thread
        closes the HTTP client itself, so no delivery ever runs on a closed client.
        """
        if not self._thread.is_alive():
            self._client.close()
            return
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self._closing.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                if not isinstance(item, dict):
                    continue
                if self._closing.is_set():
                    self.failed += 1
                    logger.warning("webhook shutting down; dropped event seq=%s", item.get("seq"))
                    continue
                body = orjson.dumps(item)
                for url in self.urls:
                    self._deliver(url, body, item.get("seq"))
        finally:
            self._client.close()

    def _backoff_sleep(self, seconds: float) -> None:
        """Sleep between attempts, waking early when the sender is closing."""
        self._closing.wait(seconds)

    def _deliver(self, url: str, body: bytes, seq: object) -> None:
        retrying = Retrying(
            stop=stop_after_attempt(self._attempts) | stop_when_event_set(self._closing),
            wait=wait_exponential(multiplier=self._backoff, max=30),
            sleep=self._backoff_sleep,
            retry=retry_if_exception_type((httpx.TransportError, _RetryableStatus)),
            reraise=False,
        )
        try:
            for attempt in retrying:
                with attempt:
                    response = self._client.post(
                        url, content=body, headers={"Content-Type": "application/json"}
                    )
                    if response.status_code == 429 or response.status_code >= 500:
                        raise _RetryableStatus(str(response.status_code))
                    response.raise_for_status()
        except (RetryError, httpx.HTTPError) as exc:
            self.failed += 1
            logger.warning("webhook delivery failed url=%s seq=%s error=%s", url, seq, exc)
            return
        self.delivered += 1
        logger.debug("webhook delivered url=%s seq=%s", url, seq)
