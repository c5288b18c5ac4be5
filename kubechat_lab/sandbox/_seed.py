"""Seed the demo workload (``data/demo.yaml``) and wait until its pods settle."""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from typing import Any

import yaml

from kubechat_lab.errors import SandboxError
from kubechat_lab.sandbox._kube import KubeClient
from kubechat_lab.sandbox._layout import SandboxLayout

__all__ = ["DEMO_NAMESPACES", "load_manifests", "seed_workload"]

logger = logging.getLogger(__name__)

DEMO_NAMESPACES: tuple[str, ...] = ("shop", "payments", "data", "ci")
# Workloads whose pods must all be Running and Ready before seeding counts as done.
_MUST_RUN: tuple[tuple[str, str, str], ...] = (
    ("apps/v1", "deployments", "shop/frontend"),
    ("apps/v1", "deployments", "shop/checkout"),
    ("apps/v1", "deployments", "payments/api"),
    ("apps/v1", "statefulsets", "data/postgres"),
)
_SETTLE_TIMEOUT = 180.0


def load_manifests() -> list[dict[str, Any]]:
    """Return the documents of ``data/demo.yaml``."""
    text = SandboxLayout.data_file("demo.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def seed_workload(kube: KubeClient, say: Callable[[str], None]) -> None:
    """Apply the demo manifests, start one run of the CronJob, wait for Running pods.

    Raises
    ------
    SandboxError
        A manifest was refused, or the workloads were not ready in time.
    """
    docs = load_manifests()
    say(f"seeding {len(docs)} objects in namespaces {', '.join(DEMO_NAMESPACES)}")
    for doc in docs:
        if doc["kind"] == "Namespace":
            kube.apply(doc)
    _wait_default_service_accounts(kube)
    for doc in docs:
        if doc["kind"] != "Namespace":
            kube.apply(doc)
    _run_cronjob_once(kube, "ci", "nightly-report")
    say("waiting for the demo pods to run")
    _wait_workloads(kube)
    say("demo workload running")


def _wait_default_service_accounts(kube: KubeClient) -> None:
    """Pods are refused until the controller-manager created each namespace's default SA."""
    deadline = time.monotonic() + 60.0
    for ns in DEMO_NAMESPACES:
        while kube.get(f"/api/v1/namespaces/{ns}/serviceaccounts/default") is None:
            if time.monotonic() >= deadline:
                raise SandboxError(
                    f"namespace {ns} has no default ServiceAccount after 60 s; check the "
                    "kube-controller-manager log"
                )
            time.sleep(0.3)


def _run_cronjob_once(kube: KubeClient, namespace: str, name: str) -> None:
    """Create a Job from the CronJob's template, as ``kubectl create job --from`` does."""
    cronjob = kube.get(f"/apis/batch/v1/namespaces/{namespace}/cronjobs/{name}")
    if cronjob is None:
        raise SandboxError(f"CronJob {namespace}/{name} is missing after seeding")
    template = copy.deepcopy(cronjob["spec"]["jobTemplate"])
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": f"{name}-seed",
            "namespace": namespace,
            "labels": dict((template.get("metadata") or {}).get("labels") or {}),
            "annotations": {"cronjob.kubernetes.io/instantiate": "manual"},
            "ownerReferences": [
                {
                    "apiVersion": "batch/v1",
                    "kind": "CronJob",
                    "name": name,
                    "uid": cronjob["metadata"]["uid"],
                    "controller": True,
                    "blockOwnerDeletion": True,
                }
            ],
        },
        "spec": template["spec"],
    }
    kube.create(f"/apis/batch/v1/namespaces/{namespace}/jobs", job)


def _wait_workloads(kube: KubeClient) -> None:
    deadline = time.monotonic() + _SETTLE_TIMEOUT
    while True:
        waiting = [ref for ref in _MUST_RUN if not _ready(kube, *ref)]
        if not waiting:
            return
        if time.monotonic() >= deadline:
            names = ", ".join(ref[2] for ref in waiting)
            raise SandboxError(
                f"demo workloads {names} not ready after {_SETTLE_TIMEOUT:.0f} s; check the "
                "kube-scheduler, kube-controller-manager and kwok logs"
            )
        time.sleep(1.0)


def _ready(kube: KubeClient, group_version: str, plural: str, ref: str) -> bool:
    namespace, name = ref.split("/")
    obj = kube.get(f"/apis/{group_version}/namespaces/{namespace}/{plural}/{name}")
    if obj is None:
        return False
    want = obj["spec"].get("replicas", 1)
    return bool(obj.get("status", {}).get("readyReplicas", 0) >= want)
