"""The session-scoped ``sandbox`` fixture: a running local control plane and its kubeconfig.

It reuses a sandbox that already runs (``kubechat sandbox up`` beforehand is the fast path;
``scripts/test.sh``, which .ci/run calls, does that so the cold Go build does not count
against test timeouts).
Otherwise it starts one, building the binaries first when the cache is cold. At session end
it leaves the sandbox running locally (the next session, and other developers' test runs on
the same machine, reuse it); under CI (``CI=true``) it stops it, but only if it started one
(or restarted missing parts).
``KUBECHAT_SKIP_SANDBOX=1`` skips (fails under CI) every test that needs it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kubechat_lab.errors import ClusterError, SandboxError
from tests.plugins.services import skip_or_fail

__all__ = ["SandboxInfo", "eventually", "kjson", "kubectl", "sandbox"]

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"


@dataclass(frozen=True, slots=True)
class SandboxInfo:
    """What tests need: the admin kubeconfig, the apiserver URL, the sandbox's paths."""

    kubeconfig: Path
    server: str
    state_dir: Path
    bin_dir: Path
    started_here: bool


@pytest.fixture(scope="session")
def sandbox() -> Iterator[SandboxInfo]:
    """A running sandbox; starts one when none runs (and stops it at the end only under CI)."""
    if os.environ.get("KUBECHAT_SKIP_SANDBOX", "") in {"1", "true", "yes"}:
        skip_or_fail("KUBECHAT_SKIP_SANDBOX=1: sandbox tests skipped")
    from kubechat_lab.sandbox import SandboxManager

    manager = SandboxManager()
    started_here = not manager.status().running
    if started_here:
        try:
            manager.up()
        except SandboxError as exc:
            skip_or_fail(f"could not start the sandbox: {exc}")
    state = manager.status()
    yield SandboxInfo(
        kubeconfig=state.kubeconfig,
        server=state.server,
        state_dir=manager.layout.state_dir,
        bin_dir=manager.layout.bin_dir,
        started_here=started_here,
    )
    under_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if started_here and under_ci:
        manager.down()


def kubectl(info: SandboxInfo, *args: str, check: bool = True, stdin: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    """Run the real kubectl against the sandbox (to compare with, never inside the library)."""
    return subprocess.run([KUBECTL, f"--kubeconfig={info.kubeconfig}", *args],
                          capture_output=True, text=True, timeout=120, check=check, input=stdin)


@contextlib.contextmanager
def scratch_namespace(info: SandboxInfo, prefix: str) -> Iterator[str]:
    """Create namespace ``PREFIX-xxxxxx`` for tests that write; delete it (not waiting) on exit.

    Others share the cluster: writes go here, so the seeded demo workload stays as it was.
    """
    name = f"{prefix}-{uuid.uuid4().hex[:6]}"
    kubectl(info, "create", "namespace", name)
    try:
        yield name
    finally:
        kubectl(info, "delete", "namespace", name, "--wait=false", check=False)


def kjson(info: SandboxInfo, *args: str) -> Any:
    """Run kubectl with ``-o json`` and decode its output."""
    return json.loads(kubectl(info, *args, "-o", "json").stdout)


def eventually(probe: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll ``probe`` until it returns something truthy (waiting for the cluster, not timing).

    A ``ClusterError`` from the probe counts as "not yet".
    """
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
