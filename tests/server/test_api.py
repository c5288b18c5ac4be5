"""The REST API against a real Jupyter server: auth, XSRF, JSON errors, flows, audit, metrics."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from tornado.web import RequestHandler

from kubechat_lab.server.handlers import KubechatHandler
from tests.server.conftest import Api, ApprovalBrowser

pytestmark = pytest.mark.postgres

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
VERBS = ("get", "post", "put", "patch", "delete")


def _template(pattern: str, base_url: str) -> str:
    path = pattern.rstrip("$")
    prefix = base_url.rstrip("/") + "/kubechat/api"
    prefix = prefix.replace("%40", "@")
    path = path.replace("%40", "@")
    assert path.startswith(prefix), (path, prefix)
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path[len(prefix) :])


def _rules(router: Any) -> list[Any]:
    out = []
    for rule in getattr(router, "rules", []):
        if hasattr(rule.target, "rules"):
            out += _rules(rule.target)
        else:
            out.append(rule)
    return out


def test_openapi_matches_the_handlers(jp_serverapp: Any, jp_base_url: str) -> None:
    doc = yaml.safe_load(OPENAPI.read_text())
    documented = {
        (path, verb) for path, item in doc["paths"].items() for verb in item if verb in VERBS
    }
    served: set[tuple[str, str]] = set()
    for rule in _rules(jp_serverapp.web_app.default_router):
        handler = rule.target
        if not (isinstance(handler, type) and issubclass(handler, KubechatHandler)):
            continue
        path = _template(rule.matcher.regex.pattern, jp_base_url)
        for verb in VERBS:
            if getattr(handler, verb) is not getattr(RequestHandler, verb):
                served.add((path, verb))
    assert served, "no kubechat handlers registered"
    # /hub/... is served by the hub service only (kubechat_lab/server/hub/_service_side.py)
    hub_only = {(p, v) for p, v in documented if p.startswith("/hub/")}
    assert hub_only, "the hub service's routes are documented"
    assert documented - served - hub_only == set(), "documented but not served"
    assert served - documented == set(), "served but not documented"


async def test_unauthenticated_requests_are_refused_with_json(
    jp_serverapp: Any, http_server_client: Any, jp_base_url: str
) -> None:
    for method, path in [("GET", "health"), ("POST", "propose"), ("GET", "metrics")]:
        response = await http_server_client.fetch(
            f"{jp_base_url}kubechat/api/{path}",
            method=method,
            body="{}" if method == "POST" else None,
            raise_error=False,
        )
        assert response.code == 403, (path, response.code)
        body = json.loads(response.body)
        if method == "GET":
            assert body["reason"] == "unauthenticated"
            assert "Authorization: token" in body["message"]
        else:  # jupyter_server checks XSRF before authentication on writes
            assert body["reason"] == "xsrf" and "_xsrf" in body["message"]


def _cookies(response: Any, jar: dict[str, str]) -> None:
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


async def test_browser_xsrf(jp_serverapp: Any, http_server_client: Any, jp_base_url: str) -> None:
    token = jp_serverapp.identity_provider.token
    jar: dict[str, str] = {}

    async def fetch(path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
        response = await http_server_client.fetch(
            jp_base_url + path,
            headers=headers,
            raise_error=False,
            follow_redirects=False,
            **kwargs,
        )
        _cookies(response, jar)
        return response

    login = await fetch("login")  # the login page sets the _xsrf cookie
    assert login.code == 200
    xsrf = jar["_xsrf"]
    # The browser logs in with the token once; from then on only cookies are sent.
    me = await fetch("api/me", headers={"Authorization": f"token {token}"})
    assert me.code == 200
    assert any(name.startswith("username-") for name in jar), jar

    body = json.dumps({"command": "kubectl get pods -n shop"})
    refused = await fetch("kubechat/api/propose", method="POST", body=body)
    assert refused.code == 403
    assert json.loads(refused.body)["reason"] == "xsrf"
    assert "_xsrf" in json.loads(refused.body)["message"]

    accepted = await fetch(
        "kubechat/api/propose", method="POST", body=body, headers={"X-XSRFToken": xsrf}
    )
    assert accepted.code == 201, accepted.body
    proposal = json.loads(accepted.body)
    # The browser's GETs need no XSRF token.
    got = await fetch(f"kubechat/api/proposals/{proposal['id']}")
    assert got.code == 200


async def test_bad_requests_name_the_field(api: Api) -> None:
    code, body = await api.call("POST", "propose", {})
    assert code == 400 and "'command'" in body["message"], body
    code, body = await api.call("POST", "propose", {"command": 3})
    assert code == 400 and body["reason"] == "invalid-command"
    code, body = await api.call("POST", "propose", {"command": "get pods", "colour": "red"})
    assert code == 400 and "'colour'" in body["message"]
    code, body = await api.call("POST", "ask", {"question": ""})
    assert code == 400 and body["reason"] == "invalid-question"
    code, body = await api.call("GET", "audit", params={"limit": "lots"})
    assert code == 400 and "'limit'" in body["message"]
    code, body = await api.call("GET", "proposals/p_00000000000000000000")
    assert code == 404 and body["reason"] == "proposal-not-found"
    code, body = await api.call("POST", "propose", {"command": "get pods", "context": "prod"})
    assert code == 400 and "prod" in body["message"]


async def test_grammar_refusals_are_400_and_audited_without_the_text(api: Api) -> None:
    code, body = await api.call("POST", "propose", {"command": "kubectl get pods; rm -rf /"})
    assert code == 400, body
    assert body["message"]
    code, body = await api.call(
        "POST", "propose", {"command": "kubectl get pods --token=SEKRIT-TOKEN-VALUE"}
    )
    assert code == 400, body
    code, page = await api.call("GET", "audit", params={"type": "proposed"})
    invalid = [r["event"] for r in page["records"] if r["event"].get("outcome") == "invalid"]
    assert len(invalid) == 2
    assert "SEKRIT" not in str(page)


async def test_dangerous_needs_the_name_typed_back_on_the_approval_page(
        api: Api, approval: ApprovalBrowser) -> None:
    code, proposal = await api.call(
        "POST", "propose", {"command": "kubectl delete pod web-1 -n shop"}
    )
    assert code == 201, proposal
    assert proposal["level"] == "dangerous"
    assert proposal["state"] == "proposed"
    assert proposal["confirm"] == "web-1"
    pid = proposal["id"]
    code, body = await api.call("POST", f"proposals/{pid}/execute")
    assert code == 403 and body["reason"] == "not-approved"
    # docs/configuration.md: the JupyterLab origin approves no dangerous command, however it
    # authenticated and whatever it typed; it points to the approval page
    for signed_in in (False, True):
        for typed in ({}, {"confirm": "web-2"}, {"confirm": "web-1"}):
            code, body = await api.call("POST", f"proposals/{pid}/approve", typed,
                                        signed_in=signed_in)
            assert code == 403 and body["reason"] == "approve-on-approval-page", body
            assert "'web-1'" in body["message"] and "/approval-page" in body["message"]
    for typed in (None, "web-2"):
        refused = await approval.decide(pid, confirm=typed)
        assert refused.status_code == 400 and "invalid-confirm" in refused.text
    done = await approval.decide(pid, confirm="web-1")  # approved; no cluster to run it on
    code, body = await api.call("GET", f"proposals/{pid}")
    assert body["decided_via"] == "approval-page" and body["state"] != "proposed", body
    page = await approval.get(f"proposals/{pid}")
    assert page.status_code == 200 and "kubechat_xsrf" not in page.text, done.text  # no form


async def test_reject_and_audit_paging(api: Api) -> None:
    code, proposal = await api.call(
        "POST", "propose", {"command": "kubectl scale deployment web --replicas=3 -n shop"}
    )
    assert code == 201, proposal
    assert proposal["level"] == "warning"
    assert proposal["preview"] is not None  # dry run attempted (no cluster here: an error)
    pid = proposal["id"]
    code, body = await api.call("POST", f"proposals/{pid}/reject", {"reason": "not now"})
    assert code == 200 and body["state"] == "rejected"
    code, body = await api.call("POST", f"proposals/{pid}/execute")
    assert code == 409
    for i in range(3):
        code, _ = await api.call("POST", "propose", {"command": f"kubectl get pods -n ns{i}"})
        assert code == 201
    code, page = await api.call("GET", "audit", params={"limit": "2"})
    assert code == 200 and len(page["records"]) == 2 and page["next_after"] == 2
    seqs = [r["seq"] for r in page["records"]]
    while page["next_after"] is not None:
        code, page = await api.call(
            "GET", "audit", params={"limit": "2", "after": str(page["next_after"])}
        )
        seqs += [r["seq"] for r in page["records"]]
    assert seqs == list(range(1, len(seqs) + 1))
    types = {r["event"]["type"] for r in (await api.call("GET", "audit"))[1]["records"]}
    assert {"proposed", "rejected", "approved"} <= types
    code, report = await api.call("GET", "audit/verify")
    assert code == 200 and report["ok"] and report["rows_checked"] == len(seqs)


async def test_metrics_count_requests_levels_and_decisions(api: Api) -> None:
    await api.call("POST", "propose", {"command": "kubectl get pods"})
    await api.call("POST", "propose", {"command": "kubectl get pods; ls"})
    code, text = await api.call("GET", "metrics")
    assert code == 200
    assert 'kubechat_requests_total{method="POST",route="propose",status="201"} 1.0' in text
    assert 'kubechat_requests_total{method="POST",route="propose",status="400"} 1.0' in text
    assert 'kubechat_proposals_total{level="safe"} 1.0' in text
    assert 'kubechat_decisions_total{decision="approved"} 1.0' in text
    assert "kubechat_request_seconds_bucket" in text


async def test_health_reports_each_part(api: Api) -> None:
    code, report = await api.call("GET", "health")
    assert code == 503  # no cluster configured in this module
    assert report["database"]["ok"] is True
    assert report["cluster"]["ok"] is False
    assert report["provider"]["provider"] == "rules"
