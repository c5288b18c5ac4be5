"""The shared browser set-up itself (C6): real jupyter lab, token login, cookie + XSRF calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.plugins.browser import LabPage, LabServer

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def lab_kubechat_settings(lab_database: str, tmp_path_factory: pytest.TempPathFactory
                          ) -> dict[str, Any]:
    # No cluster: this module checks the browser plumbing, not Kubernetes.
    missing = tmp_path_factory.mktemp("nocluster") / "missing.kubeconfig"
    return {"kubeconfig": str(missing), "audit_dsn": lab_database}


def test_lab_server_requires_its_token(lab_server: LabServer) -> None:
    import httpx

    anonymous = httpx.get(f"{lab_server.url}kubechat/api/health", timeout=30)
    assert anonymous.status_code == 403
    status, body = lab_server.api("GET", "health")
    assert status == 503  # no cluster here
    assert body["database"]["ok"] is True and body["cluster"]["ok"] is False


def test_page_calls_the_api_with_its_cookies_and_xsrf(lab_page: LabPage) -> None:
    page = lab_page.page
    lab_page.shot("jupyterlab loaded")
    cookies = {c["name"] for c in page.context.cookies()}
    assert "_xsrf" in cookies
    # A write without the X-XSRFToken header is refused; with it (as ServerConnection sends
    # it) the request reaches the handler, which answers about the body, not about auth.
    result = page.evaluate(
        """async () => {
            const xsrf = document.cookie.split('; ').find(c => c.startsWith('_xsrf='))
                .slice('_xsrf='.length);
            const post = (headers) => fetch('/kubechat/api/propose', {
                method: 'POST', credentials: 'same-origin',
                headers: {'Content-Type': 'application/json', ...headers},
                body: JSON.stringify({command: 42})});
            const bare = await post({});
            const withXsrf = await post({'X-XSRFToken': decodeURIComponent(xsrf)});
            return {bare: [bare.status, await bare.json()],
                    xsrf: [withXsrf.status, await withXsrf.json()]};
        }"""
    )
    assert result["bare"][0] == 403 and result["bare"][1]["reason"] == "xsrf"
    assert result["xsrf"][0] == 400 and result["xsrf"][1]["reason"] == "invalid-command"
    assert Path(lab_page.artifacts / "01-jupyterlab-loaded.png").exists()
