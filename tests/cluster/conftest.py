"""Fixtures for the cluster tests: a client on the real sandbox and a scratch namespace.

The ``sandbox`` fixture comes from tests/plugins/sandbox.py. Writes happen only in a
namespace created here (and deleted afterwards) or on nodes created here, so the seeded demo
workload other tests read stays as it was.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubechat_lab.cluster import ClusterClient, ClusterConfig, Result
from kubechat_lab.command import parse
from kubechat_lab.errors import CommandError
from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace


@pytest.fixture(scope="session")
def cluster_config(sandbox: SandboxInfo) -> ClusterConfig:
    return ClusterConfig(kubeconfig=str(sandbox.kubeconfig))


@pytest.fixture(scope="session")
def client(cluster_config: ClusterConfig) -> Iterator[ClusterClient]:
    with ClusterClient(cluster_config) as opened:
        yield opened


Runner = Callable[..., Result]


@pytest.fixture(scope="session")
def run(client: ClusterClient) -> Runner:
    """``run("get pods -n x")`` parses with the server's resources and executes."""

    def runner(text: str, *, manifest: str | None = None, dry_run: bool = False,
               as_client: ClusterClient | None = None) -> Result:
        try:
            cmd = parse(text, manifest=manifest, resources=client.resource_table())
        except CommandError as exc:
            if exc.reason != "unknown-resource":
                raise
            cmd = parse(text, manifest=manifest, resources=client.resource_table(refresh=True))
        chosen = as_client or client
        return chosen.dry_run(cmd) if dry_run else chosen.execute(cmd)

    return runner


@pytest.fixture(scope="module")
def scratch(sandbox: SandboxInfo) -> Iterator[str]:
    """A fresh namespace for one test module, deleted at its end."""
    with scratch_namespace(sandbox, "kc-test") as name:
        yield name


def deployment_manifest(namespace: str, name: str, replicas: int = 2, image: str = "nginx:1.27",
                        extra_containers: list[dict[str, Any]] | None = None) -> str:
    containers = [{"name": "app", "image": image,
                   "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]
    containers += extra_containers or []
    return json.dumps({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": containers}}},
    })


def wait_rollout(sandbox: SandboxInfo, namespace: str, name: str) -> None:
    kubectl(sandbox, "rollout", "status", f"deployment/{name}", "-n", namespace,
            "--timeout=120s")
