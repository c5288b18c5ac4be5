"""The hub's groups of a person, asked of the JupyterHub REST API with the service's own token.

The service's role needs the ``read:users:groups`` scope (docs/jupyterhub.md). Answers are kept
for ``ttl`` seconds; a hub that cannot answer fails the request closed (no command runs with a
guessed identity).
"""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable

import httpx

from kubechat_lab.errors import PolicyViolation

__all__ = ["HubDirectory"]


class HubDirectory:
    """Groups of hub users, cached briefly.

    Parameters
    ----------
    api_url
        The hub's REST API (``$JUPYTERHUB_API_URL``, e.g. ``http://127.0.0.1:8081/hub/api``).
    token
        The service's API token (``$JUPYTERHUB_API_TOKEN``).
    ttl
        Seconds an answer is reused.
    clock
        Monotonic clock.
    """

    def __init__(self, api_url: str, token: str, *, ttl: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.api_url = api_url.rstrip("/")
        self._token = token
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, tuple[str, ...]]] = {}

    def groups(self, user: str) -> tuple[str, ...]:
        """Return the hub groups of ``user``, sorted.

        Raises
        ------
        PolicyViolation
            The hub did not answer, or refused (the service's role lacks ``read:users:groups``).
        """
        now = self._clock()
        with self._lock:
            found = self._cache.get(user)
        if found is not None and found[0] > now:
            return found[1]
        url = f"{self.api_url}/users/{urllib.parse.quote(user, safe='')}"
        try:
            response = httpx.get(url, headers={"Authorization": f"token {self._token}"},
                                 timeout=10.0)
        except httpx.HTTPError as exc:
            msg = f"JupyterHub did not answer who {user!r} is ({exc}); nothing runs meanwhile"
            raise PolicyViolation(msg, rule_id="hub-unreachable") from exc
        if response.status_code != 200:
            msg = (f"JupyterHub refused the groups of {user!r} (HTTP {response.status_code}); "
                   "give the kubechat service a role with the scope read:users:groups "
                   "(docs/jupyterhub.md)")
            raise PolicyViolation(msg, rule_id="hub-groups")
        groups = tuple(sorted(str(g) for g in response.json().get("groups") or ()))
        with self._lock:
            self._cache[user] = (now + self.ttl, groups)
        return groups
