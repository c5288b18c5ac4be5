"""``CommandCard``: one proposed command, its safety level, and Approve / Reject from the page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets
from anywidget.experimental import command

from kubechat_lab.errors import KubechatError
from kubechat_lab.widgets import _bundle
from kubechat_lab.widgets._cards import (
    CardState,
    advance,
    card_fields,
    choice_fields,
    picked_command,
    state_of,
)

if TYPE_CHECKING:
    from kubechat_lab.kernel._client import KubechatClient

__all__ = ["CommandCard"]


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

    A question the translator would not answer alone gets a card of *choices* instead
    (:meth:`offering`): one button per reading the server judged; a click proposes that
    command through the kernel's client exactly as ``%kubectl`` does, and the card becomes
    that proposal's card (a safe read runs as any safe read does; anything else waits for
    Approve).

    Parameters
    ----------
    proposal
        The proposal as the server returned it.
    question
        The question it answers (``%kubechat``), if any.
    translation
        The translation (explanation, assumptions), if any.
    """

    _esm = _bundle.esm()
    _css = _bundle.css()

    view = traitlets.Unicode("card").tag(sync=True)
    card = traitlets.Dict().tag(sync=True)
    state = traitlets.Unicode(CardState.PROPOSED.value).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    result = traitlets.Dict().tag(sync=True)
    choices: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, proposal: Mapping[str, Any], *, question: str | None = None,
                 translation: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(card=card_fields(proposal, question=question, translation=translation),
                         state=state_of(proposal).value, **kwargs)
        self._client: KubechatClient | None = None
        self._context: str | None = None

    @classmethod
    def offering(cls, answer: Mapping[str, Any], *, question: str, client: KubechatClient,
                 context: str | None = None) -> CommandCard:
        """Return a card of the choices an ``ask`` reply offers (see :func:`choice_fields`).

        Parameters
        ----------
        answer
            The ``ask`` reply (no proposal, ``choices`` judged by the server).
        question
            The question asked.
        client
            The kernel's client, which proposes (and runs) the choice a person picks.
        context
            The context the question was asked for (the pick is proposed there too).
        """
        card = cls({}, question=question, translation=answer.get("translation") or {})
        card.choices = choice_fields(answer)
        card._client = client
        card._context = context
        return card

    @command
    def pick(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"index"}`` -> propose that choice like a typed command; the card becomes it."""
        if self._client is None or not self.choices:
            return {"error": "this card offers no choices"}, []
        try:
            text = picked_command(self.choices, msg)
            proposal = self._client.propose(text, context=self._context)
        except (ValueError, KubechatError) as exc:
            self.message = str(exc)
            return {"error": str(exc)}, []
        why = self.choices[int(msg["index"])].get("why") or ""
        self.card = card_fields(proposal, question=self.card.get("question") or None,
                                translation={"explanation": f"Picked: {why}"})
        self.state = state_of(proposal).value  # a new proposal: its life starts here
        self.message = ""
        self.choices = []
        if self.current is CardState.APPROVED:
            self._run(str(proposal["id"]))
        return {"ok": True, "id": proposal["id"], "state": self.state}, []

    @command
    def execute(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"id"}`` -> run a picked proposal once it is approved (after Approve on the card)."""
        if self._client is None or msg.get("id") != self.proposal_id:
            return {"error": "only a proposal picked on this card runs from it"}, []
        try:
            self.follow(self._client.get(self.proposal_id))
        except KubechatError as exc:
            return {"error": str(exc)}, []
        if self.current is not CardState.APPROVED:
            return {"error": f"proposal {self.proposal_id} is {self.state}; nothing ran"}, []
        self._run(self.proposal_id)
        return {"ok": True}, []

    def _run(self, pid: str) -> None:
        if self._client is None:
            return
        self.move(CardState.EXECUTING, "running…")
        try:
            outcome = self._client.execute(pid)
        except KubechatError as exc:
            self.move(CardState.FAILED, str(exc))
            return
        frame = outcome.frame
        rows = len(frame) if frame is not None else 0
        self.move(CardState.EXECUTED, f"{outcome.status}: {rows} rows")
        if frame is not None:
            self.show_result({"kind": str(frame.attrs.get("kind", "table")), "rows": rows,
                              "columns": [str(c) for c in frame.columns]})

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
