"""Facts about what a write does to the cluster: effects and security controls.

Judged by effect, not by verb: a patch that sets ``spec.replicas`` to 0 scales to zero, a
node patch that adds a ``NoExecute`` taint evicts, whichever verb writes it. RBAC grants are
judged in ``_rbac.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubechat_lab.policy._walk import Budget, get_ci, is_true, path_text, walk
from kubechat_lab.policy._written import Written

__all__ = ["control_findings", "effect_findings"]

Add = Callable[[str, str], None]

_PSA_PREFIX = "pod-security.kubernetes.io/"
_PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
_WEBHOOK_KINDS = frozenset({"validatingwebhookconfiguration", "mutatingwebhookconfiguration"})
_POLICY_KINDS = frozenset({"validatingadmissionpolicy", "mutatingadmissionpolicy"})
_BINDING_KINDS = frozenset({"validatingadmissionpolicybinding",
                            "mutatingadmissionpolicybinding"})


def _is_zero(value: object) -> bool:
    if value is None or isinstance(value, bool):
        return False
    try:
        return float(str(value).strip()) == 0
    except ValueError:
        return False


def _meta(body: object) -> object:
    return get_ci(body, "metadata")


# -- effects -----------------------------------------------------------------------------


def effect_findings(written: Written, budget: Budget, add: Add) -> None:
    """Report scale to zero, NoExecute taints, owner references and external IPs it sets."""
    body = written.body
    if body is None:
        return
    spec = get_ci(body, "spec")
    if written.mode in ("object", "patch"):
        for field in ("replicas", "parallelism"):
            if _is_zero(get_ci(spec, field)):
                add("scale-to-zero", f"{written.label} spec.{field}: 0 (by {written.via})")
    ips = get_ci(spec, "externalIPs")
    if written.kind.lower() in ("service", "") and ips not in (None, []):
        add("service-external-ips", f"{written.label} spec.externalIPs: {ips!s}"[:200])
    for path, node in walk(body, budget, kind=written.kind):
        taints = get_ci(node, "taints")
        for taint in taints if isinstance(taints, list) else ():
            if str(get_ci(taint, "effect", "")).strip().lower() == "noexecute":
                add("noexecute-taint", f"{written.label} {path_text((*path, 'taints'))}: "
                    f"{get_ci(taint, 'key')!s}:NoExecute")
    owners = get_ci(_meta(body), "ownerReferences")
    if owners not in (None, []):
        add("owner-references", f"{written.label}: metadata.ownerReferences = {owners!r}"[:200])


# -- security controls ---------------------------------------------------------------------


def _pod_security(written: Written, add: Add) -> None:
    meta = _meta(written.body)
    labels = get_ci(meta, "labels")
    if written.mode == "patch" and (
        (isinstance(written.body, Mapping) and _has_key(written.body, "metadata") and meta is None)
        or (isinstance(meta, Mapping) and _has_key(meta, "labels") and labels is None)
        or any(_replaces(m) for m in (written.body, meta, labels))
    ):
        add("security-weakening", f"{written.label}: the patch replaces every label, "
            "removing the pod-security enforce label with them")
    enforce = isinstance(labels, Mapping) and any(
        str(key).strip().lower() == _PSA_ENFORCE for key in labels)
    if written.via.startswith("replace") and not enforce:
        add("pod-security-label", f"{written.label}: replacing the namespace drops any "
            "pod-security label the manifest does not list")
    if not isinstance(labels, Mapping):
        return
    for key, value in labels.items():
        name = str(key).strip().lower()
        if not name.startswith(_PSA_PREFIX):
            continue
        add("pod-security-label", f"{written.label}: {key}={value!s}")
        if name == _PSA_ENFORCE and (value is None or str(value).strip().lower() ==
                                     "privileged"):
            what = "removes" if value is None else "sets privileged for"
            add("security-weakening", f"{written.label}: {what} the pod-security enforce "
                "label, so the namespace admits privileged pods")


def _replaces(mapping: object) -> bool:
    """Return True for a strategic-merge directive that drops the keys it does not list.

    That is ``$patch: replace`` (or ``delete``) and ``$retainKeys``.
    """
    if not isinstance(mapping, Mapping):
        return False
    return str(mapping.get("$patch", "")).lower() in ("replace", "delete") or any(
        str(key).startswith("$retainKeys") for key in mapping)


def _has_key(mapping: Mapping[Any, Any], key: str) -> bool:
    return any(str(name).lower() == key for name in mapping)


def _admission(written: Written, budget: Budget, add: Add) -> None:
    kind = written.kind.lower()
    if written.mode == "delete":
        add("security-weakening", f"deleting {written.label} switches an admission control off")
        return
    body = written.body
    for path, node in walk(body, budget, kind=written.kind):
        policy = get_ci(node, "failurePolicy")
        if policy is not None and str(policy).strip().lower() == "ignore":
            add("security-weakening", f"{written.label} {path_text((*path, 'failurePolicy'))}: "
                "Ignore lets requests through when the check fails")
        actions = get_ci(node, "validationActions")
        if isinstance(actions, list) and not any(str(a).strip().lower() == "deny"
                                                 for a in actions):
            add("security-weakening", f"{written.label} validationActions {actions!r} without "
                "Deny only report violations")
        elif actions is not None and not isinstance(actions, list):
            add("security-weakening", f"{written.label} validationActions {actions!r} (not a "
                "list with Deny)")
    field = {"validatingwebhookconfiguration": "webhooks",
             "mutatingwebhookconfiguration": "webhooks",
             "validatingadmissionpolicy": "validations",
             "mutatingadmissionpolicy": "mutations"}.get(kind)
    if field is not None:
        holder = body if field == "webhooks" else get_ci(body, "spec")
        if isinstance(holder, Mapping) and _has_key(holder, field.lower()) and get_ci(
                holder, field) in (None, []):
            add("security-weakening", f"{written.label}: empties {field}, so nothing is checked")
        hooks = get_ci(body, "webhooks") if field == "webhooks" else None
        for hook in hooks if isinstance(hooks, list) else ():
            if isinstance(hook, Mapping) and _has_key(hook, "rules") and get_ci(
                    hook, "rules") in (None, []):
                add("security-weakening", f"{written.label}: webhook "
                    f"{get_ci(hook, 'name')!s} has no rules left, so it checks nothing")


def control_findings(written: Written, budget: Budget, add: Add) -> None:
    """Report Pod Security labels, admission controls, TLS checks and minted tokens."""
    kind = written.kind.lower()
    if kind == "secret" and str(get_ci(written.body, "type", "")).strip().lower() == (
            "kubernetes.io/service-account-token"):
        account = get_ci(get_ci(_meta(written.body), "annotations"),
                         "kubernetes.io/service-account.name")
        add("token-mint", f"{written.label}: a service-account token secret for "
            f"{account or 'a service account'}")
    if kind == "namespace" and written.body is not None:
        _pod_security(written, add)
    if kind in _WEBHOOK_KINDS or kind in _POLICY_KINDS or kind in _BINDING_KINDS:
        _admission(written, budget, add)
    if written.body is None:
        return
    for path, node in walk(written.body, budget, kind=written.kind):
        if is_true(get_ci(node, "insecureSkipTLSVerify")):
            add("security-weakening", f"{written.label} "
                f"{path_text((*path, 'insecureSkipTLSVerify'))}: true turns TLS verification off")
