"""``ClusterConfig``: which cluster to talk to, as whom, with which limits."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ClusterConfig"]


@dataclass(frozen=True, slots=True)
class ClusterConfig:
    """How a :class:`~kubechat_lab.cluster.ClusterClient` reaches the API server.

    Parameters
    ----------
    kubeconfig
        Path of the kubeconfig file; None uses ``$KUBECONFIG`` or ``~/.kube/config``.
    context
        Context in the kubeconfig; None uses its ``current-context``.
    impersonate_user
        Send ``Impersonate-User`` so cluster RBAC decides as this user (None: don't).
    impersonate_groups
        ``Impersonate-Group`` values (one header each); only with ``impersonate_user``.
    request_timeout
        Seconds one HTTP request may take (default 30).
    page_size
        ``limit`` of each list page (default 500, like kubectl).
    field_manager
        ``fieldManager`` recorded on writes (default ``kubechat``).
    """

    kubeconfig: str | None = None
    context: str | None = None
    impersonate_user: str | None = None
    impersonate_groups: tuple[str, ...] = ()
    request_timeout: float = 30.0
    page_size: int = 500
    field_manager: str = "kubechat"

    def __post_init__(self) -> None:
        if self.page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {self.page_size}")
        if self.request_timeout <= 0:
            raise ValueError(
                f"request_timeout must be a positive number of seconds, got {self.request_timeout}"
            )
        if self.impersonate_groups and not self.impersonate_user:
            raise ValueError(
                f"impersonate_groups {list(self.impersonate_groups)} need impersonate_user: "
                "Kubernetes only impersonates groups together with a user"
            )
        if isinstance(self.impersonate_groups, str):
            raise ValueError("impersonate_groups must be a tuple of group names, not a string")
