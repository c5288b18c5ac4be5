"""Kernel environments lose every secret the server holds *by value*, whatever the variable's
name: the audit DSN and its password, webhook URLs and the credentials in them, the LLM key
A real kernel started through the server reports what it got."""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.server._kernel_env import strip_secrets
from kubechat_lab.server._kernels import dsn_secrets, url_secrets
from tests.server.conftest import FAKE_API_KEY, Api
from tests.server.test_kernels import run_in_kernel, start_session

pytestmark = pytest.mark.postgres

HOOK_PASSWORD = "hook-pass-" + secrets.token_hex(8)
HOOK_TOKEN = "tok" + secrets.token_hex(10)
HOOK_PATH = "B0" + secrets.token_hex(12)
LLM_PASSWORD = "llm-pw-" + secrets.token_hex(8)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


WEBHOOK = (f"http://hooks:{HOOK_PASSWORD}@127.0.0.1:{_closed_port()}/services/T0/{HOOK_PATH}"
           f"?token={HOOK_TOKEN}")


@pytest.fixture
def kubechat_settings(audit_db: Any, api_key_file: Path, tmp_path: Path) -> dict[str, Any]:
    return {
        "audit_dsn": "",
        "audit_dsn_env": "KC_TEST_AUDIT_DSN",  # the DSN (with its password) from the env
        "kubeconfig": str(tmp_path / "no-cluster.kubeconfig"),
        "openai_api_key_file": str(api_key_file),
        "event_webhooks": [WEBHOOK],
        "webhook_attempts": 1,
    }


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any], audit_db: Any,
                     monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("KC_TEST_AUDIT_DSN", audit_db.app_dsn)
    return {"ServerApp": {"jpserver_extensions": {"kubechat_lab": True}},
            "KubechatApp": dict(kubechat_settings),
            # a translator option with a credential in its URL (held, even if unused)
            "TranslatorRegistry": {"translator_options": {
                "openai": {"base_url": f"https://llm:{LLM_PASSWORD}@127.0.0.1:9/v1"}}}}


CODE = """
import json, os
with open(OUT_PATH, "w") as f:
    json.dump(dict(os.environ), f)
"""


async def test_secrets_are_stripped_by_value_whatever_the_name(
    api: Api, jp_serverapp: Any, audit_db: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    password = audit_db.server.app_password
    assert password and password in audit_db.app_dsn
    innocent = {  # names no pattern catches; each value holds a secret the server has
        "DB_CONN_COPY": audit_db.app_dsn,
        "PG_WORD": f"x{password}x",
        "NOTIFY_TARGET": WEBHOOK,
        "NOTIFY_WORD": HOOK_PASSWORD,
        "NOTIFY_QUERY": f"token={HOOK_TOKEN}",
        "NOTIFY_PATH": f"/services/T0/{HOOK_PATH}",
        "MODEL_ACCESS": FAKE_API_KEY,
        "MODEL_WORD": LLM_PASSWORD,
    }
    harmless = {"TEAM_NAME": "platform-sre", "SHORT_VALUE": "abc"}
    for name, value in {**innocent, **harmless}.items():
        monkeypatch.setenv(name, value)
    _, kernel_id = await start_session(api, "env-by-value")
    out = tmp_path / "env.json"
    await run_in_kernel(jp_serverapp, kernel_id, f"OUT_PATH = {str(out)!r}\n" + CODE)
    env = json.loads(out.read_text())
    for name in innocent:
        assert name not in env, name
    blob = json.dumps(env)
    for needle in (password, HOOK_PASSWORD, HOOK_TOKEN, HOOK_PATH, FAKE_API_KEY, LLM_PASSWORD):
        assert needle not in blob
    assert env["TEAM_NAME"] == "platform-sre" and env["SHORT_VALUE"] == "abc"
    assert env["KUBECHAT_CAPABILITY"].startswith("kcap_")


def test_secret_parts_of_dsns_and_urls() -> None:
    assert dsn_secrets("host=db user=app password=s3cret-pw dbname=k")[1] == "s3cret-pw"
    assert "s3cret-pw" in dsn_secrets("postgresql://app:s3cret-pw@db:5432/k")
    assert dsn_secrets("host=db user=app") == ["host=db user=app"]
    assert dsn_secrets("not a dsn ===") == ["not a dsn ==="]
    parts = url_secrets("https://u:p%40ss-word@hooks.example.com/services/T0/"
                        "B0XXXXXXXXXXXXXXXXXX?sig=abcdefgh&x=1")
    assert {"p@ss-word", "abcdefgh", "B0XXXXXXXXXXXXXXXXXX"} <= set(parts)
    env = {"A": "see p@ss-word here", "B": "x=1", "C": "fine"}
    assert strip_secrets(env, (), [p for p in parts if len(p) >= 8]) == {"B": "x=1",
                                                                        "C": "fine"}
