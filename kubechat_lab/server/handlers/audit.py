"""The audit chain: ``GET audit`` (filters, paging) and ``GET audit/verify``."""

from __future__ import annotations

from typing import Any

from kubechat_lab.errors import PolicyViolation
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel

__all__ = ["AuditHandler", "AuditVerifyHandler", "default_handlers"]

_FILTERS = ("type", "user", "proposal", "via", "origin")


class _AuditBase(KubechatHandler):
    auth_resource = "kubechat_lab:audit"

    def _need_read(self, principal: Principal) -> None:
        if not principal.is_browser:
            self.capability_principal(Scope.READ_AUDIT)

    def _own_only(self, principal: Principal, filters: dict[str, str]) -> dict[str, str]:
        """Limit a capability to its own user's events unless the operator widened it."""
        if principal.is_browser or self.kubechat.capability_audit_all_users:
            return filters
        asked = filters.get("user")
        if asked is not None and asked != principal.user:
            msg = (f"this capability reads only the events of its own user {principal.user!r}; "
                   "the operator can widen it with c.KubechatApp.capability_audit_all_users")
            raise PolicyViolation(msg, rule_id="audit-own-user")
        return {**filters, "user": principal.user}

    def _int_arg(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            msg = f"query {name!r} must be an integer, got {raw!r}"
            raise BadRequestError(msg, field=name) from exc
        if not low <= value <= high:
            msg = f"query {name!r} must be between {low} and {high}, got {value}"
            raise BadRequestError(msg, field=name)
        return value


class AuditHandler(_AuditBase):
    """Page through audit records: ``?after=SEQ&limit=N&type=...&user=...&origin=...``.

    ``capability=mine`` (capability requests) keeps the caller's own capability's events.
    """

    route = "audit"

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """Return ``{"records": [...], "next_after": seq | null}``."""
        self._need_read(principal)
        after = self._int_arg("after", 0, 0, 2**62)
        limit = self._int_arg("limit", 100, 1, 1000)
        filters = {k: v for k in _FILTERS if (v := self.get_argument(k, None))}
        filters = self._own_only(principal, filters)
        scoped: dict[str, str | dict[str, str]] = dict(filters)
        if self.get_argument("capability", None) == "mine":  # the caller's own events
            if principal.capability is None:
                msg = "query 'capability=mine' is for capability requests; filter by user"
                raise BadRequestError(msg, field="capability")
            scoped["capability"] = {"id": principal.capability.id}
        records = await self.kubechat.run_blocking(
            lambda: self.audit.records(after_seq=after, limit=limit, **scoped)
        )
        rows: list[dict[str, Any]] = [r.to_dict() for r in records]
        next_after = rows[-1]["seq"] if len(rows) == limit else None
        self.reply({"records": rows, "next_after": next_after})


class AuditVerifyHandler(_AuditBase):
    """Recompute the hash chain and report the first bad row."""

    route = "audit.verify"

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """Return ``{"ok", "rows_checked", "first_bad_seq", "reason", "head_seq", "head_hash"}``."""
        self._need_read(principal)
        report = await self.kubechat.run_blocking(self.audit.verify)
        self.reply(
            {
                "ok": report.ok,
                "rows_checked": report.rows_checked,
                "first_bad_seq": report.first_bad_seq,
                "reason": report.reason,
                "head_seq": report.head_seq,
                "head_hash": report.head_hash.hex(),
            }
        )


default_handlers = [
    (r"/kubechat/api/audit", AuditHandler),
    (r"/kubechat/api/audit/verify", AuditVerifyHandler),
]
