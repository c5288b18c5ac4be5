"""``kubectl get`` kept live: list as a Table, then follow the watch API, row by row.

Like ``kubectl get -w``: one list (server-side Table, so the columns are kubectl's and the
frame's), then ``watch=1`` from the list's resourceVersion with ``Accept: ...as=Table``; each
event carries one Table row, converted by the same :class:`~kubechat_lab.cluster.frames.
TableBuilder` as the list, so watch rows have the list's typed columns. A ``410 Gone`` (the
resourceVersion is too old) lists again and reports a fresh snapshot. The apiserver ends each
watch after ``timeoutSeconds``; the watch is then reopened from the last resourceVersion.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._result import Result
from kubechat_lab.cluster._transport import ACCEPT_TABLE, drop_managed_fields
from kubechat_lab.errors import ClusterError

if TYPE_CHECKING:
    from kubechat_lab.cluster._client import ClusterClient
    from kubechat_lab.cluster._discovery import ApiResource
    from kubechat_lab.command import Command

__all__ = ["NEVER_STREAMED", "NEVER_STREAMED_REASON", "TableWatch", "WatchEvent", "watchable"]

logger = logging.getLogger(__name__)

#: Resources whose watch is refused: their objects hold credentials.
NEVER_STREAMED = frozenset({"secrets"})
#: The ``ClusterError.reason`` of a watch refused because its resource is never streamed.
NEVER_STREAMED_REASON = "NeverStreamed"
_WATCH_SECONDS = 240  # the apiserver ends a watch after this; it is reopened


@dataclass(frozen=True, slots=True)
class WatchEvent:
    """One change: ``type`` is ``snapshot`` (the whole table) or ADDED/MODIFIED/DELETED."""

    type: str
    result: Result


def watchable(cmd: Command) -> str | None:
    """Return why ``cmd`` cannot be watched, or None when it can (``get`` of one type)."""
    if cmd.verb != "get":
        return f"only `kubectl get` can be watched, not `kubectl {cmd.verb}`"
    kinds = {r for r, _ in cmd.targets} or set(cmd.resources)
    if len(kinds) != 1 or "all" in kinds:
        return "a watch follows exactly one resource type (e.g. get pods -n shop)"
    if (cmd.output or "") not in ("", "wide"):
        return f"-o {cmd.output} cannot be watched; watch the table (drop -o)"
    if cmd.flag("sort-by"):
        return "--sort-by cannot be watched; sort the frame afterwards"
    return None


class TableWatch:
    """List then watch one resource type of a ``get`` command, as typed Table rows.

    Parameters
    ----------
    client
        An open client (acting as the identity the command runs as).
    cmd
        A ``get`` of one resource type (see :func:`watchable`).

    Raises
    ------
    ClusterError
        400 for a command that cannot be watched, 403 for a resource never streamed.
    """

    def __init__(self, client: ClusterClient, cmd: Command) -> None:
        why = watchable(cmd)
        if why is not None:
            raise ClusterError(why, status=400, reason="BadRequest")
        self._ctx = client._context()
        self._cmd = cmd
        kinds = [r for r, _ in cmd.targets] or list(cmd.resources)
        self.resource: ApiResource = self._ctx.discovery.resolve(kinds[0], quick=True)
        if self.resource.canonical in NEVER_STREAMED:
            raise ClusterError(f"{self.resource.canonical} are never streamed: their objects "
                               "hold credentials; read names with `kubectl get secrets` instead",
                               status=403, reason=NEVER_STREAMED_REASON)
        names = [n for _, n in cmd.targets] or list(cmd.names)
        self._query: dict[str, str] = {}
        if cmd.selector:
            self._query["labelSelector"] = cmd.selector
        fields = [cmd.field_selector] if cmd.field_selector else []
        if len(names) == 1:
            fields.append(f"metadata.name={names[0]}")
        elif names:
            raise ClusterError("a watch follows one name or a whole list; give one name or a "
                               "selector", status=400, reason="BadRequest")
        if fields:
            self._query["fieldSelector"] = ",".join(fields)
        self._path = self.resource.path(self._ctx.namespace(cmd, self.resource))
        self._definitions: list[dict[str, Any]] = []
        self._version = ""
        self._lock = threading.Lock()
        self._open: Any = None
        self._stopped = threading.Event()

    # -- the two halves ----------------------------------------------------------------------

    def snapshot(self) -> Result:
        """List now (paged) and remember where the watch starts."""
        builder = self._builder()
        for page in self._ctx.transport.pages(self._path, query=self._query,
                                              accept=ACCEPT_TABLE):
            if page.fresh:
                builder.reset()
            if page.doc.get("columnDefinitions"):
                self._definitions = list(page.doc["columnDefinitions"])
            builder.add(page.doc)
            self._version = str((page.doc.get("metadata") or {}).get("resourceVersion") or "")
        return builder.result()

    def events(self) -> Iterator[WatchEvent]:
        """Yield changes until :meth:`stop` (a fresh ``snapshot`` after a 410 Gone)."""
        if not self._version:
            yield WatchEvent("snapshot", self.snapshot())
        while not self._stopped.is_set():
            query = {**self._query, "watch": "1", "resourceVersion": self._version,
                     "allowWatchBookmarks": "true", "timeoutSeconds": str(_WATCH_SECONDS)}
            stream = self._ctx.transport.open_stream(self._path, query=query,
                                                     accept=ACCEPT_TABLE,
                                                     read_timeout=_WATCH_SECONDS + 30)
            with self._lock:
                self._open = stream
            gone = False
            try:
                if self._stopped.is_set():
                    return
                for line in stream:
                    if self._stopped.is_set():
                        return
                    event = self._event(orjson.loads(line))
                    if event == "gone":
                        gone = True
                        break
                    if isinstance(event, WatchEvent):
                        yield event
            except Exception as exc:  # urllib3 raises when stop() shuts the socket
                if self._stopped.is_set():
                    return
                raise ClusterError(f"the watch of {self._path} broke: {exc}; start it again",
                                   status=0, reason="Unreachable") from exc
            finally:
                with self._lock:
                    self._open = None
                stream.release_conn()
            if gone and not self._stopped.is_set():
                logger.info("kubernetes watch relisted path=%s reason=Gone", self._path)
                yield WatchEvent("snapshot", self.snapshot())

    def stop(self) -> None:
        """Stop: unblock a read in progress (from any thread)."""
        self._stopped.set()
        with self._lock:
            stream = self._open
        if stream is not None:
            try:
                stream.shutdown()
            except Exception:  # already closed: nothing to unblock
                logger.debug("watch stream shutdown failed", exc_info=True)

    # -- helpers -----------------------------------------------------------------------------

    def _builder(self) -> frames.TableBuilder:
        return frames.TableBuilder(self.resource.canonical, namespaced=self.resource.namespaced)

    def _event(self, doc: dict[str, Any]) -> WatchEvent | str | None:
        kind = str(doc.get("type", ""))
        obj = doc.get("object") or {}
        if kind == "ERROR":
            if obj.get("code") == 410:
                return "gone"
            raise ClusterError(f"the watch of {self._path} failed: {obj.get('message')}",
                               status=int(obj.get("code") or 0),
                               reason=str(obj.get("reason") or ""))
        version = (obj.get("metadata") or {}).get("resourceVersion")
        if kind == "BOOKMARK":
            if version:
                self._version = str(version)
            return None
        rows = obj.get("rows") or []
        if rows:
            row_version = ((rows[0].get("object") or {}).get("metadata") or {}).get(
                "resourceVersion")
            version = row_version or version
        if version:
            self._version = str(version)
        drop_managed_fields(obj)
        builder = self._builder()
        builder.add({"kind": "Table", "columnDefinitions": obj.get("columnDefinitions")
                     or self._definitions, "rows": rows})
        return WatchEvent(kind, builder.result())

