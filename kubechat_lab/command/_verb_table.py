"""The verb table: every accepted (verb, subverb), its flags, outputs and handler."""

from __future__ import annotations

from collections.abc import Sequence

from kubechat_lab.command._flag_table import flag_table
from kubechat_lab.command._objects import handle_no_positionals
from kubechat_lab.command._read_verb_args import (
    handle_can_i,
    handle_explain,
    handle_get,
    handle_logs,
    handle_top,
    handle_wait,
)
from kubechat_lab.command._specs import Handler, VerbSpec
from kubechat_lab.command._write_verb_args import (
    handle_autoscale,
    handle_create,
    handle_delete,
    handle_label,
    handle_manifest_only,
    handle_nodes,
    handle_patch,
    handle_rollout,
    handle_scale,
    handle_set,
    handle_taint,
    handle_view_last_applied,
)

__all__ = ["SUBVERBS", "VERB_SPECS"]

_GET = frozenset({"wide", "yaml", "json", "name", "jsonpath", "jsonpath-as-json",
                  "custom-columns"})
_PRINT = frozenset({"yaml", "json", "name", "jsonpath", "jsonpath-as-json"})
_NONE: frozenset[str] = frozenset()
_WRITE = ("dry-run", "output", "record", "field-manager")
_TARGETS = ("selector", "all")


def _spec(verb: str, subverb: str | None, flags: Sequence[str], outputs: frozenset[str],
          handler: Handler, *, command_args: bool = False) -> VerbSpec:
    names = tuple(dict.fromkeys(f for f in flags if f != "namespace"))
    if outputs and "output" not in names:
        names += ("output",)
    if not outputs:
        names = tuple(n for n in names if n != "output")
    longs, shorts = flag_table(verb, names)
    return VerbSpec(verb, subverb, names, outputs, handler, command_args, longs, shorts)


_CREATE_FLAGS: dict[str, tuple[str, ...]] = {
    "deployment": ("image", "replicas", "port"),
    "namespace": (),
    "configmap": ("from-literal", "append-hash"),
    "secret generic": ("from-literal", "type", "append-hash"),
    "job": ("image", "from"),
    "cronjob": ("image", "schedule", "restart"),
    "service clusterip": ("tcp", "clusterip"),
    "service nodeport": ("tcp", "node-port"),
    "service loadbalancer": ("tcp",),
    "service externalname": ("tcp", "external-name"),
    "serviceaccount": (),
    "role": ("verb", "resource", "resource-name"),
    "clusterrole": ("verb", "resource", "resource-name", "non-resource-url", "aggregation-rule"),
    "rolebinding": ("role", "clusterrole", "group", "serviceaccount"),
    "clusterrolebinding": ("clusterrole", "group", "serviceaccount"),
    "quota": ("hard", "scopes"),
    "priorityclass": ("value", "description", "global-default", "preemption-policy"),
    "poddisruptionbudget": ("selector", "min-available", "max-unavailable"),
    "ingress": ("class", "rule", "default-backend", "annotation"),
}

