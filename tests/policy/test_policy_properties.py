"""Property tests: what a write does decides its level, whatever else it holds or its spelling."""

from __future__ import annotations

import json
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubechat_lab.command import CommandError, parse
from kubechat_lab.policy import Level, classify

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# (resource spellings, kind, apiVersion, path from the object to its pod spec)
POD_KINDS: list[tuple[tuple[str, ...], str, str, tuple[str, ...]]] = [
    (("pod", "pods", "po"), "Pod", "v1", ("spec",)),
    (("deploy", "deployment", "deployments.apps"), "Deployment", "apps/v1",
     ("spec", "template", "spec")),
    (("sts", "statefulset"), "StatefulSet", "apps/v1", ("spec", "template", "spec")),
    (("ds", "daemonsets"), "DaemonSet", "apps/v1", ("spec", "template", "spec")),
    (("rs", "replicaset"), "ReplicaSet", "apps/v1", ("spec", "template", "spec")),
    (("job", "jobs.batch"), "Job", "batch/v1", ("spec", "template", "spec")),
    (("cj", "cronjob"), "CronJob", "batch/v1",
     ("spec", "jobTemplate", "spec", "template", "spec")),
    (("rc", "replicationcontroller"), "ReplicationController", "v1",
     ("spec", "template", "spec")),
    (("podtemplate", "podtemplates"), "PodTemplate", "v1", ("template", "spec")),
]

_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
_name = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
_scalar = st.one_of(st.integers(-5, 5), st.booleans(), _word, st.none())
# Field names that never grant anything by themselves.
_benign_key = st.sampled_from(["hostname", "dnsPolicy", "priority", "restartPolicy", "notes",
                               "terminationGracePeriodSeconds", "x-extra", "subdomain"])
_extra = st.dictionaries(_benign_key, _scalar, max_size=3)


@st.composite
def privileged_container(draw: st.DrawFn) -> dict[str, Any]:
    container: dict[str, Any] = {"name": draw(_name), "image": draw(st.sampled_from(
        ["nginx", "busybox:1.36", "registry.k8s.io/pause:3.9"]))}
    context: dict[str, Any] = {"privileged": draw(st.sampled_from([True, "true", "yes"]))}
    context.update(draw(st.dictionaries(
        st.sampled_from(["runAsUser", "readOnlyRootFilesystem", "runAsNonRoot"]),
        st.one_of(st.booleans(), st.integers(0, 1000)), max_size=2)))
    container["securityContext"] = context
    container.update(draw(st.dictionaries(st.sampled_from(["workingDir", "tty", "stdin"]),
                                          st.one_of(st.booleans(), _word), max_size=2)))
    return container


def _nest(path: tuple[str, ...], leaf: dict[str, Any]) -> dict[str, Any]:
    body = leaf
    for key in reversed(path):
        body = {key: body}
    return body


def _quoted(text: str) -> str:
    assert "'" not in text
    return f"'{text}'"


