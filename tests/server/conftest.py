"""Fixtures for the server-extension tests: a real Jupyter server with kubechat enabled and
authentication on, a real (embedded) PostgreSQL, and helpers to call the API as a browser or as
a kernel capability."""

from __future__ import annotations

import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

import pytest

FAKE_API_KEY = "sk-kubechat-test-" + "9f2c" * 8


@pytest.fixture
def api_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "openai.key"
    path.write_text(FAKE_API_KEY + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def kubechat_settings(audit_db: Any, api_key_file: Path, tmp_path: Path) -> dict[str, Any]:
    """KubechatApp traits for a test; modules override this fixture to add a cluster."""
    missing = tmp_path / "no-cluster.kubeconfig"
    return {
        "audit_dsn": audit_db.app_dsn,
        "audit_dsn_env": "",
        "kubeconfig": str(missing),
        "openai_api_key_file": str(api_key_file),
        "request_timeout": 10.0,
    }


@pytest.fixture
def jp_server_config(kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    """Jupyter server config: kubechat enabled, token authentication on (pytest-jupyter's)."""
    return {
        "ServerApp": {"jpserver_extensions": {"kubechat_lab": True}},
        "KubechatApp": dict(kubechat_settings),
    }


@pytest.fixture
def kubechat_app(jp_serverapp: Any) -> Any:
    """The loaded KubechatApp instance."""
    return jp_serverapp.extension_manager.extension_points["kubechat_lab"].app


class SignedInPage:
    """A signed-in browser page: logs in once at the login page with the Jupyter token (as a
    person does), then sends only its cookies and ``X-XSRFToken``, never the token."""

    def __init__(self, client: Any, base_url: str, token: str) -> None:
        self._client = client
        self._base_url = base_url
        self._token = token
        self.jar: dict[str, str] = {}

    def _cookies(self, response: Any) -> None:
        for header in response.headers.get_list("Set-Cookie"):
            name, _, rest = header.partition("=")
            self.jar[name.strip()] = rest.split(";", 1)[0]

    async def fetch(self, path: str, **kwargs: Any) -> Any:
        headers = kwargs.pop("headers", {})
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.jar.items())
        if "_xsrf" in self.jar:
            headers["X-XSRFToken"] = self.jar["_xsrf"]
        response = await self._client.fetch(self._base_url + path, headers=headers,
                                            raise_error=False, follow_redirects=False, **kwargs)
        self._cookies(response)
        return response

    async def login(self) -> None:
        page = await self.fetch("login")  # sets the _xsrf cookie
        assert page.code == 200, page.code
        form = urllib.parse.urlencode({"_xsrf": self.jar["_xsrf"], "password": self._token})
        done = await self.fetch("login", method="POST", body=form)
        assert done.code == 302, (done.code, done.body[:300])
        assert any(name.startswith("username-") for name in self.jar), self.jar


class Api:
    """Call the kubechat API as the browser (the Jupyter token, or a signed-in page with its
    cookie) or as a capability holder."""

    def __init__(self, fetch: Any, client: Any, base_url: str, token: str = "") -> None:
        self._fetch = fetch
        self._client = client
        self._base_url = base_url
        self._token = token
        self._page: SignedInPage | None = None
        self.bodies: list[bytes] = []

    async def page(self) -> SignedInPage:
        """The signed-in page (logged in on first use)."""
        if self._page is None:
            self._page = SignedInPage(self._client, self._base_url, self._token)
            await self._page.login()
        return self._page

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        capability: str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        signed_in: bool = False,
    ) -> tuple[int, Any]:
        """``signed_in``: as a signed-in page (login cookie + XSRF), which dangerous approvals
        need (docs/configuration.md); otherwise with the Jupyter token (or ``capability``)."""
        hdrs = dict(headers or {})
        url = self._base_url + "kubechat/api/" + path
        if params:
            url += "?" + urllib.parse.urlencode(params)
        kwargs: dict[str, Any] = {"method": method, "raise_error": False, "request_timeout": 60}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["body"] = json.dumps(body if body is not None else {})
        if signed_in:
            page = await self.page()
            kwargs.pop("raise_error")
            response = await page.fetch(url[len(self._base_url):], headers=hdrs, **kwargs)
        elif capability is not None:
            hdrs["X-Kubechat-Capability"] = capability
            response = await self._client.fetch(url, headers=hdrs, **kwargs)
        else:
            response = await self._fetch(
                "kubechat", "api", *path.split("/"), headers=hdrs, params=params, **kwargs
            )
        self.bodies.append(response.body or b"")
        text = response.body.decode() if response.body else ""
        ctype = response.headers.get("Content-Type", "")
        data = json.loads(text) if text and "json" in ctype else text
        return response.code, data


