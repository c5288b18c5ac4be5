"""``KubechatApp``: the server extension that holds credentials, policy, approvals and audit."""

from __future__ import annotations

import asyncio
import getpass
import os
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, List, TraitError, Unicode, default, validate

from kubechat_lab.server._audit_log import AuditLog
from kubechat_lab.server._capabilities import CapabilityStore, Scope
from kubechat_lab.server._clusters import ClusterPool, Identity
from kubechat_lab.server._kernel_env import (
    DEFAULT_STRIP_PATTERNS,
    kernel_manager_class_for,
    session_manager_class_for,
    strip_secrets,
)
from kubechat_lab.server._metrics import Metrics
from kubechat_lab.server._proposals import ProposalStore
from kubechat_lab.server._providers import PolicyAdapter, TranslatorAdapter
from kubechat_lab.server._service import KubechatService
from kubechat_lab.server._watches import WatchRegistry
from kubechat_lab.server._webhooks import WebhookSender

if TYPE_CHECKING:
    pass

__all__ = ["KERNEL_ACTIONS_SCHEMA", "KubechatApp"]

KERNEL_ACTIONS_SCHEMA = "https://events.jupyter.org/jupyter_server/kernel_actions/v1"


def _read_secret_file(path: str, option: str) -> str:
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        msg = (
            f"c.KubechatApp.{option} = {path!r} could not be read ({exc.strerror}); "
            "point it at a file holding only the key, readable by the server's user"
        )
        raise TraitError(msg) from exc
    return text


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


