"""Process supervision against tiny fake daemons: start, readiness, stop, ComponentFailed."""

from __future__ import annotations

import os
import pickle
import re
import socket
import sys
import time
from pathlib import Path

import httpx
import pytest

from kubechat_lab.errors import ComponentFailed, KubechatError
from kubechat_lab.sandbox._process import ComponentSpec, ProcessSupervisor, tail

FAKE = Path(__file__).with_name("fake_daemon.py")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _health(port: int) -> bool:
    return httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200


def _spec(mode: str, port: int = 0, timeout: float = 15.0, name: str = "fake") -> ComponentSpec:
    return ComponentSpec(
        name=name,
        argv=(sys.executable, str(FAKE), mode, str(port)),
        ready=lambda: _health(port),
        ready_timeout=timeout,
    )


@pytest.fixture
def supervisor(tmp_path: Path):  # type: ignore[no-untyped-def]
    sup = ProcessSupervisor(tmp_path / "pids", tmp_path / "logs")
    yield sup
    for pid_file in (tmp_path / "pids").glob("*.pid"):
        sup.stop(pid_file.stem, timeout=2.0)


def test_start_writes_pid_and_log_and_waits_until_ready(supervisor: ProcessSupervisor) -> None:
    port = _free_port()
    pid = supervisor.start(_spec("serve", port))
    assert supervisor.pid_file("fake").read_text().split()[0] == str(pid)
    assert supervisor.pid("fake") == pid
    assert _health(port)  # the probe passed, so the endpoint answers now
    assert "fake daemon mode=serve starting" in supervisor.log_file("fake").read_text()
    assert os.getpgid(pid) == pid  # its own session and process group


def test_start_is_idempotent(supervisor: ProcessSupervisor) -> None:
    port = _free_port()
    first = supervisor.start(_spec("serve", port))
    second = supervisor.start(_spec("serve", port))
    assert first == second
    assert supervisor.log_file("fake").read_text().count("starting") == 1


def test_stop_terminates_and_removes_pid_file(supervisor: ProcessSupervisor) -> None:
    pid = supervisor.start(_spec("serve", _free_port()))
    assert supervisor.stop("fake") is True
    assert not _alive(pid)
    assert not supervisor.pid_file("fake").exists()
    assert supervisor.stop("fake") is False


def test_stop_kills_the_whole_process_group(supervisor: ProcessSupervisor) -> None:
    supervisor.start(_spec("family", _free_port()))
    log = supervisor.log_file("fake").read_text()
    match = re.search(r"grandchild pid=(\d+)", log)
    assert match, log
    grandchild = int(match.group(1))
    assert _alive(grandchild)
    supervisor.stop("fake")
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def test_stop_escalates_to_sigkill(supervisor: ProcessSupervisor) -> None:
    pid = supervisor.start(_spec("stubborn", _free_port()))
    assert supervisor.stop("fake", timeout=0.5) is True
    assert not _alive(pid)
    assert "ignoring SIGTERM" in supervisor.log_file("fake").read_text()


def test_exit_before_ready_raises_component_failed_with_log_tail(
    supervisor: ProcessSupervisor,
) -> None:
    with pytest.raises(ComponentFailed) as info:
        supervisor.start(_spec("exit1", _free_port(), name="etcd"))
    err = info.value
    assert err.component == "etcd"
    assert err.log_path == str(supervisor.log_file("etcd"))
    assert "exited (status 1)" in str(err)
    assert "--answer must be 42" in str(err)  # stderr went to the same log
    assert not supervisor.pid_file("etcd").exists()
    assert isinstance(err, KubechatError)


def test_not_ready_in_time_raises_component_failed(supervisor: ProcessSupervisor) -> None:
    with pytest.raises(ComponentFailed) as info:
        supervisor.start(_spec("silent", _free_port(), timeout=1.0))
    assert "was not ready after 1 s" in str(info.value)
    assert "ConnectError" in str(info.value)
    pid = supervisor.pid("fake")
    assert pid is not None  # still running: the caller decides to stop it
    supervisor.stop("fake")
    assert not _alive(pid)


def test_missing_binary_raises_component_failed(
    supervisor: ProcessSupervisor, tmp_path: Path
) -> None:
    spec = ComponentSpec("kwok", (str(tmp_path / "no-such-binary"),), ready=lambda: True)
    with pytest.raises(ComponentFailed) as info:
        supervisor.start(spec)
    assert info.value.component == "kwok"
    assert "kubechat sandbox build" in str(info.value)


def test_stale_pid_file_is_ignored(supervisor: ProcessSupervisor) -> None:
    supervisor.pids_dir.mkdir(parents=True)
    supervisor.pid_file("fake").write_text("999999999\n")
    assert supervisor.pid("fake") is None
    pid = supervisor.start(_spec("serve", _free_port()))
    assert pid != 999999999


def test_pid_reused_by_another_process_is_not_ours(supervisor: ProcessSupervisor) -> None:
    """After a reboot a stale pid file may name a live, unrelated process: never report or
    signal it (here: this test process, with another start time in the file)."""
    supervisor.pids_dir.mkdir(parents=True)
    me = os.getpid()
    started = Path(f"/proc/{me}/stat").read_text().rpartition(")")[2].split()[19]
    supervisor.pid_file("kube-apiserver").write_text(f"{me} {started}\n")
    assert supervisor.pid("kube-apiserver") == me  # same pid, same start time: ours
    supervisor.pid_file("kube-apiserver").write_text(f"{me} {int(started) + 1}\n")
    assert supervisor.pid("kube-apiserver") is None
    assert supervisor.stop("kube-apiserver") is False  # and we are still alive to assert it


def test_pid_file_records_the_start_time(supervisor: ProcessSupervisor) -> None:
    pid = supervisor.start(_spec("serve", _free_port()))
    recorded = supervisor.pid_file("fake").read_text().split()
    assert recorded[0] == str(pid) and recorded[1].isdigit()
    assert supervisor.pid("fake") == pid
    supervisor.stop("fake")


def test_component_failed_pickles() -> None:
    err = ComponentFailed("boom", component="kube-apiserver", log_path="/x.log")
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.component, copy.log_path, str(copy)) == ("kube-apiserver", "/x.log", "boom")


def test_tail_returns_last_lines(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    path.write_text("".join(f"line {i}\n" for i in range(100)))
    assert tail(path, 3) == "line 97\nline 98\nline 99"
    assert tail(tmp_path / "missing.log") == ""