@pytest.fixture
def api(jp_fetch: Any, http_server_client: Any, jp_base_url: str, jp_serverapp: Any) -> Api:
    return Api(jp_fetch, http_server_client, jp_base_url, jp_serverapp.identity_provider.token)


def sandbox_settings(sandbox: Any, kubechat_settings: dict[str, Any]) -> dict[str, Any]:
    return {**kubechat_settings, "kubeconfig": str(sandbox.kubeconfig)}


def ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


class ApprovalBrowser:
    """A person on the approval page: signed in there through the JupyterLab page's link.

    ``sign_in(pid)`` follows ``kubechat/api/proposals/<pid>/approval-page`` from the
    signed-in page (the Jupyter login cookie), then the approval origin's ``/login``
    redirect, keeping the approval origin's own cookie; ``decide`` posts the page's form
    with its token and ``Origin``.
    """

    def __init__(self, api: Api, approval_url: str) -> None:
        self.api = api
        self.url = approval_url
        self.jar: dict[str, str] = {}

    async def get(self, path: str, **kwargs: Any) -> Any:
        import httpx

        async with httpx.AsyncClient(cookies=self.jar, timeout=60) as client:
            response = await client.get(self.url + path.lstrip("/"), **kwargs)
        self.jar.update(dict(response.cookies))
        return response

    async def post(self, path: str, form: dict[str, str], *, origin: str | None = None,
                   headers: dict[str, str] | None = None) -> Any:
        import httpx

        hdrs = dict(headers or {})
        hdrs["Origin"] = origin if origin is not None else self.url.rstrip("/")
        async with httpx.AsyncClient(cookies=self.jar, timeout=120) as client:
            return await client.post(self.url + path.lstrip("/"), data=form, headers=hdrs)

    async def sign_in(self, pid: str) -> Any:
        """Open the proposal's link on the JupyterLab page and follow it here."""
        page = await self.api.page()
        opened = await page.fetch(f"kubechat/api/proposals/{pid}/approval-page")
        assert opened.code == 302, (opened.code, opened.body[:300])
        location = opened.headers["Location"]
        assert location.startswith(self.url + "login?"), location
        login = await self.get(location[len(self.url):])
        assert login.status_code == 200, login.text
        return await self.get(f"proposals/{pid}")

    @staticmethod
    def form_token(html: str) -> str:
        import re

        found = re.search(r"name=kubechat_xsrf value='([^']+)'", html)
        assert found, html[:2000]
        return found.group(1)

    async def decide(self, pid: str, action: str = "approve", confirm: str | None = None,
                     ) -> Any:
        """Sign in if needed, read the page's token, post the decision."""
        page = await self.get(f"proposals/{pid}")
        if page.status_code == 401:
            page = await self.sign_in(pid)
        assert page.status_code == 200, page.text
        form = {"kubechat_xsrf": self.form_token(page.text), "action": action}
        if confirm is not None:
            form["confirm"] = confirm
        return await self.post(f"proposals/{pid}", form)


@pytest.fixture
def approval(api: Api, kubechat_app: Any) -> ApprovalBrowser:
    """A person on the approval page of the test's server."""
    return ApprovalBrowser(api, kubechat_app.approval.url)
