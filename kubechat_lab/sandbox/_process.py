"""Start, watch and stop the sandbox's daemons: pid files, log files, readiness, process groups."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kubechat_lab.errors import ComponentFailed, SandboxError

__all__ = ["ComponentSpec", "ProcessSupervisor", "running_from", "tail"]

logger = logging.getLogger(__name__)

# Popen objects of the children this interpreter started, so they are reaped on stop and
# never garbage-collected while running (which would warn).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}
# Exit statuses of reaped children, so a later look-up still reports them.
_EXIT_CODES: dict[int, int] = {}

_POLL_INTERVAL = 0.2


@dataclass(frozen=True, slots=True)
class ComponentSpec:
    """How to run one daemon.

    Parameters
    ----------
    name
        Component name; also the pid and log file stem.
    argv
        The full command line; ``argv[0]`` is the binary path.
    ready
        Probe of a real endpoint; returns True once the daemon serves. It may raise any
        ``Exception`` while the daemon is still starting.
    ready_timeout
        Seconds to wait for ``ready``.
    env
        Extra environment variables.
    """

    name: str
    argv: tuple[str, ...]
    ready: Callable[[], bool]
    ready_timeout: float = 60.0
    env: Mapping[str, str] = field(default_factory=dict)


def tail(path: Path, lines: int = 20) -> str:
    """Return the last ``lines`` lines of a text file ('' when it does not exist)."""
    try:
        with path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


class ProcessSupervisor:
    """Runs daemons detached in their own session, tracked by pid files.

    Parameters
    ----------
    pids_dir
        Directory of ``<name>.pid`` files.
    logs_dir
        Directory of ``<name>.log`` files (appended to, stdout and stderr together).
    """

    def __init__(self, pids_dir: Path, logs_dir: Path) -> None:
        self.pids_dir = pids_dir
        self.logs_dir = logs_dir

    def pid_file(self, name: str) -> Path:
        """Path of the pid file of ``name``."""
        return self.pids_dir / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        """Path of the log file of ``name``."""
        return self.logs_dir / f"{name}.log"

    def pid(self, name: str) -> int | None:
        """Return the pid of ``name`` when its pid file names our live process, else None.

        The pid file also holds the process's start time: after a reboot or a killed session a
        stale pid may belong to an unrelated process, which must never be reported as ours (or
        signalled by :meth:`stop`).
        """
        try:
            fields = self.pid_file(name).read_text().split()
            pid = int(fields[0])
            started = fields[1] if len(fields) > 1 else None
        except (FileNotFoundError, ValueError, IndexError):
            return None
        if not _alive(pid):
            return None
        if started is not None and started != _start_time(pid):
            logger.info("stale pid file name=%s pid=%d (another process has that pid)", name, pid)
            return None
        return pid

    def start(self, spec: ComponentSpec) -> int:
        """Start ``spec`` unless it already runs, then wait until it is ready.

        Returns
        -------
        int
            The pid (of the already running process when start was a no-op).

        Raises
        ------
        ComponentFailed
            The binary could not be executed, exited, or was not ready in time; the message
            quotes the last lines of its log.
        """
        running = self.pid(spec.name)
        if running is not None:
            logger.debug("component already running name=%s pid=%d", spec.name, running)
            self.wait_ready(spec, running)
            return running
        self.pids_dir.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.log_file(spec.name)
        env = {**os.environ, **spec.env}
        with log_path.open("ab") as log:
            log.write(f"--- start {time.strftime('%Y-%m-%dT%H:%M:%S%z')}\n".encode())
            log.flush()
            try:
                proc = subprocess.Popen(
                    list(spec.argv),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    env=env,
                    close_fds=True,
                )
            except OSError as exc:
                raise ComponentFailed(
                    f"could not execute {spec.name} ({spec.argv[0]}): {exc.strerror}; "
                    "run `kubechat sandbox build` to (re)build the binaries",
                    component=spec.name,
                    log_path=str(log_path),
                ) from exc
        _CHILDREN[proc.pid] = proc
        _EXIT_CODES.pop(proc.pid, None)
        self.pid_file(spec.name).write_text(f"{proc.pid} {_start_time(proc.pid)}\n")
        logger.info("process started name=%s pid=%d log=%s", spec.name, proc.pid, log_path)
        self.wait_ready(spec, proc.pid)
        return proc.pid

    def wait_ready(self, spec: ComponentSpec, pid: int) -> None:
        """Poll ``spec.ready`` until it returns True, the process dies, or time runs out.

        Raises
        ------
        ComponentFailed
            The process exited or was not ready within ``spec.ready_timeout`` seconds.
        """
        deadline = time.monotonic() + spec.ready_timeout
        last_error = "probe returned false"
        while True:
            if not _alive(pid):
                code = _reap(pid)
                self.pid_file(spec.name).unlink(missing_ok=True)
                raise self._failed(spec.name, f"exited (status {code}) before it was ready")
            try:
                if spec.ready():
                    logger.debug("component ready name=%s pid=%d", spec.name, pid)
                    return
            except Exception as exc:  # noqa: BLE001 - a starting daemon fails probes in many ways
                last_error = f"{type(exc).__name__}: {exc}"
                logger.debug("probe failed name=%s error=%s", spec.name, last_error)
            if time.monotonic() >= deadline:
                raise self._failed(
                    spec.name,
                    f"was not ready after {spec.ready_timeout:.0f} s (last probe: {last_error})",
                )
            time.sleep(_POLL_INTERVAL)

    def stop(self, name: str, timeout: float = 15.0) -> bool:
        """Stop ``name``: SIGTERM to its process group, wait, then SIGKILL.

        Returns
        -------
        bool
            True when a process was running.

        Raises
        ------
        SandboxError
            The process survived SIGKILL (it is stuck in the kernel).
        """
        pid = self.pid(name)
        if pid is None:
            self.pid_file(name).unlink(missing_ok=True)
            return False
        logger.info("process stopping name=%s pid=%d", name, pid)
        _signal_group(pid, signal.SIGTERM)
        if not _wait_gone(pid, timeout):
            logger.info("process ignored SIGTERM, killing name=%s pid=%d", name, pid)
            _signal_group(pid, signal.SIGKILL)
            if not _wait_gone(pid, 5.0):
                raise SandboxError(
                    f"{name} (pid {pid}) survived SIGKILL; check `ps -o stat -p {pid}` "
                    "and remove it by hand"
                )
        # Children that left the group-leader behind still get the group's SIGKILL.
        _signal_group(pid, signal.SIGKILL)
        self.pid_file(name).unlink(missing_ok=True)
        logger.info("process stopped name=%s pid=%d", name, pid)
        return True

    def _failed(self, name: str, what: str) -> ComponentFailed:
        log_path = self.log_file(name)
        last = tail(log_path) or "(log is empty)"
        return ComponentFailed(
            f"sandbox component {name} {what}. Last lines of {log_path}:\n{last}\n"
            "Fix the cause above, then run `kubechat sandbox up` again.",
            component=name,
            log_path=str(log_path),
        )


def _start_time(pid: int) -> str:
    """Return the process's start time in clock ticks since boot (field 22 of /proc/PID/stat)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "?"
    return stat.rpartition(")")[2].split()[19]


def _alive(pid: int) -> bool:
    """Return True when ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    state = stat.rpartition(")")[2].split()[0]
    if state == "Z":
        _reap(pid)
        return False
    return True


def _reap(pid: int) -> int | None:
    """Collect the exit status of a child of this interpreter (None for foreign processes)."""
    if pid in _EXIT_CODES:
        return _EXIT_CODES[pid]
    proc = _CHILDREN.pop(pid, None)
    if proc is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            _EXIT_CODES[pid] = proc.wait(timeout=1.0)
            return _EXIT_CODES[pid]
        _CHILDREN[pid] = proc
        return None
    try:
        _, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status) if status else None


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    _reap(pid)
    return True


def running_from(directory: Path, names: Sequence[str] = ()) -> list[int]:
    """Pids of live processes whose executable lies in ``directory`` (for leak checks)."""
    found: list[int] = []
    target = str(directory.resolve())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            exe = os.readlink(entry / "exe")
        except OSError:
            continue
        if os.path.dirname(exe) == target and (not names or os.path.basename(exe) in names):
            if _alive(int(entry.name)):
                found.append(int(entry.name))
    return sorted(found)
