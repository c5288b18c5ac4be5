"""Approvals on the server: each requester's authority, and refusals worded for each channel.

The rule itself is the pipeline's (:func:`kubechat_lab.pipeline.check_approval`); this module
says what authority a request has (docs/configuration.md, "Policy and approvals") and how a
refusal reads:

- a kernel capability approves nothing by default; one minted with ``approve:warning``
  (``kubechat token --scope approve:warning``) approves warning commands;
- the browser route approves warning commands whichever way it authenticated;
- a dangerous command needs a cookie-authenticated browser request (the login cookie, with the
  XSRF check passed) *and* the typed confirmation text. A request that carries only the
  Jupyter token (``Authorization: token ...`` or ``?token=``) is refused, and a capability
  never can.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubechat_lab.errors import PolicyViolation
from kubechat_lab.pipeline import Authority, Refusal, check_approval
from kubechat_lab.policy import Level
from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._proposals import BadRequestError

if TYPE_CHECKING:
    from kubechat_lab.server._proposals import Principal, Proposal

__all__ = ["authority_of", "refuse_approval"]


def authority_of(principal: Principal, *, capability_may_approve_warning: bool) -> Authority:
    """Return what ``principal`` may approve."""
    if principal.is_browser:
        return Authority.PERSON if principal.auth == "cookie" else Authority.WARNING
    cap = principal.capability
    if cap is not None and cap.allows(Scope.APPROVE_WARNING) and capability_may_approve_warning:
        return Authority.WARNING
    return Authority.NONE


def refuse_approval(principal: Principal, proposal: Proposal, confirm: str | None, *,
                    capability_may_approve_warning: bool) -> Exception | None:
    """Return the error refusing this approval, or None when it may proceed.

    Capabilities are told first that they cannot approve; a browser request is told about
    the typed text first, then about how it must authenticate.
    """
    authority = authority_of(principal,
                             capability_may_approve_warning=capability_may_approve_warning)
    level = Level(proposal.level)
    text = proposal.text
    if level is Level.FORBIDDEN:
        msg = f"{text!r} is forbidden by policy: " + "; ".join(proposal.reasons)
        return PolicyViolation(msg, rule_id=(proposal.rule_ids or ("forbidden",))[0])
    if not principal.is_browser:
        denial = check_approval(level, proposal.confirm, authority=authority, confirm=None)
        if denial is not None and denial.why is Refusal.NEEDS_AUTHORITY:
            return _capability_refusal(principal, proposal, capability_may_approve_warning)
    denial = check_approval(level, proposal.confirm, authority=Authority.PERSON,
                            confirm=confirm)
    if denial is not None:  # the typed text is wrong or missing
        msg = (f"approving a dangerous command needs field 'confirm' set to "
               f"{proposal.confirm!r} (the target typed back)")
        return BadRequestError(msg, field="confirm")
    if check_approval(level, proposal.confirm, authority=authority, confirm=confirm) is None:
        return None
    msg = (f"{text!r} is dangerous: approving it needs a signed-in browser session (the "
           "Jupyter login cookie, with the page's X-XSRFToken); a request that carries only the "
           "Jupyter token (an Authorization header or ?token=) cannot approve it. Type "
           f"{proposal.confirm!r} on its card or in the side panel in JupyterLab")
    return PolicyViolation(msg, rule_id="dangerous-needs-browser")


def _capability_refusal(principal: Principal, proposal: Proposal,
                        capability_may_approve_warning: bool) -> PolicyViolation:
    cap = principal.capability
    cap_id = cap.id if cap is not None else "?"
    if proposal.level == Level.DANGEROUS:
        msg = (f"{proposal.text!r} is dangerous: only a signed-in browser request may approve "
               f"it, by typing {proposal.confirm!r}; a kernel capability never can")
        return PolicyViolation(msg, rule_id="dangerous-needs-browser")
    if cap is not None and cap.allows(Scope.APPROVE_WARNING):
        msg = (f"{proposal.text!r} needs approval in the browser: this server does not let "
               "kernel capabilities approve warning-level commands")
        return PolicyViolation(msg, rule_id="warning-needs-browser")
    msg = (f"this capability (id {cap_id}) lacks the 'approve:warning' scope: approve "
           f"{proposal.text!r} on its card or in the side panel (the browser), or run headless "
           "with a capability minted by `kubechat token --scope approve:warning`")
    return PolicyViolation(msg, rule_id="capability-scope")
