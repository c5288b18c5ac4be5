"""kubechat on JupyterHub: the hub service (``kubechat hub-service``) and the single-user side.

Two roles of the same :class:`~kubechat_lab.server.app.KubechatApp` (docs/jupyterhub.md):

- **the service** (``c.KubechatApp.as_hub_service``, set by ``kubechat hub-service``): a
  JupyterHub-managed service running as its own OS user, the only process that reads the
  kubeconfig, the LLM key and the audit DSN. People sign in with JupyterHub OAuth
  (:mod:`kubechat_lab.server.hub._auth`); kernels of single-user servers get capabilities it mints
  through ``/kubechat/api/hub/kernels`` (:mod:`kubechat_lab.server.hub._service_side`); the hub's
  groups of a person are carried into Kubernetes impersonation
  (:mod:`kubechat_lab.server.hub._directory`).
- **the single-user side** (``c.KubechatApp.hub_service_url``): the server extension in each
  person's server holds no credential; it asks the service for each kernel's capability,
  points ``KUBECHAT_URL`` at the service and forwards the side panel's requests to it
  (:mod:`kubechat_lab.server.hub._user_side`).
"""

from __future__ import annotations

__all__: list[str] = []
