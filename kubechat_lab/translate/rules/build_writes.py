"""Builders for writes, permission checks and refused intents: a Draft becomes kubectl arguments."""

from __future__ import annotations

import json
import re

from kubechat_lab.command import ResourceTable
from kubechat_lab.translate.rules.build_reads import (
    Builder,
    CantTranslateError,
    one_resource,
    phase_fields,
    scope,
    selector,
)
from kubechat_lab.translate.rules.draft import Draft
from kubechat_lab.translate.rules.lexicon import number
from kubechat_lab.translate.rules.scan import Scan

__all__ = ["WRITE_BUILDERS"]

def _names(draft: Draft, what: str, hint: str) -> list[str]:
    if not draft.names:
        raise CantTranslateError(f"no {what} named", hint)
    return draft.names


def _typed(resource: str, names: list[str]) -> list[str]:
    return [f"{resource}/{name}" for name in names]


def _rollout(sub: str) -> Builder:
    def build(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
        resource = one_resource(draft, "deployments", "", "")
        if resource == "pods" and "workload" in draft.extra and not draft.names:
            # "checkout needs fresh pods": its pods come back fresh by restarting it
            kind, _, name = draft.extra["workload"].partition("/")
            draft.selectors.clear()
            return ["rollout", sub, draft.extra["workload"], *scope(draft, table, kind)]
        if resource == "pods" and sub == "restart":
            draft.assumptions.append("a pod cannot be restarted in place: deleting it lets its "
                                     "controller create a new one")
            names = _names(draft, "pod", "'restart pod web-1 in shop'")
            return ["delete", "pods", *names, *scope(draft, table, "pods")]
        if resource == "cronjobs" and sub in ("pause", "resume") and draft.names:
            # a CronJob is paused by suspending its schedule
            suspend = "true" if sub == "pause" else "false"
            return ["patch", "cronjob", draft.names[0], *scope(draft, table, resource),
                    "-p", f'{{"spec":{{"suspend":{suspend}}}}}']
        if resource not in ("deployments", "statefulsets", "daemonsets"):
            raise CantTranslateError(f"{resource} have no rollouts",
                                     "'restart deployment checkout in shop'")
        if draft.names:
            argv = ["rollout", sub, *_typed(resource, draft.names)]
        elif sub == "restart" and (draft.resources and (draft.want_all or draft.namespace)):
            argv = ["rollout", sub, resource]
        else:
            raise CantTranslateError(f"no {resource} named",
                                     f"'rollout {sub} of deployment checkout in shop'")
        argv += scope(draft, table, resource)
        if "revision" in draft.extra:
            flag = "--to-revision" if sub == "undo" else "--revision"
            argv.append(f"{flag}={draft.extra['revision']}")
        return argv

    return build


def _build_scale(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    if "stop" in draft.extra and draft.resources == ["nodes"]:
        # "park kwok-worker-1 so nothing new lands on it": a node parks by being cordoned
        return WRITE_BUILDERS["cordon"](draft, scan, table)
    if "stop" in draft.extra and draft.resources == ["cronjobs"]:
        # "park the nightly report cron": a CronJob stops by being suspended
        return WRITE_BUILDERS["rollout-pause"](draft, scan, table)
    if "stop" in draft.extra and not set(draft.resources) & {"deployments", "statefulsets",
                                                              "replicasets"}:
        raise CantTranslateError("only workloads can be stopped by scaling",
                                 "'scale deployment checkout in shop to 0'")
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'scale deployment checkout in shop to 3'")
    if "relative" in draft.extra and "replicas" not in draft.extra:
        raise CantTranslateError("a relative change needs the current count",
                                 "'scale deployment checkout to 5' (an absolute count)")
    count = number(draft.extra.get("replicas", "").lower())
    if count is None:
        raise CantTranslateError("no replica count given", "'scale deployment checkout to 3'")
    argv = ["scale", *_typed(resource, names), *scope(draft, table, resource)]
    return argv + [f"--replicas={count}"]


def _node_verb(verb: str) -> Builder:
    def build(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
        names = _names(draft, "node", f"'{verb} node worker-2'")
        argv = [verb, *names]
        if verb == "drain":
            argv.append("--ignore-daemonsets")
            draft.assumptions.append("--ignore-daemonsets: DaemonSet pods cannot be evicted")
            if scan.has(r"\bempty ?dir\b|\blocal (?:data|storage)\b"):
                argv.append("--delete-emptydir-data")
            if scan.has(r"\bforce\b|\bforcefully\b"):
                argv.append("--force")
        return argv

    return build


def _build_taint(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    names = _names(draft, "node", "'taint node worker-2 dedicated=gpu:NoSchedule'")
    if draft.intent == "untaint":
        key = draft.extra.get("key") or next((kv.split("=")[0] for kv in draft.kvs), "")
        if not key:
            raise CantTranslateError("no taint key", "'remove taint dedicated from node worker-2'")
        return ["taint", "nodes", *names, f"{key}-"]
    spec = draft.extra.get("taint")
    if spec is None:
        if not draft.kvs:
            raise CantTranslateError("no taint given", "'taint node worker-2 with "
                                     "dedicated=gpu:NoSchedule'")
        effect = draft.extra.get("effect") or "NoSchedule"
        if "effect" not in draft.extra:
            draft.assumptions.append("taint effect NoSchedule")
        spec = f"{draft.kvs[0]}:{effect}"
    return ["taint", "nodes", *names, spec]


def _build_label(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    verb = "annotate" if draft.intent in ("annotate", "unannotate") else "label"
    resource = one_resource(draft, "pods" if draft.names else None, "no resource named",
                            f"'{verb} deployment checkout in shop with team=web'")
    if draft.intent in ("unlabel", "unannotate"):
        key = draft.extra.get("key")
        if not key:
            raise CantTranslateError("no key named", f"'remove {verb} team from pod web-1'")
        pairs = [f"{key}-"]
    else:
        pairs = list(draft.kvs)
        if not pairs:
            raise CantTranslateError("no key=value given", f"'{verb} pod web-1 with team=web'")
    if draft.names:
        targets = draft.names
    elif draft.want_all:
        targets = ["--all"]
    else:
        raise CantTranslateError(f"no {resource} named", f"'{verb} pod web-1 with team=web'")
    argv = [verb, resource, *targets, *scope(draft, table, resource), *pairs]
    if scan.has(r"\b(?:overwrite|overwriting|replace|replacing)\b"):
        argv.append("--overwrite")
    return argv


def _build_set_image(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'set image of deployment web to nginx:1.27'")
    image = draft.extra.get("image")
    if not image:
        raise CantTranslateError("no image given", "'update deployment web to image nginx:1.27'")
    container = draft.container
    if container is None:
        container = names[0]
        draft.assumptions.append(f"the container is named like the {resource[:-1]}: {container}")
    return ["set", "image", *_typed(resource, names), *scope(draft, table, resource),
            f"{container}={image}"]


def _build_set_env(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'set env LOG_LEVEL=debug on deployment web'")
    changes = draft.extra.get("env", "").split()
    source = draft.extra.get("env-from")
    if not changes and not source:
        raise CantTranslateError("no variable or source given",
                                 "'set env LOG_LEVEL=debug on deployment web' or 'load secret "
                                 "api-keys into web as env vars'")
    return ["set", "env", *_typed(resource, names), *scope(draft, table, resource), *changes,
            *([f"--from={source}"] if source else [])]


def _build_autoscale(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'autoscale deployment web between 2 and 6 pods at 70% cpu'")
    if "max" not in draft.extra:
        raise CantTranslateError("no maximum given",
                                 "'autoscale deployment web between 2 and 6 pods at 70% cpu'")
    return ["autoscale", *_typed(resource, names[:1]), *scope(draft, table, resource),
            f"--min={draft.extra['min']}", f"--max={draft.extra['max']}",
            *([f"--cpu-percent={draft.extra['cpu-percent']}"]
              if "cpu-percent" in draft.extra else [])]


def _build_set_resources(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'set the cpu limit of deployment web to 500m'")
    flags = [f"--{key}={draft.extra[key]}" for key in ("limits", "requests") if key in draft.extra]
    if not flags:
        raise CantTranslateError("no quantity given",
                                 "'limits of 2 cores and 1Gi memory on deployment web'")
    return ["set", "resources", *_typed(resource, names), *scope(draft, table, resource), *flags]


def _build_env_list(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    """``set env --list``: the read form of the env verb ("what env vars does web have")."""
    resource = one_resource(draft, "deployments", "", "")
    names = _names(draft, resource, "'env vars of deployment web'")
    return ["set", "env", *_typed(resource, names), *scope(draft, table, resource), "--list"]


def _build_delete(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "pods" if draft.names else None, "no resource named",
                            "'delete pod web-1 in shop' or 'delete failed pods in shop'")
    # a named object's state ("the finished seed job") describes it; it selects nothing
    fields = [] if draft.names else phase_fields(draft, resource)
    argv = ["delete", resource, *draft.names, *scope(draft, table, resource), *selector(draft)]
    if fields:
        argv.append(f"--field-selector={','.join(fields)}")
    if not draft.names and not fields and not draft.kvs and not draft.selectors:
        if not draft.want_all:
            raise CantTranslateError(f"no {resource} named",
                                     f"'delete {resource[:-1]} NAME' or 'delete all {resource} "
                                     "in NAMESPACE'")
        argv.append("--all")
    if scan.has(r"\b(?:force|forcefully|immediately)\b"):
        argv += ["--grace-period=0", "--force"]
    return argv


def _build_create(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, None, "nothing to create named",
                            "'create namespace scratch' or 'create deployment web with image "
                            "nginx:1.27'")
    if resource == "cronjobs" and draft.names:
        # a one-off run of a CronJob: a Job made from its template
        cron = draft.names[0]
        job = draft.extra.get("job-name") or f"{cron}-manual"
        if "job-name" not in draft.extra:
            draft.assumptions.append(f"the new Job is called {job!r}")
        return ["create", "job", job, *scope(draft, table, resource), f"--from=cronjob/{cron}"]
    names = _names(draft, resource, f"'create {resource[:-1]} NAME'")
    name = names[0]
    image = draft.extra.get("image")
    if resource == "namespaces":
        return ["create", "namespace", name]
    if resource == "serviceaccounts":
        return ["create", "serviceaccount", name, *scope(draft, table, resource)]
    if resource in ("configmaps", "secrets"):
        head = ["create", "configmap"] if resource == "configmaps" else ["create", "secret",
                                                                          "generic"]
        literals = [f"--from-literal={kv}" for kv in draft.kvs]
        return [*head, name, *scope(draft, table, resource), *literals]
    if resource == "jobs" and "from" in draft.extra:
        return ["create", "job", name, *scope(draft, table, resource),
                f"--from=cronjob/{draft.extra['from']}"]
    if resource in ("deployments", "jobs") and image:
        argv = ["create", resource[:-1], name, *scope(draft, table, resource), f"--image={image}"]
        if resource == "deployments" and draft.extra.get("replicas"):
            argv.append(f"--replicas={number(draft.extra['replicas'].lower())}")
        return argv
    raise CantTranslateError(f"cannot create {resource} from a sentence",
                             "'create namespace NAME', 'create deployment NAME with image IMAGE' "
                             "or 'create configmap NAME with key=value'")


def _build_set_key(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    """``patch configmap NAME -p '{"data":{KEY:VALUE}}'``: one key of a ConfigMap changed."""
    resource = one_resource(draft, "configmaps", "", "")
    if resource != "configmaps" or "key" not in draft.extra:
        raise CantTranslateError("only a ConfigMap's keys are set this way",
                                 "'set TIMEOUT_MS to 3000 in configmap checkout-config'")
    name = _names(draft, "configmap", "'set TIMEOUT_MS to 3000 in configmap checkout-config'")[0]
    patch = json.dumps({"data": {draft.extra["key"]: draft.extra["value"]}},
                       separators=(",", ":"))
    return ["patch", "configmap", name, *scope(draft, table, resource), "-p", patch]


def _build_auth(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    if scan.has(r"\bwhat (?:can|am) i (?:do|allowed)\b|\bmy permissions\b|\ball (?:my )?"
                r"permissions\b"):
        return ["auth", "can-i", "--list", *scope(draft, table, None)]
    verb = draft.extra.get("verb")
    resource = draft.resources[0] if draft.resources else None
    if draft.extra.get("verb-word") == "exec" and resource in (None, "pods"):
        resource = "pods/exec"
    if verb is None or resource is None:
        raise CantTranslateError("no action or resource to check",
                                 "'can I delete pods in namespace shop?'")
    return ["auth", "can-i", verb, resource, *draft.names[:1], *scope(draft, table, resource)]


def _forbidden(verb: str) -> Builder:
    def build(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
        if verb == "exec" and ("nodes" in draft.resources or (
            scan.has(r"\bssh\b") and "pods" not in draft.resources
        )):
            raise CantTranslateError("kubectl cannot open a shell on a machine",
                                     "'describe node NAME' or 'top nodes' to look at a node")
        ns = ["-n", draft.namespace] if draft.namespace else []
        pod = draft.names[0] if draft.names else "POD"
        container = ["-c", draft.container] if draft.container else []
        if verb == "exec":
            cmd = draft.extra.get("cmd")
            if cmd:
                return ["exec", pod, *ns, *container, "--", *cmd.split()]
            shell = "bash" if scan.has(r"\bbash\b") else "sh"
            return ["exec", "-it", pod, *ns, *container, "--", shell]
        if verb == "port-forward":
            resource = draft.resources[0] if draft.resources else "pods"
            target = pod if resource == "pods" else f"{resource}/{pod}"
            return ["port-forward", target, *ns, draft.extra.get("ports", "8080:80")]
        if verb == "attach":
            return ["attach", "-it", pod, *ns, *container]
        if verb == "edit":
            resource = draft.resources[0] if draft.resources else "pods"
            return ["edit", resource, *draft.names, *ns]
        if verb == "debug":
            return ["debug", "-it", pod, *ns, "--image=busybox"]
        if verb == "cp":
            path = re.search(r"(?<![\w.])(/[\w.\-/]+)", scan.question)
            return ["cp", f"{pod}:{path.group(1) if path else '/tmp'}", ".", *ns, *container]
        return ["proxy"]

    return build


WRITE_BUILDERS: dict[str, Builder] = {
    "rollout-restart": _rollout("restart"),
    "rollout-undo": _rollout("undo"),
    "rollout-history": _rollout("history"),
    "rollout-status": _rollout("status"),
    "rollout-pause": _rollout("pause"),
    "rollout-resume": _rollout("resume"),
    "scale": _build_scale,
    "cordon": _node_verb("cordon"),
    "uncordon": _node_verb("uncordon"),
    "drain": _node_verb("drain"),
    "taint": _build_taint,
    "untaint": _build_taint,
    "label": _build_label,
    "unlabel": _build_label,
    "annotate": _build_label,
    "unannotate": _build_label,
    "set-image": _build_set_image,
    "set-env": _build_set_env,
    "set-resources": _build_set_resources,
    "autoscale": _build_autoscale,
    "env": _build_env_list,
    "delete": _build_delete,
    "create": _build_create,
    "create-job": _build_create,
    "set-key": _build_set_key,
    "auth": _build_auth,
    **{verb: _forbidden(verb) for verb in
       ("exec", "port-forward", "cp", "attach", "edit", "proxy", "debug")},
}
