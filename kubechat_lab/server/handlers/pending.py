"""``GET kubechat/api/proposals``: the proposals waiting for the signed-in person's decision.

Browser only: a person finds here what their kernels and agents proposed (an agent's proposal
has no card in any notebook), to approve or reject it in the side panel's Waiting tab, or on the
approval page where its level is approved (docs/mcp.md).
"""

from __future__ import annotations

import time
from typing import Any

from kubechat_lab.server._proposals import BadRequestError, Principal
from kubechat_lab.server._waiting import proposer_view
from kubechat_lab.server.handlers._base import KubechatHandler, browser_only

__all__ = ["WaitingHandler", "default_handlers"]


class WaitingHandler(KubechatHandler):
    """List the live proposals this person may decide, newest first (at most 100)."""

    auth_resource = "kubechat_lab:proposals"
    route = "proposals.waiting"

    @browser_only
    async def get(self, principal: Principal) -> None:
        """Return ``{"proposals": [...], "now": float}``.

        Each is the proposal as ``GET proposals/{id}`` serves it (its ``approval_page`` link
        included), plus ``owner`` and ``proposed_by`` (``kubechat_lab/server/_waiting.py``);
        ``now`` is the server's clock, so a page computes ages without trusting its own. Each
        also says whether it waits for this person (``waiting_for_me``) and, for a two-person
        proposal, the group whose member approves it (``approvers``). With ``?for=me`` only the
        ones waiting for this person are listed.
        """
        which = self.get_query_argument("for", "")
        if which not in ("", "me"):
            msg = f"query 'for' is {which[:40]!r}; the only value is 'me' (or leave it out)"
            raise BadRequestError(msg, field="for")
        service = self.service
        found = await self.kubechat.run_blocking(
            lambda: service.waiting(principal, for_me=which == "me"))
        notebooks = await self._notebooks() if found else {}
        out: list[dict[str, Any]] = []
        for proposal in found:
            item = service.view(proposal, principal)
            item["owner"] = proposal.owner
            item["proposed_by"] = proposer_view(proposal, notebooks)
            out.append(item)
        self.reply({"proposals": out, "now": time.time()})

    async def _notebooks(self) -> dict[str, str]:
        """Kernel id -> the path its session runs (empty where the server has no sessions)."""
        sessions = self.settings.get("session_manager")
        if sessions is None:
            return {}
        try:
            listed = await sessions.list_sessions()
        except Exception:  # noqa: BLE001 - a name is a courtesy; the list must not fail for it
            self.log.debug("kubechat could not list sessions", exc_info=True)
            return {}
        return {str(s["kernel"]["id"]): str(s.get("path") or s.get("name") or "")
                for s in listed if isinstance(s.get("kernel"), dict) and s["kernel"].get("id")}


default_handlers = [(r"/kubechat/api/proposals", WaitingHandler)]
