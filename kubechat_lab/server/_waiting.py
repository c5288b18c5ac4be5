"""What the side panel's Waiting tab lists: a waiting proposal, and who or what proposed it.

A person deciding for an agent or a kernel must see which one asks: :func:`proposer_view`
turns the audit actor a proposal keeps (``Proposal.proposer``) into the ``proposed_by`` of
``GET kubechat/api/proposals`` (docs/openapi.yaml ``Proposer``), without any secret.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

    from kubechat_lab.server._proposals import Proposal

__all__ = ["proposer_kind", "proposer_view"]


def proposer_kind(origin: str | None, via: str, kernel_id: str | None) -> str:
    """Return what proposed: ``agent``, ``kernel``, ``page``, ``cli`` or ``capability``.

    ``agent`` is any call made through the MCP face (origin ``mcp``), whichever capability it
    used (a kernel's included); ``capability`` is a script's (``kubechat token``).
    """
    if origin == "mcp":
        return "agent"
    if kernel_id is not None:
        return "kernel"
    if via == "browser":
        return "page"
    if origin == "cli" or via == "cli":
        return "cli"
    return "capability"


def proposer_view(proposal: Proposal, notebooks: Mapping[str, str] | None = None
                  ) -> dict[str, Any]:
    """Return ``proposed_by`` of a waiting proposal.

    Parameters
    ----------
    proposal : Proposal
        The proposal; its ``proposer`` is the actor of its ``proposed`` audit event.
    notebooks : mapping of str to str, optional
        Kernel id -> the path of the notebook (or console) it runs, where the server knows it.

    Returns
    -------
    dict
        ``{kind, user, via, origin, client: {name, version} | None, capability: {id, label} |
        None, kernel_id, notebook}``. A proposal made before proposers were kept (or by a face
        without one) is described from its ``owner`` alone.
    """
    actor = proposal.proposer
    if actor is None:
        kernel = (proposal.owner.removeprefix("kernel:")
                  if proposal.owner.startswith("kernel:") else None)
        via = "browser" if proposal.owner.startswith("page:") else "capability"
        return {"kind": proposer_kind(None, via, kernel), "user": proposal.user, "via": via,
                "origin": None, "client": None, "capability": None, "kernel_id": kernel,
                "notebook": (notebooks or {}).get(kernel or "")}
    cap = actor.capability
    return {
        "kind": proposer_kind(actor.origin, actor.via, actor.kernel_id),
        "user": actor.user,
        "via": actor.via,
        "origin": actor.origin,
        "client": ({"name": actor.client.name, "version": actor.client.version}
                   if actor.client is not None else None),
        "capability": {"id": cap.id, "label": cap.label} if cap is not None else None,
        "kernel_id": actor.kernel_id,
        "notebook": (notebooks or {}).get(actor.kernel_id or ""),
    }
