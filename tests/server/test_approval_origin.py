"""The approval origin's sign-in codes and sessions (kubechat_lab/server/_approval_origin.py)."""

from __future__ import annotations

from kubechat_lab.server._approval_origin import ApprovalOrigin, origin_of


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_code_signs_in_once_and_only_while_fresh() -> None:
    clock = Clock()
    origin = ApprovalOrigin(url="http://127.0.0.1:9000/", code_ttl=60, session_ttl=600,
                            clock=clock)
    code = origin.mint_code("alice")
    token = origin.redeem(code)
    assert token is not None and token != code
    assert origin.redeem(code) is None  # spent
    stale = origin.mint_code("alice")
    clock.now += 61
    assert origin.redeem(stale) is None  # expired
    assert origin.redeem("made-up") is None


def test_a_session_names_its_user_carries_its_own_form_token_and_ends() -> None:
    clock = Clock()
    origin = ApprovalOrigin(url="http://127.0.0.1:9000/", session_ttl=600, clock=clock)
    first = origin.redeem(origin.mint_code("alice"))
    second = origin.redeem(origin.mint_code("alice"))
    one, two = origin.session(first), origin.session(second)
    assert one is not None and two is not None and one.user == "alice"
    assert one.xsrf == origin.session(first).xsrf  # type: ignore[union-attr]
    assert one.xsrf != two.xsrf and one.xsrf not in (first, second)
    assert origin.session(None) is None and origin.session("forged") is None
    origin.end(second)
    assert origin.session(second) is None
    clock.now += 601
    assert origin.session(first) is None


def test_the_cookie_names_the_port_and_origins_compare_with_ports() -> None:
    assert ApprovalOrigin(url="http://127.0.0.1:9000/").cookie_name == "kubechat-approval-9000"
    assert ApprovalOrigin(url="https://approve.example.org/").cookie_name == (
        "kubechat-approval-443")
    assert ApprovalOrigin(url="https://approve.example.org/").secure
    assert origin_of("http://127.0.0.1:8888/lab") != origin_of("http://127.0.0.1:9000/")
    assert origin_of("HTTPS://Approve.example.org/x") == "https://approve.example.org:443"
