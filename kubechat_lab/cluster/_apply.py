"""The write engine: planned operations, sent once as a server-side dry run or for real."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kubechat_lab.cluster import frames
from kubechat_lab.cluster._context import Context, Target
from kubechat_lab.cluster._diff import field_changes, object_diff
from kubechat_lab.cluster._result import JSON, Result, Status
from kubechat_lab.errors import ClusterError

__all__ = [
    "JSON_PATCH",
    "MERGE_PATCH",
    "STRATEGIC_PATCH",
    "Op",
    "apply_ops",
]

logger = logging.getLogger(__name__)

MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
JSON_PATCH = "application/json-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"


@dataclass(slots=True)
class Op:
    """One planned request of a write, with the live object it changes (None: new object).

    ``after`` (optional) runs after a real (not dry-run) request and returns extra change
    rows: drain uses it to wait for evicted pods to go.
    """

    action: str
    target: Target
    method: str
    path: str
    body: object = None
    content_type: str = "application/json"
    before: dict[str, Any] | None = None
    query: dict[str, str] = field(default_factory=dict)
    after: Callable[[Context], list[dict[str, JSON]]] | None = None
    show_fields: bool = True
    retry_seconds: float = 0.0  # retry 429 (an eviction a disruption budget blocks) this long


def apply_ops(ctx: Context, ops: Sequence[Op], *, dry_run: bool, text: str | None = None
              ) -> Result:
    """Send every operation (``dryRun=All`` when ``dry_run``) and describe what changed.

    Raises
    ------
    ClusterError
        The first failing request's error; for a real run its message says how many
        operations were already applied.
    """
    manager = ctx.transport.config.field_manager
    rows: list[dict[str, JSON]] = []
    diffs: list[str] = []
    for done, op in enumerate(ops):
        query = dict(op.query)
        if op.method in ("POST", "PUT", "PATCH"):
            query.setdefault("fieldManager", manager)
        if dry_run:
            query["dryRun"] = "All"
        try:
            answer = _send(ctx, op, query, dry_run)
        except ClusterError as exc:
            if done and not dry_run:
                raise ClusterError(
                    f"{exc} ({done} of {len(ops)} changes were applied before this failure: "
                    f"{', '.join(f'{o.action} {_label(o.target)}' for o in ops[:done])})",
                    status=exc.status,
                    reason=exc.reason,
                ) from exc
            raise
        after = None if op.method == "DELETE" or not op.show_fields else _object(answer)
        logger.info(
            "kubernetes write action=%s target=%s dry_run=%s", op.action, _label(op.target),
            dry_run,
        )
        rows.extend(_rows(op, after))
        label = _label(op.target)
        if op.show_fields and (op.before is not None or after is not None):
            diff = object_diff(op.before, after, label=label)
            if diff:
                diffs.append(diff)
        if op.after is not None and not dry_run:
            rows.extend(op.after(ctx))
    status: Status = "dry-run" if dry_run else "changed"
    return frames.changes_result(rows, status=status, diff="".join(diffs) or None, text=text)


def _send(ctx: Context, op: Op, query: dict[str, str], dry_run: bool) -> Any:
    deadline = time.monotonic() + op.retry_seconds
    while True:
        try:
            return ctx.transport.send(op.method, op.path, op.body, query=query,
                                      content_type=op.content_type)
        except ClusterError as exc:
            if exc.status != 429 or dry_run or time.monotonic() >= deadline:
                raise
            logger.debug("retrying %s %s after 429: %s", op.method, op.path, exc)
            time.sleep(1.0)


def _object(answer: Any) -> dict[str, Any] | None:
    if isinstance(answer, dict) and answer.get("kind") != "Status":
        meta = answer.get("metadata")
        if isinstance(meta, dict):
            meta.pop("managedFields", None)
        return answer
    return None


def _label(target: Target) -> str:
    where = f" -n {target.namespace}" if target.namespace else ""
    return f"{target.resource.canonical}/{target.name}{where}"


def _rows(op: Op, after: dict[str, Any] | None) -> list[dict[str, JSON]]:
    base: dict[str, JSON] = {
        "action": op.action,
        "resource": op.target.resource.canonical,
        "namespace": op.target.namespace,
        "name": op.target.name,
        "field": None,
        "before": None,
        "after": None,
    }
    if op.before is None or after is None or not op.show_fields:
        return [base]
    changes = field_changes(op.before, after)
    if not changes:
        return [dict(base, action="unchanged")]
    return [dict(base, field=path, before=old, after=new) for path, old, new in changes]
