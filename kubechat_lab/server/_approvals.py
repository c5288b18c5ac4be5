"""Approvals on the server: each requester's authority, and refusals worded for each channel.

The rule itself is the pipeline's (:func:`kubechat_lab.pipeline.check_approval`); this module
says what authority a request has (docs/configuration.md, "Policy and approvals") and how a
refusal reads:

- a kernel capability approves nothing by default; one minted with ``approve:warning``
  (``kubechat token --scope approve:warning``) approves warning commands;
- the browser route (the JupyterLab origin) approves warning commands whichever way it
  authenticated, unless ``approve_on_page_levels`` names ``warning``;
- a dangerous command (and a level ``approve_on_page_levels`` names) is approved only on the
  approval page, another origin with its own sign-in (``server/_approval_page.py``), with the
  typed confirmation text. The JupyterLab origin's route refuses it with a link there: any
  kernel can run JavaScript in its JupyterLab page (docs/security.md). A capability never can.

Two-person approval (the policy's ``two_person``, docs/policy.md) is checked before these, by
``KubechatService.refuse_two_person``: a member of the proposal's group, never its proposer.
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

__all__ = ["APPROVAL_PAGE", "authority_of", "refuse_approval"]


#: ``Principal.via`` of a person signed in on the approval page.
APPROVAL_PAGE = "approval-page"


def authority_of(principal: Principal, *, capability_may_approve_warning: bool) -> Authority:
    """Return what ``principal`` may approve."""
    if principal.via == APPROVAL_PAGE:
        return Authority.PERSON
    if principal.is_browser:  # the JupyterLab origin: its pages run kernels' JavaScript
        return Authority.WARNING
    cap = principal.capability
    if cap is not None and cap.allows(Scope.APPROVE_WARNING) and capability_may_approve_warning:
        return Authority.WARNING
    return Authority.NONE


def refuse_approval(principal: Principal, proposal: Proposal, confirm: str | None, *,
                    capability_may_approve_warning: bool,
                    on_page_levels: frozenset[str] = frozenset({"dangerous"}),
                    page_url: str | None = None) -> Exception | None:
    """Return the error refusing this approval, or None when it may proceed.

    Capabilities are told first that they cannot approve; a JupyterLab-origin request for a
    level the approval page owns is sent there (``page_url``); the approval page is told
    about the typed text.
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
    if principal.via != APPROVAL_PAGE and (level.value in on_page_levels
                                           or level is Level.DANGEROUS):
        where = page_url or "the approval page (its link is on the card and in the side panel)"
        msg = (f"{text!r} is {level.value}: it is approved only on the approval page, "
               f"another origin with its own sign-in, where you type {proposal.confirm!r}"
               if level is Level.DANGEROUS else
               f"{text!r} is {level.value}: this server approves {level.value} commands only on "
               "the approval page, another origin with its own sign-in")
        msg += f"; open {where} (the JupyterLab page cannot approve it: any kernel can run "
        msg += "JavaScript there)"
        return PolicyViolation(msg, rule_id="approve-on-approval-page")
    denial = check_approval(level, proposal.confirm, authority=Authority.PERSON,
                            confirm=confirm)
    if denial is not None:  # the typed text is wrong or missing
        msg = (f"approving a dangerous command needs field 'confirm' set to "
               f"{proposal.confirm!r} (the target typed back)")
        return BadRequestError(msg, field="confirm")
    if check_approval(level, proposal.confirm, authority=authority, confirm=confirm) is None:
        return None
    msg = f"{text!r} needs approval by a person, on the approval page"
    return PolicyViolation(msg, rule_id="approve-on-approval-page")


def _capability_refusal(principal: Principal, proposal: Proposal,
                        capability_may_approve_warning: bool) -> PolicyViolation:
    cap = principal.capability
    cap_id = cap.id if cap is not None else "?"
    if proposal.level == Level.DANGEROUS:
        msg = (f"{proposal.text!r} is dangerous: only a person on the approval page may "
               f"approve it, by typing {proposal.confirm!r}; a kernel capability never can")
        return PolicyViolation(msg, rule_id="dangerous-needs-browser")
    if cap is not None and cap.allows(Scope.APPROVE_WARNING):
        msg = (f"{proposal.text!r} needs approval in the browser: this server does not let "
               "kernel capabilities approve warning-level commands")
        return PolicyViolation(msg, rule_id="warning-needs-browser")
    msg = (f"this capability (id {cap_id}) lacks the 'approve:warning' scope: approve "
           f"{proposal.text!r} on its card or in the side panel (the browser), or run headless "
           "with a capability minted by `kubechat token --scope approve:warning`")
    return PolicyViolation(msg, rule_id="capability-scope")
