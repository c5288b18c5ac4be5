"""A minimal Kubernetes REST client (server-side apply, get, list) for bootstrapping the sandbox."""

from __future__ import annotations

import json
import logging
import ssl
from types import TracebackType
from typing import Any

import httpx

from kubechat_lab.command import DEFAULT_RESOURCES
from kubechat_lab.errors import SandboxError

__all__ = ["KubeClient", "resource_path"]

logger = logging.getLogger(__name__)

_FIELD_MANAGER = "kubechat-sandbox"


def resource_path(obj: dict[str, Any]) -> str:
    """Return the REST path of a manifest (``/apis/apps/v1/namespaces/shop/deployments/x``)."""
    api_version: str = obj["apiVersion"]
    kind: str = obj["kind"]
    meta = obj.get("metadata") or {}
    name = meta.get("name")
    if not name:
        raise SandboxError(f"manifest of kind {kind} has no metadata.name; add one")
    found = DEFAULT_RESOURCES.lookup(kind)
    if found is None:
        raise SandboxError(f"manifest kind {kind} is not a built-in resource; the sandbox seeds "
                           "only built-in kinds")
    info = found[1]
    prefix = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
    plural = info.plural
    if not info.namespaced:
        return f"{prefix}/{plural}/{name}"
    namespace = meta.get("namespace") or "default"
    return f"{prefix}/namespaces/{namespace}/{plural}/{name}"


class KubeClient:
    """Talks to the sandbox apiserver with a client certificate.

    Parameters
    ----------
    base_url
        ``https://127.0.0.1:<port>``.
    context
        SSL context trusting the sandbox CA and presenting the client certificate.
    timeout
        Seconds per request.
    """

    def __init__(self, base_url: str, context: ssl.SSLContext, timeout: float = 15.0) -> None:
        self._client = httpx.Client(base_url=base_url, verify=context, timeout=timeout)

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send one request; transport failures become :class:`SandboxError`."""
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise SandboxError(
                f"{method} {path} on the sandbox apiserver failed: {exc!r}; "
                "check `kubechat sandbox status`"
            ) from exc

    def apply(self, obj: dict[str, Any]) -> dict[str, Any]:
        """Server-side apply ``obj`` (create or update), forcing ownership of its fields."""
        path = resource_path(obj)
        response = self.request(
            "PATCH",
            path,
            params={"fieldManager": _FIELD_MANAGER, "force": "true"},
            content=json.dumps(obj).encode(),
            headers={"Content-Type": "application/apply-patch+yaml"},
        )
        if response.status_code >= 400:
            raise SandboxError(
                f"applying {obj['kind']} {path} failed with HTTP {response.status_code}: "
                f"{_status_message(response)}"
            )
        logger.info("applied kind=%s path=%s", obj["kind"], path)
        result: dict[str, Any] = response.json()
        return result

    def get(self, path: str) -> dict[str, Any] | None:
        """GET ``path``; None on 404.

        Raises
        ------
        SandboxError
            Any other non-2xx answer.
        """
        response = self.request("GET", path)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise SandboxError(
                f"GET {path} failed with HTTP {response.status_code}: {_status_message(response)}"
            )
        result: dict[str, Any] = response.json()
        return result

    def items(self, path: str) -> list[dict[str, Any]]:
        """Return the ``items`` of a list GET (empty when the path does not exist)."""
        body = self.get(path)
        return list(body.get("items") or []) if body else []

    def create(self, path: str, obj: dict[str, Any]) -> dict[str, Any] | None:
        """POST ``obj`` to collection ``path``; None when it already exists (409)."""
        response = self.request("POST", path, json=obj)
        if response.status_code == 409:
            return None
        if response.status_code >= 400:
            raise SandboxError(
                f"POST {path} failed with HTTP {response.status_code}: {_status_message(response)}"
            )
        result: dict[str, Any] = response.json()
        return result


def _status_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:500]
    return str(body.get("message") or body)[:500]