class _NoAliases(yaml.SafeDumper):
    """Write shared values out in full: manifests and patches refuse anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _dump(value: object, *, default_flow_style: bool = False, width: int = 80) -> str:
    return str(yaml.dump(value, Dumper=_NoAliases, default_flow_style=default_flow_style,
                         width=width))


def _text(body: object, yaml_form: bool) -> str:
    if yaml_form:  # one-line YAML flow style: a newline is never part of a command
        text = _dump(body, default_flow_style=True, width=10**6).strip()
        return text.replace("'", '"')  # same scalars (no quotes or escapes in them)
    return json.dumps(body)


@st.composite
def privileged_patch(draw: st.DrawFn) -> str:
    spellings, _kind, _api, path = draw(st.sampled_from(POD_KINDS))
    resource = draw(st.sampled_from(spellings))
    field = draw(st.sampled_from(["containers", "initContainers", "ephemeralContainers"]))
    privileged = draw(privileged_container())
    others = draw(st.lists(st.builds(lambda n: {"name": n, "image": "nginx"}, _name),
                           max_size=2))
    containers = [*others, privileged] if draw(st.booleans()) else [privileged, *others]
    spec: dict[str, Any] = {field: containers, **draw(_extra)}
    kind = draw(st.sampled_from(["strategic", "merge", "json"]))
    if kind == "json":
        depth = draw(st.integers(0, 3))
        if depth == 0:
            ops = [{"op": "add", "path": "/" + "/".join(path), "value": spec}]
        elif depth == 1:
            ops = [{"op": draw(st.sampled_from(["add", "replace"])),
                    "path": "/" + "/".join((*path, field, "-")), "value": privileged}]
        elif depth == 2:
            ops = [{"op": "replace", "path": "/" + "/".join((*path, field, "0", "securityContext")),
                    "value": privileged["securityContext"]}]
        else:
            ops = [{"op": "add", "path": "/" + "/".join(
                (*path, field, "0", "securityContext", "privileged")), "value": True}]
        noise = [{"op": "replace", "path": "/metadata/labels/x", "value": draw(_word)},
                 {"op": "test", "path": "/metadata/name", "value": "web"}]
        ops = draw(st.permutations(ops + draw(st.lists(st.sampled_from(noise), max_size=2))))
        body: object = list(ops)
    else:
        body = _nest(path, spec)
        if draw(st.booleans()):
            body = {"metadata": {"labels": {"team": draw(_word)}}, **body}
    text = _text(body, draw(st.booleans()))
    flags = [f"--type={kind}" if kind != "strategic" or draw(st.booleans()) else "",
             f"-p {_quoted(text)}", "-n shop"]
    flags = [f for f in draw(st.permutations(flags)) if f]
    head = draw(st.sampled_from([f"patch {resource} web", f"patch {resource}/web"]))
    return "kubectl " + " ".join([head, *flags])


@SETTINGS
@given(privileged_patch())
def test_any_patch_setting_privileged_in_a_pod_template_is_forbidden(line: str) -> None:
    _, assessment = classify(line)
    assert assessment.level is Level.FORBIDDEN, (line, assessment)
    assert "pod-privileged" in assessment.rule_ids, (line, assessment)


_HOST = st.sampled_from(["hostPID", "hostNetwork", "hostIPC"])


@st.composite
def host_manifest(draw: st.DrawFn) -> tuple[str, str]:
    _spellings, kind, api, path = draw(st.sampled_from(POD_KINDS))
    spec: dict[str, Any] = {"containers": [{"name": "a", "image": "nginx"}], **draw(_extra)}
    finding = draw(st.sampled_from(["host", "hostPath", "capabilities"]))
    if finding == "host":
        spec[draw(_HOST)] = True
    elif finding == "hostPath":
        spec["volumes"] = [{"name": "v", "hostPath": {"path": "/" + draw(_word)}}]
    else:
        spec["containers"][0]["securityContext"] = {"capabilities": {
            "add": draw(st.lists(st.sampled_from(["NET_ADMIN", "SYS_ADMIN", "CHOWN"]),
                                 min_size=1, max_size=2))}}
    obj = {"apiVersion": api, "kind": kind,
           "metadata": {"name": draw(_name), "namespace": "shop"}, **_nest(path, spec)}
    benign = [{"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": draw(_name), "namespace": "shop"},
               "data": {"hostNetwork": "true", "privileged": "true"}}
              for _ in range(draw(st.integers(0, 2)))]
    objects = draw(st.permutations([obj, *benign]))
    form = draw(st.sampled_from(["yaml", "json", "list"]))
    if form == "yaml":
        text = "---\n".join(_dump(o) for o in objects)
    elif form == "json":
        text = "\n---\n".join(json.dumps(o) for o in objects)
    else:
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(objects)})
    verb = draw(st.sampled_from(["apply -f -", "create -f -", "replace -f -",
                                 "apply --server-side -f -", "-n shop apply -f -"]))
    return "kubectl " + verb, text


@SETTINGS
@given(host_manifest())
def test_any_manifest_reaching_the_node_is_forbidden(case: tuple[str, str]) -> None:
    line, manifest = case
    _, assessment = classify(line, manifest=manifest)
    assert assessment.level is Level.FORBIDDEN, (line, manifest, assessment)
    assert {"pod-host-namespaces", "pod-host-path", "pod-capabilities"} & set(
        assessment.rule_ids), assessment


@SETTINGS
@given(st.sampled_from(["deploy", "deployment", "sts", "statefulsets.apps", "rs", "rc"]),
       st.sampled_from(["strategic", "merge", "json", "scale"]), st.integers(0, 5),
       st.booleans())
def test_replicas_through_any_patch_judged_as_scale(resource: str, kind: str, replicas: int,
                                                    yaml_form: bool) -> None:
    if kind == "json":
        body: object = [{"op": "replace", "path": "/spec/replicas", "value": replicas}]
        flags = "--type=json"
    else:
        body = {"spec": {"replicas": replicas}}
        flags = "--type=merge --subresource=scale" if kind == "scale" else f"--type={kind}"
    line = f"kubectl patch {resource} web -n shop {flags} -p {_quoted(_text(body, yaml_form))}"
    _, assessment = classify(line)
    scale = classify(f"kubectl scale {resource} web -n shop --replicas={replicas}")[1]
    assert assessment.level is scale.level, (line, assessment, scale)
    assert ("scale-to-zero" in assessment.rule_ids) is (replicas == 0)


_BROAD = st.sampled_from([("Group", "system:authenticated"), ("Group", "system:unauthenticated"),
                          ("Group", "system:serviceaccounts"),
                          ("Group", "system:serviceaccounts:ci"),
                          ("User", "system:anonymous")])
_NARROW = st.sampled_from([("Group", "devs"), ("User", "alice"), ("Group", "ops")])


@SETTINGS
@given(st.sampled_from(["cluster-admin", "admin", "edit", "some-custom-role"]),
       st.lists(_NARROW, max_size=2), _BROAD, st.sampled_from(["yaml", "json", "flags"]),
       st.sampled_from(["ClusterRoleBinding", "RoleBinding"]))
def test_everyone_never_gets_a_role_that_holds_everything(
        role: str, narrow: list[tuple[str, str]], broad: tuple[str, str], form: str,
        kind: str) -> None:
    subjects = [{"kind": k, "name": n, "apiGroup": "rbac.authorization.k8s.io"}
                for k, n in [*narrow, broad]]
    manifest = None
    if form == "flags":
        if broad[0] == "User":
            return  # --user is a refused flag: the generator cannot write this binding
        groups = " ".join(f"--group={n}" for k, n in [*narrow, broad] if k == "Group")
        sub = "clusterrolebinding" if kind == "ClusterRoleBinding" else "rolebinding -n shop"
        line = f"kubectl create {sub} b --clusterrole={role} {groups}"
    else:
        obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind,
               "metadata": {"name": "b", "namespace": "shop"},
               "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole",
                           "name": role},
               "subjects": subjects}
        manifest = _dump(obj) if form == "yaml" else json.dumps(obj)
        line = "kubectl apply -f -"
    _, assessment = classify(line, manifest=manifest)
    assert assessment.level is Level.FORBIDDEN, (line, manifest, assessment)
    assert "rbac-broad-grant" in assessment.rule_ids


@SETTINGS
@given(st.sampled_from([".", "..", "a/b", "x%2e", "", "../kube-system", "Upper"]),
       st.sampled_from(["name", "namespace"]),
       st.sampled_from(["apply", "delete", "replace", "create"]), st.booleans())
def test_a_manifest_name_that_is_not_a_kubernetes_name_is_refused(
        bad: str, field: str, verb: str, as_json: bool) -> None:
    meta = {"name": "ok", "namespace": "shop", field: bad}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta}
    text = json.dumps(obj) if as_json else _dump(obj)
    try:
        parse(f"kubectl {verb} -f -", manifest=text)
    except CommandError as exc:
        assert exc.reason == "invalid-name", exc
    else:
        raise AssertionError(f"accepted {field}={bad!r}")


@SETTINGS
@given(st.sampled_from(["data", "stringData", "annotations"]), _word,
       st.sampled_from(["secrets", "secret", "Secret", "secrets,configmaps"]),
       st.sampled_from(["{.%s.%s}", ".%s.%s", "{.metadata.%s.%s}", ".%s['%s']"]))
def test_sorting_secrets_by_what_they_hold_is_refused(
        field: str, key: str, resource: str, template: str) -> None:
    path = template % (field, key)
    if "'" in path:
        path = path.replace("'", '"')
    line = f"kubectl get {resource} -n shop --sort-by='{path}'"
    _, assessment = classify(line)
    assert assessment.level is Level.FORBIDDEN, (line, assessment)
    assert "secret-probe" in assessment.rule_ids


_KEYS = st.sampled_from(["spec", "template", "containers", "securityContext", "privileged",
                         "hostPID", "volumes", "hostPath", "env", "envFrom", "secretRef",
                         "capabilities", "add", "taints", "effect", "metadata", "labels",
                         "subjects", "roleRef", "name", "kind", "webhooks", "failurePolicy",
                         "replicas", "sources", "projected", "image", "command", "sysctls",
                         "validationActions", "$patch", "op", "path", "value", "from"])
_JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from(
        ["", "x", "0", "true", "Ignore", "NoExecute", "privileged", "/a/b", "add", "copy",
         "system:authenticated", "Group", "cluster-admin"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=25)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSONISH, st.sampled_from(["strategic", "merge", "json"]),
       st.sampled_from(["deploy", "ns", "node", "secret", "validatingwebhookconfigurations",
                        "clusterrolebinding", "widgets.example.com"]))
def test_any_patch_body_gets_a_verdict_never_an_error(body: object, kind: str,
                                                      resource: str) -> None:
    text = json.dumps(body)
    if "'" in text or not isinstance(body, (dict, list)):
        return
    from kubechat_lab.command import DEFAULT_RESOURCES, ResourceInfo

    table = DEFAULT_RESOURCES.with_resources([ResourceInfo("widgets", "widget", "Widget", (),
                                                           "example.com")])
    _, assessment = classify(f"kubectl patch {resource} x -n shop --type={kind} -p '{text}'",
                             resources=table)
    assert assessment.level in Level and assessment.reasons


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _JSONISH, max_size=5),
       st.sampled_from(["Pod", "Deployment", "Namespace", "ClusterRoleBinding", "Secret",
                        "ValidatingWebhookConfiguration", "Widget"]),
       st.sampled_from(["apply", "create", "replace", "delete"]))
def test_any_manifest_gets_a_verdict_never_an_error(body: dict[str, Any], kind: str,
                                                    verb: str) -> None:
    obj = {**body, "apiVersion": "v1", "kind": kind, "metadata": {"name": "x"}}
    _, assessment = classify(f"kubectl {verb} -f -", manifest=json.dumps(obj))
    assert assessment.level in Level and assessment.reasons
