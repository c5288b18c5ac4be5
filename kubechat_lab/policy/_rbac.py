"""Facts about RBAC grants: what a role lets its holders do, and who gets it.

A role is judged by its *powers*: reading Secrets, minting service-account tokens, exec or
attach into pods, the kubelet API (``nodes/proxy``), running pods (which mount any Secret and
run as any service account of their namespace), approving certificates, and the escalation
verbs ``escalate``, ``bind`` and ``impersonate``; wildcards count as every name they cover.
Its rules come from what the command writes when it writes them (a manifest, ``create role``)
and from :data:`BUILTIN_POWERS` / :data:`LIMITED_ROLES` for the built-in cluster roles; any
other role is of unknown power, which counts as powerful. An aggregating ClusterRole
(``aggregationRule``) has the powers of the roles its selectors pick, and a ClusterRole
labelled ``rbac.authorization.k8s.io/aggregate-to-view`` (``-edit``, ``-admin``) gives its
powers to everyone who holds view (edit, admin). The policy sees no live objects, so a role it
does not see written and does not know is of unknown power.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from kubechat_lab.policy._model import Observe
from kubechat_lab.policy._walk import get_ci
from kubechat_lab.policy._written import Written

__all__ = ["BUILTIN_POWERS", "EVERYONE_ROLES", "LIMITED_ROLES", "rbac_findings", "rule_powers"]

Add = Callable[[str, str], None]

_EVERYONE_GROUPS = ("system:authenticated", "system:unauthenticated", "system:serviceaccounts")
_EVERYONE_USERS = ("system:anonymous",)
_RBAC_GROUP = "rbac.authorization.k8s.io"
_AGGREGATE = re.compile(r"(?P<domain>[^/]+)/aggregate-to-(?P<target>.+)")

#: Built-in cluster roles every user (and anonymous caller) holds by default.
EVERYONE_ROLES = frozenset({"system:basic-user", "system:discovery", "system:public-info-viewer"})
#: Built-in cluster roles whose rules hold none of the powers (tests/policy/test_rbac_sandbox.py
#: checks them against a live API server).
LIMITED_ROLES = frozenset({*EVERYONE_ROLES, "view", "system:aggregate-to-view",
                           "system:monitoring", "system:heapster", "system:kube-dns"})
_SECRETS = "reads secrets"
_EXEC = "execs into pods"
_PODS = "runs pods (which mount any secret and run as any service account of their namespace)"
_TOKENS = "mints service-account tokens"
_IMPERSONATE = "impersonate (privilege escalation)"
#: Built-in cluster roles with powers, exactly as :func:`rule_powers` finds them in the rules
#: of Kubernetes 1.36 (tests/policy/test_rbac_sandbox.py reads them from a live API server).
BUILTIN_POWERS: dict[str, tuple[str, ...]] = {
    "cluster-admin": ("grants every verb on every resource",),
    "admin": (_SECRETS, _EXEC, _IMPERSONATE, _PODS, _TOKENS),
    "edit": (_SECRETS, _EXEC, _IMPERSONATE, _PODS, _TOKENS),
    "system:aggregate-to-edit": (_SECRETS, _EXEC, _IMPERSONATE, _PODS, _TOKENS),
    "system:node": (_PODS, _SECRETS, _TOKENS),
    "system:kube-controller-manager": (_SECRETS, _TOKENS),
    "system:kube-scheduler": ("binds pods to nodes (bypassing the scheduler)",),
}
#: Which built-in aggregated roles a label feeds: aggregate-to-view reaches edit and admin too.
_FEEDS = {"view": ("view", "edit", "admin"), "edit": ("edit", "admin"), "admin": ("admin",)}
#: Built-in roles that are themselves aggregated into others (``view`` is labelled
#: aggregate-to-edit, ``edit`` aggregate-to-admin).
_BUILTIN_LABELS = {"view": "edit", "system:aggregate-to-view": "view", "edit": "admin",
                   "system:aggregate-to-edit": "edit", "system:aggregate-to-admin": "admin"}
#: Built-in bindings, kept by the API server, and the role each refers to (roleRef is fixed).
_BUILTIN_BINDINGS = {name: name for name in (*EVERYONE_ROLES, "cluster-admin")}

_READ = frozenset({"get", "list", "watch", "*"})
_WRITE = frozenset({"create", "update", "patch", "*"})
#: Verbs a connect subresource answers (a websocket exec is a ``get``; list and watch are not).
_CALL = frozenset({"get", "create", "update", "patch", "delete", "*"})
_WORKLOADS = {"": ("pods", "replicationcontrollers"),
              "apps": ("deployments", "replicasets", "statefulsets", "daemonsets"),
              "batch": ("jobs", "cronjobs")}


def _words(value: object) -> set[str]:
    if isinstance(value, str):
        return {value.strip().lower()}
    return {str(v).strip().lower() for v in value} if isinstance(value, list) else set()


def rule_powers(rule: object) -> list[str]:
    """Return the powers one PolicyRule grants (empty for a harmless rule).

    Parameters
    ----------
    rule
        A mapping with ``verbs``, ``apiGroups``, ``resources`` (``nonResourceURLs`` rules
        grant none of the powers).
    """
    verbs = _words(get_ci(rule, "verbs"))
    resources = _words(get_ci(rule, "resources"))
    groups = _words(get_ci(rule, "apiGroups")) if get_ci(rule, "apiGroups") is not None else {""}
    if not verbs or not resources:
        return []
    if "*" in verbs and "*" in resources and "*" in groups:
        return ["grants every verb on every resource"]

    def has(group: str, resource: str) -> bool:
        base, sub, subresource = resource.partition("/")
        # ``pods/*`` covers every subresource of pods (not pods), ``*/exec`` every exec
        names = {resource, "*", f"{base}/*", f"*/{subresource}"} if sub else {resource, "*"}
        return (group in groups or "*" in groups) and bool(names & resources)

    powers = []
    if has("", "secrets") and verbs & _READ:
        powers.append(_SECRETS)
    if has("", "serviceaccounts/token") and verbs & {"create", "*"}:
        powers.append(_TOKENS)
    if (has("", "pods/exec") or has("", "pods/attach")) and verbs & _CALL:
        powers.append(_EXEC)
    if has("", "nodes/proxy") and verbs & _CALL:
        powers.append("reaches the kubelet API (nodes/proxy)")
    if verbs & _WRITE and any(has(group, r) for group, names in _WORKLOADS.items()
                              for r in names):
        powers.append(_PODS)
    if "*" in resources and "*" in groups and verbs & {"delete", "deletecollection", "*"}:
        powers.append("deletes every resource")
    if (has("", "bindings") or has("", "pods/binding")) and verbs & {"create", "*"}:
        powers.append("binds pods to nodes (bypassing the scheduler)")
    if has("certificates.k8s.io", "certificatesigningrequests/approval") and verbs & _WRITE:
        powers.append("approves certificate requests (mints credentials)")
    escalation = sorted(verbs & {"escalate", "bind", "impersonate"})
    if "*" in verbs and (has(_RBAC_GROUP, "roles") or has(_RBAC_GROUP, "clusterroles")
                         or has("", "users") or has("", "groups")
                         or has("", "serviceaccounts")):
        escalation = ["escalate", "bind", "impersonate"]
    if escalation:
        powers.append(f"{', '.join(escalation)} (privilege escalation)")
    return powers


def _rules_powers(rules: object) -> list[str]:
    out: list[str] = []
    for rule in rules if isinstance(rules, list) else ():
        out.extend(p for p in rule_powers(rule) if p not in out)
    return out


def _selector_labels(selector: object) -> dict[str, str] | None:
    """Return ``{label: value}`` a ClusterRole selector requires; None when unreadable."""
    if isinstance(selector, str):  # ``create clusterrole --aggregation-rule=k=v,k2=v2``
        pairs = [part.partition("=") for part in selector.split(",") if part.strip()]
        return {k.strip(): v.strip() for k, _, v in pairs} if all(p[1] for p in pairs) else None
    if not isinstance(selector, Mapping):
        return None
    labels = get_ci(selector, "matchLabels") or {}
    expressions = get_ci(selector, "matchExpressions") or []
    if not isinstance(labels, Mapping) or not isinstance(expressions, list):
        return None
    out = {str(k): str(v) for k, v in labels.items()}
    for expression in expressions:
        operator = str(get_ci(expression, "operator", "")).lower()
        values = get_ci(expression, "values")
        key = str(get_ci(expression, "key", ""))
        if operator == "exists":
            out[key] = "*"
        elif operator == "in" and isinstance(values, list) and values:
            out[key] = str(values[0]) if len(values) == 1 else "*"
        else:
            return None
    return out


def _aggregated_powers(rule: object, labelled: Mapping[str, list[str]]) -> list[str] | None:
    """Return the powers of an aggregating ClusterRole (None: it selects unseen roles)."""
    selectors = get_ci(rule, "clusterRoleSelectors")
    if not isinstance(selectors, list):
        return None
    powers: list[str] = []
    for selector in selectors:
        labels = _selector_labels(selector)
        if labels is None:
            return None
        if not labels:
            return ["grants every verb on every resource (an empty selector picks cluster-admin)"]
        for key, value in labels.items():
            match = _AGGREGATE.fullmatch(key.strip().lower())
            if match is None or match["domain"] != _RBAC_GROUP or value.lower() not in (
                    "true", "*"):
                return None
            target = match["target"]
            if target not in _FEEDS:
                return None
            found = [*BUILTIN_POWERS.get(target, ()), *labelled.get(target, [])]
            powers.extend(p for p in found if p not in powers)
    return powers


def _role_key(kind: str, name: str) -> tuple[str, str]:
    return kind.strip().lower(), name.strip().lower()


def _aggregate_targets(body: object) -> list[str]:
    """Return the ``domain/X`` of each aggregate-to-``X`` label a ClusterRole write sets."""
    labels = get_ci(get_ci(body, "metadata"), "labels")
    if not isinstance(labels, Mapping):
        return []
    out = []
    for key, value in labels.items():
        match = _AGGREGATE.fullmatch(str(key).strip().lower())
        if match is not None and value is not None and str(value).strip().lower() != "false":
            out.append(f"{match['domain']}/{match['target']}")
    return out


def _known(name: str) -> list[str] | None:
    lowered = name.strip().lower()
    if lowered in BUILTIN_POWERS:
        return list(BUILTIN_POWERS[lowered])
    return [] if lowered in LIMITED_ROLES else None


def _broad(subject: object) -> str | None:
    kind = str(get_ci(subject, "kind", "")).strip().lower()
    name = str(get_ci(subject, "name", "")).strip().lower()
    if kind == "group" and (name in _EVERYONE_GROUPS or name.startswith("system:serviceaccounts:")):
        return f"Group {name}"
    if kind == "user" and name in _EVERYONE_USERS:
        return f"User {name}"
    return None


def _describe(powers: list[str] | None) -> str:
    if powers is None:
        return "a role of unknown power: its rules are not written here and it is not built in"
    return "a role that " + "; ".join(powers)


def _what(powers: list[str] | None) -> str:
    if powers is None:
        return "whatever the role allows (its rules are not written here and it is not built in)"
    return "a role that " + "; ".join(powers)


class _Cluster:
    """Roles and bindings the command does not write: read live where it can, else built in."""

    def __init__(self, observe: Observe | None, namespace: str | None) -> None:
        self.observe = observe
        self.namespace = namespace

    def where(self, written: Written) -> str | None:
        found = get_ci(get_ci(written.body, "metadata"), "namespace")
        return str(found) if isinstance(found, str) and found else self.namespace

    def live(self, kind: str, name: str, namespace: str | None) -> Mapping[str, object] | None:
        if self.observe is None or not name:
            return None
        cluster = kind.strip().lower().startswith("cluster")
        resource = {"clusterrole": "clusterroles", "role": "roles",
                    "clusterrolebinding": "clusterrolebindings",
                    "rolebinding": "rolebindings"}.get(kind.strip().lower())
        if resource is None:
            return None
        return self.observe(resource, None if cluster else namespace, name)

    def powers(self, kind: str, name: str, namespace: str | None) -> list[str] | None:
        """Return the powers of a role not written here (None: unknown)."""
        live = self.live(kind, name, namespace)
        if live is not None:
            return _rules_powers(get_ci(live, "rules"))
        return _known(name) if kind.strip().lower() == "clusterrole" else None

    def labels(self, role: Written) -> dict[str, object]:
        """Return the live labels of a role a patch changes (empty when unseen)."""
        if role.mode != "patch" or not role.name:
            return {}
        live = self.live(role.kind, role.name, self.where(role))
        labels = get_ci(get_ci(live, "metadata"), "labels")
        return dict(labels) if isinstance(labels, Mapping) else {}


def _roles(items: list[Written], cluster: _Cluster, add: Add
           ) -> dict[tuple[str, str], list[str] | None]:
    """Judge every role written; return the powers of each (None: unknown)."""
    written: dict[tuple[str, str], list[str] | None] = {}
    roles = [w for w in items if w.kind.lower() in ("clusterrole", "role") and w.name
             and w.mode != "delete"]
    labelled: dict[str, list[str]] = {}
    for role in roles:
        own = _rules_powers(get_ci(role.body, "rules"))
        for target in _aggregate_targets(role.body):
            domain, _, into = target.partition("/")
            if domain == _RBAC_GROUP:
                labelled.setdefault(into, []).extend(own)
    for role in roles:
        body = role.body
        aggregation = get_ci(body, "aggregationRule")
        powers: list[str] | None
        new = _rules_powers(get_ci(body, "rules"))
        if aggregation is not None and role.kind.lower() == "clusterrole":
            powers = _aggregated_powers(aggregation, labelled)
        elif role.mode == "patch":
            before = cluster.powers(role.kind, role.name or "", cluster.where(role))
            powers = None if before is None and not new else [
                *(before or []), *(p for p in new if p not in (before or []))]
        elif role.mode == "new" or (role.kind.lower() == "clusterrole" and (
                role.name or "").strip().lower() in _FEEDS):
            # create fails on a role that exists, and the live one is what a binding grants;
            # the aggregation controller writes the rules of admin, edit and view back
            before = cluster.powers(role.kind, role.name or "", cluster.where(role))
            powers = [*new, *(p for p in before or [] if p not in new)]
        else:
            powers = new
        name = (role.name or "").strip().lower()
        written[_role_key(role.kind, name)] = powers
        if role.kind.lower() != "clusterrole":
            continue
        targets = _aggregate_targets(body)
        live_targets = _aggregate_targets({"metadata": {"labels": cluster.labels(role)}})
        if name in _BUILTIN_LABELS:
            live_targets.append(f"{_RBAC_GROUP}/{_BUILTIN_LABELS[name]}")
        if new and (name in EVERYONE_ROLES or name == "view"):
            holders = "every user" if name in EVERYONE_ROLES else "everyone who holds view"
            add("rbac-broad-grant", f"{role.label}: rules that {'; '.join(new)} are added to "
                f"a role {holders} holds")
        for target in targets + [t for t in live_targets if new and t not in targets]:
            _joins(role, target, powers if target in targets else new, add)
    return written


def _joins(role: Written, target: str, powers: list[str] | None, add: Add) -> None:
    """Report a ClusterRole that gives ``powers`` to the role its label ``target`` feeds."""
    domain, _, into = target.partition("/")
    label = f"{domain}/aggregate-to-{into}"
    if powers is not None and not powers:
        return
    if domain == _RBAC_GROUP and into == "view":
        add("rbac-broad-grant", f"{role.label} joins view (label {label}), so everyone who "
            f"holds view, edit or admin gets {_what(powers)}")
    else:
        reach = ", ".join(_FEEDS.get(into, (into,))) if domain == _RBAC_GROUP else (
            f"every role that selects {label}")
        add("rbac-aggregation", f"{role.label} joins {reach} (label {label}): their holders "
            f"get {_what(powers)}")


def rbac_findings(items: list[Written], add: Add, *, namespace: str | None = None,
                  observe: Observe | None = None) -> None:
    """Report grants of powerful (or unknown) roles to everyone, and aggregation into roles.

    ``namespace`` is the command's (for Roles and RoleBindings without one); ``observe``
    reads the live roles and bindings the command does not write (None: built-ins only).
    """
    cluster = _Cluster(observe, namespace)
    defined = _roles(items, cluster, add)
    for written in items:
        if written.kind.lower() not in ("clusterrolebinding", "rolebinding") or (
                written.body is None):
            continue
        subjects = get_ci(written.body, "subjects")
        broad = [b for b in (_broad(s) for s in (subjects if isinstance(subjects, list) else ()))
                 if b is not None]
        if not broad:
            continue
        where = cluster.where(written)
        role = get_ci(written.body, "roleRef")
        if role is None:  # a patch of the subjects alone: the live binding's roleRef
            live = cluster.live(written.kind, written.name or "", where)
            builtin = _BUILTIN_BINDINGS.get((written.name or "").strip().lower()) if (
                written.kind.lower() == "clusterrolebinding") else None
            role = get_ci(live, "roleRef") if live is not None else {
                "kind": "ClusterRole", "name": builtin}
        name = get_ci(role, "name")
        kind = str(get_ci(role, "kind", "ClusterRole"))
        powers: list[str] | None = None
        if isinstance(name, str):
            key = _role_key(kind, name)
            powers = defined[key] if key in defined else cluster.powers(kind, name, where)
        if powers is not None and not powers:
            continue
        add("rbac-broad-grant", f"{written.label} binds {name or 'its role'} "
            f"({_describe(powers)}) to {', '.join(broad)}")
