"""Quotas of concurrent work (watches, blocking commands), per owner and per server.

Checking a quota and taking a slot are one step under one lock: a check that passes has
already taken the slot, so requests racing each other can never get more than the cap between
a check and the work it guards. The caller releases the slot when the work ends, or at once
when anything after the take fails.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from kubechat_lab.server._proposals import BusyError

__all__ = ["Slots"]

Full = Literal["owner", "total"]


class Slots:
    """Counted slots, at most ``per_owner`` for each owner and ``total`` on the server.

    Parameters
    ----------
    what : str
        What a slot is, for messages (``"watches"``).
    per_owner : int
        Slots one owner (``Principal.owner``: a person's pages, or one kernel) may hold.
    total : int or None
        Slots the whole server may hold (None: no overall cap).
    options : tuple of str
        The ``c.KubechatApp`` options that set ``per_owner`` and ``total``, named in messages.
    """

    def __init__(self, what: str, *, per_owner: int, total: int | None = None,
                 options: tuple[str, str] = ("", "")) -> None:
        if per_owner < 1 or (total is not None and total < 1):
            msg = f"{what}: quotas must be >= 1, got per_owner={per_owner} total={total}"
            raise ValueError(msg)
        self.what = what
        self.per_owner = per_owner
        self.total = total
        self.options = options
        self._lock = threading.Lock()
        self._held: dict[str, int] = {}
        self._count = 0

    def try_take(self, owner: str) -> Full | None:
        """Take a slot for ``owner`` if the quotas allow; return None, or which quota is full."""
        with self._lock:
            if self.total is not None and self._count >= self.total:
                return "total"
            if self._held.get(owner, 0) >= self.per_owner:
                return "owner"
            self._held[owner] = self._held.get(owner, 0) + 1
            self._count += 1
            return None

    def take(self, owner: str) -> None:
        """Take a slot for ``owner``.

        Raises
        ------
        BusyError
            A quota is full (HTTP 429); the message says which one and how to change it.
        """
        full = self.try_take(owner)
        if full is None:
            return
        if full == "total":
            msg = (f"{self.total} {self.what} already run on this server, the limit "
                   f"(c.KubechatApp.{self.options[1]}); retry when one has finished")
        else:
            msg = (f"{owner} already runs {self.per_owner} {self.what}, the limit for one "
                   f"page or kernel (c.KubechatApp.{self.options[0]}); retry when one has "
                   "finished")
        raise BusyError(msg)

    def release(self, owner: str) -> None:
        """Give back one slot of ``owner`` (a release without a take is ignored)."""
        with self._lock:
            held = self._held.get(owner, 0)
            if held <= 0:
                return
            if held == 1:
                del self._held[owner]
            else:
                self._held[owner] = held - 1
            self._count -= 1

    @contextmanager
    def hold(self, owner: str) -> Iterator[None]:
        """Take a slot for the ``with`` block and give it back after (see :meth:`take`)."""
        self.take(owner)
        try:
            yield
        finally:
            self.release(owner)

    def held(self, owner: str | None = None) -> int:
        """Return the slots ``owner`` holds (None: the whole server)."""
        with self._lock:
            return self._count if owner is None else self._held.get(owner, 0)
