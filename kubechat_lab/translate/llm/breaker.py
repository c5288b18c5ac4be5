"""A small thread-safe circuit breaker for the network translators."""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable

__all__ = ["BreakerState", "CircuitBreaker"]


class BreakerState(enum.Enum):
    """Closed: calls go through. Open: calls are skipped. Half-open: one trial call."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Stops calling a provider after ``threshold`` consecutive failures, for ``cooldown`` s.

    After the cooldown one trial call is let through (half-open): success closes the circuit,
    failure opens it again for another cooldown.

    Parameters
    ----------
    threshold
        Consecutive failures that open the circuit (default 3).
    cooldown
        Seconds the circuit stays open (default 30).
    clock
        Monotonic clock (tests pass a fake one).
    """

    def __init__(self, *, threshold: int = 3, cooldown: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if threshold < 1:
            raise ValueError(f"circuit breaker threshold must be >= 1, got {threshold}")
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False

    @property
    def state(self) -> BreakerState:
        """The current state."""
        with self._lock:
            return self._state()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    @property
    def failures(self) -> int:
        """Consecutive failures so far."""
        return self._failures

    def retry_in(self) -> float:
        """Seconds until the next trial call is allowed (0 when calls go through)."""
        with self._lock:
            if self._opened_at is None:
                return 0.0
            return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def allow(self) -> bool:
        """Return True when a call may go out now (in half-open state: only the first caller)."""
        with self._lock:
            state = self._state()
            if state is BreakerState.CLOSED:
                return True
            if state is BreakerState.HALF_OPEN and not self._trial:
                self._trial = True
                return True
            return False

    def record_success(self) -> None:
        """Record a success: close the circuit."""
        with self._lock:
            self._failures = 0
            self._opened_at = None
            self._trial = False

    def record_failure(self) -> None:
        """Record a failure: count it, and open the circuit at the threshold."""
        with self._lock:
            self._failures += 1
            self._trial = False
            if self._failures >= self.threshold or self._opened_at is not None:
                self._opened_at = self._clock()
