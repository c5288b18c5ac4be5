"""The command card's life as plain data: states, allowed transitions, fields from a proposal.

Shared by :class:`~kubechat_lab.widgets.CommandCard` and the cards inside
:class:`~kubechat_lab.kernel.ChatPanel`; no widget code here, so it is tested on its own.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["CardState", "InvalidTransition", "advance", "card_fields",
           "choice_fields", "picked_command", "state_of"]


class CardState(enum.StrEnum):
    """Where a command card is: proposed -> approved -> executing -> executed, or an end."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    EXECUTING = "executing"
    EXECUTED = "executed"
    REJECTED = "rejected"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUSED = "refused"


_NEXT: dict[CardState, frozenset[CardState]] = {
    CardState.PROPOSED: frozenset({CardState.APPROVED, CardState.REJECTED, CardState.EXPIRED,
                                   CardState.FAILED}),
    CardState.APPROVED: frozenset({CardState.EXECUTING, CardState.REJECTED, CardState.EXPIRED,
                                   CardState.FAILED}),
    CardState.EXECUTING: frozenset({CardState.EXECUTED, CardState.FAILED}),
}


class InvalidTransition(RuntimeError):
    """A card was asked to move to a state its current state cannot reach."""

    def __init__(self, current: CardState, target: CardState) -> None:
        allowed = ", ".join(sorted(_NEXT.get(current, ()))) or "nothing (it is final)"
        super().__init__(f"a {current.value} command card cannot become {target.value}; "
                         f"from {current.value} it may become: {allowed}")
        self.current = current
        self.target = target


def advance(current: CardState, target: CardState) -> CardState:
    """Return ``target`` when ``current`` may move there (staying put is allowed).

    Raises
    ------
    InvalidTransition
        When the move is not allowed (an executed card never becomes approved again).
    """
    if target is current or target in _NEXT.get(current, frozenset()):
        return target
    raise InvalidTransition(current, target)


def state_of(proposal: Mapping[str, Any], *, now: float | None = None) -> CardState:
    """Return the card state of a server proposal (``expired`` once its deadline passed)."""
    state = str(proposal.get("state", "proposed"))
    if state in ("proposed", "approved"):
        expires = proposal.get("expires")
        if isinstance(expires, int | float) and (now or time.time()) >= expires:
            return CardState.EXPIRED
    return CardState(state)


def card_fields(proposal: Mapping[str, Any], *, question: str | None = None,
                translation: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the JSON-friendly fields a card shows for ``proposal``.

    The widget's card renders them with the side panel's own component (js/src/cardView.ts
    makes the same fields from a proposal in the panel); what the card says about who may
    approve, and how, is in js/src/wording.ts only.
    """
    translation = translation or {}
    preview = proposal.get("preview") or {}
    level = str(proposal.get("level", ""))
    return {
        "id": proposal.get("id"),
        "question": question or proposal.get("question") or "",
        "command": proposal.get("display") or proposal.get("command") or "",
        "manifest": (proposal.get("parsed") or {}).get("manifest") or "",
        "context": proposal.get("context") or "",
        "namespace": proposal.get("namespace") or "",
        "level": level,
        "reasons": list(proposal.get("reasons") or ()),
        "assumptions": list(proposal.get("assumptions") or translation.get("assumptions") or ()),
        "notes": list(proposal.get("notes") or translation.get("notes") or ()),
        "explanation": proposal.get("explanation") or translation.get("explanation") or "",
        "diff": preview.get("diff") or "",
        "preview_error": preview.get("message") if preview.get("status") == "error" else "",
        "confirm": proposal.get("confirm") or "",
        "expires": proposal.get("expires"),
        "approver": proposal.get("approver") or "",
        # approved only on the approval page (another origin): the card links there
        "approval_page": bool(proposal.get("approval_page")),
        # two-person approval: a member of this group, never the proposer, approves it
        "approvers": proposal.get("approvers") or "",
        # the model's answer came from the LLM answer cache: the card marks it
        "cached": bool(proposal.get("cached") or translation.get("cached")),
    }


def choice_fields(answer: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Return the choices of an ``ask`` reply as a card shows them (empty when it has none).

    Each is ``{"command", "display", "level", "reasons", "why"}``: the server made it explicit
    and judged it like a proposal; nothing was proposed for it yet.
    """
    if answer.get("proposal") is not None:
        return []
    return [{"command": str(c.get("command") or ""),
             "display": str(c.get("display") or c.get("command") or ""),
             "level": str(c.get("level") or ""),
             "reasons": list(c.get("reasons") or ()),
             "why": str(c.get("why") or "")}
            for c in answer.get("choices") or () if isinstance(c, Mapping) and c.get("command")]


def picked_command(choices: list[dict[str, Any]], msg: Mapping[str, Any]) -> str:
    """Return the command of the choice ``msg["index"]`` names (only an offered one).

    Raises
    ------
    ValueError
        When the index is not one of the choices offered.
    """
    index = msg.get("index")
    if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(choices):
        msg_text = f"choice {index!r} was not offered here; pick one of the {len(choices)} shown"
        raise ValueError(msg_text)
    return str(choices[index]["command"])
