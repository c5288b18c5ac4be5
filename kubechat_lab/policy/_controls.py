"""Facts about what a write does to the cluster: effects and security controls.

Judged by effect, not by verb: a patch that sets ``spec.replicas`` to 0 scales to zero, a
node patch that adds a ``NoExecute`` taint evicts, whichever verb writes it. RBAC grants are
judged in ``_rbac.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kubechat_lab.policy._after import map_after, sets_whole
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
    """Judge the namespace's Pod Security labels as they are after the write.

    The enforce label decides which pods the namespace admits: set to ``privileged``, or gone
    after the write (removed by name, or dropped with the labels a whole-value write does not
    list), the namespace admits privileged pods. Presence is read by the exact key, as Pod
    Security admission reads it; a value or a removal is matched case-insensitively.
    """
    after = map_after(written, ("metadata", "labels"))
    if after is None:
        return
    for key, value in after.values.items():
        name = key.strip().lower()
        if not name.startswith(_PSA_PREFIX):
            continue
        add("pod-security-label", f"{written.label}: {key}={value!s}")
        if name == _PSA_ENFORCE and str(value).strip().lower() == "privileged":
            add("security-weakening", f"{written.label}: sets privileged for the pod-security "
                "enforce label, so the namespace admits privileged pods")
    for key in after.removed:
        name = key.strip().lower()
        if name.startswith(_PSA_PREFIX):
            add("pod-security-label", f"{written.label}: removes {key}")
            if name == _PSA_ENFORCE:
                add("security-weakening", f"{written.label}: removes the pod-security enforce "
                    "label, so the namespace admits privileged pods")
    if after.rest != "dropped":
        return
    add("pod-security-label", f"{written.label}: {after.how} drops every pod-security label "
        "it does not list")
    if _PSA_ENFORCE not in after.values:
        add("security-weakening", f"{written.label}: {after.how} drops the labels it does not "
            "list, the pod-security enforce label among them, so the namespace admits "
            f"privileged pods (list {_PSA_ENFORCE} with its level, or use create for a new "
            "namespace)")


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
        elif field == "webhooks" and isinstance(holder, Mapping) and not _has_key(
                holder, "webhooks") and (how := sets_whole(written, ("webhooks",))) is not None:
            add("security-weakening", f"{written.label}: {how} lists no webhooks, so nothing "
                "is checked")
        hooks = get_ci(body, "webhooks") if field == "webhooks" else None
        for index, hook in enumerate(hooks if isinstance(hooks, list) else ()):
            if hook is None or (isinstance(hook, Mapping) and str(
                    get_ci(hook, "$patch", "")).strip().lower() == "delete"):
                name = get_ci(hook, "name")
                which = f"webhook {name!s}" if name else "a webhook"
                add("security-weakening", f"{written.label}: removes {which}, so what it "
                    "checked goes unchecked")
                continue
            if not isinstance(hook, Mapping) or _has_key(hook, "$patch"):
                continue  # a strategic-merge directive, not a webhook
            if _has_key(hook, "rules") and get_ci(hook, "rules") in (None, []):
                add("security-weakening", f"{written.label}: webhook "
                    f"{get_ci(hook, 'name')!s} has no rules left, so it checks nothing")
            elif not _has_key(hook, "rules") and (
                    how := sets_whole(written, ("webhooks", str(index)))) is not None:
                add("security-weakening", f"{written.label}: {how} leaves webhook "
                    f"{get_ci(hook, 'name')!s} without rules, so it checks nothing")


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
