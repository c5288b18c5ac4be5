"""``CommandCard``: one proposed command, its safety level, and Approve / Reject from the page."""

from __future__ import annotations

import pathlib
from collections.abc import Mapping
from typing import Any

import anywidget
import traitlets

from kubechat_lab.widgets._cards import CardState, advance, card_fields, state_of

__all__ = ["CommandCard"]

_STATIC = pathlib.Path(__file__).parent / "static"


class CommandCard(anywidget.AnyWidget):
    """A command card: question, command, context, level, reasons, explanation, dry-run diff.

    Approve and Reject are buttons the *page* sends to the server's browser route (with the
    page's login cookie and ``X-XSRFToken``), so code running in the kernel cannot approve by
    itself (docs/configuration.md). A dangerous card has a field to type the target's name.
    Where the page has no route to the server (VS Code), the card says how to approve elsewhere.

    States: proposed -> approved -> executing -> executed, or rejected, failed, expired
    (and refused for forbidden commands, which never run). The kernel moves the card with
    :meth:`move` or :meth:`follow`; a move its state cannot make raises
    :class:`~kubechat_lab.widgets.InvalidTransition`.

    Parameters
    ----------
    proposal
        The proposal as the server returned it.
    question
        The question it answers (``%kubechat``), if any.
    translation
        The translation (explanation, assumptions), if any.
    """

    _esm = _STATIC / "kubechat.js"
    _css = _STATIC / "kubechat.css"

    view = traitlets.Unicode("card").tag(sync=True)
    card = traitlets.Dict().tag(sync=True)
    state = traitlets.Unicode(CardState.PROPOSED.value).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Dict().tag(sync=True)

    def __init__(self, proposal: Mapping[str, Any], *, question: str | None = None,
                 translation: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(card=card_fields(proposal, question=question, translation=translation),
                         state=state_of(proposal).value, **kwargs)

    @property
    def proposal_id(self) -> str:
        """The id of the proposal on the server."""
        return str(self.card.get("id") or "")

    @property
    def current(self) -> CardState:
        """The card's state."""
        return CardState(self.state)

    def move(self, target: CardState, message: str = "") -> None:
        """Move to ``target`` (validated) and show ``message`` under the command."""
        self.state = advance(self.current, target).value
        self.message = message

    def follow(self, proposal: Mapping[str, Any]) -> CardState:
        """Follow the server's proposal: move to its state; return the new state."""
        target = state_of(proposal)
        if target is not self.current:
            note = ""
            if target is CardState.APPROVED:
                note = f"approved by {proposal.get('approver') or 'someone'}"
            elif target is CardState.REJECTED:
                note = f"rejected by {proposal.get('approver') or 'someone'}"
            elif target is CardState.EXPIRED:
                note = "expired before anyone approved it; propose it again"
            self.move(target, note)
        return self.current

    def show_result(self, summary: Mapping[str, Any]) -> None:
        """Attach a short result summary (kind, rows, columns) shown under the card."""
        self.result = dict(summary)

    def __repr__(self) -> str:
        return f"CommandCard({self.proposal_id}, {self.state})"
