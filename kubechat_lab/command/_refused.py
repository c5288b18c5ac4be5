"""What kubechat refuses and why: credential, local-file and interactive flags, verbs, subverbs.

Each entry is ``(reason id, why)``; the reason id becomes ``CommandError.reason`` and the
text tells the person what to do instead.
"""

from __future__ import annotations

__all__ = [
    "INTERACTIVE_VERBS",
    "REFUSED_FLAGS",
    "REFUSED_SHORT",
    "REFUSED_SUBVERBS",
    "REFUSED_VERBS",
]

_CREDENTIAL = (
    "connection and credential flags are never accepted: kubechat talks to the cluster with "
    "the server's own configuration and the identity of the signed-in user; remove it"
)
_LOCAL = (
    "kubechat never reads or writes local files or URLs: pass manifests as data "
    "(`-f -` with the manifest text), literals with --from-literal"
)
_INTERACTIVE = (
    "interactive, streaming and tunnelling modes are not supported: kubechat runs one request "
    "and shows its result; drop the flag"
)

#: Refused flags by long name: ``(reason id, why)``.
REFUSED_FLAGS: dict[str, tuple[str, str]] = {
    **{name: ("credential-flag", _CREDENTIAL) for name in (
        "server", "token", "token-file", "kubeconfig", "context", "cluster", "user", "as",
        "as-group", "as-uid", "as-user-extra", "certificate-authority", "client-certificate",
        "client-key", "insecure-skip-tls-verify", "insecure-skip-tls-verify-backend",
        "username", "password", "raw", "tls-server-name", "auth-provider", "docker-username",
        "docker-password", "docker-server", "docker-email", "exec-command", "proxy-url",
    )},
    **{name: ("local-file", _LOCAL) for name in (
        "kustomize", "from-file", "from-env-file", "env-file", "output-directory", "cache-dir",
        "log-file", "log-dir", "profile-output", "cert", "key", "kuberc",
        "filename-file", "overrides-file",
    )},
    **{name: ("interactive", _INTERACTIVE) for name in (
        "stdin", "tty", "watch", "watch-only", "follow", "interactive", "edit", "attach",
        "output-watch-events", "address", "www", "www-prefix", "api-prefix", "port-forward",
    )},
    **{name: ("unsupported-flag", why) for name, why in (
        ("prune", "--prune deletes every object not in the manifest; delete objects "
                  "explicitly instead"),
        ("prune-allowlist", "--prune is not supported; delete objects explicitly instead"),
        ("local", "--local works on local files without the server; kubechat works on the "
                  "cluster only"),
        ("output-version", "--output-version was removed from kubectl"),
        ("v", "verbosity flags print request details (headers, tokens) and are refused"),
        ("vmodule", "verbosity flags print request details and are refused"),
        ("help", "help is not a command; ask kubechat in words or read `kubectl help`"),
        ("overrides", "--overrides injects an arbitrary pod spec; use a manifest with -f -"),
        ("request-timeout", "the server sets request timeouts"),
        ("match-server-version", "the server checks versions itself"),
        ("profile", "profiling writes local files"),
        ("warnings-as-errors", "warnings are always shown"),
        ("disable-compression", "transport settings belong to the server"),
        ("template", "go templates are not supported; use -o jsonpath=... instead"),
    )},
}

#: Refused short flags (for every verb unless the verb accepts the letter itself).
REFUSED_SHORT: dict[str, str] = {
    "s": "server",
    "k": "kustomize",
    "i": "stdin",
    "t": "tty",
    "w": "watch",
    "v": "v",
    "h": "help",
    "R": "recursive-files",
}
REFUSED_FLAGS["recursive-files"] = ("local-file", _LOCAL)

#: Verbs that open a session, a tunnel or an editor: what each one does.
INTERACTIVE_VERBS: dict[str, str] = {
    "exec": "runs a process inside a container",
    "attach": "attaches to a running container",
    "cp": "copies files between this machine and a container",
    "port-forward": "opens a tunnel from this machine into the cluster",
    "proxy": "opens a local proxy to the API server",
    "edit": "opens an editor (use `kubectl patch` or `kubectl apply -f -` instead)",
    "debug": "starts an interactive debugging container",
}

#: Refused verbs: ``(reason id, what the verb does)``.
REFUSED_VERBS: dict[str, tuple[str, str]] = {
    "config": ("forbidden-verb", "reads and changes kubeconfig files, which hold credentials"),
    "certificate": ("forbidden-verb", "approves or denies certificate requests, which mints "
                    "credentials"),
    "plugin": ("forbidden-verb", "runs local plugin programs"),
    "kustomize": ("local-file", "builds manifests from a local directory"),
    "completion": ("unsupported-verb", "prints a shell completion script"),
    "expose": ("unsupported-verb", "is not supported; use `kubectl create service ...` or a "
               "Service manifest with `kubectl apply -f -`"),
    "diff": ("unsupported-verb", "compares local files; preview a change with "
             "`kubectl apply --dry-run=server -f -` instead"),
    "run": ("unsupported-verb", "is not supported; use `kubectl create deployment NAME "
            "--image=IMAGE` or `kubectl create job NAME --image=IMAGE`"),
    "convert": ("unsupported-verb", "converts local files"),
    "alpha": ("unsupported-verb", "runs alpha features"),
    "options": ("unsupported-verb", "prints kubectl's global options"),
    "help": ("unsupported-verb", "prints help; ask kubechat in words instead"),
}

#: Refused ``(verb, subverb)`` pairs: ``(reason id, what it does)``.
REFUSED_SUBVERBS: dict[tuple[str, str], tuple[str, str]] = {
    ("cluster-info", "dump"): ("unsupported-subcommand", "dumps every object and log of the "
                               "cluster (or writes them to local files); query what you need"),
    ("auth", "reconcile"): ("local-file", "reads RBAC manifests from files; apply them with "
                            "`kubectl apply -f -` instead"),
    ("apply", "edit-last-applied"): ("interactive", "opens an editor"),
    ("apply", "set-last-applied"): ("unsupported-subcommand", "rewrites the last-applied "
                                    "annotation from a local file"),
    ("create", "token"): ("credential", "mints a service-account token (a credential)"),
    ("create", "secret tls"): ("local-file", "reads certificate and key files"),
    ("create", "secret docker-registry"): ("credential", "puts registry passwords on the "
                                           "command line; apply a Secret manifest instead"),
    ("set", "selector"): ("unsupported-subcommand", "needs a local file"),
    ("set", "subject"): ("unsupported-subcommand", "is not supported; apply a RoleBinding "
                         "manifest instead"),
}
