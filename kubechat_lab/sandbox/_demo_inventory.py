"""What the seeded demo cluster holds, as grounding for translations, without contacting it.

``kubechat eval`` scores questions about the demo workload (shop, payments, data, ci on nodes
kwok-worker-1..3); this gives a translator the same names a live inventory of the sandbox
would: the objects of ``data/demo.yaml``, the StatefulSet pods (whose names are fixed), the
seeded Job, the nodes and the metrics-server Service. Pods of Deployments are left out: their
names are generated.
"""

from __future__ import annotations

from kubechat_lab.command import DEFAULT_RESOURCES
from kubechat_lab.sandbox._config import NODE_NAMES
from kubechat_lab.sandbox._seed import DEMO_NAMESPACES, load_manifests

__all__ = ["demo_grounding"]

_SYSTEM_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def demo_grounding() -> dict[str, object]:
    """Return ``{"namespace", "namespaces", "inventory", "workloads"}`` for the demo cluster.

    The shape is what :meth:`kubechat_lab.translate.TranslationContext.from_dict` reads.
    """
    inventory: dict[str, list[list[str]]] = {}
    workloads: list[dict[str, object]] = []

    def add(resource: str, namespace: str, name: str) -> None:
        inventory.setdefault(resource, []).append([namespace, name])

    for doc in load_manifests():
        kind = str(doc["kind"])
        meta = doc.get("metadata") or {}
        found = DEFAULT_RESOURCES.lookup(kind)
        if found is None or kind == "Namespace":
            continue
        namespace = str(meta.get("namespace") or "")
        add(found[0], namespace, str(meta["name"]))
        spec = doc.get("spec") or {}
        if kind in ("Deployment", "StatefulSet"):
            pod = (spec.get("template") or {}).get("spec") or {}
            workloads.append({"kind": found[0], "namespace": namespace, "name": meta["name"],
                              "replicas": int(spec.get("replicas", 1)),
                              "containers": [[c["name"], c["image"]]
                                             for c in pod.get("containers") or ()]})
        if kind == "StatefulSet":
            for ordinal in range(int((doc.get("spec") or {}).get("replicas", 1))):
                add("pods", namespace, f"{meta['name']}-{ordinal}")
        if kind == "CronJob":
            add("jobs", namespace, f"{meta['name']}-seed")  # what seeding runs once
    for node in NODE_NAMES:
        add("nodes", "", node)
    add("services", "kube-system", "metrics-server")
    return {
        "namespace": "default",
        "namespaces": [*_SYSTEM_NAMESPACES, *DEMO_NAMESPACES],
        "inventory": inventory,
        "workloads": workloads,
    }
