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

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kubechat_lab.errors import SandboxError
from tests.plugins.services import skip_or_fail

__all__ = ["SandboxInfo", "sandbox"]


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
