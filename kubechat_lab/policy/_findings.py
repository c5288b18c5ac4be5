"""Findings: the named facts, derived in code, that policy rules match with ``findings:``.

Each finding is a name (``pod-privileged``) with details (which object, which field). The
code decides *what a command does*; the rules in the policy YAML decide *how much that
matters* (their level), so an operator changes a level by overriding a rule id without
touching code. :data:`FINDINGS` lists every name; ``docs/policy.md`` documents them.
"""

from __future__ import annotations

from kubechat_lab.command import Command, ResourceTable
from kubechat_lab.policy._controls import control_findings, effect_findings
from kubechat_lab.policy._images import image_source_findings
from kubechat_lab.policy._model import Observe
from kubechat_lab.policy._pods import pod_findings
from kubechat_lab.policy._rbac import rbac_findings
from kubechat_lab.policy._secrets import holds_secrets, secret_probes
from kubechat_lab.policy._traffic import node_command_findings, traffic_findings
from kubechat_lab.policy._walk import Budget, TooComplexError
from kubechat_lab.policy._written import writes_of

__all__ = ["FINDINGS", "findings_of"]

#: Every finding the code derives, and what it means.
FINDINGS: dict[str, str] = {
    "pod-privileged": "a container runs privileged (securityContext.privileged or a Windows "
                      "host process)",
    "pod-host-namespaces": "a pod shares the node's PID, network or IPC namespace",
    "pod-host-path": "a volume reaches the node: a hostPath or local path, or a flexVolume or "
                     "gitRepo volume the kubelet runs code for",
    "pod-capabilities": "a container adds Linux capabilities",
    "pod-unconfined": "seccomp, AppArmor or SELinux confinement is lifted, or /proc unmasked",
    "pod-host-port": "a container binds a port on the node (hostPort)",
    "pod-node-placement": "a pod is pinned to a node (nodeName) or tolerates every taint or the "
                          "control plane's, so it may run where workloads are kept out",
    "pod-secret": "a pod mounts a secret, takes env from one, or mounts a service-account token",
    "pod-service-account": "a pod runs as another service account",
    "pod-command": "a container's command or arguments are set (code of the caller's choosing)",
    "pod-image-registry": "an image comes from outside the policy's allowed_registries",
    "image-source-change": "an image comes from another registry (or owner) than every image "
                           "the live workload runs",
    "scale-to-zero": "replicas (or a job's parallelism) set to 0 stop every pod",
    "noexecute-taint": "a NoExecute taint evicts the pods running on a node",
    "owner-references": "owner references make the garbage collector delete the object with "
                        "(or for lack of) its owner",
    "service-external-ips": "a Service claims external IPs, taking traffic for those addresses "
                            "from every pod of the cluster",
    "status-write": "a write to the status subresource forges what controllers report",
    "patch-opaque": "a JSON patch moves or copies live values, which cannot be judged before "
                    "it runs",
    "unreadable": "part of what the command writes cannot be read, or is too large to judge",
    "pod-security-label": "a Pod Security admission label of a namespace is written",
    "security-weakening": "an admission control or TLS check is switched off or loosened",
    "token-mint": "a Secret of type kubernetes.io/service-account-token has the control plane "
                  "mint a long-lived token for a service account",
    "rbac-broad-grant": "a role that reads secrets, mints tokens, execs, runs pods or "
                        "escalates (or of unknown power) is granted to every user, every "
                        "anonymous caller or every service account, directly, through a role "
                        "everyone holds, or by aggregation into view",
    "rbac-aggregation": "a ClusterRole with such powers (or of unknown power) is aggregated "
                        "into edit, admin or another aggregating role",
    "endpoints-apiserver": "an Endpoints or EndpointSlice claims the `kubernetes` Service of "
                           "`default`: the API server every pod talks to",
    "endpoints-claim": "an EndpointSlice claims a Service its name does not belong to, or "
                       "poses as the controller that keeps a Service's endpoints",
    "control-plane-untaint": "the control-plane taint of a node is removed, so workloads may "
                             "run beside the cluster's keys",
    "pod-binding": "a Binding places a pod on a node of the writer's choosing, bypassing the "
                   "scheduler",
    "deletes": "objects are deleted: by delete (names, a selector, --all or a manifest), or "
               "by replace --force, which deletes each object before creating it again",
    "protected-namespace-delete": "a protected namespace is deleted (by any write that "
                                  "deletes)",
    "secret-probe": "a read or test whose only use on secrets is to probe their values",
}


def findings_of(
    command: Command,
    table: ResourceTable,
    protected: frozenset[str],
    registries: tuple[str, ...],
    *,
    observe: Observe | None = None,
) -> dict[str, tuple[str, ...]]:
    """Return ``{finding: details}`` for ``command`` (empty for most reads).

    ``observe`` reads live objects (images are compared with what runs now); None skips that.
    """
    found: dict[str, list[str]] = {}

    def add(name: str, detail: str) -> None:
        details = found.setdefault(name, [])
        if detail not in details:
            details.append(detail)

    writes = writes_of(command, table)
    secret_probes(command, add, writes.tests if holds_secrets(command) else [])
    budget = Budget()
    try:
        for written in writes.items:
            pod_findings(written, registries, budget, add)
            effect_findings(written, budget, add)
            control_findings(written, budget, add)
            traffic_findings(written, command.namespace, observe, add)
            if written.mode == "delete":
                add("deletes", f"{written.label} (by {written.via})")
                if written.kind.lower() == "namespace" and written.name in protected:
                    add("protected-namespace-delete", f"namespace {written.name}")
        rbac_findings(writes.items, add, namespace=command.namespace, observe=observe)
        image_source_findings(writes.items, command.namespace, table, observe, add)
    except TooComplexError as exc:
        add("unreadable", f"what the command writes is too large to judge ({exc})")
    node_command_findings(command, add)
    for operation in writes.opaque:
        add("patch-opaque", operation)
    for problem in writes.unreadable:
        add("unreadable", problem)
    if command.is_write and command.flag("subresource") == "status":
        add("status-write", f"{command.verb} --subresource=status")
    return {name: tuple(details) for name, details in found.items()}
