"""``GET health``: database, cluster and translation provider, each ok or with its error."""

from __future__ import annotations

from typing import Any

from kubechat_lab.errors import KubechatError
from kubechat_lab.server._proposals import Principal
from kubechat_lab.server.handlers._base import KubechatHandler, browser_or_kernel

__all__ = ["HealthHandler", "default_handlers"]


class HealthHandler(KubechatHandler):
    """Probe each dependency; 200 when all are ok, 503 otherwise (the body says which)."""

    auth_resource = "kubechat_lab:health"
    route = "health"

    def _probe(self, principal: Principal) -> dict[str, Any]:
        app = self.kubechat
        out: dict[str, Any] = {"user": principal.user}
        try:
            seq, head = app.audit.head()
            out["database"] = {"ok": True, "head_seq": seq, "head_hash": head.hex()}
        except KubechatError as exc:
            out["database"] = {"ok": False, "error": str(exc)}
        clusters: dict[str, Any] = {}
        for ctx in dict.fromkeys([app.clusters.default_context, *app.clusters.contexts]):
            name = ctx or "(current)"
            ctx_name = app.clusters.context_name(ctx)
            try:
                version = app.clusters.server_version(ctx)
                clusters[name] = {"ok": True, "version": version, "context": ctx_name}
            except KubechatError as exc:
                app.clusters.drop(ctx)
                clusters[name] = {"ok": False, "error": str(exc)}
            except Exception as exc:  # a broken kubeconfig must not break health
                clusters[name] = {"ok": False, "error": f"{type(exc).__name__}"}
        out["cluster"] = {"ok": all(c["ok"] for c in clusters.values()), "contexts": clusters}
        out["context"] = app.clusters.context_name(app.clusters.default_context)
        out["identity"] = self._identity(principal)
        out["provider"] = app.translator.health()
        out["ok"] = all(out[k]["ok"] for k in ("database", "cluster", "provider"))
        return out

    def _identity(self, principal: Principal) -> dict[str, Any]:
        """Who the cluster sees the requester as on the default context (not part of ok)."""
        try:
            found = self.kubechat.clusters.whoami(
                self.kubechat.clusters.default_context, principal.user
            )
        except KubechatError as exc:
            return {"ok": False, "error": str(exc)}
        except Exception as exc:  # a broken kubeconfig must not break health
            return {"ok": False, "error": f"{type(exc).__name__}"}
        return {"ok": True, **found}

    @browser_or_kernel
    async def get(self, principal: Principal) -> None:
        """Return the health report."""
        report = await self.kubechat.run_blocking(self._probe, principal)
        self.reply(report, status=200 if report["ok"] else 503)


default_handlers = [(r"/kubechat/api/health", HealthHandler)]
