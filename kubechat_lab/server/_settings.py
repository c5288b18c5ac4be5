"""``KubechatSettings``: every option of the extension, as traitlets (``c.KubechatApp.*``)."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jupyter_server.extension.application import ExtensionApp
from traitlets import Bool, Dict, Float, Int, List, TraitError, Unicode, default, validate

from kubechat_lab.server._capabilities import Scope
from kubechat_lab.server._kernel_env import DEFAULT_STRIP_PATTERNS

__all__ = ["KubechatSettings", "read_secret_file"]


def read_secret_file(path: str, option: str) -> str:
    """Return the stripped text of a key file named by option ``option`` (TraitError if not)."""
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8").strip()
    except OSError as exc:
        msg = (
            f"c.KubechatApp.{option} = {path!r} could not be read ({exc.strerror}); "
            "point it at a file holding only the key, readable by the server's user"
        )
        raise TraitError(msg) from exc
    return text


class KubechatSettings(ExtensionApp):
    """The options of :class:`~kubechat_lab.server.app.KubechatApp` (configure that class).

    Secrets are never traits: API keys come from files (``openai_api_key_file``) or from the
    environment variable named by ``openai_api_key_env``, read once at start.
    """

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
        help="Jupyter user name of the server's owner on a single-user server (jupyter_server's "
        "token or password login): its kernels and browser requests act for this user. With "
        "an identity provider that names people, a kernel acts for the person whose request "
        "started it, and a kernel nobody is known to have started gets no capability. "
        "Default: $JUPYTERHUB_USER, else the server's OS user.",
    )
    request_timeout = Float(
        30.0, config=True, help="Seconds one Kubernetes API request may take (default 30)."
    )

    # -- policy ----------------------------------------------------------------------------
    policy_file = Unicode(
        "",
        config=True,
        help="YAML safety policy file. Empty (default): the built-in policy (docs/policy.md).",
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
    approvers = List(
        Unicode(),
        default_value=[],
        config=True,
        help="Jupyter users who may see, approve, reject and run other users' proposals (a "
        "team's approvers on a shared server). Default: none; a proposal belongs to its "
        "proposer alone and everyone else gets 404.",
    )
    groups = Dict(
        default_value={},
        config=True,
        help="Group name -> the Jupyter users in it, e.g. {'sre-leads': ['bob', 'carol']}: "
        "who may approve a proposal the policy's two_person entries send to that group "
        "(docs/policy.md). Added to the groups the identity provider gives (JupyterHub's "
        "groups); use it on a single server, or to name approvers the hub does not. Default: "
        "none.",
    )
    approve_on_page_levels = List(
        Unicode(),
        default_value=["dangerous"],
        config=True,
        help="Levels approved only on the approval page (its own origin, approval_port), never "
        "by the JupyterLab page: 'dangerous' always, add 'warning' to move warnings there too "
        "(default ['dangerous']). The in-page approve route refuses these levels with a link "
        "to the approval page.",
    )
    approval_port = Int(
        0,
        config=True,
        help="Port of the approval page's listener on approval_ip (default 0: a free port, "
        "chosen at start). It is another origin than JupyterLab, so no kernel's JavaScript "
        "can read or script it.",
    )
    approval_ip = Unicode(
        "127.0.0.1",
        config=True,
        help="Address the approval page's listener binds (default 127.0.0.1).",
    )
    approval_url = Unicode(
        "",
        config=True,
        help="Public base URL of the approval page, for a deployment behind a proxy (for "
        "example https://approve.example.org/); it must be another origin than JupyterLab's. "
        "Empty (default): http://<approval_ip>:<approval_port>/.",
    )
    approval_session_ttl = Float(
        3600.0,
        config=True,
        help="Seconds a sign-in on the approval page lasts (default 3600). Sign-in links "
        "work once, for 60 seconds.",
    )
    max_block_seconds = Float(
        300.0,
        config=True,
        help="Longest a blocking verb (wait, rollout status, drain) may block, in seconds "
        "(default 300). A longer --timeout is refused with this limit in the reason.",
    )
    max_blocking_per_user = Int(
        4,
        config=True,
        help="Blocking commands (wait, rollout status, drain) one owner may run at once "
        "(default 4): a user's pages together, and each of their kernels on its own, so a "
        "kernel cannot use up the page's. More are answered 429. They run in their own "
        "threads, so they never hold up other requests.",
    )
    max_watches = Int(
        16,
        config=True,
        help="Live watches (POST proposals/ID/watch) that may run at once on this server "
        "(default 16); more are answered 429.",
    )
    max_watches_per_owner = Int(
        4,
        config=True,
        help="Live watches one owner may run at once (default 4): a user's pages together, "
        "and each of their kernels on its own, so a kernel cannot use up the page's. More "
        "are answered 429.",
    )
    dashboard_refresh_seconds = Float(
        5.0,
        config=True,
        help="Seconds between refreshes of the Cluster tab and %kubechat dashboard when they "
        "poll (default 5; at least 1): live, they follow Kubernetes watches, and only reads "
        "that cannot be watched (top nodes) are re-read this often. Each refresh runs the "
        "dashboard's fixed safe reads once and appends one audit event; a hidden tab or cell "
        "does not refresh.",
    )

    @validate("dashboard_refresh_seconds")
    def _check_refresh(self, proposal: Any) -> float:
        value = float(proposal["value"])
        if value < 1.0:
            msg = (f"KubechatApp.dashboard_refresh_seconds is {value}; it must be at least 1 "
                   "(e.g. c.KubechatApp.dashboard_refresh_seconds = 5)")
            raise TraitError(msg)
        return value

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
    answer_cache = Bool(
        True,
        config=True,
        help="Cache LLM translations in the audit database (table answer_cache), keyed by the "
        "normalised question, provider, model, previous turn, the asker's grounding digest and "
        "the policy version (docs/translation.md). A hit is parsed, checked and judged like a "
        "fresh answer and marked 'cached' on the card. Never used by the rules translator. "
        "Default True; False asks the model every time.",
    )
    answer_cache_ttl = Float(
        86400.0,
        config=True,
        help="Seconds a cached LLM answer is served after it was stored (default 86400, a day).",
    )
    answer_cache_max_entries = Int(
        10000,
        config=True,
        help="Cached LLM answers kept at most, shared by every server on the database; the "
        "least recently used go first (default 10000).",
    )

    # -- kernels and capabilities ----------------------------------------------------------
    kernel_scopes = List(
        Unicode(),
        default_value=["ask", "propose", "execute", "audit:read"],
        config=True,
        help="Scopes of the capability every kernel gets (default ask, propose, execute, "
        "audit:read). Allowed: ask, propose, execute, approve:warning, audit:read. Without "
        "approve:warning (the default) a kernel approves nothing: warning commands are "
        "approved on the page or by a `kubechat token --scope approve:warning` capability. "
        "There is no scope for dangerous approvals.",
    )
    capability_audit_all_users = Bool(
        False,
        config=True,
        help="Let capabilities with audit:read read every user's audit events (default False: "
        "a kernel reads its own user's events only).",
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

    # -- JupyterHub (docs/jupyterhub.md) -------------------------------------------------------
    hub_service_url = Unicode(
        "",
        config=True,
        help="On a single-user server under JupyterHub: the URL of the kubechat hub service "
        "through the hub's proxy (e.g. http://127.0.0.1:8000/services/kubechat/). Set, this "
        "server holds no credential: kernels get capabilities the service mints and talk to it "
        "(KUBECHAT_URL), the side panel's requests are forwarded to it. Empty (default): "
        "this server is kubechat's centre itself.",
    )
    as_hub_service = Bool(
        False,
        config=True,
        help="Set by `kubechat hub-service`: this process is the JupyterHub service (people "
        "sign in with hub OAuth, kernels of single-user servers get capabilities through "
        "/kubechat/api/hub/kernels, the hub's groups are carried into impersonation).",
    )
    hub_groups = Bool(
        True,
        config=True,
        help="With as_hub_service: add the person's JupyterHub groups to the Kubernetes groups "
        "impersonated for them (after those of c.KubechatApp.impersonate).",
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

    @validate("approve_on_page_levels")
    def _validate_approve_on_page_levels(self, proposal: dict[str, Any]) -> list[str]:
        values = [str(v) for v in proposal["value"]]
        unknown = sorted(set(values) - {"warning", "dangerous"})
        if unknown or "dangerous" not in values:
            msg = (f"c.KubechatApp.approve_on_page_levels = {values!r}: the levels are "
                   "'warning' and 'dangerous', and 'dangerous' is always approved on the "
                   "approval page; e.g. ['dangerous'] or ['warning', 'dangerous']")
            raise TraitError(msg)
        return values

    @validate("groups")
    def _validate_groups(self, proposal: dict[str, Any]) -> dict[str, list[str]]:
        value: dict[str, list[str]] = {}
        for group, members in dict(proposal["value"]).items():
            ok = isinstance(group, str) and group.strip() and isinstance(members, list | tuple)
            if not ok or not all(isinstance(m, str) and m.strip() for m in members):
                msg = (f"c.KubechatApp.groups[{group!r}] must be a list of Jupyter user names, "
                       f"e.g. {{'sre-leads': ['bob', 'carol']}}; got {members!r}")
                raise TraitError(msg)
            value[group] = [m.strip() for m in members]
        return value

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

    @validate("answer_cache_ttl", "answer_cache_max_entries")
    def _validate_answer_cache_bound(self, proposal: dict[str, Any]) -> Any:
        value = proposal["value"]
        if value <= 0:
            name = proposal["trait"].name
            msg = (f"c.KubechatApp.{name} = {value!r} must be positive (e.g. 3600 seconds or "
                   "1000 entries); turn the cache off with c.KubechatApp.answer_cache = False")
            raise TraitError(msg)
        return value

    @validate("llm_provider")
    def _validate_llm_provider(self, proposal: dict[str, Any]) -> str:
        value = str(proposal["value"])
        if not value.strip():
            msg = "c.KubechatApp.llm_provider is empty; use 'rules', 'ollama' or 'openai'"
            raise TraitError(msg)
        return value
