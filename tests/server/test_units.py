"""Unit tests of the server's pure parts: capabilities, env stripping, confirmations, errors."""

from __future__ import annotations

import pytest

from kubechat_lab.errors import (
    AuditError,
    ClusterError,
    CommandError,
    PolicyViolation,
    TranslateError,
    TranslateTimeoutError,
)
from kubechat_lab.server import CapabilityStore, Scope, strip_secrets
from kubechat_lab.server._errors import map_error
from kubechat_lab.server._proposals import (
    BadRequestError,
    ProposalConflictError,
    ProposalNotFoundError,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_capabilities_are_hashed_scoped_and_expire() -> None:
    clock = Clock()
    store = CapabilityStore(clock=clock)
    token, cap = store.mint(
        user="alice", scopes=[Scope.PROPOSE], ttl=60, origin="kernel", kernel_id="k1"
    )
    assert token.startswith("kcap_") and len(token) > 40
    assert token not in repr(store.__dict__) and cap.digest != token
    found = store.lookup(token)
    assert found is not None and found.allows(Scope.PROPOSE) and not found.allows(Scope.EXECUTE)
    assert store.lookup(token + "x") is None
    assert store.lookup("kcap_" + "A" * 43) is None
    clock.now += 61
    assert store.lookup(token) is None  # expired: gone
    assert store.list() == []


def test_capabilities_revoke_by_kernel_and_id() -> None:
    store = CapabilityStore()
    t1, _ = store.mint(user="a", scopes=[], ttl=60, origin="kernel", kernel_id="k1")
    t2, c2 = store.mint(user="a", scopes=[], ttl=60, origin="token")
    assert store.revoke_kernel("k1") == 1
    assert store.lookup(t1) is None and store.lookup(t2) is not None
    assert store.revoke(c2.id) and store.lookup(t2) is None
    assert not store.revoke(c2.id)


def test_no_scope_for_dangerous_approvals() -> None:
    assert {s.value for s in Scope} == {
        "ask",
        "propose",
        "execute",
        "approve:warning",
        "audit:read",
    }
    with pytest.raises(ValueError, match="approve:dangerous"):
        Scope.parse_all(["approve:dangerous"])


def test_strip_secrets_by_name_and_by_value() -> None:
    env = {
        "PATH": "/usr/bin",
        "HOME": "/home/a",
        "KUBECONFIG": "/k",
        "openai_api_key": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "JUPYTERHUB_API_TOKEN": "z",
        "PGPASSWORD": "p",
        "DB_DSN": "host=x password=y",
        "HARMLESS": "prefix-the-jupyter-token-value-suffix",
        "KUBECHAT_CAPABILITY": "old",
    }
    out = strip_secrets(env, secret_values=["the-jupyter-token-value"])
    assert out == {"PATH": "/usr/bin", "HOME": "/home/a"}


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (BadRequestError("x", field="question"), 400),
        (CommandError("x", reason="shell-syntax"), 400),
        (PolicyViolation("x", rule_id="r"), 403),
        (ProposalNotFoundError("x"), 404),
        (ProposalConflictError("x"), 409),
        (AuditError("x"), 503),
        (ClusterError("x", status=0), 503),
        (ClusterError("x", status=403, reason="Forbidden"), 403),
        (ClusterError("x", status=504, reason="Timeout"), 504),
        (ClusterError("x", status=500), 502),
        (TimeoutError(), 504),
        (TranslateTimeoutError("ollama did not answer within 5s"), 504),
        # the class decides, not the wording
        (TranslateError("no translator called 'timeout-bot'"), 502),
        (ValueError("secret detail"), 500),
    ],
)
def test_error_mapping(exc: BaseException, status: int) -> None:
    code, reason, message = map_error(exc)
    assert code == status and reason and message
    if status == 500:
        assert "secret detail" not in message


def test_webhook_close_during_retries_cuts_them_short_without_a_thread_error() -> None:
    """Closing while a delivery backs off must not leave the thread posting on a closed client."""
    import socket
    import threading

    from kubechat_lab.server._webhooks import WebhookSender

    with socket.socket() as sock:  # a port with nothing listening: every attempt fails
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    errors: list[threading.ExceptHookArgs] = []
    previous = threading.excepthook
    threading.excepthook = errors.append
    try:
        sender = WebhookSender([url], timeout=0.5, attempts=50, backoff=5.0)
        sender.submit({"seq": 1, "type": "proposed"})
        sender.submit({"seq": 2, "type": "proposed"})
        sender.close(timeout=0.5)
        sender._thread.join(5)
    finally:
        threading.excepthook = previous
    assert not sender._thread.is_alive()
    assert errors == []
    assert sender.delivered == 0 and sender.failed == 2  # one cut short, one dropped


def test_default_context_may_be_named(tmp_path) -> None:
    """A card shows the resolved context; typing that name back selects the same default."""
    from kubechat_lab.server._clusters import ClusterPool

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: lab\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\n"
        "users: [{name: u, user: {}}]\n"
        "contexts: [{name: lab, context: {cluster: c, user: u}},"
        " {name: other, context: {cluster: c, user: u}}]\n"
    )
    pool = ClusterPool(kubeconfig=str(kubeconfig), default_context=None, contexts=(),
                       identity_for=lambda user: (None, ()), request_timeout=5)
    assert pool.context_name(None) == "lab"
    assert pool.resolve_context("lab") is None and pool.resolve_context(None) is None
    with pytest.raises(BadRequestError, match="'other' is not enabled on this server"):
        pool.resolve_context("other")
    broken = ClusterPool(kubeconfig=str(tmp_path / "missing"), default_context=None,
                         contexts=(), identity_for=lambda user: (None, ()), request_timeout=5)
    assert broken.context_name(None) is None
    with pytest.raises(BadRequestError):
        broken.resolve_context("lab")
