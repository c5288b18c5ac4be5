"""Progress of a long read (a list that pages), reported to whoever runs the command.

The caller sets a reporter for the current thread (or task) with :func:`reporting`; the list
loop calls :func:`report` after each page with the rows gathered so far. Without a reporter a
report costs one context-variable lookup.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

__all__ = ["report", "reporting"]

Reporter = Callable[[int], None]
_REPORTER: contextvars.ContextVar[Reporter | None] = contextvars.ContextVar(
    "kubechat_progress", default=None)


@contextlib.contextmanager
def reporting(reporter: Reporter) -> Iterator[None]:
    """Send progress of the reads run inside this block to ``reporter(rows_so_far)``."""
    token = _REPORTER.set(reporter)
    try:
        yield
    finally:
        _REPORTER.reset(token)


def report(rows: int) -> None:
    """Report ``rows`` gathered so far (a reporter's failure never breaks the read)."""
    reporter = _REPORTER.get()
    if reporter is not None:
        with contextlib.suppress(Exception):
            reporter(rows)
