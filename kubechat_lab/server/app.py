"""``KubechatApp``: the server extension that holds credentials, policy, approvals and audit."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from kubechat_lab.errors import AuditError
from kubechat_lab.pipeline import Identity, Limits, PgProposalStore, Pipeline
from kubechat_lab.server._answers import AnswerStore
from kubechat_lab.server._approval_origin import ApprovalOrigin, origin_of
from kubechat_lab.server._audit_log import AuditLog, embedded_audit_dsn
from kubechat_lab.server._capabilities import CapabilityStore
from kubechat_lab.server._clusters import ClusterPool
from kubechat_lab.server._dashboard_watch import DashboardWatches
from kubechat_lab.server._kernels import KernelAccess, dsn_secrets, url_secrets
from kubechat_lab.server._metrics import Metrics
from kubechat_lab.server._pg_approval import PgLogins
from kubechat_lab.server._pg_capabilities import PgCapabilityStore
from kubechat_lab.server._pg_conversations import PgConversationStore
from kubechat_lab.server._pg_quotas import PgSlots
from kubechat_lab.server._pg_watch_stops import PgWatchStops
from kubechat_lab.server._providers import TranslatorAdapter
from kubechat_lab.server._service import KubechatService
from kubechat_lab.server._settings import KubechatSettings, read_secret_file
from kubechat_lab.server._watches import WatchRegistry
from kubechat_lab.server._webhooks import WebhookSender

if TYPE_CHECKING:
    from kubechat_lab.mcp import HttpMcp

T = TypeVar("T")

#: Option names whose values are credentials.
_SECRET_NAME = re.compile(r"key|token|secret|password|passwd|credential", re.IGNORECASE)

__all__ = ["KERNEL_ACTIONS_SCHEMA", "KubechatApp"]

KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"

#: Older per-provider traits, read as options of the provider they name (None: any provider
#: that declares the option). One table; providers declare their own options.
_OPTION_TRAITS: dict[str, tuple[str | None, str]] = {
    "ollama_host": ("ollama", "host"),
    "ollama_model": ("ollama", "model"),
    "openai_base_url": ("openai", "base_url"),
    "openai_model": ("openai", "model"),
    "openai_api_key_env": ("openai", "api_key_env"),
    "llm_timeout": (None, "timeout"),
}


class KubechatApp(KubechatSettings):
    """The kubechat server extension: the trusted centre kernels talk to over HTTP.

    Configure it like any Jupyter extension, in ``jupyter_server_config.py`` (every option is
    in :class:`~kubechat_lab.server._settings.KubechatSettings` and docs/configuration.md)::

        c.KubechatApp.kubeconfig = "/etc/kubechat/kubeconfig"
        c.KubechatApp.contexts = ["prod", "staging"]
        c.KubechatApp.impersonate = {"*": {"user": "{username}", "groups": ["sre"]}}
        c.KubechatApp.audit_dsn = ""          # embedded PostgreSQL
    """

    name = "kubechat_lab"
    load_other_extensions = True

    # -- lifecycle -------------------------------------------------------------------------

    def initialize_settings(self) -> None:
        """Build the long-lived services (read secrets once, open nothing remote yet)."""
        if self.hub_service_url:
            self._initialize_hub_user_side()
            return
        self.metrics = Metrics()
        self.executor = ThreadPoolExecutor(
            max_workers=self.max_workers, thread_name_prefix="kubechat"
        )
        # Blocking verbs and translations (an LLM may take llm_timeout) get their own threads,
        # so neither can use up the pool every other request needs.
        self.blocking_executor = ThreadPoolExecutor(
            max_workers=max(1, self.max_workers), thread_name_prefix="kubechat-blocking"
        )
        self.translate_executor = ThreadPoolExecutor(
            max_workers=max(1, self.max_workers), thread_name_prefix="kubechat-translate"
        )
        self._openai_api_key = self._read_api_key()
        self._embedded: Any = None
        self._mcp: HttpMcp | None = None
        self.webhooks = WebhookSender(
            self.event_webhooks, timeout=self.webhook_timeout, attempts=self.webhook_attempts
        )
        self._audit_dsn = self._resolve_audit_dsn()
        self.audit = AuditLog(
            self._audit_dsn,
            connect_timeout=self.audit_connect_timeout,
            on_append=self.webhooks.submit,
        )
        # The shared state lives in the audit database (docs/operator-guide.md, "Several
        # processes"): proposals change on the audit connection (a transition and its audit
        # event commit together); reads, capabilities and conversations use a second one, so
        # that they never wait behind an audit transaction.
        self.state_db = AuditLog(self._audit_dsn, connect_timeout=self.audit_connect_timeout)
        self.capabilities: CapabilityStore | PgCapabilityStore = PgCapabilityStore(
            self.state_db)
        self.blocking_slots = PgSlots(
            "blocking commands (wait, rollout status, drain)",
            per_owner=self.max_blocking_per_user, options=("max_blocking_per_user", ""),
            dsn=self._audit_dsn, connect_timeout=self.audit_connect_timeout)
        self.watch_slots = PgSlots(
            "watches", per_owner=self.max_watches_per_owner, total=self.max_watches,
            options=("max_watches_per_owner", "max_watches"), dsn=self._audit_dsn,
            connect_timeout=self.audit_connect_timeout)
        self.clusters = ClusterPool(
            kubeconfig=self.kubeconfig or None,
            default_context=self.context or None,
            contexts=self.contexts,
            identity_for=self.identity_for,
            request_timeout=self.request_timeout,
        )
        from kubechat_lab.policy import load_policy

        self.policy = load_policy(self.policy_file or None)  # a bad file fails the start
        from kubechat_lab.translate import TranslatorRegistry

        self.translators = TranslatorRegistry(parent=self)
        self.answers = self._answer_store()
        options, where = self._translator_options()
        self.translator = TranslatorAdapter(
            provider=self.llm_provider,
            registry=self.translators,
            options=options,
            where=where,
            api_key=self._openai_api_key,
            log=self.log,
            answers=self.answers,
        )
        self.pipeline = Pipeline(
            policy=self.policy,
            clients=self.clusters,
            sink=lambda event: self.audit.append(event.to_dict()).seq,
            limits=Limits(max_block_seconds=self.max_block_seconds),
            translate=self.translator.translate,
        )
        self.proposals = PgProposalStore(self.audit, ttl=self.proposal_ttl,
                                         reader=self.state_db)
        self.conversations = PgConversationStore(self.state_db)
        self.approval = ApprovalOrigin(url=self._approval_url(),
                                       session_ttl=self.approval_session_ttl,
                                       logins=PgLogins(self.state_db))
        self.service = KubechatService(
            pipeline=self.pipeline,
            proposals=self.proposals,
            clusters=self.clusters,
            metrics=self.metrics,
            conversations=self.conversations,
            identity_for=self.identity_for,
            auto_approve_safe=self.auto_approve_safe,
            capability_may_approve_warning=self.capability_may_approve_warning,
            dry_run_writes=self.dry_run_writes,
            approvers=self.approvers,
            on_page_levels=self.approve_on_page_levels,
            page_url=self.approval_open_url,
            groups=self.groups,
        )
        self.watches = WatchRegistry(self.service, max_watches=self.max_watches,
                                     max_watches_per_owner=self.max_watches_per_owner,
                                     slots=self.watch_slots, stops=PgWatchStops(
                                         self._audit_dsn,
                                         connect_timeout=self.audit_connect_timeout))
        self.kernels = KernelAccess(self)
        self.dashboard_watches = DashboardWatches(
            self.service, slots=self.watch_slots,
            refresh_seconds=self.dashboard_refresh_seconds)
        if self.as_hub_service:
            self._initialize_hub_service()
        self._start_approval_origin()
        self.started = time.time()
        self._check_labextension()
        self.kernels.install()
        if self.serverapp is not None and self.serverapp.event_logger is not None:
            self.serverapp.event_logger.add_listener(
                schema_id=KERNEL_ACTIONS_SCHEMA, listener=self.kernels.on_kernel_action
            )
        self.log.info(
            "kubechat ready: provider=%s context=%s contexts=%d policy=%s webhooks=%d "
            "approval_page=%s",
            self.llm_provider,
            self.context or "(current)",
            len(self.contexts),
            self.policy_file or "(built-in)",
            len(self.event_webhooks),
            self.approval.url,
        )

    def _answer_store(self) -> AnswerStore | None:
        """Return the LLM answer cache on the audit database for this policy (None: off)."""
        if not self.answer_cache or self.llm_provider == "rules":
            return None
        return AnswerStore(self._audit_dsn, scope=self.policy.digest, ttl=self.answer_cache_ttl,
                           max_entries=self.answer_cache_max_entries,
                           connect_timeout=self.audit_connect_timeout,
                           on_outcome=lambda o: self.metrics.answer_cache.labels(outcome=o).inc())

    def _initialize_hub_user_side(self) -> None:
        """Hub mode of a single-user server: no credential, the service does the work."""
        from kubechat_lab.server.hub._user_side import HubKernelAccess, HubUserSide

        self.hub_user_side = HubUserSide(self)
        self.hub_kernels_access = HubKernelAccess(self, self.hub_user_side)
        self.kernels = self.hub_kernels_access
        self._check_labextension()
        self.kernels.install()
        if self.serverapp is not None and self.serverapp.event_logger is not None:
            self.serverapp.event_logger.add_listener(
                schema_id=KERNEL_ACTIONS_SCHEMA, listener=self.kernels.on_kernel_action
            )
        self.log.info("kubechat hub mode: service=%s owner=%s (no credential here)",
                      self.hub_user_side.service_url, self.hub_user_side.owner)

    def _initialize_hub_service(self) -> None:
        """``kubechat hub-service``: kernels come from single-user servers, groups from the hub."""
        from traitlets import TraitError

        from kubechat_lab.server.hub._directory import HubDirectory
        from kubechat_lab.server.hub._service_side import HubKernels, public_address

        api_url = os.environ.get("JUPYTERHUB_API_URL", "")
        token = os.environ.get("JUPYTERHUB_API_TOKEN", "")
        if not api_url or not token:
            msg = ("c.KubechatApp.as_hub_service needs $JUPYTERHUB_API_URL and "
                   "$JUPYTERHUB_API_TOKEN: run `kubechat hub-service` as a JupyterHub service")
            raise TraitError(msg)
        if not isinstance(self.capabilities, PgCapabilityStore):  # pragma: no cover - always
            raise TypeError("the hub service keeps its kernels' capabilities in PostgreSQL")
        self.hub_kernels = HubKernels(self.capabilities)
        self.hub_directory = HubDirectory(api_url, token)
        base = self.serverapp.base_url if self.serverapp is not None else "/"
        self.hub_public_url = public_address(os.environ, base)  # where browsers reach it

    def _approval_url(self) -> str:
        """``approval_url`` checked to be another origin than JupyterLab's (or empty)."""
        url = str(self.approval_url)
        if not url:
            return ""
        url = url if url.endswith("/") else url + "/"
        jupyter = getattr(self.serverapp, "connection_url", "") if self.serverapp else ""
        if "://" not in url or (jupyter and origin_of(url) == origin_of(jupyter)):
            from traitlets import TraitError

            msg = (f"c.KubechatApp.approval_url = {url!r} must be an absolute URL of another "
                   f"origin than JupyterLab's ({jupyter or 'unknown'}): another port or host, "
                   "e.g. http://127.0.0.1:8890/")
            raise TraitError(msg)
        return url

    def _start_approval_origin(self) -> None:
        from kubechat_lab.server._approval_page import approval_application

        try:
            port = self.approval.listen(approval_application(self), ip=self.approval_ip,
                                        port=self.approval_port)
        except OSError as exc:
            from traitlets import TraitError

            msg = (f"the approval page could not listen on {self.approval_ip}:"
                   f"{self.approval_port} ({exc.strerror}); set c.KubechatApp.approval_port to "
                   "a free port, or 0 to pick one")
            raise TraitError(msg) from exc
        self.log.info("kubechat approval page listening ip=%s port=%d url=%s",
                      self.approval_ip, port, self.approval.url)

    def approval_open_url(self, proposal_id: str) -> str:
        """Return the JupyterLab-origin link that signs in on the approval page and opens it."""
        base = self.serverapp.base_url if self.serverapp is not None else "/"
        return f"{base}kubechat/api/proposals/{proposal_id}/approval-page"

    def _check_labextension(self) -> None:
        """Say clearly when JupyterLab will not find the side panel (a Python-only install)."""
        from jupyter_core.paths import jupyter_path

        found = [
            Path(d) / "kubechat-lab" / "package.json"
            for d in jupyter_path("labextensions")
            if (Path(d) / "kubechat-lab" / "package.json").is_file()
        ]
        if not found:
            self.log.warning(
                "kubechat: the KubeChat side panel is not built, so JupyterLab will not show "
                "it (the REST API and the magics work without it). Build it with `make lab`, "
                "or `cd js && jlpm install && jlpm build` then `jupyter-builder develop "
                "--overwrite .` (Node >= 20); wheels ship it prebuilt."
            )

    def initialize_handlers(self) -> None:
        """Register the REST routes under ``{base_url}kubechat/api/``."""
        if self.hub_service_url:  # hub mode: every route is the service's
            from kubechat_lab.server.hub._user_side import default_handlers as forwarded

            self.handlers.extend(forwarded)
            return
        from kubechat_lab.server.handlers import default_handlers

        if self.as_hub_service:
            from kubechat_lab.server.hub._service_side import default_handlers as hub_kernels

            self.handlers.extend(hub_kernels)
        self.handlers.extend(default_handlers)

    def mcp_face(self) -> HttpMcp:
        """Return the MCP face over streamable HTTP (docs/mcp.md), made on first use."""
        if self._mcp is None:
            from kubechat_lab.mcp import HttpMcp

            self._mcp = HttpMcp(self.public_url())
        return self._mcp

    async def stop_extension(self) -> None:
        """Close every service the extension opened."""
        if self.hub_service_url:
            await self.hub_kernels_access.close()  # capabilities end with this server
            await self.hub_user_side.close()
            return
        if self._mcp is not None:
            await self._mcp.close()
        self.watches.stop_all()
        self.dashboard_watches.stop_all()
        self.approval.close()
        try:
            self.capabilities.clear()
        except AuditError as exc:  # the database is gone: the capabilities expire by their TTL
            self.log.warning("kubechat: could not revoke this server's capabilities: %s", exc)
        self.webhooks.close()
        self.clusters.close()
        self.translator.close()
        if self.answers is not None:
            self.answers.close()
        self.audit.close()
        self.state_db.close()
        self.blocking_slots.close()
        self.watch_slots.close()
        for pool in (self.executor, self.blocking_executor, self.translate_executor):
            pool.shutdown(wait=False, cancel_futures=True)
        if self._embedded is not None:
            self._embedded.stop()

    # -- secrets and identities ------------------------------------------------------------

    def _translator_options(self) -> tuple[dict[str, Any], dict[str, str]]:
        """Options from the per-provider traits, for the provider in use, and their traits."""
        options: dict[str, Any] = {}
        where: dict[str, str] = {}
        for trait, (provider, option) in _OPTION_TRAITS.items():
            if provider not in (None, self.llm_provider):
                continue
            where[option] = trait
            value = getattr(self, trait)
            if value not in ("", None):
                options[option] = value
        return options, where

    def _read_api_key(self) -> str | None:
        if self.openai_api_key_file:
            return read_secret_file(self.openai_api_key_file, "openai_api_key_file") or None
        if self.openai_api_key_env:
            return os.environ.get(self.openai_api_key_env) or None
        return None

    def _resolve_audit_dsn(self) -> str:
        env_dsn = os.environ.get(self.audit_dsn_env) if self.audit_dsn_env else None
        if env_dsn:
            return env_dsn
        if self.audit_dsn:
            return str(self.audit_dsn)
        dsn, self._embedded = embedded_audit_dsn(self.audit_data_dir, self.log)
        return dsn

    def held_secrets(self) -> list[str]:
        """Secret values this server holds besides the Jupyter token (kernels never see them).

        The LLM key, the audit DSN and its password, each webhook URL with the credentials in
        it, and translator options that hold credentials (a key, a URL with a password).
        """
        values: list[str] = []
        if self._openai_api_key:
            values.append(self._openai_api_key)
        values += dsn_secrets(self._audit_dsn)
        for url in self.event_webhooks:
            values += url_secrets(url)
        urls = [self.openai_base_url, self.ollama_host]
        for configured in self.translators.translator_options.values():
            for name, value in configured.items():
                if isinstance(value, str) and _SECRET_NAME.search(name):
                    values.append(value)
                elif isinstance(value, str):
                    urls.append(value)
        for url in urls:  # a plain URL is no secret; one with a password or a query may be
            if "://" in url and ("@" in url or "?" in url):
                values += url_secrets(url)
        return values

    def identity_for(self, user: str) -> Identity:
        """Return the Kubernetes identity to impersonate for Jupyter user ``user``."""
        entry = self.impersonate.get(user) or self.impersonate.get("*")
        if entry is None:
            if self.require_impersonation:
                from kubechat_lab.errors import PolicyViolation

                msg = (
                    f"Jupyter user {user!r} has no Kubernetes identity in "
                    "c.KubechatApp.impersonate and require_impersonation is on; ask the admin"
                )
                raise PolicyViolation(msg, rule_id="no-identity")
            return (None, ())
        k8s_user = str(entry["user"]).replace("{username}", user)
        groups = tuple(str(g).replace("{username}", user) for g in entry.get("groups", ()))
        if self.as_hub_service and self.hub_groups:  # the hub's groups, carried through
            groups += tuple(g for g in self.hub_directory.groups(user) if g not in groups)
        return (k8s_user, groups)

    # -- kernels (see KernelAccess) --------------------------------------------------------

    def public_url(self) -> str:
        """Return the URL kernels use to reach this server."""
        return self.kernels.public_url()

    def kernel_alive(self, kernel_id: str) -> bool:
        """Return whether the server (or, for the hub service, a user's server) runs it."""
        if self.as_hub_service:  # a stopped kernel's capabilities are deleted by its server
            return True
        return self.kernels.kernel_alive(kernel_id)

    # -- threads ---------------------------------------------------------------------------

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a short blocking call (database, one cluster request) in the shared pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)

    async def run_translation(self, fn: Callable[[], T]) -> T:
        """Run a call that translates a question (an LLM may be slow) in its own pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.translate_executor, fn)

    async def run_long(self, owner: str, fn: Callable[[], T]) -> T:
        """Run a blocking verb for ``owner`` in its own pool, at most N per owner at once.

        ``owner`` is ``Principal.owner``: a person's pages and each of their kernels have
        their own slots, so a kernel cannot use up the page's. Checking and taking a slot is
        one atomic step.

        Raises
        ------
        BusyError
            ``owner`` already runs :attr:`max_blocking_per_user` blocking commands.
        """
        with self.blocking_slots.hold(owner):
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.blocking_executor, fn)
