"""``POST kubechat/api/investigate``: why is this object unwell? Safe reads and findings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kubechat_lab.server._investigations import MAX_TARGET, run_investigation
from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel

__all__ = ["InvestigateHandler", "InvestigateRequest", "default_handlers"]


@dataclass(frozen=True, slots=True)
class InvestigateRequest:
    """Body of ``POST investigate``."""

    target: str
    context: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> InvestigateRequest:
        """Validate a JSON object (each bad field answered with a 400 that names it)."""
        extra = sorted(set(data) - {"target", "context"})
        if extra:
            raise BadRequestError(f"unknown field {extra[0]!r}; allowed fields: context, target",
                                  field=extra[0])
        target, context = data.get("target"), data.get("context")
        if not isinstance(target, str) or not target.strip():
            raise BadRequestError("field 'target' is required: the object or a why question, "
                                  "e.g. 'deployment/checkout -n shop'", field="target")
        if len(target) > MAX_TARGET:
            raise BadRequestError(f"field 'target' is {len(target)} characters; the limit is "
                                  f"{MAX_TARGET}", field="target")
        if context is not None and (not isinstance(context, str) or len(context) > 253):
            raise BadRequestError("field 'context' must be a context name (a string of at most "
                                  "253 characters)", field="context")
        return cls(target=target, context=context)


class InvestigateHandler(KubechatHandler):
    """Plan safe reads for one object, run each as an audited proposal, return the findings."""

    auth_resource = "kubechat_lab:proposals"
    route = "investigate"

    @browser_or_kernel
    async def post(self, principal: Principal) -> None:
        """Body ``{"target": str, "context": str?}``."""
        req = InvestigateRequest.from_json(self.json_body())
        out = await self.kubechat.run_long(
            principal.owner,
            lambda: run_investigation(self.service, principal, req.target, context=req.context,
                                      complete=self.kubechat.translator.complete))
        self.reply(out)


default_handlers = [(r"/kubechat/api/investigate", InvestigateHandler)]
