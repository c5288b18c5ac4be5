"""Fixtures for the cluster tests: a client on the real sandbox and a scratch namespace.

The ``sandbox`` fixture comes from tests/plugins/sandbox.py. Writes happen only in a
namespace created here (and deleted afterwards) or on nodes created here, so the seeded demo
workload other tests read stays as it was.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kubechat_lab.cluster import ClusterClient, ClusterConfig, Result
from kubechat_lab.command import parse
from kubechat_lab.errors import ClusterError, CommandError
from tests.plugins.sandbox import SandboxInfo

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


def kubectl(sandbox: SandboxInfo, *args: str, check: bool = True, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run the real kubectl against the sandbox (to compare with, never inside the library)."""
    return subprocess.run([KUBECTL, f"--kubeconfig={sandbox.kubeconfig}", *args],
                          capture_output=True, text=True, timeout=120, check=check, input=stdin)


def kjson(sandbox: SandboxInfo, *args: str) -> Any:
    return json.loads(kubectl(sandbox, *args, "-o", "json").stdout)


def eventually(probe: Callable[[], Any], what: str, timeout: float = 90.0) -> Any:
    """Poll ``probe`` until it returns something truthy (waiting for the cluster, not timing)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except ClusterError as exc:
            last = exc
        else:
            done = bool(last) if isinstance(last, (bool, int, str, list, tuple, set, dict)) \
                else last is not None
            if done:
                return last
        time.sleep(1.0)
    pytest.fail(f"{what}: still not true after {timeout:.0f}s (last: {last!r})")


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
    name = f"kc-test-{uuid.uuid4().hex[:6]}"
    kubectl(sandbox, "create", "namespace", name)
    yield name
    kubectl(sandbox, "delete", "namespace", name, "--wait=false", check=False)


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
