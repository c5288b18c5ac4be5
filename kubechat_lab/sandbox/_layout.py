"""Where the sandbox keeps its binaries, state, certificates and logs, and which ports it uses."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "COMPONENTS",
    "ETCD_VERSION",
    "KUBERNETES_VERSION",
    "KWOK_VERSION",
    "METRICS_SERVER_VERSION",
    "Ports",
    "SandboxLayout",
]

KUBERNETES_VERSION = "v1.36.3"
ETCD_VERSION = "v3.6.16"
KWOK_VERSION = "v0.8.0"
METRICS_SERVER_VERSION = "v0.8.0"

# Start order; stop runs in reverse.
COMPONENTS: tuple[str, ...] = (
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
    "kwok",
    "metrics-server",
)

_PACKAGE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Ports:
    """The 127.0.0.1 ports of the sandbox processes.

    Fixed defaults keep the kubeconfig stable across restarts; pass other values (or set
    ``KUBECHAT_SANDBOX_PORT_OFFSET``) when they collide with something else on the machine.
    """

    etcd_client: int = 32379
    etcd_peer: int = 32380
    apiserver: int = 36443
    controller_manager: int = 30257
    scheduler: int = 30259
    kwok: int = 30250
    metrics_server: int = 30443

    @classmethod
    def from_env(cls) -> Ports:
        """Return the default ports shifted by ``KUBECHAT_SANDBOX_PORT_OFFSET`` (default 0).

        Raises
        ------
        ValueError
            When the offset is not an integer.
        """
        raw = os.environ.get("KUBECHAT_SANDBOX_PORT_OFFSET", "0").strip() or "0"
        offset = int(raw)
        defaults = cls()
        return cls(**{f.name: getattr(defaults, f.name) + offset for f in dataclasses.fields(cls)})

    def to_json(self) -> str:
        """Serialise for ``ports.json`` in the state directory."""
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Ports:
        """Read what :meth:`to_json` wrote."""
        data = json.loads(text)
        return cls(**{f.name: int(data[f.name]) for f in dataclasses.fields(cls)})


@dataclass(frozen=True, slots=True)
class SandboxLayout:
    """Paths of one sandbox: a version-keyed binary cache and a state directory.

    Parameters
    ----------
    state_dir
        Holds ``pki/``, ``pids/``, ``logs/``, ``etcd/``, ``config/``, ``podlogs/`` and
        ``kubeconfig``.
    cache_dir
        Root of the binary cache; binaries live in ``<cache_dir>/<kubernetes version>/bin``.
    """

    state_dir: Path
    cache_dir: Path

    @classmethod
    def from_env(cls) -> SandboxLayout:
        """Use ``KUBECHAT_SANDBOX_DIR`` and ``KUBECHAT_SANDBOX_CACHE``, else XDG-style defaults."""
        home = Path.home()
        state = os.environ.get("KUBECHAT_SANDBOX_DIR") or str(
            Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
            / "kubechat"
            / "sandbox"
        )
        cache = os.environ.get("KUBECHAT_SANDBOX_CACHE") or str(
            Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "kubechat" / "sandbox"
        )
        return cls(state_dir=Path(state).expanduser(), cache_dir=Path(cache).expanduser())

    @property
    def bin_dir(self) -> Path:
        """Directory of the built binaries for :data:`KUBERNETES_VERSION`."""
        return self.cache_dir / KUBERNETES_VERSION / "bin"

    @property
    def build_log_dir(self) -> Path:
        """Directory of the ``go build`` logs."""
        return self.cache_dir / KUBERNETES_VERSION / "build-logs"

    @property
    def pki_dir(self) -> Path:
        """Certificates and keys."""
        return self.state_dir / "pki"

    @property
    def pids_dir(self) -> Path:
        """One ``<component>.pid`` per running process."""
        return self.state_dir / "pids"

    @property
    def logs_dir(self) -> Path:
        """One ``<component>.log`` per process (stdout and stderr together)."""
        return self.state_dir / "logs"

    @property
    def etcd_dir(self) -> Path:
        """Return etcd's data directory."""
        return self.state_dir / "etcd"

    @property
    def config_dir(self) -> Path:
        """Per-component kubeconfigs and configuration files."""
        return self.state_dir / "config"

    @property
    def podlogs_dir(self) -> Path:
        """CRI-format container log files that kwok serves for ``pods/log``."""
        return self.state_dir / "podlogs"

    @property
    def kubeconfig(self) -> Path:
        """The admin kubeconfig (``system:masters``) for users and tests."""
        return self.state_dir / "kubeconfig"

    @property
    def ports_file(self) -> Path:
        """The ports the running sandbox was started with."""
        return self.state_dir / "ports.json"

    def binary(self, name: str) -> Path:
        """Path of one cached binary."""
        return self.bin_dir / name

    @staticmethod
    def gomod_dir(name: str) -> Path:
        """Return the committed wrapper Go module ``name`` (``kubernetes`` or ``etcd``)."""
        return _PACKAGE_DIR / "gomod" / name

    @staticmethod
    def data_file(name: str) -> Path:
        """Return a data file shipped in ``kubechat_lab/sandbox/data``."""
        return _PACKAGE_DIR / "data" / name