_SPECS: list[VerbSpec] = [
    _spec("get", None, ("all-namespaces", "selector", "field-selector", "sort-by",
                        "show-labels", "show-kind", "no-headers", "label-columns", "chunk-size",
                        "subresource", "ignore-not-found", "show-managed-fields"), _GET,
          handle_get),
    _spec("describe", None, ("all-namespaces", "selector", "field-selector", "show-events",
                             "chunk-size"), _NONE, handle_get),
    _spec("logs", None, ("selector", "container", "all-containers", "previous", "tail", "since",
                         "since-time", "timestamps", "limit-bytes", "prefix", "ignore-errors",
                         "max-log-requests", "pod-running-timeout", "all-pods"), _NONE,
          handle_logs),
    _spec("top", "pods", ("all-namespaces", "selector", "field-selector", "sort-by",
                          "containers", "no-headers", "sum", "use-protocol-buffers"), _NONE,
          handle_top),
    _spec("top", "nodes", ("selector", "sort-by", "no-headers", "show-capacity",
                           "use-protocol-buffers"), _NONE, handle_top),
    _spec("events", None, ("all-namespaces", "for", "types", "no-headers", "chunk-size"),
          _PRINT, handle_no_positionals),
    _spec("explain", None, ("recursive", "api-version", "max-depth"),
          frozenset({"plaintext", "plaintext-openapiv2"}), handle_explain),
    _spec("api-resources", None, ("sort-by", "namespaced", "api-group", "verbs", "categories",
                                  "cached", "no-headers"), frozenset({"wide", "name"}),
          handle_no_positionals),
    _spec("api-versions", None, (), _NONE, handle_no_positionals),
    _spec("version", None, ("client",), frozenset({"json", "yaml"}), handle_no_positionals),
    _spec("cluster-info", None, (), _NONE, handle_no_positionals),
    _spec("auth", "can-i", ("all-namespaces", "subresource", "list", "no-headers", "quiet"),
          _NONE, handle_can_i),
    _spec("auth", "whoami", (), frozenset({"json", "yaml"}), handle_no_positionals),
    _spec("rollout", "status", ("selector", "revision", "timeout"), _NONE, handle_rollout),
    _spec("rollout", "history", ("selector", "revision"), _PRINT, handle_rollout),
    _spec("rollout", "restart", (*_TARGETS, *_WRITE), _PRINT, handle_rollout),
    _spec("rollout", "undo", ("selector", "to-revision", *_WRITE), _PRINT, handle_rollout),
    _spec("rollout", "pause", ("selector", *_WRITE), _PRINT, handle_rollout),
    _spec("rollout", "resume", ("selector", *_WRITE), _PRINT, handle_rollout),
    _spec("scale", None, ("replicas", "current-replicas", "resource-version", "timeout",
                          *_TARGETS, *_WRITE), _PRINT, handle_scale),
    _spec("autoscale", None, ("min", "max", "cpu-percent", "cpu", "memory", "name", *_WRITE),
          _PRINT, handle_autoscale),
    _spec("cordon", None, ("selector", "dry-run"), _NONE, handle_nodes),
    _spec("uncordon", None, ("selector", "dry-run"), _NONE, handle_nodes),
    _spec("drain", None, ("selector", "pod-selector", "ignore-daemonsets", "delete-emptydir-data",
                          "force", "grace-period", "timeout", "disable-eviction",
                          "skip-wait-for-delete-timeout", "chunk-size", "dry-run"), _NONE,
          handle_nodes),
    _spec("taint", None, (*_TARGETS, "overwrite", *_WRITE), _PRINT, handle_taint),
    _spec("label", None, (*_TARGETS, "all-namespaces", "field-selector", "overwrite",
                          "resource-version", "list", *_WRITE), _PRINT, handle_label),
    _spec("annotate", None, (*_TARGETS, "all-namespaces", "field-selector", "overwrite",
                             "resource-version", "list", *_WRITE), _PRINT, handle_label),
    _spec("set", "image", (*_TARGETS, *_WRITE), _PRINT, handle_set),
    _spec("set", "env", (*_TARGETS, "containers", "env", "from", "keys", "list", "overwrite",
                         *_WRITE), _PRINT, handle_set),
    _spec("set", "resources", (*_TARGETS, "containers", "limits", "requests", *_WRITE), _PRINT,
          handle_set),
    _spec("set", "serviceaccount", (*_TARGETS, *_WRITE), _PRINT, handle_set),
    _spec("patch", None, ("patch", "type", "subresource", *_WRITE), _PRINT, handle_patch),
    _spec("apply", None, ("filename", "server-side", "force-conflicts", "force", "grace-period",
                          "timeout", "wait", "overwrite", "validate", *_WRITE), _PRINT,
          handle_manifest_only),
    _spec("apply", "view-last-applied", (*_TARGETS,), frozenset({"json", "yaml"}),
          handle_view_last_applied),
    _spec("create", None, ("filename", "save-config", "validate", *_WRITE), _PRINT, handle_create),
    *(
        _spec("create", sub, (*flags, "save-config", "validate", *_WRITE), _PRINT, handle_create,
              command_args=sub in ("deployment", "job", "cronjob"))
        for sub, flags in _CREATE_FLAGS.items()
    ),
    _spec("replace", None, ("filename", "force", "grace-period", "cascade", "timeout", "wait",
                            "save-config", "validate", "subresource", *_WRITE), _PRINT,
          handle_manifest_only),
    _spec("delete", None, ("filename", *_TARGETS, "all-namespaces", "field-selector", "now",
                           "force", "grace-period", "cascade", "wait", "timeout",
                           "ignore-not-found", "dry-run", "output"), frozenset({"name"}),
          handle_delete),
    _spec("wait", None, (*_TARGETS, "all-namespaces", "field-selector", "for", "timeout"),
          _PRINT, handle_wait),
]

#: Grammar by (verb, subverb); subverb None for verbs without one.
VERB_SPECS: dict[tuple[str, str | None], VerbSpec] = {(s.verb, s.subverb): s for s in _SPECS}

#: Accepted spellings of each verb's subverbs -> canonical subverb (None: optional).
SUBVERBS: dict[str, dict[str, str]] = {
    "top": {"pod": "pods", "pods": "pods", "po": "pods", "node": "nodes", "nodes": "nodes",
            "no": "nodes"},
    "auth": {"can-i": "can-i", "whoami": "whoami"},
    "rollout": {s: s for s in ("status", "history", "restart", "undo", "pause", "resume")},
    "set": {"image": "image", "env": "env", "resources": "resources",
            "serviceaccount": "serviceaccount", "sa": "serviceaccount"},
    "apply": {"view-last-applied": "view-last-applied"},
    "create": {
        **{s: s for s in _CREATE_FLAGS if " " not in s},
        "deploy": "deployment", "ns": "namespace", "cm": "configmap", "sa": "serviceaccount",
        "cj": "cronjob", "pdb": "poddisruptionbudget", "pc": "priorityclass",
        "resourcequota": "quota", "ing": "ingress",
        "secret": "secret", "service": "service", "svc": "service",
    },
}
