"""What a person types back to approve a dangerous command: one rule for browser and CLI."""

from __future__ import annotations

import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import confirmation_text


@pytest.mark.parametrize(
    ("line", "confirm"),
    [
        ("kubectl delete pod web-1 -n shop", "web-1"),
        ("kubectl delete pods a b -n shop", "a b"),
        ("kubectl delete pods --all -n shop", "all pods in shop"),
        ("kubectl scale deployment/api --replicas=0 -n payments", "api"),
    ],
)
def test_confirmation_text(line: str, confirm: str) -> None:
    assert confirmation_text(parse(line)) == confirm
