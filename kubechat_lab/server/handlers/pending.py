"""``GET kubechat/api/proposals``: the proposals waiting for the signed-in person's decision.

Browser only: a person finds here what their kernels and agents proposed (an agent's proposal
has no card in any notebook), to open and approve it where its level is approved.
"""

from __future__ import annotations

from typing import Any

from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["WaitingHandler", "default_handlers"]


class WaitingHandler(KubechatHandler):
    """List the live proposals this person may decide, newest first (at most 100)."""

    auth_resource = "kubechat_lab:proposals"
    route = "proposals.waiting"

    @browser_only
    async def get(self, principal: Principal) -> None:
        """Return ``{"proposals": [...]}``; each also names its ``owner`` (who proposed it).

        Each item says whether it waits for this person (``waiting_for_me``) and, for a
        two-person proposal, the group whose member approves it (``approvers``). With
        ``?for=me`` only the ones waiting for this person are listed.
        """
        which = self.get_query_argument("for", "")
        if which not in ("", "me"):
            msg = f"query 'for' is {which[:40]!r}; the only value is 'me' (or leave it out)"
            raise BadRequestError(msg, field="for")
        service = self.service
        found = await self.kubechat.run_blocking(
            lambda: service.waiting(principal, for_me=which == "me"))
        out: list[dict[str, Any]] = []
        for proposal in found:
            item = service.view(proposal, principal)
            item["owner"] = proposal.owner
            out.append(item)
        self.reply({"proposals": out})


default_handlers = [(r"/kubechat/api/proposals", WaitingHandler)]
