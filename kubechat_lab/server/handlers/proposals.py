"""Proposals: ``POST propose``, ``GET proposals/{id}``, and its approve/reject/execute actions."""

from __future__ import annotations

from kubechat_lab.server._proposals import Principal, Proposal
from kubechat_lab.server.handlers._arrow import (
    ARROW_STREAM,
    arrow_payload,
    run_with_progress,
    wants_arrow,
)
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel
from kubechat_lab.server.handlers._requests import ApproveRequest, ProposeRequest, RejectRequest

__all__ = [
    "ApproveHandler",
    "ExecuteHandler",
    "ProposalHandler",
    "ProposeHandler",
    "RejectHandler",
    "default_handlers",
]

_ID = r"(?P<proposal_id>p_[0-9a-f]{20})"


class _ProposalsBase(KubechatHandler):
    auth_resource = "kubechat_lab:proposals"


class ProposeHandler(_ProposalsBase):
    """Parse, assess and audit a kubectl command line; writes get a dry-run preview."""

    route = "propose"

    @browser_or_kernel
    async def post(self, principal: Principal) -> None:
        """Body ``{"command": str, "context": str?, "manifest": str?}``."""
        req = ProposeRequest.from_json(self.json_body())
        proposal = await self.kubechat.run_blocking(
            lambda: self.service.propose(principal, req.command, context=req.context,
                                         manifest=req.manifest)
        )
        self.reply(self.service.view(proposal, principal), status=201)


class ProposalHandler(_ProposalsBase):
    """Read one proposal (its state, level, preview, confirm text)."""

    route = "proposal"

    @browser_or_kernel
    async def get(self, principal: Principal, proposal_id: str) -> None:
        """Return the proposal."""
        proposal = await self.kubechat.run_blocking(self.service.get, principal, proposal_id)
        self.reply(self.service.view(proposal, principal))


class ApproveHandler(_ProposalsBase):
    """Approve: warning from a capability with the scope; dangerous only from a browser."""

    route = "proposal.approve"

    @browser_or_kernel
    async def post(self, principal: Principal, proposal_id: str) -> None:
        """Body ``{"confirm": str?}`` (required for dangerous commands)."""
        req = ApproveRequest.from_json(self.json_body())
        proposal = await self.kubechat.run_blocking(
            lambda: self.service.approve(principal, proposal_id, confirm=req.confirm)
        )
        self.reply(self.service.view(proposal, principal))


class RejectHandler(_ProposalsBase):
    """Reject a proposal."""

    route = "proposal.reject"

    @browser_or_kernel
    async def post(self, principal: Principal, proposal_id: str) -> None:
        """Body ``{"reason": str?}``."""
        req = RejectRequest.from_json(self.json_body())
        proposal = await self.kubechat.run_blocking(
            lambda: self.service.reject(principal, proposal_id, reason=req.reason)
        )
        self.reply(self.service.view(proposal, principal))


class ExecuteHandler(_ProposalsBase):
    """Run an approved proposal once; the reply carries the result table."""

    route = "proposal.execute"

    @browser_or_kernel
    async def post(self, principal: Principal, proposal_id: str) -> None:
        """Execute; 403 when not approved, 409 when already run, 503 when unaudited.

        With ``Accept: application/vnd.apache.arrow.stream`` (kernels) the reply is Arrow IPC.
        """
        app = self.kubechat

        def run() -> Proposal:
            return run_with_progress(app.proposals, proposal_id,
                                     lambda: self.service.execute(principal, proposal_id))

        if await app.run_blocking(self.service.blocks, principal, proposal_id):  # wait, drain
            proposal = await app.run_long(principal.owner, run)
        else:
            proposal = await app.run_blocking(run)
        if wants_arrow(self):
            payload = await self.kubechat.run_blocking(
                arrow_payload, self.service.view(proposal, principal), proposal.result
            )
            self.set_status(200)
            self.finish(payload, set_content_type=ARROW_STREAM)
            return
        out = self.service.view(proposal, principal)
        out["result"] = proposal.result.to_columnar() if proposal.result is not None else None
        self.reply(out)


default_handlers = [
    (r"/kubechat/api/propose", ProposeHandler),
    (rf"/kubechat/api/proposals/{_ID}", ProposalHandler),
    (rf"/kubechat/api/proposals/{_ID}/approve", ApproveHandler),
    (rf"/kubechat/api/proposals/{_ID}/reject", RejectHandler),
    (rf"/kubechat/api/proposals/{_ID}/execute", ExecuteHandler),
]
