"""The approval page: plain server-rendered HTML on the approval origin (no framework, no JS).

It shows a proposal as the server holds it (canonical command, context, namespace, level,
reasons, the dry run's diff) and never text a kernel wrote (a question, an explanation). A
person approves a dangerous command by typing its target's name. The listener, codes and
sessions are ``server/_approval_origin.py``; why this origin resists a kernel is
docs/security.md, "The approval page".
"""

from __future__ import annotations

import hmac
import html
import re
from typing import TYPE_CHECKING, Any, cast

from tornado import web

from kubechat_lab.errors import KubechatError
from kubechat_lab.server._approval_origin import origin_of
from kubechat_lab.server._errors import map_error
from kubechat_lab.server._proposals import Principal

if TYPE_CHECKING:
    from kubechat_lab.server._approval_origin import ApprovalOrigin, ApprovalSession
    from kubechat_lab.server._proposals import Proposal
    from kubechat_lab.server.app import KubechatApp

__all__ = ["VIA", "approval_application"]

#: How approvals given here are recorded (``via`` in the audit chain).
VIA = "approval-page"
#: How the approval origin authenticates (``auth`` in the audit chain).
AUTH = "approval-login"

_ID = r"(?P<proposal_id>p_[0-9a-f]{20})"
_NEXT = re.compile(r"^/proposals/p_[0-9a-f]{20}$")

#: Sent with every reply: never framed, never cached, no referrer, no opener.
HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    # not no-referrer: with it Chromium sends "Origin: null" on the page's own form posts
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

