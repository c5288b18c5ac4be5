"""JupyterHub OAuth for the kubechat service: who a request is, and what it may reach.

The service is a jupyter_server process, so kubechat's own handlers serve it unchanged; these
two classes replace its identity provider and authorizer:

- :class:`HubIdentityProvider` is JupyterHub's own single-user identity provider
  (``jupyterhub.singleuser.extension.JupyterHubIdentityProvider``): a browser signs in with the
  hub's OAuth (a cookie of the service's path), a single-user server or a script with a hub
  token (``Authorization: token ...``). Only hub users holding the service's access scope
  (``access:services!service=<name>``) are let in.
- :class:`KubechatOnlyAuthorizer` lets them reach kubechat's routes and nothing else of the
  server: no kernels, terminals or files, which would run as the service's OS user and read
  its credentials.

:func:`shared_cookie_secret` signs the OAuth cookies alike in every process of the service.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from jupyterhub.singleuser.extension import (
    JupyterHubAuthorizer,
    JupyterHubIdentityProvider,
    JupyterHubUser,
)

__all__ = ["HubIdentityProvider", "KubechatOnlyAuthorizer", "shared_cookie_secret"]

#: The resource prefix of every kubechat route (``auth_resource`` of its handlers).
KUBECHAT_RESOURCE = "kubechat_lab:"


class HubIdentityProvider(JupyterHubIdentityProvider):  # type: ignore[misc]
    """People and single-user servers, authenticated by JupyterHub (OAuth or a hub token)."""

    async def get_user_cookie(self, handler: Any) -> JupyterHubUser | None:
        """Return the person of the hub OAuth cookie (not a token) of this request, if any.

        kubechat asks this to tell a person's browser from a token (the approval page signs
        in only a browser: ``server/handlers/approval.py``).
        """
        model = await self.hub_auth._get_user_cookie(handler)
        if not model or not self.hub_auth.check_scopes(self.hub_auth.access_scopes, model):
            return None
        return JupyterHubUser(model)


class KubechatOnlyAuthorizer(JupyterHubAuthorizer):  # type: ignore[misc]
    """Allow kubechat's routes to hub users with the service's access scope; refuse the rest."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        """Return whether ``user`` may ``action`` on ``resource`` (kubechat routes only)."""
        if not str(resource).startswith(KUBECHAT_RESOURCE):
            self.log.warning("kubechat hub service refused %s on %s for %s (not a kubechat "
                             "route)", action, resource, getattr(user, "username", user))
            return False
        return bool(super().is_authorized(handler, user, action, resource))


def shared_cookie_secret(api_token: str) -> bytes:
    """Return the cookie secret every process of the service shares, derived from its token.

    The hub's OAuth keeps a person's sign-in in a cookie signed with the server's cookie
    secret, and the OAuth state and XSRF tokens likewise. jupyter_server's default secret is a
    random file per process (per pod), so a sign-in made through one process of the service
    would not be accepted by another. Every process holds the service's hub API token, so a
    secret derived from it is shared without configuring anything, and changes with it.
    """
    return hmac.new(api_token.encode(), b"kubechat hub-service cookie secret v1",
                    hashlib.sha256).digest()
