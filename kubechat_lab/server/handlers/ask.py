"""``POST kubechat/api/ask``: a question in plain language -> a translated, assessed proposal."""

from __future__ import annotations

from kubechat_lab.server._proposals import Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel
from kubechat_lab.server.handlers._requests import AskRequest

__all__ = ["AskHandler", "default_handlers"]


class AskHandler(KubechatHandler):
    """Translate a question and propose the command (audited as ``ask`` + ``proposed``)."""

    auth_resource = "kubechat_lab:ask"
    route = "ask"

    @browser_or_kernel
    async def post(self, principal: Principal) -> None:
        """Body ``{"question": str, "context": str?, "conversation": str?}``."""
        req = AskRequest.from_json(self.json_body())
        out = await self.kubechat.run_translation(
            lambda: self.service.ask(principal, req.question, context=req.context,
                                     conversation=req.conversation)
        )
        self.reply(out)


default_handlers = [(r"/kubechat/api/ask", AskHandler)]
