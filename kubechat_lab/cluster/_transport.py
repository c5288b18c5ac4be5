"""HTTP to the API server through the kubernetes client's ``ApiClient``, raw bodies decoded by us.

The kubernetes client provides configuration (kubeconfig, contexts), authentication (client
certificates, bearer tokens with their refresh hooks) and transport (its urllib3 pool with the
cluster's TLS settings). Responses are never deserialized into its models: the raw body is read
(the urllib3 response is not preloaded) and decoded with orjson, or for Table list pages
with msgspec's narrow decoder when it is installed (``_fastdecode``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

import orjson

from kubechat_lab.cluster._config import ClusterConfig
from kubechat_lab.cluster._errors import (
    RequestInfo,
    status_error,
    timeout_error,
    unreachable_error,
)
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "ACCEPT_JSON",
    "ACCEPT_METADATA_LIST",
    "ACCEPT_TABLE",
    "Page",
    "Transport",
    "is_retriable_read_error",
    "path_quote",
]

logger = logging.getLogger(__name__)

#: Ask for the server-side Table (kubectl's columns), falling back to plain JSON.
ACCEPT_TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"
#: Ask for metadata only (PartialObjectMetadataList), falling back to plain JSON.
ACCEPT_METADATA_LIST = (
    "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io,application/json"
)
ACCEPT_JSON = "application/json"
_USER_AGENT = "kubechat/0.1 (python; kubernetes-client)"
_MAX_LIST_RESTARTS = 3


def path_quote(segment: str) -> str:
    """Quote one path segment (an object or namespace name) for a REST path.

    Raises
    ------
    ClusterError
        400 for ``""``, ``"."``, ``".."`` or a name holding ``/`` or ``%``: such a segment
        would make the path address a collection or a parent (a delete of one object turned
        into a delete of many), whatever quoting is applied.
    """
    if not isinstance(segment, str) or segment in ("", ".", "..") or "/" in segment or (
        "%" in segment
    ):
        raise ClusterError(
            f"refusing the name {segment!r} in a request path: empty, '.', '..' and names "
            "with '/' or '%' are not object names and would address another resource; give "
            "the object's real name",
            status=400,
            reason="BadRequest",
        )
    return quote(segment, safe="")


@dataclass(frozen=True, slots=True)
class Page:
    """One decoded list page; ``fresh`` is True when the list (re)started with it.

    A consumer drops what it gathered so far when it sees a fresh page after the first one:
    that happens when a continue token expired (410 Gone) and the list started over.
    """

    doc: dict[str, Any]
    fresh: bool


class Transport:
    """Requests to one API server as one identity; shares its connection pool with copies.

    Parameters
    ----------
    config
        Which kubeconfig/context, whom to impersonate, timeouts and page size.

    Raises
    ------
    ClusterError
        When the kubeconfig cannot be loaded (status 0, reason ``ConfigError``).
    """

    def __init__(self, config: ClusterConfig, *, _api: ApiClient | None = None,
                 _namespace: str | None = None, _context_name: str | None = None) -> None:
        self.config = config
        if _api is None:
            _api, _namespace, _context_name = _load(config)
        self._api: Any = _api  # the client's methods are untyped
        self.host: str = str(_api.configuration.host)
        self.default_namespace: str = _namespace or "default"
        #: The kubeconfig context in use (its name; ``config.context`` or the current one).
        self.context_name: str | None = _context_name or config.context

    @property
    def user(self) -> str | None:
        """The impersonated user, or None when acting as the kubeconfig's own identity."""
        return self.config.impersonate_user

    def with_identity(self, user: str | None, groups: tuple[str, ...] = ()) -> Transport:
        """Return a transport acting as ``user``/``groups`` that shares this connection pool."""
        from dataclasses import replace

        config = replace(self.config, impersonate_user=user, impersonate_groups=groups)
        return Transport(config, _api=self._api, _namespace=self.default_namespace,
                         _context_name=self.context_name)

    def close(self) -> None:
        """Close the connection pool (copies made by :meth:`with_identity` share it)."""
        self._api.close()

    # -- requests ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        accept: str = ACCEPT_JSON,
        body: object = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> bytes:
        """Send one request and return the raw response body.

        Reads (GET) are retried with backoff when the server says "not now" (429, 503, 504:
        throttling, or a watch cache not yet at a continue token's resource version, which
        a busy apiserver answers with 504 "Too large resource version"), as client-go does.
        Writes are never retried here.

        Raises
        ------
        ClusterError
            For any HTTP error status (with the Kubernetes ``Status`` reason), an unreachable
            server (status 0, ``Unreachable``) or a timeout (status 0, ``Timeout``).
        """
        def once() -> bytes:
            return self._request_once(method, path, query=query, accept=accept, body=body,
                                      content_type=content_type, timeout=timeout)

        if method != "GET":
            return once()
        # A plain loop, not tenacity: importing tenacity loads tornado, and every command pays
        # for imports (waits 0.25 s, 0.5 s, ... at most 4 s, as wait_exponential did).
        for attempt in range(1, _READ_ATTEMPTS):
            try:
                return once()
            except ClusterError as exc:
                if not is_retriable_read_error(exc):
                    raise
                logger.debug("kubernetes read retried path=%s attempt=%d error=%s", path,
                             attempt, exc)
                time.sleep(min(4.0, 0.25 * 2 ** (attempt - 1)))
        return once()  # the last attempt: its error is the caller's

    def headers(self, accept: str, content_type: str | None = None) -> Mapping[str, str]:
        """Return the headers of one request: accept, auth, impersonation (one per group)."""
        import urllib3

        headers: dict[str, str] = {"Accept": accept, "User-Agent": _USER_AGENT}
        if content_type:
            headers["Content-Type"] = content_type
        for auth in self._api.configuration.auth_settings().values():
            # bearer tokens (refreshed by the client's hook when they expire); client
            # certificates live in the connection pool instead
            if auth.get("in") == "header" and auth.get("value"):
                headers[str(auth["key"])] = str(auth["value"])
        if not self.config.impersonate_user:
            return headers
        multi = urllib3.HTTPHeaderDict(headers)
        multi["Impersonate-User"] = self.config.impersonate_user
        for group in self.config.impersonate_groups:
            multi.add("Impersonate-Group", group)  # one header per group, as Go reads them
        return multi

    def open_stream(self, path: str, *, query: Mapping[str, str], accept: str,
                    read_timeout: float | None) -> Any:
        """Open a streaming GET (a watch) and return the raw urllib3 response, unread.

        The caller reads it line by line and closes it; ``shutdown()`` from another thread
        unblocks a read in progress.

        Raises
        ------
        ClusterError
            As :meth:`request` does, including for an error status (its body is read).
        """
        import urllib3
        from kubernetes.client.exceptions import ApiException

        url = self.host + path + "?" + urlencode(query)
        info = RequestInfo("GET", path, self.host, self.config.impersonate_user)
        try:
            response = self._api.call_api(
                "GET", url, header_params=self.headers(accept),
                _request_timeout=(self.config.request_timeout, read_timeout),
            )
        except ApiException as exc:
            raise unreachable_error(info, exc) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise unreachable_error(info, exc) from exc
        logger.info("kubernetes watch opened path=%s status=%s user=%s", path, response.status,
                    self.config.impersonate_user)
        if not 200 <= response.status <= 299:
            data: bytes = response.read()
            response.response.release_conn()
            raise status_error(response.status, data, info)
        return response.response

    def _request_once(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None,
        accept: str,
        body: object,
        content_type: str | None,
        timeout: float | None,
    ) -> bytes:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        url = self.host + path
        if query:
            url += "?" + urlencode(query)
        send_headers = self.headers(accept, content_type)
        limit = timeout if timeout is not None else self.config.request_timeout
        info = RequestInfo(method, path, self.host, self.config.impersonate_user)
        started = time.perf_counter()
        try:
            response = self._api.call_api(
                method, url, header_params=send_headers, body=body, _request_timeout=limit
            )
            data: bytes = response.read()
            response.response.release_conn()
        except ApiException as exc:  # the client maps TLS failures to status 0
            raise unreachable_error(info, exc) from exc
        except urllib3.exceptions.MaxRetryError as exc:
            # NewConnectionError subclasses ConnectTimeoutError: a refusal is no timeout
            if isinstance(exc.reason, urllib3.exceptions.TimeoutError) and not isinstance(
                exc.reason, urllib3.exceptions.NewConnectionError
            ):
                raise timeout_error(info, limit) from exc
            raise unreachable_error(info, exc.reason or exc) from exc
        except urllib3.exceptions.NewConnectionError as exc:
            raise unreachable_error(info, exc) from exc
        except urllib3.exceptions.TimeoutError as exc:
            raise timeout_error(info, limit) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise unreachable_error(info, exc) from exc
        elapsed = (time.perf_counter() - started) * 1000
        logger.info(
            "kubernetes request method=%s path=%s status=%s bytes=%d ms=%.1f user=%s",
            method, path, response.status, len(data), elapsed, self.config.impersonate_user,
        )
        if not 200 <= response.status <= 299:
            raise status_error(response.status, data, info)
        return data

    def get(
        self, path: str, *, query: Mapping[str, str] | None = None, accept: str = ACCEPT_JSON
    ) -> Any:
        """GET ``path`` and decode the JSON body with orjson."""
        return orjson.loads(self.request("GET", path, query=query, accept=accept))

    def send(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        query: Mapping[str, str] | None = None,
        content_type: str = "application/json",
        timeout: float | None = None,
    ) -> Any:
        """Send a write (POST/PUT/PATCH/DELETE) and decode the JSON answer."""
        data = self.request(
            method, path, query=query, body=body, content_type=content_type, timeout=timeout
        )
        return orjson.loads(data) if data else None

    def pages(
        self,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        accept: str = ACCEPT_JSON,
        page_size: int | None = None,
        decode: Callable[[bytes], dict[str, Any]] | None = None,
        _continue: str | None = None,
    ) -> Iterator[Page]:
        """Yield the pages of a list (``limit`` + ``continue``); start over on 410 Gone.

        ``managedFields`` are dropped from every object (and every Table row object) as
        soon as a page is decoded. ``decode`` replaces ``orjson.loads`` (a narrow decoder).
        """
        token = _continue
        restarts = 0
        fresh = True
        size = str(page_size or self.config.page_size)
        while True:
            params = dict(query or {})
            params["limit"] = size
            if token:
                params["continue"] = token
            try:
                body = self.request("GET", path, query=params, accept=accept)
            except ClusterError as exc:
                if exc.status == 410 and token and restarts < _MAX_LIST_RESTARTS:
                    restarts += 1
                    logger.info(
                        "kubernetes list restarted path=%s reason=%s restarts=%d",
                        path, exc.reason, restarts,
                    )
                    token = None
                    fresh = True
                    continue
                raise
            doc = decode(body) if decode is not None else orjson.loads(body)
            drop_managed_fields(doc)
            yield Page(doc, fresh)
            fresh = False
            meta = doc.get("metadata") or {}
            token = meta.get("continue") or None
            if not token:
                return


