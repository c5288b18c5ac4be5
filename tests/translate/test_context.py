"""TranslationContext and Turn: the grounding and the previous turn of a conversation."""

from __future__ import annotations

import pytest

from kubechat_lab.command import parse
from kubechat_lab.errors import CommandError
from kubechat_lab.translate import TranslationContext, Turn


def test_with_previous_keeps_the_inventory_and_sets_the_turn() -> None:
    ctx = TranslationContext(namespace="shop", inventory={"deploy": [("shop", "checkout")]})
    turn = Turn("pods in shop", parse("kubectl get pods -n shop"), kind="pods",
                names=("checkout-1",))
    follow = ctx.with_previous(turn)
    assert follow.previous is turn
    assert ctx.previous is None
    assert follow.locate("checkout") == (("deployments", "shop"),)
    assert follow.namespace == "shop"


def test_from_dict_reads_the_previous_turn() -> None:
    ctx = TranslationContext.from_dict({
        "namespaces": ["shop"],
        "previous": {"question": "pods in shop", "command": "kubectl get po -n shop",
                     "kind": "pods", "names": ["a", "b"]},
    })
    assert ctx.previous is not None
    assert ctx.previous.command == parse("kubectl get pods -n shop")
    assert ctx.previous.names == ("a", "b")
    assert Turn.from_dict(ctx.previous.to_dict()) == ctx.previous


def test_from_dict_refuses_a_bad_previous_command() -> None:
    with pytest.raises(CommandError):
        TranslationContext.from_dict({"previous": {"question": "x", "command": "rm -rf /"}})
    with pytest.raises(TypeError, match="previous"):
        TranslationContext.from_dict({"previous": "kubectl get pods"})
