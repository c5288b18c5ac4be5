"""``SandboxManager``: build, start, seed, inspect and stop the local control plane."""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from kubechat_lab.errors import SandboxError
from kubechat_lab.sandbox._build import build_binaries, missing_binaries
from kubechat_lab.sandbox._components import apiserver_url, build_specs, tls_context
from kubechat_lab.sandbox._config import (
    NODE_NAMES,
    metrics_api_objects,
    node_objects,
    write_state_files,
)
from kubechat_lab.sandbox._kube import KubeClient
from kubechat_lab.sandbox._layout import COMPONENTS, Ports, SandboxLayout
from kubechat_lab.sandbox._process import ProcessSupervisor
from kubechat_lab.sandbox._seed import seed_workload

__all__ = ["ComponentStatus", "SandboxManager", "SandboxStatus"]

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class ComponentStatus:
    """One process: its name, pid (None when stopped) and log file."""

    name: str
    pid: int | None
    log_path: Path

    @property
    def running(self) -> bool:
        """True when the process is alive."""
        return self.pid is not None


@dataclass(frozen=True, slots=True)
class SandboxStatus:
    """What runs, where the kubeconfig is, and which apiserver URL it names."""

    components: tuple[ComponentStatus, ...]
    kubeconfig: Path
    server: str

    @property
    def running(self) -> bool:
        """True when every component runs."""
        return all(c.running for c in self.components)

    @property
    def stopped(self) -> bool:
        """True when no component runs."""
        return not any(c.running for c in self.components)


class SandboxManager:
    """The local Kubernetes control plane: etcd, the control plane, kwok and metrics-server.

    Parameters
    ----------
    layout
        Cache and state paths; default :meth:`SandboxLayout.from_env`.
    ports
        Ports to start with; default: those of the running sandbox, else
        :meth:`Ports.from_env`.
    """

    def __init__(self, layout: SandboxLayout | None = None, ports: Ports | None = None) -> None:
        self.layout = layout or SandboxLayout.from_env()
        self._ports = ports
        self.supervisor = ProcessSupervisor(self.layout.pids_dir, self.layout.logs_dir)

    @property
    def ports(self) -> Ports:
        """The ports in use (saved at start) or to be used."""
        if self._ports is not None:
            return self._ports
        if self.layout.ports_file.exists():
            return Ports.from_json(self.layout.ports_file.read_text())
        return Ports.from_env()

    def kubeconfig_path(self) -> Path:
        """Path of the admin kubeconfig (it exists once the sandbox was started)."""
        return self.layout.kubeconfig

    def build(self, progress: Progress | None = None, *, force: bool = False) -> dict[str, float]:
        """Build the missing binaries; see :func:`build_binaries`.

        Returns
        -------
        dict[str, float]
            Seconds per built binary; empty when all were cached.
        """
        return build_binaries(self.layout, progress=progress, force=force)

    def up(self, progress: Progress | None = None, *, seed: bool = True) -> Path:
        """Build if needed, start every component, create nodes, seed, return the kubeconfig.

        Idempotent: running components are kept, missing ones started.

        Raises
        ------
        ComponentFailed
            A process failed to start; the processes this call started are stopped again.
        SandboxError
            Building, node creation or seeding failed.
        """
        with self._lock():
            return self._up(progress or (lambda line: None), seed=seed)

    def _up(self, say: Progress, *, seed: bool) -> Path:
        if missing_binaries(self.layout):
            self.build(progress=say)
        ports = self.ports
        already = {c.name for c in self.status().components if c.running}
        write_state_files(self.layout, ports)
        specs = build_specs(self.layout, ports)
        started: list[str] = []
        try:
            for spec in specs:
                if spec.name not in already:
                    say(f"starting {spec.name}")
                    t0 = time.monotonic()
                    self.supervisor.start(spec)
                    started.append(spec.name)
                    say(f"{spec.name} ready in {time.monotonic() - t0:.1f} s")
                else:
                    self.supervisor.start(spec)  # re-checks readiness
                if spec.name == "kube-apiserver":
                    with self._client() as kube:
                        for obj in metrics_api_objects(self.layout, ports):
                            kube.apply(obj)
        except BaseException:
            for name in reversed(started):
                self.supervisor.stop(name)
            raise
        with self._client() as kube:
            for node in node_objects():
                kube.apply(node)
            say(f"waiting for nodes {', '.join(NODE_NAMES)} to be Ready")
            _wait_nodes_ready(kube, NODE_NAMES, timeout=90.0)
            if seed:
                seed_workload(kube, say)
        say(f"sandbox ready; kubeconfig: {self.layout.kubeconfig}")
        return self.layout.kubeconfig

    def seed(self, progress: Progress | None = None) -> None:
        """Apply the demo workload and wait until its pods run.

        Raises
        ------
        SandboxError
            The sandbox is not running or the workload did not settle.
        """
        with self._lock():
            if not self.status().running:
                raise SandboxError("the sandbox is not running; run `kubechat sandbox up` first")
            with self._client() as kube:
                seed_workload(kube, progress or (lambda line: None))

    def down(self, progress: Progress | None = None) -> list[str]:
        """Stop every component in reverse start order.

        Returns
        -------
        list[str]
            Names of the components that were running.
        """
        say = progress or (lambda line: None)
        stopped = []
        with self._lock():
            for name in reversed(COMPONENTS):
                if self.supervisor.stop(name):
                    say(f"stopped {name}")
                    stopped.append(name)
        return stopped

    def status(self) -> SandboxStatus:
        """Which components run (from pid files checked against live processes)."""
        components = tuple(
            ComponentStatus(name, self.supervisor.pid(name), self.supervisor.log_file(name))
            for name in COMPONENTS
        )
        return SandboxStatus(components, self.layout.kubeconfig, apiserver_url(self.ports))

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise up/seed/down across processes (several test sessions share one sandbox)."""
        self.layout.state_dir.mkdir(parents=True, exist_ok=True)
        with (self.layout.state_dir / ".lock").open("w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX)
            except OSError as exc:
                raise SandboxError(
                    f"could not lock {self.layout.state_dir / '.lock'}: {exc.strerror}"
                ) from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _client(self) -> KubeClient:
        return KubeClient(apiserver_url(self.ports), tls_context(self.layout))


def _wait_nodes_ready(kube: KubeClient, names: tuple[str, ...], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    not_ready: list[str] = list(names)
    while True:
        nodes = {n["metadata"]["name"]: n for n in kube.items("/api/v1/nodes")}
        not_ready = [name for name in names if not _node_ready(nodes.get(name))]
        if not not_ready:
            return
        if time.monotonic() >= deadline:
            raise SandboxError(
                f"nodes {', '.join(not_ready)} not Ready after {timeout:.0f} s; kwok sets node "
                "status, so check the kwok log (`kubechat sandbox status` shows its path)"
            )
        time.sleep(0.5)


def _node_ready(node: dict[str, object] | None) -> bool:
    if not node:
        return False
    status = node.get("status")
    conditions = status.get("conditions", []) if isinstance(status, dict) else []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)
