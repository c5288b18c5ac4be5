"""Who may approve what: one rule for every face (docs/policy.md, docs/configuration.md).

safe runs at once; warning needs an approval from someone with at least
:attr:`Authority.WARNING`; dangerous needs :attr:`Authority.PERSON` *and* the confirmation text
typed back; forbidden never runs. Each face says what authority its requester has: the server
from how the request authenticated, ``kubechat run`` from its ``--yes``/``--confirm`` flags.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from kubechat_lab.policy import Level

__all__ = ["Authority", "Denial", "Refusal", "check_approval"]


class Authority(enum.IntEnum):
    """How much an approval request may approve."""

    #: Nothing beyond what the policy approves itself (a capability without approve:warning).
    NONE = 0
    #: Warning commands: the browser route with the Jupyter token, a capability minted with
    #: ``approve:warning``, ``kubechat run --yes``.
    WARNING = 1
    #: Dangerous commands too, with the typed text: a person on the server's approval page
    #: (``server/_approval_page.py``), or the person at ``kubechat run``'s terminal.
    PERSON = 2


class Refusal(enum.StrEnum):
    """Why an approval was refused."""

    FORBIDDEN = "forbidden"
    NEEDS_AUTHORITY = "needs-authority"
    NEEDS_CONFIRM = "needs-confirm"


@dataclass(frozen=True, slots=True)
class Denial:
    """An approval the gate refused.

    Parameters
    ----------
    why
        The kind of refusal (each face words it for its own users).
    level
        The command's level.
    needed
        The authority the level needs.
    expected
        The confirmation text, for dangerous commands.
    """

    why: Refusal
    level: Level
    needed: Authority
    expected: str | None = None


_NEEDED = {Level.SAFE: Authority.NONE, Level.WARNING: Authority.WARNING,
           Level.DANGEROUS: Authority.PERSON}


def check_approval(
    level: Level | str, expected: str | None, *, authority: Authority, confirm: str | None
) -> Denial | None:
    """Return why an approval is refused, or None when it may proceed.

    Parameters
    ----------
    level
        The command's level.
    expected
        Its confirmation text (dangerous commands).
    authority
        What the requester may approve.
    confirm
        The text the requester typed back (None: none).
    """
    level = Level(level)
    if level is Level.FORBIDDEN:
        return Denial(Refusal.FORBIDDEN, level, Authority.PERSON, expected)
    needed = _NEEDED[level]
    if authority < needed:
        return Denial(Refusal.NEEDS_AUTHORITY, level, needed, expected)
    if level is Level.DANGEROUS and (confirm is None or confirm.strip() != (expected or "")):
        return Denial(Refusal.NEEDS_CONFIRM, level, needed, expected)
    return None
