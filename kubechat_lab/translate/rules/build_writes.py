"""Builders for writes and refused intents, and the intent-specific phrases they need first."""

from __future__ import annotations

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

__all__ = ["WRITE_BUILDERS", "pre_extract"]

_COUNT = (
    r"(\d+|zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty)"
)
_IMAGE = r"([a-z0-9][a-z0-9._\-/]*(?::[a-z0-9._\-]+)?(?:@sha256:[a-f0-9]+)?)"
_KEY = r"([a-z0-9][a-z0-9./_\-]*)"
_EFFECTS = {
    "noschedule": "NoSchedule",
    "no schedule": "NoSchedule",
    "prefernoschedule": "PreferNoSchedule",
    "prefer no schedule": "PreferNoSchedule",
    "noexecute": "NoExecute",
    "no execute": "NoExecute",
}
_AUTH_VERBS = {
    "delete": "delete", "remove": "delete", "create": "create", "make": "create",
    "update": "update", "edit": "update", "change": "update", "modify": "update",
    "patch": "patch", "list": "list", "watch": "watch", "get": "get", "see": "get",
    "read": "get", "view": "get", "scale": "update", "restart": "patch", "deploy": "create",
    "exec": "create", "drain": "update", "shell": "create", "cordon": "patch", "label": "patch",
    "annotate": "patch", "kill": "delete", "nuke": "delete", "wipe": "delete",
    "destroy": "delete", "terminate": "delete", "purge": "delete", "evict": "delete",
    "uncordon": "patch", "taint": "patch", "bounce": "patch", "redeploy": "patch",
    "recycle": "patch", "roll": "patch", "rollback": "patch", "undo": "patch", "pause": "patch",
    "resume": "patch", "set": "patch", "upgrade": "patch", "add": "create", "apply": "create",
}


