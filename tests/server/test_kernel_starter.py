"""A kernel acts as the person who started it, and fails closed when nobody is known to have;
quotas are taken in one atomic step, per owner (a person's pages, or one kernel).

The identity provider here names people (as a collaborative server's does): alice holds the
server's token, bob his own. No cluster is needed: who a kernel is, is the server's business.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import threading
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.identity import IdentityProvider, User

from kubechat_lab.server._kernels import REFUSED_ENV
from kubechat_lab.server._proposals import BusyError, Principal
from kubechat_lab.server._quotas import Slots
from tests.server.conftest import Api
from tests.server.test_kernels import api_sessions

pytestmark = pytest.mark.postgres

BOB_TOKEN = "bob-" + secrets.token_hex(16)


class AliceAndBob(IdentityProvider):
    """Names people: the server's token is alice's, ``BOB_TOKEN`` is bob's."""

    def get_user_token(self, handler: Any) -> User | None:
        token = self.get_token(handler)
        name = {self.token: "alice", BOB_TOKEN: "bob"}.get(token or "")
        return User(username=name) if name else None


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"kubechat_lab": True},
                      "identity_provider_class": f"{__name__}.AliceAndBob"},
        # a kernel that acted for the server's owner would show up as this user
        "KubechatApp": {**kubechat_settings, "kernel_user": "server-owner",
                        "max_blocking_per_user": 1},
    }


async def kernel_output(jp_serverapp: Any, kernel_id: str, code: str) -> list[dict[str, Any]]:
    """Run ``code`` in a kernel; return its iopub messages' contents (errors included)."""
    client = jp_serverapp.kernel_manager.get_kernel(kernel_id).client()
    client.start_channels()
    out: list[dict[str, Any]] = []
    try:
        await client.wait_for_ready(timeout=60)
        await client.execute_interactive(code, timeout=120,
                                         output_hook=lambda m: out.append(m["content"]))
    finally:
        client.stop_channels()
    return out


ENV_CODE = """
import json, os
with open(OUT_PATH, "w") as f:
    json.dump(dict(os.environ), f)
"""


async def kernel_env(jp_serverapp: Any, kernel_id: str, tmp_path: Path) -> dict[str, str]:
    path = tmp_path / f"env-{kernel_id}.json"
    await kernel_output(jp_serverapp, kernel_id, f"OUT_PATH = {str(path)!r}\n" + ENV_CODE)
    env: dict[str, str] = json.loads(path.read_text())
    return env


async def test_each_kernel_acts_for_the_person_whose_request_started_it(
    api: Api, jp_serverapp: Any, kubechat_app: Any, tmp_path: Path
) -> None:
    body = {"path": "b.ipynb", "type": "notebook", "name": "b", "kernel": {"name": "python3"}}
    response = await api._fetch("api", "sessions", method="POST", body=json.dumps(body),
                                headers={"Authorization": f"token {BOB_TOKEN}"})
    bob_kernel = json.loads(response.body)["kernel"]["id"]
    response = await api._fetch("api", "kernels", method="POST",
                                body=json.dumps({"name": "python3"}))  # alice, /api/kernels
    alice_kernel = json.loads(response.body)["id"]
    users = {c.kernel_id: c.user for c in kubechat_app.capabilities.list()}
    assert users[bob_kernel] == "bob" and users[alice_kernel] == "alice"
    for kernel_id, person in ((bob_kernel, "bob"), (alice_kernel, "alice")):
        env = await kernel_env(jp_serverapp, kernel_id, tmp_path)
        assert REFUSED_ENV not in env
        code, health = await api.call("GET", "health", capability=env["KUBECHAT_CAPABILITY"])
        assert code in (200, 503) and health["user"] == person, health  # 503: no cluster here


async def test_a_kernel_nobody_is_known_to_have_started_gets_no_capability(
    jp_serverapp: Any, kubechat_app: Any, tmp_path: Path
) -> None:
    # started outside any request (as at server start, or by another extension's task)
    kernel_id = await jp_serverapp.kernel_manager.start_kernel(kernel_name="python3")
    assert kernel_id not in {c.kernel_id for c in kubechat_app.capabilities.list()}
    env = await kernel_env(jp_serverapp, kernel_id, tmp_path)
    assert "KUBECHAT_CAPABILITY" not in env
    assert "could not tell who started it" in env[REFUSED_ENV]
    out = await kernel_output(jp_serverapp, kernel_id,
                              "%load_ext kubechat_lab\n%kubectl get pods -n shop")
    errors = [m for m in out if "ename" in m]
    assert [m["ename"] for m in errors] == ["NotConnected"], out
    said = errors[0]["evalue"]
    assert "could not tell who started it" in said and "Start a new kernel" in said, said


async def test_a_kernel_cannot_use_up_the_pages_blocking_slots(
    api: Api, kubechat_app: Any
) -> None:
    code, session = await api_sessions(api, "blocking")  # alice's kernel
    assert code == 201, session
    kernel_cap = next(c for c in kubechat_app.capabilities.list()
                      if c.kernel_id == session["kernel"]["id"])
    kernel = Principal(user="alice", via="capability", capability=kernel_cap)
    page = Principal(user="alice", via="browser", auth="cookie")
    assert kernel.owner != page.owner
    release = threading.Event()
    held = asyncio.ensure_future(kubechat_app.run_long(kernel.owner, release.wait))
    while kubechat_app.blocking_slots.held(kernel.owner) == 0:
        await asyncio.sleep(0.01)
    with pytest.raises(BusyError, match="max_blocking_per_user"):
        await kubechat_app.run_long(kernel.owner, lambda: True)  # the kernel's one slot is taken
    assert await kubechat_app.run_long(page.owner, lambda: "page ran") == "page ran"
    release.set()
    assert await held is True
    assert kubechat_app.blocking_slots.held() == 0


def test_checking_and_taking_a_slot_is_one_step() -> None:
    slots = Slots("watches", per_owner=16, total=16)
    barrier = threading.Barrier(40)
    won: list[bool] = []

    def race() -> None:
        barrier.wait()
        won.append(slots.try_take("page:alice") is None)

    threads = [threading.Thread(target=race) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won.count(True) == 16 and slots.held() == 16
    assert slots.try_take("kernel:k1") == "total"
    slots.release("page:alice")
    assert slots.try_take("kernel:k1") is None
    per_owner = Slots("watches", per_owner=2, total=10)
    assert [per_owner.try_take("page:alice") for _ in range(3)] == [None, None, "owner"]
    assert per_owner.try_take("kernel:k1") is None  # the page's quota is not the kernel's
    per_owner.release("kernel:k9")  # never taken: ignored
    assert per_owner.held() == 3
