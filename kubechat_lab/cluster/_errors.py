"""Turn Kubernetes API failures (HTTP statuses, urllib3 errors) into ``ClusterError``."""

from __future__ import annotations

import re
from dataclasses import dataclass

import orjson

from kubechat_lab.errors import ClusterError

__all__ = ["RequestInfo", "status_error", "timeout_error", "unreachable_error"]

_FORBIDDEN = re.compile(
    r'User "(?P<user>[^"]*)" cannot (?P<verb>\S+) resource "(?P<resource>[^"]*)"'
    r'(?: in API group "(?P<group>[^"]*)")?'
    r'(?: in the namespace "(?P<namespace>[^"]*)")?'
)


@dataclass(frozen=True, slots=True)
class RequestInfo:
    """What a request was doing, so an error can say it in words."""

    method: str
    path: str
    host: str
    user: str | None = None


def _status_doc(body: bytes) -> dict[str, object]:
    try:
        doc = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        return {"message": body[:300].decode("utf-8", "replace").strip()}
    return doc if isinstance(doc, dict) else {}


def status_error(status: int, body: bytes, info: RequestInfo) -> ClusterError:
    """Build the ClusterError for an HTTP error status with a Kubernetes ``Status`` body."""
    doc = _status_doc(body)
    message = str(doc.get("message") or "").strip() or f"HTTP {status}"
    reason = str(doc.get("reason") or "") or _DEFAULT_REASONS.get(status, "Unknown")
    raw_details = doc.get("details")
    details: dict[str, object] = raw_details if isinstance(raw_details, dict) else {}
    where = f"{info.method} {info.path}"
    if status == 401:
        text = (
            f"the API server at {info.host} rejected the credentials (401 Unauthorized) on "
            f"{where}: the token or client certificate in the kubeconfig is invalid or expired; "
            "refresh the credentials or point --kubeconfig at a valid file"
        )
    elif status == 403:
        match = _FORBIDDEN.search(message)
        if match:
            user = match["user"]
            resource = match["resource"]
            if match["group"]:
                resource = f"{resource}.{match['group']}"
            scope = (
                f"in namespace {match['namespace']}" if match["namespace"] else "cluster-wide"
            )
            text = (
                f"user {user} cannot {match['verb']} {resource} {scope} (RBAC): {message}; "
                "ask a cluster admin for a Role/RoleBinding that grants it, or act as a user "
                "that has it"
            )
        else:
            text = f"the API server refused {where} (403 {reason}): {message}"
    elif status == 404:
        kind = details.get("kind")
        name = details.get("name")
        if name:
            namespace = _namespace_of(info.path)
            scope = f" in namespace {namespace}" if namespace else ""
            text = (
                f"{kind or 'object'} {name!r} not found{scope}: check the name and namespace "
                f"(list them with `kubectl get {kind or 'RESOURCE'}{_ns_flag(namespace)}`)"
            )
        else:
            text = (
                f"the API server has no {info.path} (404): the resource type or API group is "
                "not served by this cluster; list what it serves with `kubectl api-resources`"
            )
    elif status == 409:
        if reason == "AlreadyExists":
            text = f"{message} (409 AlreadyExists): use apply or replace to change it"
        else:
            text = (
                f"{message} (409 {reason}): the object changed while it was being updated; "
                "run the command again"
            )
    elif status == 410:
        text = f"{message} (410 Gone): the list expired; run the command again"
    elif status == 422:
        text = f"the API server rejected the object (422 Invalid): {message}"
    elif status == 429:
        text = f"{where} was throttled or blocked (429 {reason}): {message}; retry later"
    elif status >= 500:
        text = (
            f"the API server at {info.host} failed {where} ({status} {reason}): {message}; "
            "retry, and check the control plane (`kubechat sandbox status` for the sandbox)"
        )
    else:
        text = f"{where} failed ({status} {reason}): {message}"
    return ClusterError(text, status=status, reason=reason)


def unreachable_error(info: RequestInfo, cause: BaseException) -> ClusterError:
    """Build the ClusterError for a server that could not be reached at all (status 0)."""
    detail = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
    return ClusterError(
        f"cannot reach the API server at {info.host} ({type(cause).__name__}: {detail}): "
        "is the sandbox up? `kubechat sandbox up` (or check --kubeconfig/--context)",
        status=0,
        reason="Unreachable",
    )


def timeout_error(info: RequestInfo, timeout: float) -> ClusterError:
    """Build the ClusterError for a request that got no answer in time (status 0)."""
    return ClusterError(
        f"the API server at {info.host} did not answer {info.method} {info.path} within "
        f"{timeout:g}s: the control plane may be overloaded; retry, or raise request_timeout",
        status=0,
        reason="Timeout",
    )


_DEFAULT_REASONS = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Expired",
    415: "UnsupportedMediaType",
    422: "Invalid",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
    504: "Timeout",
}


def _namespace_of(path: str) -> str | None:
    parts = path.split("?", 1)[0].split("/")
    if "namespaces" in parts:
        index = parts.index("namespaces")
        if index + 2 < len(parts):
            return parts[index + 1]
    return None


def _ns_flag(namespace: str | None) -> str:
    return f" -n {namespace}" if namespace else ""