def _take_first(scan: Scan, draft: Draft, key: str, patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        match = scan.search(pattern)
        if match:
            for index, group in enumerate(match.groups(), 1):
                if group is not None:
                    draft.extra[key] = scan.original(match, index)
                    break
            scan.take(match)
            return True
    return False


def pre_extract(scan: Scan, draft: Draft) -> None:
    """Take the phrases an intent needs before names are looked for (counts, images, keys)."""
    intent = draft.intent
    if intent == "scale":
        if scan.search(r"\b(?:by|add|another|more|extra) \d+\b|\b\d+ more\b"):
            draft.extra["relative"] = "1"
        _take_first(scan, draft, "replicas", (
            r"(?:^| )--replicas[= ](\d+)\b",
            r"\b(?:to|=|at) " + _COUNT + r"(?: replicas?| pods| instances| copies)?\b",
            r"\b" + _COUNT + r" (?:replicas?|instances|copies|pods)\b",
            r"\breplicas?[= ](\d+)\b",
        ))
        if "replicas" not in draft.extra and scan.has(r"\b(?:to|down to) (?:nothing|none)\b|"
                                                      r"\bshut ?down\b|\bturn off\b|\bstop\b"):
            draft.extra["replicas"] = "0"
            draft.extra["stop"] = "1"
            draft.assumptions.append("stopping a workload: scaled to 0 replicas")
    elif intent in ("rollout-undo", "rollout-history"):
        _take_first(scan, draft, "revision", (
            r"\b(?:to )?revision (?:number )?(\d+)\b", r"\bversion (\d+)\b",
        ))
    elif intent in ("set-image", "create"):
        _take_first(scan, draft, "image", (
            r"(?:^| )--image[= ]" + _IMAGE,
            r"\b(?:to|with|use|using|running|runs|run|from|=|image) (" + _IMAGE[1:-1] + r"[:/@]"
            r"[a-z0-9._\-/:@]*)",
        ))
        if "image" not in draft.extra:
            for found in scan.finditer(r"\bimage (?:to |=)?" + _IMAGE + r"(?=\s|$)"):
                if scan.is_name(found.group(1)):
                    draft.extra["image"] = scan.original(found, 1)
                    scan.take(found)
                    break
        if intent == "create":
            _take_first(scan, draft, "from", (r"\bfrom (?:the )?cronjobs? ([a-z0-9][a-z0-9.\-]*)",))
            _take_first(scan, draft, "replicas", (
                r"\b(?:with )?" + _COUNT + r" (?:replicas?|instances|copies)\b",
            ))
    elif intent in ("unlabel", "unannotate"):
        _take_first(scan, draft, "key", (
            r"\b(?:remove|delete|drop|strip|unset|clear|take off|unlabel) (?:the |a |an )?"
            r"(?:labels?|annotations?) " + _KEY,
            r"\bthe " + _KEY + r" (?:label|annotation)\b",
        ))
    elif intent == "untaint":
        _take_first(scan, draft, "key", (
            r"\btaints? " + _KEY + r"(?::(?:noschedule|prefernoschedule|noexecute))?\b(?<!from)",
            r"\bthe " + _KEY + r" taint\b",
        ))
        draft.extra["key"] = draft.extra.get("key", "").split(":")[0]
    elif intent == "taint":
        match = scan.search(r"\b" + _KEY + r"(?:=([a-z0-9._\-]+))?:(noschedule|prefernoschedule|"
                            r"noexecute)\b")
        if match:
            key = match.group(1) + (f"={scan.original(match, 2)}" if match.group(2) else "")
            draft.extra["taint"] = f"{key}:{_EFFECTS[match.group(3)]}"
            scan.take(match)
        else:
            effect = scan.search(r"\b(noschedule|prefer no ?schedule|prefernoschedule|no ?schedule"
                                 r"|noexecute|no ?execute)\b")
            if effect:
                word = effect.group(1).replace("  ", " ")
                draft.extra["effect"] = _EFFECTS.get(word, _EFFECTS.get(word.replace(" ", ""), ""))
                scan.take(effect)
    elif intent == "exec":
        quoted = re.search(r"[`'\"]([^`'\"]+)[`'\"]", scan.question)
        if quoted:
            draft.extra["cmd"] = quoted.group(1).strip()
        else:
            match = scan.search(r"\b(?:run|execute) (.+?) (?:in|inside|on) (?:the )?"
                                r"(?:pod|container)\b")
            if match and not re.search(r"\b(?:shell|bash|terminal)\b", match.group(1)):
                draft.extra["cmd"] = match.group(1)
    elif intent == "port-forward":
        ports = re.findall(r"\b(\d{2,5})(?::(\d{2,5}))?\b", scan.live)
        if ports:
            local, remote = ports[0]
            if not remote and len(ports) > 1:
                remote = ports[1][0]
            draft.extra["ports"] = f"{local}:{remote}" if remote else local
    elif intent == "auth":
        match = scan.search(r"\b(?:can|may|could) (?:i|we) (\w+)|\b(?:allowed|able|permitted|"
                            r"permission|permissions|rights?|access) to (\w+)|\b(?:i|we) "
                            r"(?:can|may|could) (\w+)")
        if match:
            word = next(g for g in match.groups() if g)
            if word in _AUTH_VERBS:
                draft.extra["verb"] = _AUTH_VERBS[word]
                draft.extra["verb-word"] = word
                scan.take(match)


def _names(draft: Draft, what: str, hint: str) -> list[str]:
    if not draft.names:
        raise CantTranslateError(f"no {what} named", hint)
    return draft.names


def _typed(resource: str, names: list[str]) -> list[str]:
    return [f"{resource}/{name}" for name in names]


def _rollout(sub: str) -> Builder:
    def build(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
        resource = one_resource(draft, "deployments", "", "")
        if resource == "pods" and sub == "restart":
            draft.assumptions.append("a pod cannot be restarted in place: deleting it lets its "
                                     "controller create a new one")
            names = _names(draft, "pod", "'restart pod web-1 in shop'")
            return ["delete", "pods", *names, *scope(draft, table, "pods")]
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


def _build_delete(draft: Draft, scan: Scan, table: ResourceTable) -> list[str]:
    resource = one_resource(draft, "pods" if draft.names else None, "no resource named",
                            "'delete pod web-1 in shop' or 'delete failed pods in shop'")
    fields = phase_fields(draft, resource)
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
    "delete": _build_delete,
    "create": _build_create,
    "auth": _build_auth,
    **{verb: _forbidden(verb) for verb in
       ("exec", "port-forward", "cp", "attach", "edit", "proxy", "debug")},
}
