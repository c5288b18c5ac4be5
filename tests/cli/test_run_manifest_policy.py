"""``kubechat run -f -`` judges a manifest by what it would write, against the real sandbox.

(The server's propose route takes a command line only; manifests reach the policy through
``kubechat run --manifest`` and ``kubechat classify --manifest``.)
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from kubechat_lab.cli import main
from tests.plugins.sandbox import SandboxInfo, kubectl, scratch_namespace

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def space(sandbox: SandboxInfo) -> Iterator[str]:
    with scratch_namespace(sandbox, "kc-mpol") as name:
        yield name


def _pod(namespace: str, name: str, **spec: object) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "a", "image": "registry.k8s.io/pause:3.9"}],
                     **spec}}


def run(sandbox: SandboxInfo, tmp_path: Path, manifest: object, *extra: str
        ) -> tuple[int, str]:
    path = tmp_path / f"m-{uuid.uuid4().hex[:6]}.json"
    path.write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", "kubectl apply -f -", "--manifest", str(path),
                                       "--kubeconfig", str(sandbox.kubeconfig), "--no-audit",
                                       *extra])
    return result.exit_code, result.stderr


def test_a_privileged_pod_never_runs_whatever_the_approval(
        sandbox: SandboxInfo, space: str, tmp_path: Path) -> None:
    privileged = _pod(space, "priv", hostPID=True)
    for extra in ((), ("--yes",), ("--yes", "--confirm", "pod/priv in " + space)):
        code, err = run(sandbox, tmp_path, privileged, *extra)
        assert code == 3 and "forbidden" in err and "PID" in err, err
    assert kubectl(sandbox, "get", "pod", "priv", "-n", space, check=False).returncode != 0


def test_a_secret_mount_needs_the_objects_typed_back(
        sandbox: SandboxInfo, space: str, tmp_path: Path) -> None:
    mounted = _pod(space, "mounts", volumes=[{"name": "s", "secret": {"secretName": "db"}}])
    code, err = run(sandbox, tmp_path, mounted, "--yes")
    assert code == 3 and f"--confirm 'pod/mounts in {space}'" in err, err
    assert kubectl(sandbox, "get", "pod", "mounts", "-n", space, check=False).returncode != 0
    code, err = run(sandbox, tmp_path, mounted, "--confirm", f"pod/mounts in {space}")
    assert code == 0, err
    assert kubectl(sandbox, "get", "pod", "mounts", "-n", space).returncode == 0
