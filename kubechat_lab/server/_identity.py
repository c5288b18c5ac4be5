"""Who a request, or a kernel, acts for: the person behind the identity provider's user.

jupyter_server's own identity providers (token, password) serve one person and name each browser
session anonymously at random, so on such a server every request and every kernel acts for the
server's owner, ``c.KubechatApp.kernel_user``. A provider that names people (JupyterHub's, a
collaborative server's, a custom one) gives each person their own name: a request acts for the
person it authenticates, and a kernel acts for the person whose request started it
(``POST /api/sessions``, ``POST /api/kernels``). jupyter_server records the handler of the request
being served in :class:`jupyter_server.base.call_context.CallContext` (a context variable), which
is how the kernel manager hook, running inside that request, learns who started the kernel.
"""

from __future__ import annotations

from typing import Any

from jupyter_server.auth.identity import (
    IdentityProvider,
    LegacyIdentityProvider,
    PasswordIdentityProvider,
)
from jupyter_server.base.call_context import CallContext

__all__ = [
    "SINGLE_USER_PROVIDERS",
    "names_people",
    "person_of",
    "provider_groups",
    "request_person",
]

#: jupyter_server's built-in providers: one person, anonymous random names per session.
SINGLE_USER_PROVIDERS: tuple[type[IdentityProvider], ...] = (
    IdentityProvider,
    PasswordIdentityProvider,
    LegacyIdentityProvider,
)


def names_people(provider: object) -> bool:
    """Return whether ``provider`` names people (not one of jupyter_server's single-user ones)."""
    return type(provider) not in SINGLE_USER_PROVIDERS


def person_of(provider: object, user: Any, owner: str) -> str | None:
    """Return the person a Jupyter ``user`` of ``provider`` is, or None when unknown.

    Parameters
    ----------
    provider
        The server's identity provider.
    user
        The ``current_user`` of a request (a :class:`jupyter_server.auth.User`), or None.
    owner
        The server's owner (``kernel_user``): every request of a single-user server is theirs.

    Returns
    -------
    str or None
        ``owner`` on a single-user server; otherwise the user's name, or None when the request
        carries no named user.
    """
    if not names_people(provider):
        return owner
    name = getattr(user, "username", None)
    return str(name) if isinstance(name, str) and name else None


def provider_groups(user: Any) -> tuple[str, ...]:
    """Return the groups the identity provider gives a Jupyter ``user`` (sorted; may be empty).

    Under JupyterHub the single-user server's provider gives a ``JupyterHubUser`` whose
    ``hub_user`` is the hub's user model, with ``groups`` (the hub groups the user is in); a
    custom provider may set ``groups`` on its user. jupyter_server's own providers give none.
    """
    found: object = None
    hub_user = getattr(user, "hub_user", None)
    if isinstance(hub_user, dict):
        found = hub_user.get("groups")
    if found is None:
        found = getattr(user, "groups", None)
    if not isinstance(found, list | tuple | set | frozenset):
        return ()
    return tuple(sorted({g for g in found if isinstance(g, str) and g}))


def request_person(provider: object, owner: str) -> str | None:
    """Return the person whose request is being served right now, or None when unknown.

    Called from the kernel manager hook while ``POST /api/sessions`` or ``POST /api/kernels``
    starts a kernel: the handler of that request is in jupyter_server's ``CallContext``. A kernel
    started outside any request (at server start, by another extension's background task) has
    no starter; on a server whose provider names people that is None (the caller fails closed).
    """
    if not names_people(provider):
        return owner
    handler = CallContext.get(CallContext.JUPYTER_HANDLER)
    if handler is None:
        return None
    try:
        user = handler.current_user
    except Exception:  # a handler whose authentication never ran: nobody is known
        return None
    return person_of(provider, user, owner)