_READ_ATTEMPTS = 6


def is_retriable_read_error(exc: BaseException) -> bool:
    """Return True for answers a read may retry: 429, 503, 504 (never a 4xx verdict)."""
    return isinstance(exc, ClusterError) and exc.status in (429, 503, 504)


def drop_managed_fields(doc: dict[str, Any]) -> None:
    """Remove ``metadata.managedFields`` from a list, a Table or a single object, in place."""
    items = doc.get("items")
    if items is None:
        items = doc.get("rows")
        if items is not None:
            for row in items:
                obj = row.get("object")
                if obj:
                    meta = obj.get("metadata")
                    if meta:
                        meta.pop("managedFields", None)
            return
        meta = doc.get("metadata")
        if meta:
            meta.pop("managedFields", None)
        return
    for item in items:
        meta = item.get("metadata")
        if meta:
            meta.pop("managedFields", None)


def _load(config: ClusterConfig) -> tuple[ApiClient, str, str | None]:
    """Load the kubeconfig into a fresh Configuration; return the client, namespace, context."""
    from kubernetes import client
    from kubernetes import config as kube_config
    from kubernetes.config.config_exception import ConfigException

    configuration = client.Configuration()
    where = config.kubeconfig or "the default kubeconfig ($KUBECONFIG or ~/.kube/config)"
    try:
        kube_config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=config.kubeconfig,
            context=config.context,
            client_configuration=configuration,
            persist_config=False,
        )
        contexts, active = kube_config.list_kube_config_contexts(  # type: ignore[no-untyped-call]
            config.kubeconfig
        )
    except (ConfigException, OSError, ValueError, TypeError, KeyError) as exc:
        raise ClusterError(
            f"cannot load {where} (context {config.context or 'current'}): {exc}; pass "
            "--kubeconfig/--context, or start the sandbox with `kubechat sandbox up`",
            status=0,
            reason="ConfigError",
        ) from exc
    chosen = active
    if config.context:
        chosen = next((c for c in contexts if c.get("name") == config.context), active)
    namespace = ((chosen or {}).get("context") or {}).get("namespace") or "default"
    name = (chosen or {}).get("name")
    configuration.retries = 2
    return client.ApiClient(configuration), str(namespace), str(name) if name else None
