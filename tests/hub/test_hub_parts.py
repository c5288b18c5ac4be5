"""The hub pieces that need no hub: the kernel registry, the service's arguments, hub mode's env."""

from __future__ import annotations

import pytest
from traitlets import TraitError

from kubechat_lab.cli._errors import UsageFailure
from kubechat_lab.cli.hub import service_argv
from kubechat_lab.server import Scope
from kubechat_lab.server._audit_log import AuditLog
from kubechat_lab.server._pg_capabilities import KernelTakenError, PgCapabilityStore
from kubechat_lab.server.app import KubechatApp
from kubechat_lab.server.hub._auth import shared_cookie_secret
from kubechat_lab.server.hub._service_side import HubKernels, public_address
from kubechat_lab.server.hub._user_side import HubKernelAccess, HubUserSide
from tests.plugins.postgres import AuditDb

HUB_ENV = {
    "JUPYTERHUB_SERVICE_NAME": "kubechat",
    "JUPYTERHUB_SERVICE_URL": "http://127.0.0.1:10101",
    "JUPYTERHUB_SERVICE_PREFIX": "/services/kubechat/",
    "JUPYTERHUB_API_TOKEN": "a" * 32,
    "JUPYTERHUB_API_URL": "http://127.0.0.1:8081/hub/api",
    "JUPYTERHUB_CLIENT_ID": "service-kubechat",
    "JUPYTERHUB_OAUTH_CALLBACK_URL": "/services/kubechat/oauth_callback",
}


@pytest.mark.postgres
def test_a_kernel_id_is_its_first_registrant_s_in_every_process(audit_db: AuditDb) -> None:
    """Two processes of the service (two connections) see one registry of kernels."""
    first, second = (AuditLog(audit_db.app_dsn, connect_timeout=3) for _ in range(2))
    try:
        one, two = (HubKernels(PgCapabilityStore(db)) for db in (first, second))
        kernel = {"scopes": [Scope.PROPOSE], "ttl": 60.0}
        token, cap = one.add("alice", "k1", **kernel)
        assert cap.kernel_id == "k1" and cap.user == "alice"
        two.add("alice", "k1", **kernel)  # the same server again, through the other: fine
        with pytest.raises(KernelTakenError, match="another person"):
            two.add("bob", "k1", **kernel)
        assert two.remove("bob", "k1") == 0
        assert PgCapabilityStore(second).lookup(token) is not None
        assert two.remove("alice", "k1") == 2  # through the other process: both revoked
        assert PgCapabilityStore(first).lookup(token) is None
        assert one.remove("alice", "k1") == 0
        one.add("bob", "k1", **kernel)  # a stopped kernel's id is nobody's
    finally:
        first.close()
        second.close()


def test_the_service_runs_on_the_hub_s_address_with_kubechat_routes_only() -> None:
    argv = service_argv(HUB_ENV, None, "/tmp/empty")
    assert "--ServerApp.ip=127.0.0.1" in argv and "--ServerApp.port=10101" in argv
    assert "--ServerApp.base_url=/services/kubechat/" in argv
    assert "--ServerApp.allow_remote_access=True" in argv  # reached by a host name of its own
    authorizer = "kubechat_lab.server.hub._auth.KubechatOnlyAuthorizer"
    assert f"--ServerApp.authorizer_class={authorizer}" in argv
    assert "--KubechatApp.require_impersonation=True" in argv
    assert "--KubechatApp.as_hub_service=True" in argv


def test_extra_arguments_replace_the_service_s_defaults() -> None:
    argv = service_argv(HUB_ENV, None, "/tmp/empty", ("--ServerApp.port=10102", "--debug"))
    assert "--ServerApp.port=10101" not in argv and argv[-2:] == ["--ServerApp.port=10102",
                                                                  "--debug"]
    assert "--ServerApp.ip=127.0.0.1" in argv


def test_every_process_of_the_service_signs_cookies_alike() -> None:
    secret = shared_cookie_secret("a" * 32)
    assert secret == shared_cookie_secret("a" * 32) and len(secret) == 32
    assert secret != shared_cookie_secret("b" * 32) and b"a" * 32 not in secret


def test_browsers_are_sent_to_the_service_s_public_address() -> None:
    """Its own host under subdomain_host (the hub says so), else its prefix on the hub's origin."""
    own = "http://kubechat--service.hub.localhost:8000/services/kubechat"
    assert public_address({**HUB_ENV, "JUPYTERHUB_PUBLIC_URL": own},
                          "/services/kubechat/") == own + "/"
    assert public_address(HUB_ENV, "/services/kubechat/") == "/services/kubechat/"


def test_the_service_outside_a_hub_says_what_is_missing() -> None:
    env = {k: v for k, v in HUB_ENV.items() if k != "JUPYTERHUB_API_TOKEN"}
    with pytest.raises(UsageFailure, match="JUPYTERHUB_API_TOKEN not set"):
        service_argv(env, None, "/tmp/empty")


def test_hub_mode_outside_a_hub_is_a_clear_start_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN", raising=False)
    app = KubechatApp(hub_service_url="http://127.0.0.1:8000/services/kubechat/")
    with pytest.raises(TraitError, match="started by JupyterHub"):
        HubUserSide(app)


async def test_hub_mode_strips_the_server_s_hub_token_by_name_and_value(
        monkeypatch: pytest.MonkeyPatch) -> None:
    token = "hubtoken-" + "x" * 32
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token)
    monkeypatch.setenv("JUPYTERHUB_USER", "alice")
    app = KubechatApp(hub_service_url="http://127.0.0.1:8000/services/kubechat")
    side = HubUserSide(app)
    try:
        access = HubKernelAccess(app, side)
        env = access.kernel_strip({"JUPYTERHUB_API_TOKEN": token, "JPY_API_TOKEN": token,
                                   "COPIED": f"Bearer {token}", "HOME": "/home/alice"})
        assert env == {"HOME": "/home/alice"}
        assert access.public_url() == "http://127.0.0.1:8000/services/kubechat/"
    finally:
        await side.close()
