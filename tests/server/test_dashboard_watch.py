"""``GET kubechat/api/dashboard/watch`` on a real server and the sandbox: a live dashboard.

The stream sends the dashboard again soon after a change in a scratch namespace (a deployment
scaled, a pod that cannot be scheduled), is audited as exactly one ``watch_started`` and one
``watch_stopped`` with the commands it covers, and holds one slot of the watch quotas.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace
from tests.server.conftest import Api

pytestmark = [pytest.mark.postgres, pytest.mark.sandbox]

#: How long a change may take to reach the stream: a bound to wait for, not a timing.
ARRIVES_WITHIN = 60.0


@pytest.fixture
def kubechat_settings(sandbox: Any, audit_db: Any, api_key_file: Path) -> dict[str, Any]:
    return {"audit_dsn": audit_db.app_dsn, "audit_dsn_env": "",
            "kubeconfig": str(sandbox.kubeconfig), "openai_api_key_file": str(api_key_file),
            "request_timeout": 20.0, "dashboard_refresh_seconds": 3.0,
            "max_watches_per_owner": 1}


@pytest.fixture
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-dashw") as name:
        yield name


def deployment(namespace: str, name: str, replicas: int, **spec: Any) -> str:
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}],
                                       **spec}}}})


class Stream:
    """The NDJSON lines of one open dashboard watch, read as they come."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.lines = response.aiter_lines()
        self.seen: list[dict[str, Any]] = []

    async def next(self) -> dict[str, Any]:
        line = ""
        while not line.strip():
            line = await asyncio.wait_for(anext(self.lines), ARRIVES_WITHIN)
        event: dict[str, Any] = json.loads(line)
        self.seen.append(event)
        return event

    async def until(self, probe: Callable[[dict[str, Any]], bool], what: str) -> dict[str, Any]:
        """Read lines until a ``dashboard`` whose body satisfies ``probe``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ARRIVES_WITHIN
        while loop.time() < deadline:
            event = await self.next()
            assert event["type"] in ("dashboard", "heartbeat"), event
            if event["type"] == "dashboard" and probe(event["dashboard"]):
                return event
        pytest.fail(f"the stream never showed {what}")


@asynccontextmanager
async def dashboard_watch(api: Api, port: int, base_url: str) -> AsyncIterator[Stream]:
    url = f"http://127.0.0.1:{port}{base_url}kubechat/api/dashboard/watch"
    headers = {"Authorization": f"token {api._token}"}
    async with httpx.AsyncClient(timeout=httpx.Timeout(120.0)) as client, \
            client.stream("GET", url, headers=headers) as response:
        yield Stream(response)


def phases(snap: dict[str, Any], namespace: str) -> dict[str, int]:
    tile = next(t for t in snap["tiles"] if t["id"] == "phases")
    for row in tile["rows"]:
        if row[0] == namespace:
            return dict(zip(tile["columns"], row, strict=True))
    return {}


async def audit_of(api: Api, kind: str, watch: str) -> list[dict[str, Any]]:
    code, page = await api.call("GET", "audit", params={"type": kind, "limit": "1000"})
    assert code == 200, page
    return [r["event"] for r in page["records"] if r["event"].get("watch") == watch]


async def test_the_stream_follows_changes_and_is_audited_once(
    api: Api, sandbox: SandboxInfo, scratch: str, kubechat_app: Any, jp_http_port: int,
    jp_base_url: str
) -> None:
    await asyncio.to_thread(kubectl, sandbox, "apply", "-f", "-",
                            stdin=deployment(scratch, "web", 1))
    async with dashboard_watch(api, jp_http_port, jp_base_url) as stream:
        assert stream.response.status_code == 200
        assert stream.response.headers["Content-Type"].startswith("application/x-ndjson")
        start = await stream.next()
        assert start["type"] == "start", start
        watch = start["watch"]
        commands = start["commands"]
        assert "kubectl --context=kubechat-sandbox get pods -A" in start["watched"]
        assert "kubectl --context=kubechat-sandbox top nodes" in commands
        assert "kubectl --context=kubechat-sandbox top nodes" not in start["watched"]
        assert start["refresh_seconds"] == 3.0
        first = await stream.next()
        assert first["type"] == "dashboard" and first["dashboard"]["commands"] == commands
        assert first["dashboard"]["audit_seq"] == start["audit_seq"]

        # It holds one watch slot: the owner's quota (1 here) is full while it runs.
        assert kubechat_app.watch_slots.held() >= 1
        code, busy = await api.call("GET", "dashboard/watch")
        assert code == 429, (code, busy)
        assert "max_watches_per_owner" in busy["message"]
        # The same quotas as the watches of proposals: none of those starts either.
        code, read = await api.call("POST", "propose",
                                    {"command": f"kubectl get pods -n {scratch}"})
        assert code == 201 and read["state"] == "approved", read
        code, busy = await api.call("POST", f"proposals/{read['id']}/watch", {"seconds": 5})
        assert code == 429 and "max_watches_per_owner" in busy["message"], (code, busy)

        await stream.until(lambda d: phases(d, scratch).get("Running") == 1, "web running")
        await asyncio.to_thread(kubectl, sandbox, "scale", "deployment/web", "-n", scratch,
                                "--replicas=3")
        scaled = await stream.until(lambda d: phases(d, scratch).get("Running") == 3,
                                    "web scaled to 3")
        assert "pods" in scaled["changed"]
        await asyncio.to_thread(kubectl, sandbox, "apply", "-f", "-", stdin=deployment(
            scratch, "stuck", 1, nodeSelector={"kubechat.test/none": "nowhere"}))

        def stuck(d: dict[str, Any]) -> bool:
            tile = next(t for t in d["tiles"] if t["id"] == "pending")
            return any(r[0] == scratch and r[1].startswith("stuck-") for r in tile["rows"])

        await stream.until(stuck, "the unschedulable pod pending")
        # While it streams, no refresh of its own is audited: only the start so far.
        assert len(await audit_of(api, "watch_started", watch)) == 1
        assert await audit_of(api, "watch_stopped", watch) == []
    # The client went away: the watch stops, gives its slot back and audits the stop once.
    for _ in range(600):
        stopped = await audit_of(api, "watch_stopped", watch)
        if stopped:
            break
        await asyncio.sleep(0.05)
    started = await audit_of(api, "watch_started", watch)
    assert len(started) == 1 and len(stopped) == 1, (started, stopped)
    assert started[0]["commands"] == commands and started[0]["level"] == "safe"
    assert started[0]["watched"] == start["watched"]
    assert started[0]["context"] == "kubechat-sandbox" and "proposal" not in started[0]
    assert stopped[0]["reason"] == "client-closed"
    assert stopped[0]["updates"] >= 3 and stopped[0]["events"] >= 3
    assert stopped[0]["seconds"] > 0
    assert kubechat_app.watch_slots.held() == 0
    code, page = await api.call("GET", "audit", params={"type": "dashboard_read"})
    assert page["records"] == []  # a live dashboard adds no row per update


async def test_a_capability_without_execute_gets_no_watch(api: Api, kubechat_app: Any) -> None:
    code, minted = await api.call("POST", "capabilities", {"scopes": ["propose"],
                                                            "label": "reader"})
    assert code == 201, minted
    code, reply = await api.call("GET", "dashboard/watch", capability=minted["token"])
    assert code == 403, (code, reply)
    assert "execute" in reply["message"] or "propose" in reply["message"]
    assert kubechat_app.watch_slots.held() == 0
    code, page = await api.call("GET", "audit", params={"type": "watch_started"})
    assert page["records"] == []


async def test_no_audit_no_watch(api: Api, audit_db: Any, kubechat_app: Any,
                                 caplog: pytest.LogCaptureFixture) -> None:
    """The start cannot be appended: 503, nothing is read, the slot is given back."""
    import psycopg

    with psycopg.connect(audit_db.dsn, autocommit=True) as conn:  # superuser: appends fail
        conn.execute("CREATE FUNCTION kubechat_audit.test_refuse() RETURNS trigger "
                     "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit disk full'; END $$")
        conn.execute("CREATE TRIGGER test_refuse BEFORE INSERT ON kubechat_audit.audit_event "
                     "FOR EACH ROW EXECUTE FUNCTION kubechat_audit.test_refuse()")
    with caplog.at_level("INFO", logger="kubechat_lab"):
        code, reply = await api.call("GET", "dashboard/watch")
    assert code == 503, (code, reply)
    assert kubechat_app.watch_slots.held() == 0
    read = [r.getMessage() for r in caplog.records
            if r.getMessage().startswith("kubernetes request ")
            and any(p in r.getMessage() for p in ("/pods", "/nodes", "/events", "watch"))]
    assert read == [], read


class TestImpersonated:
    """The live dashboard reads and watches as the caller's mapped identity, like a refresh."""

    @pytest.fixture
    def kubechat_settings(self, sandbox: Any, audit_db: Any, api_key_file: Path
                          ) -> dict[str, Any]:
        return {"audit_dsn": audit_db.app_dsn, "audit_dsn_env": "",
                "kubeconfig": str(sandbox.kubeconfig),
                "openai_api_key_file": str(api_key_file), "request_timeout": 20.0,
                "impersonate": {"*": {"user": "kc-nobody-{username}", "groups": []}}}

    async def test_an_identity_without_rbac_reads_nothing(
        self, api: Api, kubechat_app: Any, jp_http_port: int, jp_base_url: str
    ) -> None:
        # The admin kubeconfig could read and watch it all; the impersonated identity cannot.
        async with dashboard_watch(api, jp_http_port, jp_base_url) as stream:
            start = await stream.next()
            error = await stream.next()
            end = await stream.next()
        assert start["type"] == "start", start
        assert error["type"] == "error" and "forbidden" in error["message"].lower(), error
        assert end["type"] == "end" and end["reason"] == "error", end
        started = await audit_of(api, "watch_started", start["watch"])
        stopped = await audit_of(api, "watch_stopped", start["watch"])
        assert started[0]["impersonate_user"].startswith("kc-nobody-"), started
        assert len(stopped) == 1 and stopped[0]["reason"] == "error"
        assert stopped[0]["impersonate_user"] == started[0]["impersonate_user"]
        assert kubechat_app.watch_slots.held() == 0


