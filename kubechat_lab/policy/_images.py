"""Images from another source than the one a workload runs now (a swapped registry or owner).

A new tag of the image a Deployment already runs is routine; the same name from another
registry, or from another owner on a shared registry (``docker.io/library/nginx`` ->
``docker.io/evil/nginx``), is code from someone else. The source of an image is its registry
host and its first path segment (``ghcr.io/acme``). The policy compares what a write sets
with the live object, which it reads only through the context's ``observe`` (the pipeline
passes one that reads the cluster as the user); without it nothing is compared.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from kubechat_lab.command import ResourceTable
from kubechat_lab.policy._model import Observe
from kubechat_lab.policy._pods import normalize_image
from kubechat_lab.policy._walk import Budget, TooComplexError, walk
from kubechat_lab.policy._written import Written

__all__ = ["image_source", "image_source_findings"]

Add = Callable[[str, str], None]

_WORKLOADS = frozenset({"deployment", "statefulset", "daemonset", "replicaset", "job", "cronjob",
                        "pod", "replicationcontroller", "podtemplate"})


def image_source(image: str) -> str | None:
    """``registry/owner`` of an image (``nginx:1`` -> ``docker.io/library``); None if unreadable."""
    name = normalize_image(image)
    if name is None:
        return None
    parts = name.split("/")
    return "/".join(parts[:2]) if len(parts) > 2 else parts[0]


def _images(body: object) -> list[str]:
    out: list[str] = []
    for _, node in walk(body, Budget()):
        for key, value in node.items():
            if str(key).lower() == "image" and isinstance(value, str) and value not in out:
                out.append(value)
    return out


def image_source_findings(items: list[Written], namespace: str | None, table: ResourceTable,
                          observe: Observe | None, add: Add) -> None:
    """Report images whose source differs from every image the live workload runs."""
    if observe is None:
        return
    for written in items:
        if written.kind.lower() not in _WORKLOADS or not written.name or written.body is None or (
                written.mode == "new"):
            continue
        try:
            images = _images(written.body)
        except TooComplexError:
            continue  # the pod analysis reports it as unreadable
        if not images:
            continue
        found = table.lookup(written.kind)
        if found is None:
            continue
        meta = written.body.get("metadata") if isinstance(written.body, Mapping) else None
        where = meta.get("namespace") if isinstance(meta, Mapping) else None
        live = observe(found[0], str(where) if where else namespace, written.name)
        if live is None:
            continue
        try:
            running = {s for s in map(image_source, _images(live)) if s is not None}
        except TooComplexError:
            continue
        if not running:
            continue
        for image in images:
            source = image_source(image)
            if source is not None and source not in running:
                add("image-source-change", f"{written.label}: image {image} comes from "
                    f"{source}; the workload runs images from {', '.join(sorted(running))}")
