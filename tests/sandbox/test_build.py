"""The build step: cache layout, no-op when cached, clear errors without Go."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubechat_lab.errors import SandboxError
from kubechat_lab.sandbox._build import BINARIES, build_binaries, missing_binaries
from kubechat_lab.sandbox._layout import KUBERNETES_VERSION, Ports, SandboxLayout


def _layout(tmp_path: Path) -> SandboxLayout:
    return SandboxLayout(state_dir=tmp_path / "state", cache_dir=tmp_path / "cache")


def test_cache_is_keyed_by_kubernetes_version(tmp_path: Path) -> None:
    layout = _layout(tmp_path)
    assert layout.bin_dir == tmp_path / "cache" / KUBERNETES_VERSION / "bin"


def test_layout_honours_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECHAT_SANDBOX_DIR", str(tmp_path / "s"))
    monkeypatch.setenv("KUBECHAT_SANDBOX_CACHE", str(tmp_path / "c"))
    layout = SandboxLayout.from_env()
    assert (layout.state_dir, layout.cache_dir) == (tmp_path / "s", tmp_path / "c")


def test_build_is_a_no_op_when_every_binary_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = _layout(tmp_path)
    layout.bin_dir.mkdir(parents=True)
    for step in BINARIES:
        path = layout.binary(step.binary)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no go: it must not be needed
    lines: list[str] = []
    assert build_binaries(layout, progress=lines.append) == {}
    assert missing_binaries(layout) == []
    assert lines == [f"all binaries present in {layout.bin_dir}"]


def test_build_without_go_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SandboxError, match="`go` is not on PATH"):
        build_binaries(_layout(tmp_path))


def test_wrapper_modules_pin_the_versions() -> None:
    k8s = SandboxLayout.gomod_dir("kubernetes") / "go.mod"
    text = k8s.read_text()
    assert f"require k8s.io/kubernetes {KUBERNETES_VERSION}" in text
    assert "k8s.io/client-go => k8s.io/client-go v0.36.3" in text
    assert (k8s.parent / "go.sum").exists()
    assert (SandboxLayout.gomod_dir("etcd") / "go.sum").exists()


def test_ports_round_trip_and_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECHAT_SANDBOX_PORT_OFFSET", "100")
    ports = Ports.from_env()
    assert ports.apiserver == Ports().apiserver + 100
    assert Ports.from_json(ports.to_json()) == ports
