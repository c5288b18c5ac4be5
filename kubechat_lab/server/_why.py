"""The one place a question becomes an investigation instead of one read.

``ask`` calls :func:`why_reply` before translating: a why-question that names one object of
the asker's inventory comes back as an ``investigate`` marker (the object, its explicit
target for ``POST investigate``, the first reads of its plan) and nothing is proposed; one
that names several objects, or one that does not exist, is refused with the objects it may
mean as choices. Every face (side panel, chat widget) follows the marker the same way. The
rule itself is :func:`kubechat_lab.investigate.route_why`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from kubechat_lab.audit.events import AskEvent
from kubechat_lab.command import redact_text
from kubechat_lab.errors import ClusterError
from kubechat_lab.investigate import WhyRoute, is_why_question, route_why

if TYPE_CHECKING:
    from kubechat_lab.pipeline import Target
    from kubechat_lab.server._proposals import Principal
    from kubechat_lab.server._service import KubechatService

__all__ = ["PROVIDER", "why_reply"]

logger = logging.getLogger(__name__)

#: What the ``provider`` of a routed question says (the audit's ``ask`` event names it).
PROVIDER = "investigate"


def _route(service: KubechatService, question: str, target: Target) -> WhyRoute | None:
    """Route against the grounding's cached inventory; a miss is checked against a fresh one."""
    ctx = service.pipeline.grounding.context(target)
    route = route_why(question, ctx.inventory, ctx.namespaces, target.namespace)
    if route is None or route.subject is not None or len(route.choices) > 1:
        return route
    # Not found (or only near a name) in an inventory up to a minute old: an object created
    # since must not be refused, so list again as the asker before saying no.
    try:
        listed = service.pipeline.client(target).inventory()
    except ClusterError as exc:
        logger.info("why-route: fresh inventory unavailable: %s", exc)
        return route
    inventory = {kind: tuple((ns or "", name) for ns, name in pairs)
                 for kind, pairs in listed.objects.items()}
    return route_why(question, inventory, listed.namespaces, target.namespace)


def why_reply(service: KubechatService, principal: Principal, question: str, target: Target,
              *, conversation: str | None = None) -> dict[str, Any] | None:
    """Return the ask reply of a why-question about one object, or None for any other question.

    The reply has the shape of every ask reply (``translation``, ``proposal`` None,
    ``choices`` empty, ``audit_seq``) plus ``investigate`` (see
    :meth:`kubechat_lab.investigate.WhyRoute.to_dict`). Nothing is proposed or run here: the
    face runs the investigation through ``POST investigate`` (its reads are audited there).
    The question is audited as an ``ask`` with outcome ``investigation`` or ``refused``.
    """
    if not is_why_question(question):
        return None
    route = _route(service, question, target)
    if route is None:
        return None
    routed = route.subject is not None
    seq = service.record(AskEvent(
        actor=principal.actor(target.identity), question=redact_text(question),
        provider=PROVIDER, outcome="investigation" if routed else "refused",
        command=None, context=target.context, cluster=target.cluster,
        conversation=conversation))
    translation = {"question": question, "command": None, "parsed": None,
                   "explanation": route.explanation, "provider": PROVIDER, "assumptions": [],
                   "notes": [] if routed else ["refused: the object to investigate is unknown "
                                               "or ambiguous"],
                   "latency": 0.0, "choices": []}
    return {"translation": translation, "proposal": None, "choices": [],
            "investigate": route.to_dict(), "audit_seq": seq}
