"""The command card's state machine, in Python: transitions, following the server, hints."""

from __future__ import annotations

import time

import pytest

from kubechat_lab.widgets import CardState, CommandCard, InvalidTransition
from kubechat_lab.widgets._cards import advance, approval_hint, card_fields, state_of

PROPOSAL = {
    "id": "p_" + "a" * 20, "command": "kubectl scale deployments/web -n shop --replicas=3",
    "context": "sandbox", "level": "warning", "reasons": ["scale changes the replica count"],
    "state": "proposed", "expires": 0.0, "confirm": None,
    "preview": {"status": "dry-run", "diff": "-replicas: 2\n+replicas: 3\n"},
    "explanation": "Scales web to 3.", "assumptions": ["namespace shop"],
}


@pytest.fixture(autouse=True)
def live_for_ten_minutes() -> None:
    """Each test's proposal expires ten minutes after the test starts (not after import)."""
    PROPOSAL["expires"] = time.time() + 600


def test_happy_path_and_every_end() -> None:
    state = CardState.PROPOSED
    for target in (CardState.APPROVED, CardState.EXECUTING, CardState.EXECUTED):
        state = advance(state, target)
    assert state is CardState.EXECUTED
    assert advance(CardState.PROPOSED, CardState.REJECTED) is CardState.REJECTED
    assert advance(CardState.APPROVED, CardState.EXPIRED) is CardState.EXPIRED
    assert advance(CardState.EXECUTING, CardState.FAILED) is CardState.FAILED
    assert advance(CardState.EXECUTED, CardState.EXECUTED) is CardState.EXECUTED


@pytest.mark.parametrize(("current", "target"), [
    (CardState.EXECUTED, CardState.APPROVED),
    (CardState.REJECTED, CardState.APPROVED),
    (CardState.PROPOSED, CardState.EXECUTING),  # never runs without an approval
    (CardState.PROPOSED, CardState.EXECUTED),
    (CardState.REFUSED, CardState.APPROVED),    # forbidden stays forbidden
    (CardState.EXPIRED, CardState.EXECUTING),
    (CardState.FAILED, CardState.EXECUTED),
])
def test_impossible_moves_are_refused_with_what_is_allowed(current: CardState,
                                                           target: CardState) -> None:
    with pytest.raises(InvalidTransition, match=f"cannot become {target.value}") as info:
        advance(current, target)
    assert info.value.current is current


def test_state_of_server_proposals() -> None:
    assert state_of(PROPOSAL) is CardState.PROPOSED
    assert state_of({**PROPOSAL, "expires": time.time() - 1}) is CardState.EXPIRED
    assert state_of({**PROPOSAL, "state": "approved", "expires": 0}) is CardState.EXPIRED
    assert state_of({**PROPOSAL, "state": "executed", "expires": 0}) is CardState.EXECUTED
    assert state_of({**PROPOSAL, "state": "refused"}) is CardState.REFUSED


def test_card_follows_the_server_and_shows_the_fields() -> None:
    card = CommandCard(PROPOSAL, question="make web bigger")
    assert card.state == "proposed" and card.proposal_id == PROPOSAL["id"]
    fields = card.card
    assert fields["command"] == PROPOSAL["command"] and fields["context"] == "sandbox"
    assert fields["diff"].startswith("-replicas") and fields["question"] == "make web bigger"
    assert "--approve" in fields["hint"]
    assert card.follow({**PROPOSAL, "state": "approved", "approver": "alice"}) \
        is CardState.APPROVED
    assert "alice" in card.message
    card.move(CardState.EXECUTING, "running…")
    card.move(CardState.EXECUTED, "changed: 1 rows")
    with pytest.raises(InvalidTransition):
        card.follow({**PROPOSAL, "state": "approved"})
    assert card.state == "executed"


def test_display_wins_over_command_and_hints_per_level() -> None:
    fields = card_fields({**PROPOSAL, "display": "kubectl --context sandbox scale ..."})
    assert fields["command"] == "kubectl --context sandbox scale ..."
    assert "approval page" in approval_hint("dangerous", "web")
    assert "'web'" in approval_hint("dangerous", "web")
    assert "never runs" in approval_hint("forbidden", None)
    assert "at once" in approval_hint("safe", None)


def test_widget_traits_are_json_and_repr_is_short() -> None:
    import json

    card = CommandCard(PROPOSAL)
    json.dumps(card.get_state())  # everything synced is JSON-friendly
    assert repr(card) == f"CommandCard({PROPOSAL['id']}, proposed)"
