"""Facts about the pods a write would run: privilege, host access, secrets, identity, code.

The walk looks at every mapping of a written object or overlay, wherever it sits: a pod
template is ``spec`` of a Pod, ``spec.template.spec`` of a Deployment, ``template.spec`` of a
PodTemplate, ``spec.jobTemplate.spec.template.spec`` of a CronJob, and anywhere at all in a
custom resource that runs pods. A field that grants privilege counts wherever it appears:
``privileged: true`` is never harmless. Keys are matched case-insensitively.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Mapping
from typing import Any

from kubechat_lab.policy._walk import Budget, Path, get_ci, is_true, path_text, walk
from kubechat_lab.policy._written import Written

__all__ = ["image_allowed", "normalize_image", "pod_findings"]

Add = Callable[[str, str], None]

_HOST_NAMESPACES = {"hostpid": "hostPID", "hostnetwork": "hostNetwork", "hostipc": "hostIPC"}
# Lists of containers (Pod, and custom resources that run pods: Tekton steps and sidecars),
# and single containers (Argo Workflows templates).
_CONTAINER_LISTS = frozenset({"containers", "initcontainers", "ephemeralcontainers", "steps",
                              "sidecars"})
_CONTAINER_MAPS = frozenset({"container", "script"})
# SELinux types a Pod Security "baseline" namespace allows; any other type, user or role
# lifts confinement.
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t",
                            "container_engine_t"})
# Volume sources that reach the node itself: its disks, or code run by the kubelet.
_NODE_VOLUMES = {"local": "a local volume (a node disk path)",
                 "flexvolume": "a flexVolume (a driver binary run on the node)",
                 "gitrepo": "a gitRepo volume (git run on the node)"}
# Sysctls a Pod Security "baseline" namespace allows.
_SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes"})
_CONTROL_PLANE_TAINTS = ("node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/master")
_APPARMOR_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
_SECCOMP_KEYS = ("seccomp.security.alpha.kubernetes.io/pod",
                 "container.seccomp.security.alpha.kubernetes.io/")


def normalize_image(image: str) -> str | None:
    """``registry/repository`` of an image reference (``nginx`` -> ``docker.io/library/nginx``).

    Tags and digests are dropped; None for something that is not an image reference.
    """
    ref = image.strip()
    if not ref or any(c.isspace() for c in ref):
        return None
    ref = ref.split("@", 1)[0]
    head, slash, rest = ref.partition("/")
    if slash and ("." in head or ":" in head or head == "localhost"):
        registry, path = head.lower(), rest
    else:
        registry, path = "docker.io", ref
        if "/" not in path:
            path = f"library/{path}"
    last = path.rsplit("/", 1)
    if ":" in last[-1]:
        last[-1] = last[-1].split(":", 1)[0]
        path = "/".join(last)
    if not path or path.startswith("/") or "//" in path:
        return None
    return f"{registry}/{path}"


def image_allowed(image: str, registries: tuple[str, ...]) -> bool:
    """Return True when ``registries`` is empty or the image lies under one of them.

    An entry is a registry host (``ghcr.io``, ``*.gcr.io``) or a host and path prefix
    (``ghcr.io/acme``, ``docker.io/library``).
    """
    if not registries:
        return True
    name = normalize_image(image)
    if name is None:
        return False
    host = name.split("/", 1)[0]
    for entry in registries:
        entry = entry.strip().rstrip("/").lower()
        entry_host, _, entry_path = entry.partition("/")
        if not (fnmatch.fnmatchcase(host, entry_host) if "*" in entry_host
                else host == entry_host):
            continue
        rest = name[len(host) + 1:]
        if not entry_path or rest == entry_path or rest.startswith(entry_path + "/"):
            return True
    return False


def _unconfined(key: str, value: object) -> str | None:
    if key == "procmount" and str(value).lower() == "unmasked":
        return "procMount: Unmasked"
    if key in ("seccompprofile", "apparmorprofile") and str(
            get_ci(value, "type", "")).lower() == "unconfined":
        return f"{'seccomp' if key == 'seccompprofile' else 'AppArmor'} profile Unconfined"
    if key == "selinuxoptions" and isinstance(value, Mapping):
        kind = str(get_ci(value, "type", "") or "")
        if kind not in _SELINUX_TYPES or get_ci(value, "user") or get_ci(value, "role"):
            return f"SELinux options {dict(value)}"
    return None


def _annotations(where: str, value: object, add: Add) -> None:
    if not isinstance(value, Mapping):
        return
    for key, text in value.items():
        name = str(key).lower()
        lowered = str(text).lower()
        if (name.startswith(_APPARMOR_PREFIX) or name.startswith(_SECCOMP_KEYS)) and (
                "unconfined" in lowered):
            add("pod-unconfined", f"{where}: annotation {key}={text}")


def _short(value: object) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _container(where: str, container: Mapping[Any, Any], registries: tuple[str, ...],
               budget: Budget, add: Add) -> None:
    for path, node in walk(container, budget):
        for key, value in node.items():
            name = str(key).lower()
            if name in ("command", "args") and value not in (None, [], ""):
                add("pod-command", f"{where}.{path_text((*path, key))}: {_short(value)}")
            elif name == "image" and isinstance(value, str) and not image_allowed(
                    value, registries):
                add("pod-image-registry", f"{where}: image {value} is outside the allowed "
                    f"registries ({', '.join(registries)})")
            elif name == "secretkeyref" and value is not None:
                add("pod-secret", f"{where}: env from secret {get_ci(value, 'name')!s}")
            elif name == "envfrom" and isinstance(value, list):
                for source in value:
                    ref = get_ci(source, "secretRef")
                    if ref is not None:
                        add("pod-secret", f"{where}: envFrom secret {get_ci(ref, 'name')!s}")


def _volumes(where: str, volumes: list[Any], add: Add) -> None:
    for volume in volumes:
        name = get_ci(volume, "name")
        secret = get_ci(volume, "secret")
        if secret is not None:
            add("pod-secret", f"{where}: volume {name!s} mounts secret "
                f"{get_ci(secret, 'secretName')!s}")
        sources = get_ci(get_ci(volume, "projected"), "sources")
        for source in sources if isinstance(sources, list) else ():
            if get_ci(source, "secret") is not None:
                add("pod-secret", f"{where}: projected volume {name!s} mounts secret "
                    f"{get_ci(get_ci(source, 'secret'), 'name')!s}")
            if get_ci(source, "serviceAccountToken") is not None:
                add("pod-secret", f"{where}: projected volume {name!s} mounts a service-account "
                    "token")


def _field(path: Path, key: object, value: object, written: Written,
           registries: tuple[str, ...], budget: Budget, add: Add) -> None:
    name = str(key).lower()
    where = f"{written.label} {path_text((*path, key))}"
    if name in ("privileged", "hostprocess") and is_true(value):
        add("pod-privileged", f"{where}: true")
    elif name in _HOST_NAMESPACES and is_true(value):
        add("pod-host-namespaces", f"{where}: true")
    elif name == "hostpath" and value not in (None, False, {}, ""):
        add("pod-host-path", f"{where}: {get_ci(value, 'path', value)!s}")
    elif name in _NODE_VOLUMES and isinstance(value, Mapping):
        add("pod-host-path", f"{where}: {_NODE_VOLUMES[name]}")
    elif name == "sysctls" and isinstance(value, list):
        unsafe = [str(get_ci(s, "name")) for s in value
                  if str(get_ci(s, "name")) not in _SAFE_SYSCTLS]
        if unsafe:
            add("pod-unconfined", f"{where}: sysctls outside the safe set: {', '.join(unsafe)}")
    elif name == "capabilities" and isinstance(value, Mapping):
        added = get_ci(value, "add")
        if added not in (None, [], ""):
            add("pod-capabilities", f"{where}.add: {added!r}")
    elif name == "hostport" and value not in (None, 0, "0", False, ""):
        add("pod-host-port", f"{where}: {value!s}")
    elif name in _CONTAINER_LISTS and isinstance(value, list):
        for index, container in enumerate(value):
            if isinstance(container, Mapping):
                label = get_ci(container, "name")
                _container(f"{where}[{label if isinstance(label, str) else index}]", container,
                           registries, budget, add)
    elif name in _CONTAINER_MAPS and isinstance(value, Mapping):
        _container(where, value, registries, budget, add)
    elif name == "volumes" and isinstance(value, list):
        _volumes(where, value, add)
    elif name in ("serviceaccountname", "serviceaccount") and isinstance(value, str) and (
            written.mode == "patch" or value != "default"):
        add("pod-service-account", f"{where}: {value}")
    elif name == "annotations":
        _annotations(where, value, add)
    elif name == "nodename" and isinstance(value, str) and value:
        add("pod-node-placement", f"{where}: {value} (the scheduler and its checks are skipped)")
    elif name == "tolerations" and isinstance(value, list):
        for toleration in value:
            key = str(get_ci(toleration, "key", "") or "")
            if (not key and str(get_ci(toleration, "operator", "")).lower() == "exists") or (
                    key.startswith(_CONTROL_PLANE_TAINTS)):
                add("pod-node-placement", f"{where}: tolerates {key or 'every taint'}")
    else:
        reason = _unconfined(name, value)
        if reason is not None:
            add("pod-unconfined", f"{where}: {reason}")


def pod_findings(written: Written, registries: tuple[str, ...], budget: Budget,
                 add: Add) -> None:
    """Report what the pods a write would run may do (``add(finding, detail)``)."""
    if written.body is None:
        return
    for path, node in walk(written.body, budget, kind=written.kind):
        for key, value in node.items():
            _field(path, key, value, written, registries, budget, add)