_STYLE = """
body{font:15px system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f4f4;padding:.6rem;overflow:auto}
.level{padding:.1rem .5rem;border-radius:.3rem;color:#fff;background:#777}
.level-dangerous{background:#b00020}.level-warning{background:#b26a00}
dt{font-weight:600;margin-top:.5rem}.error{color:#b00020;font-weight:600}
.done{color:#1b5e20;font-weight:600}input[type=text]{font:14px ui-monospace,monospace;width:24rem}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _document(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_e(title)}"
            f"</title><style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>{body}"
            "</body></html>")


class _PageHandler(web.RequestHandler):
    """Base of the approval origin's handlers: headers, session, the service."""

    @property
    def kubechat(self) -> KubechatApp:
        """The extension app."""
        return cast("KubechatApp", self.application.settings["kubechat"])

    @property
    def approval(self) -> ApprovalOrigin:
        """Codes and sessions."""
        return self.kubechat.approval

    def set_default_headers(self) -> None:
        """Forbid framing, caching and referrers on every reply."""
        for name, value in HEADERS.items():
            self.set_header(name, value)

    def check_xsrf_cookie(self) -> None:
        """Unused: the form token is checked against the session (:meth:`check_form`)."""

    async def current_session(self) -> ApprovalSession | None:
        """Return the session of this request's cookie, if any (read off the event loop)."""
        cookie = self.get_cookie(self.approval.cookie_name)
        return await self.kubechat.run_blocking(self.approval.session, cookie)

    def page(self, title: str, body: str, status: int = 200) -> None:
        """Finish with an HTML page."""
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_document(title, body))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Answer errors as a short page (never a traceback)."""
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(_document(f"Error {status_code}", f"<p>{_e(self._reason)}</p>"))

    def signed_out(self) -> None:
        """Tell a person without a session how to get one."""
        self.page("Sign in from JupyterLab", (
            "<p>This approval page has its own sign-in. Open the proposal again from "
            "JupyterLab (the <em>approve on the approval page</em> link of its card or of "
            "the kubechat side panel): that link signs you in here.</p>"), status=401)


class IndexHandler(_PageHandler):
    """``GET /``: what this origin is."""

    def get(self) -> None:
        """Say what this page is for."""
        self.page("kubechat approvals", (
            "<p>Dangerous kubechat commands are approved here, away from the notebook page. "
            "Open a proposal from JupyterLab to approve it.</p>"))


class LoginHandler(_PageHandler):
    """``GET /login?code=...&next=/proposals/ID``: spend a login code, set the session."""

    async def get(self) -> None:
        """Exchange the code for an ``HttpOnly``, ``SameSite=Strict`` session cookie."""
        code = self.get_query_argument("code", "")
        token = await self.kubechat.run_blocking(self.approval.redeem, code)
        if token is None:
            self.page("Sign-in link used or expired", (
                "<p>This sign-in link was already used or has expired (links work once, for "
                "a minute). Open the proposal again from JupyterLab.</p>"), status=403)
            return
        self.set_cookie(self.approval.cookie_name, token, httponly=True, samesite="Strict",
                        secure=self.approval.secure, path="/",
                        expires_days=self.approval.session_ttl / 86400)
        target = self.get_query_argument("next", "/")
        target = target if _NEXT.match(target) else "/"
        # A page of this origin moves on (not a redirect), so the Strict cookie goes along
        # even when the sign-in began on another site.
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            f"<!doctype html><meta http-equiv=refresh content=\"0;url={_e(target)}\">"
            f"<p>Signed in. <a href=\"{_e(target)}\">Continue</a></p>")


class ProposalPageHandler(_PageHandler):
    """``GET /proposals/ID`` shows a proposal; ``POST`` approves or rejects it."""

    def principal(self, session: ApprovalSession) -> Principal:
        """Return the person this session signed in."""
        return Principal(user=session.user, via=VIA, auth=AUTH, groups=session.groups)

    async def get(self, proposal_id: str) -> None:
        """Show the proposal as the server holds it, with the form to decide on it."""
        session = await self.current_session()
        if session is None:
            self.signed_out()
            return
        try:
            proposal = await self.kubechat.run_blocking(
                self.kubechat.service.owned, self.principal(session), proposal_id)
        except KubechatError as exc:
            self._failed(exc)
            return
        self.page(f"Approve {proposal.level} command", self._view(proposal, session))

    async def post(self, proposal_id: str) -> None:
        """Approve (``action=approve``, ``confirm``) or reject; checks origin and form token."""
        session = await self.current_session()
        if session is None:
            self.signed_out()
            return
        refusal = self._refuse_form(session)
        if refusal:
            self.page("Refused", f"<p class=error data-testid=error>{_e(refusal)}</p>",
                      status=403)
            return
        principal = self.principal(session)
        action = self.get_body_argument("action", "")
        service = self.kubechat.service
        try:
            if action == "approve":
                confirm = self.get_body_argument("confirm", None)
                proposal = await self.kubechat.run_blocking(
                    lambda: service.approve(principal, proposal_id, confirm=confirm))
                if proposal.owner.startswith("page:"):  # nothing waits to run it
                    proposal = await self._run_approved(principal, proposal_id)
                    done = "Approved and run."
                else:
                    done = "Approved; the kernel (or script) waiting for it runs it now."
            elif action == "reject":
                proposal = await self.kubechat.run_blocking(
                    lambda: service.reject(principal, proposal_id,
                                           reason="rejected on the approval page"))
                done = "Rejected; nothing runs."
            else:
                self.page("Refused", "<p class=error>unknown action</p>", status=400)
                return
        except KubechatError as exc:
            self._failed(exc, proposal_id=proposal_id, session=session)
            return
        self.page(f"{proposal.level.capitalize()} command: {proposal.state.value}",
                  f"<p class=done data-testid=done>{_e(done)}</p>"
                  + self._view(proposal, session))

    async def _run_approved(self, principal: Principal, proposal_id: str) -> Proposal:
        service = self.kubechat.service
        if service.blocks(principal, proposal_id):
            return await self.kubechat.run_long(
                principal.owner, lambda: service.execute(principal, proposal_id))
        return await self.kubechat.run_blocking(lambda: service.execute(principal, proposal_id))

    def _refuse_form(self, session: ApprovalSession) -> str | None:
        """Return why this POST is not the approval page's own form, or None."""
        own = self.approval.origin
        origin = self.request.headers.get("Origin")
        if origin is None or origin == "null" or origin_of(origin) != own:
            return (f"this form must be sent from the approval page itself ({own}); the "
                    f"request came from {origin or 'no origin'}")
        site = self.request.headers.get("Sec-Fetch-Site")
        if site is not None and site != "same-origin":
            return f"this form must be sent from the approval page itself (Sec-Fetch-Site {site})"
        sent = self.get_body_argument("kubechat_xsrf", "")
        if not hmac.compare_digest(sent.encode(), session.xsrf.encode()):
            return "the form's token is missing or stale; reload the page and try again"
        return None

    def _failed(self, exc: Exception, *, proposal_id: str | None = None,
                session: ApprovalSession | None = None) -> None:
        status, reason, message = map_error(exc)
        body = f"<p class=error data-testid=error>{_e(message)}</p>"
        if proposal_id is not None and session is not None and status < 500:
            try:
                proposal = self.kubechat.service.owned(self.principal(session), proposal_id)
                body += self._view(proposal, session)
            except KubechatError:
                pass
        self.page(f"Not done ({reason})", body, status=status)

    def _view(self, proposal: Proposal, session: ApprovalSession) -> str:
        level = proposal.level
        rows = [("Command", f"<code data-testid=command>{_e(proposal.text)}</code>"),
                ("Level", f"<span class='level level-{_e(level)}' data-testid=level>"
                          f"{_e(level)}</span>"),
                ("Context", _e(proposal.context or "(default)")),
                ("Namespace", _e(proposal.namespace or "(none)")),
                ("Proposed by", _e(f"{proposal.user} ({_maker(proposal.owner)}, "
                                   f"{proposal.source})")),
                ("State", f"<span data-testid=state>{_e(proposal.state.value)}</span>")]
        if proposal.plan.approvers is not None:
            rows.append(("Two-person approval", "<span data-testid=two-person>"
                         + _e(f"needs approval by a member of {proposal.plan.approvers} other "
                              f"than {proposal.user} (the proposer)") + "</span>"))
        reasons = "".join(f"<li>{_e(r)}</li>" for r in proposal.reasons)
        rows.append(("Why this level", f"<ul data-testid=reasons>{reasons}</ul>"))
        preview = proposal.preview or {}
        if preview.get("status") == "dry-run" and preview.get("diff"):
            rows.append(("Dry run (server side)",
                         f"<pre data-testid=diff>{_e(preview['diff'])}</pre>"))
        elif preview.get("status") == "error":
            rows.append(("Dry run (server side)", f"<p class=error>{_e(preview['message'])}</p>"))
        if proposal.approver:
            rows.append(("Decided by", _e(f"{proposal.approver} via {proposal.decided_via}")))
        body = "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"
        if proposal.state.value != "proposed":
            return body
        token = f"<input type=hidden name=kubechat_xsrf value='{_e(session.xsrf)}'>"
        typed = ""
        if level == "dangerous":
            typed = (f"<p><label>Type <code>{_e(proposal.confirm)}</code> to approve: "
                     "<input type=text name=confirm autocomplete=off spellcheck=false "
                     "data-testid=confirm></label></p>")
        return body + (
            f"<form method=post action='/proposals/{_e(proposal.id)}'>{token}{typed}"
            "<button name=action value=approve data-testid=approve>Approve</button> "
            "<button name=action value=reject data-testid=reject>Reject</button></form>")


def _maker(owner: str) -> str:
    kind, _, ident = owner.partition(":")
    return {"page": "from the JupyterLab page", "kernel": f"from kernel {ident}",
            "capability": f"with token {ident}"}.get(kind, owner or "unknown")


def _log_request(handler: web.RequestHandler) -> None:
    """Log one line per request, without the query (a sign-in code travels there)."""
    request = handler.request
    handler.application.settings["kubechat"].log.info(
        "kubechat approval page %d %s %s %.1fms", handler.get_status(), request.method,
        request.path, 1000.0 * request.request_time())


def approval_application(kubechat: KubechatApp) -> web.Application:
    """Return the tornado Application the approval origin serves."""
    return web.Application(
        [
            (r"/", IndexHandler),
            (r"/login", LoginHandler),
            (rf"/proposals/{_ID}", ProposalPageHandler),
        ],
        kubechat=kubechat,
        log_function=_log_request,
        xsrf_cookies=False,  # the form token is tied to the session, not to a cookie
    )