class KubechatApp(ExtensionApp):
    """The kubechat server extension: the trusted centre kernels talk to over HTTP.

    Configure it like any Jupyter extension, in ``jupyter_server_config.py``::

        c.KubechatApp.kubeconfig = "/etc/kubechat/kubeconfig"
        c.KubechatApp.contexts = ["prod", "staging"]
        c.KubechatApp.impersonate = {"*": {"user": "{username}", "groups": ["sre"]}}
        c.KubechatApp.audit_dsn = ""          # embedded PostgreSQL

    Secrets are never traits: API keys come from files (``openai_api_key_file``) or from the
    environment variable named by ``openai_api_key_env``, read once at start.
    """

    name = "kubechat_lab"
    load_other_extensions = True

    # -- cluster ---------------------------------------------------------------------------
    kubeconfig = Unicode(
        "",
        config=True,
        help="Path of the kubeconfig holding the cluster credentials. Empty (default): "
        "$KUBECONFIG as seen by the server at start, else ~/.kube/config. Kernels never see it.",
    )
    context = Unicode(
        "",
        config=True,
        help="Default kubeconfig context. Empty (default): the kubeconfig's current-context.",
    )
    contexts = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Further kubeconfig contexts a request may name (field 'context' of ask/propose). "
        "Empty (default): only the default context.",
    )
    impersonate = Dict(
        default_value={},
        config=True,
        help="Map of Jupyter user name -> {'user': K8S_USER, 'groups': [GROUP, ...]} to "
        "impersonate when running commands, so cluster RBAC decides. Key '*' is the fallback; "
        "'{username}' in values is replaced by the Jupyter user name. Empty (default): commands "
        "run as the kubeconfig's own identity.",
    )
    require_impersonation = Bool(
        False,
        config=True,
        help="Refuse to run commands for a Jupyter user with no entry in 'impersonate' "
        "(default False).",
    )
    kernel_user = Unicode(
        config=True,
        help="Jupyter user name that kernel capabilities act for. Default: $JUPYTERHUB_USER, "
        "else the server's OS user.",
    )
    request_timeout = Float(
        30.0, config=True, help="Seconds one Kubernetes API request may take (default 30)."
    )

    # -- policy ----------------------------------------------------------------------------
    policy_file = Unicode(
        "",
        config=True,
        help="YAML safety policy file. Empty (default): the built-in policy (DESIGN.md 5).",
    )
    auto_approve_safe = Bool(
        True,
        config=True,
        help="Approve safe (read-only) commands automatically when proposed (default True). "
        "The approval is audited with approver 'policy:auto-safe'.",
    )
    capability_may_approve_warning = Bool(
        True,
        config=True,
        help="Let kernel capabilities with the 'approve:warning' scope approve warning-level "
        "commands (default True). Dangerous commands are never approvable by a capability.",
    )
    dry_run_writes = Bool(
        True, config=True, help="Preview writes with a server-side dry run (default True)."
    )
    proposal_ttl = Float(
        900.0, config=True, help="Seconds a proposal stays approvable/executable (default 900)."
    )

    # -- audit -----------------------------------------------------------------------------
    audit_dsn = Unicode(
        "",
        config=True,
        help="libpq DSN of the audit database (application role). Empty (default): an "
        "embedded PostgreSQL under <jupyter data dir>/kubechat/postgres, started if needed. "
        "Put passwords in ~/.pgpass or use audit_dsn_env, not here.",
    )
    audit_dsn_env = Unicode(
        "KUBECHAT_AUDIT_DSN",
        config=True,
        help="Name of an environment variable holding the audit DSN (read once at start; wins "
        "over audit_dsn when set). Default KUBECHAT_AUDIT_DSN.",
    )
    audit_data_dir = Unicode(
        "",
        config=True,
        help="Data directory of the embedded PostgreSQL. Empty (default): "
        "<jupyter data dir>/kubechat/postgres.",
    )
    audit_connect_timeout = Float(
        5.0, config=True, help="Seconds to wait for the audit database (default 5)."
    )
    event_webhooks = List(
        Unicode(),
        default_value=[],
        config=True,
        help="URLs that receive a POST (JSON audit record) for every audit event, with retries. "
        "Best effort: the database chain is the record. Default: none.",
    )
    webhook_timeout = Float(5.0, config=True, help="Seconds per webhook attempt (default 5).")
    webhook_attempts = Int(5, config=True, help="Attempts per webhook delivery (default 5).")

    # -- translation -----------------------------------------------------------------------
    llm_provider = Unicode(
        "rules",
        config=True,
        help="Translator id: 'rules' (offline, default), 'ollama', 'openai' or any installed "
        "translator plugin; its options come from c.TranslatorRegistry.translator_options, the "
        "allow/block lists from c.TranslatorRegistry.allowed_translators/blocked_translators.",
    )
    ollama_host = Unicode(
        "http://127.0.0.1:11434", config=True, help="Ollama base URL (default local)."
    )
    ollama_model = Unicode("", config=True, help="Ollama model name (required for 'ollama').")
    openai_base_url = Unicode(
        "",
        config=True,
        help="OpenAI-compatible base URL. Empty (default): the OpenAI API.",
    )
    openai_model = Unicode("", config=True, help="Model name for the 'openai' provider.")
    openai_api_key_file = Unicode(
        "",
        config=True,
        help="File holding the OpenAI API key (read once at start, never logged or sent to "
        "kernels). Wins over openai_api_key_env.",
    )
    openai_api_key_env = Unicode(
        "OPENAI_API_KEY",
        config=True,
        help="Name of the environment variable holding the OpenAI API key (read once at "
        "start). Default OPENAI_API_KEY.",
    )
    llm_timeout = Float(30.0, config=True, help="Seconds per LLM request (default 30).")

    # -- kernels and capabilities ----------------------------------------------------------
    kernel_scopes = List(
        Unicode(),
        default_value=["ask", "propose", "execute", "approve:warning", "audit:read"],
        config=True,
        help="Scopes of the capability every kernel gets. Allowed: ask, propose, execute, "
        "approve:warning, audit:read. There is no scope for dangerous approvals.",
    )
    capability_ttl = Float(
        12 * 3600.0,
        config=True,
        help="Seconds a kernel capability lives (default 12 h); it is revoked earlier when "
        "its kernel shuts down.",
    )
    token_ttl = Float(
        3600.0,
        config=True,
        help="Default lifetime in seconds of capabilities minted by `kubechat token` "
        "(default 1 h; the request may ask for less).",
    )
    kernel_env_strip = List(
        Unicode(),
        default_value=list(DEFAULT_STRIP_PATTERNS),
        config=True,
        help="fnmatch patterns (case-insensitive) of environment variables removed from every "
        "kernel's environment. Variables whose value contains a secret the server holds "
        "(Jupyter token, API keys) are removed whatever their name.",
    )
    kernel_url = Unicode(
        "",
        config=True,
        help="URL kernels use to reach this server (KUBECHAT_URL). Empty (default): "
        "http://127.0.0.1:<port><base_url>.",
    )
    max_workers = Int(
        8, config=True, help="Threads for blocking work (database, cluster, LLM); default 8."
    )

    @default("kernel_user")
    def _default_kernel_user(self) -> str:
        return os.environ.get("JUPYTERHUB_USER") or getpass.getuser()

    @validate("kernel_scopes")
    def _validate_kernel_scopes(self, proposal: dict[str, Any]) -> list[str]:
        values: list[str] = list(proposal["value"])
        try:
            Scope.parse_all(values)
        except ValueError as exc:
            msg = f"c.KubechatApp.kernel_scopes: {exc}; e.g. ['ask', 'propose', 'execute']"
            raise TraitError(msg) from exc
        return values

    @validate("impersonate")
    def _validate_impersonate(self, proposal: dict[str, Any]) -> dict[str, Any]:
        value: dict[str, Any] = dict(proposal["value"])
        for key, entry in value.items():
            ok = isinstance(entry, Mapping) and isinstance(entry.get("user"), str)
            groups = entry.get("groups", []) if isinstance(entry, Mapping) else None
            if not ok or not isinstance(groups, list | tuple):
                msg = (
                    f"c.KubechatApp.impersonate[{key!r}] must look like "
                    "{'user': 'alice', 'groups': ['sre']}; got " + repr(entry)
                )
                raise TraitError(msg)
        return value

    @validate("llm_provider")
    def _validate_llm_provider(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.strip():
            msg = "c.KubechatApp.llm_provider is empty; use 'rules', 'ollama' or 'openai'"
            raise TraitError(msg)
        return value

    # -- lifecycle -------------------------------------------------------------------------

    def initialize_settings(self) -> None:
        """Build the long-lived services (read secrets once, open nothing remote yet)."""
        self.metrics = Metrics()
        self.capabilities = CapabilityStore()
        self.executor = ThreadPoolExecutor(
            max_workers=self.max_workers, thread_name_prefix="kubechat"
        )
        self._openai_api_key = self._read_api_key()
        self._embedded: Any = None
        self.webhooks = WebhookSender(
            self.event_webhooks, timeout=self.webhook_timeout, attempts=self.webhook_attempts
        )
        self.audit = AuditLog(
            self._resolve_audit_dsn(),
            connect_timeout=self.audit_connect_timeout,
            on_append=self.webhooks.submit,
        )
        self.clusters = ClusterPool(
            kubeconfig=self.kubeconfig or None,
            default_context=self.context or None,
            contexts=self.contexts,
            identity_for=self.identity_for,
            request_timeout=self.request_timeout,
        )
        self.policy = PolicyAdapter(self.policy_file or None)
        from kubechat_lab.translate import TranslatorRegistry

        self.translators = TranslatorRegistry(parent=self)
        options, where = self._translator_options()
        self.translator = TranslatorAdapter(
            provider=self.llm_provider,
            clusters=self.clusters,
            registry=self.translators,
            options=options,
            where=where,
            api_key=self._openai_api_key,
            log=self.log,
        )
        self.proposals = ProposalStore(ttl=self.proposal_ttl)
        self.service = KubechatService(
            audit=self.audit,
            proposals=self.proposals,
            assess=self.policy,
            translate=self.translator,
            clusters=self.clusters,
            metrics=self.metrics,
            auto_approve_safe=self.auto_approve_safe,
            capability_may_approve_warning=self.capability_may_approve_warning,
            dry_run_writes=self.dry_run_writes,
        )
        self.watches = WatchRegistry(self.service)
        self.started = time.time()
        self._check_labextension()
        self._install_kernel_hooks()
        if self.serverapp is not None and self.serverapp.event_logger is not None:
            self.serverapp.event_logger.add_listener(
                schema_id=KERNEL_ACTIONS_SCHEMA, listener=self._on_kernel_action
            )
        self.log.info(
            "kubechat ready: provider=%s context=%s contexts=%d policy=%s webhooks=%d",
            self.llm_provider,
            self.context or "(current)",
            len(self.contexts),
            self.policy_file or "(built-in)",
            len(self.event_webhooks),
        )

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

    def _install_kernel_hooks(self) -> None:
        """Give the session and kernel managers kubechat's environment hooks.

        ``_link_jupyter_server_extension`` runs before the server builds its managers (and
        before ``gateway_config`` exists, which the manager-class defaults need), so the hooks
        are installed here, on the live managers: each one's class is swapped for a subclass of
        itself that overrides ``get_kernel_env`` / ``start_kernel``. Other configuration of
        those classes keeps working, and isinstance checks still hold.
        """
        app = self.serverapp
        if app is None:
            return
        sm, km = app.session_manager, app.kernel_manager
        if not getattr(type(sm), "_kubechat_hooked", False):
            sm.__class__ = session_manager_class_for(type(sm), self)
        if not getattr(type(km), "_kubechat_hooked", False):
            km.__class__ = kernel_manager_class_for(type(km), self)

    def initialize_handlers(self) -> None:
        """Register the REST routes under ``{base_url}kubechat/api/``."""
        from kubechat_lab.server.handlers import default_handlers

        self.handlers.extend(default_handlers)

    async def stop_extension(self) -> None:
        """Close every service the extension opened."""
        self.watches.stop_all()
        self.capabilities.clear()
        self.webhooks.close()
        self.clusters.close()
        self.translator.close()
        self.audit.close()
        self.executor.shutdown(wait=False, cancel_futures=True)
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
            return _read_secret_file(self.openai_api_key_file, "openai_api_key_file") or None
        if self.openai_api_key_env:
            return os.environ.get(self.openai_api_key_env) or None
        return None

    def _resolve_audit_dsn(self) -> str:
        env_dsn = os.environ.get(self.audit_dsn_env) if self.audit_dsn_env else None
        if env_dsn:
            return env_dsn
        if self.audit_dsn:
            return self.audit_dsn
        from kubechat_lab.audit import EmbeddedPostgres, default_data_dir, embedded_for_data_dir

        data_dir = self.audit_data_dir or str(default_data_dir())
        was_running = EmbeddedPostgres(data_dir).running
        pg = embedded_for_data_dir(data_dir)  # starts if needed and migrates the schema
        # Stop it at exit only if this server started it (another may share it).
        self._embedded = None if was_running else pg
        self.log.info("kubechat audit: embedded PostgreSQL running (started=%s)", not was_running)
        dsn: str = pg.app_dsn
        return dsn

    def secret_values(self) -> list[str]:
        """Values kernels must never see (the Jupyter token, API keys)."""
        values: list[str] = []
        if self.serverapp is not None:
            token = getattr(self.serverapp.identity_provider, "token", "") or ""
            if token:
                values.append(token)
        if self._openai_api_key:
            values.append(self._openai_api_key)
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
        return (k8s_user, groups)

    # -- kernel hooks (KernelEnvProvider) --------------------------------------------------

    def kernel_strip(self, env: Mapping[str, str]) -> dict[str, str]:
        """Return ``env`` without secret-looking variables."""
        return strip_secrets(env, self.kernel_env_strip, self.secret_values())

    def kernel_grant(self, kernel_id: str) -> dict[str, str]:
        """Mint the capability of a new kernel; return KUBECHAT_URL and KUBECHAT_CAPABILITY."""
        token, cap = self.capabilities.mint(
            user=self.kernel_user,
            scopes=Scope.parse_all(self.kernel_scopes),
            ttl=self.capability_ttl,
            origin="kernel",
            kernel_id=kernel_id,
        )
        self.log.info("kubechat capability minted id=%s kernel=%s", cap.id, kernel_id)
        return {"KUBECHAT_URL": self.public_url(), "KUBECHAT_CAPABILITY": token}

    def kernel_revoke(self, kernel_id: str) -> None:
        """Revoke the capabilities of ``kernel_id``."""
        n = self.capabilities.revoke_kernel(kernel_id)
        if n:
            self.log.info("kubechat capability revoked kernel=%s count=%d", kernel_id, n)

    def public_url(self) -> str:
        """Return the URL kernels use to reach this server."""
        if self.kernel_url:
            return self.kernel_url
        app = self.serverapp
        if app is None:
            return ""
        base = app.base_url if app.base_url.endswith("/") else app.base_url + "/"
        if app.sock:
            return app.connection_url
        host = app.ip if app.ip not in ("", "0.0.0.0", "::", "localhost") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{app.port}{base}"

    def kernel_alive(self, kernel_id: str) -> bool:
        """Return whether the server still runs kernel ``kernel_id``."""
        if self.serverapp is None:
            return False
        return kernel_id in self.serverapp.kernel_manager

    async def _on_kernel_action(self, logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        if data.get("action") == "shutdown" and data.get("kernel_id"):
            self.kernel_revoke(str(data["kernel_id"]))

    async def run_blocking(self, fn: Any, *args: Any) -> Any:
        """Run a blocking call in the extension's thread pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, fn, *args)