LIST_ONLY = secrets.token_hex(3)
LIST_ONLY_ROLE = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
    "metadata": {"name": f"kc-dash-list-only-{LIST_ONLY}"},
    "rules": [
        {"apiGroups": [""], "resources": ["nodes", "pods", "events"], "verbs": ["get", "list"]},
        {"apiGroups": ["apps"], "resources": ["deployments", "statefulsets", "daemonsets"],
         "verbs": ["get", "list"]},
        {"apiGroups": ["metrics.k8s.io"], "resources": ["nodes"], "verbs": ["get", "list"]},
    ]}


class TestListWithoutWatch:
    """An identity that may list but not watch: each read is re-read on the interval."""

    @pytest.fixture
    def kubechat_settings(self, sandbox: SandboxInfo, audit_db: Any, api_key_file: Path
                          ) -> Iterator[dict[str, Any]]:
        user = f"kc-list-only-{LIST_ONLY}"
        binding = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                   "metadata": {"name": user},
                   "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                               "name": LIST_ONLY_ROLE["metadata"]["name"]},
                   "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User",
                                 "name": user}]}
        kubectl(sandbox, "apply", "-f", "-", stdin=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": [LIST_ONLY_ROLE, binding]}))
        try:
            yield {"audit_dsn": audit_db.app_dsn, "audit_dsn_env": "",
                   "kubeconfig": str(sandbox.kubeconfig),
                   "openai_api_key_file": str(api_key_file), "request_timeout": 20.0,
                   "dashboard_refresh_seconds": 2.0,
                   "impersonate": {"*": {"user": user, "groups": []}}}
        finally:
            kubectl(sandbox, "delete", "clusterrolebinding", user, "--wait=false", check=False)
            kubectl(sandbox, "delete", "clusterrole", LIST_ONLY_ROLE["metadata"]["name"],
                    "--wait=false", check=False)

    async def test_changes_still_show_on_the_interval(
        self, api: Api, sandbox: SandboxInfo, scratch: str, jp_http_port: int,
        jp_base_url: str
    ) -> None:
        async with dashboard_watch(api, jp_http_port, jp_base_url) as stream:
            start = await stream.next()
            first = await stream.next()
            assert first["type"] == "dashboard", first
            tiles = {t["id"]: t for t in first["dashboard"]["tiles"]}
            assert tiles["phases"]["error"] is None and tiles["phases"]["rows"], tiles["phases"]
            await asyncio.to_thread(kubectl, sandbox, "apply", "-f", "-",
                                    stdin=deployment(scratch, "web", 2))
            shown = await stream.until(lambda d: phases(d, scratch).get("total") == 2,
                                       "the new pods, re-read on the interval")
            assert "pods" in shown["changed"]
        for _ in range(600):
            stopped = await audit_of(api, "watch_stopped", start["watch"])
            if stopped:
                break
            await asyncio.sleep(0.05)
        assert len(stopped) == 1 and stopped[0]["events"] == 0, stopped  # no watch ran
        assert stopped[0]["reason"] == "client-closed"
