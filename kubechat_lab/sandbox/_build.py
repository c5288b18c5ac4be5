"""Build the sandbox binaries from Go modules into the version-keyed cache."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kubechat_lab.errors import SandboxError
from kubechat_lab.sandbox._layout import (
    KUBERNETES_VERSION,
    KWOK_VERSION,
    METRICS_SERVER_VERSION,
    SandboxLayout,
)
from kubechat_lab.sandbox._process import tail

__all__ = ["BINARIES", "BuildStep", "build_binaries", "missing_binaries"]

logger = logging.getLogger(__name__)

_STEP_TIMEOUT = 3 * 3600.0

_MAJOR, _MINOR = KUBERNETES_VERSION.lstrip("v").split(".")[:2]
_VERSION_LDFLAGS = " ".join(
    f"-X {pkg}.{var}={value}"
    for pkg in ("k8s.io/component-base/version", "k8s.io/client-go/pkg/version")
    for var, value in (
        ("gitVersion", KUBERNETES_VERSION),
        ("gitMajor", _MAJOR),
        ("gitMinor", _MINOR),
        ("gitTreeState", "clean"),
    )
)


@dataclass(frozen=True, slots=True)
class BuildStep:
    """One binary: how ``go`` builds it.

    ``module`` names the committed wrapper module (``go build`` in it) or is None for a
    ``go install <package>@<version>`` of a module without replace directives.
    """

    binary: str
    package: str
    module: str | None
    ldflags: str = "-s -w"


BINARIES: tuple[BuildStep, ...] = (
    BuildStep("etcd", ".", "etcd"),
    BuildStep(
        "kube-apiserver",
        "k8s.io/kubernetes/cmd/kube-apiserver",
        "kubernetes",
        f"-s -w {_VERSION_LDFLAGS}",
    ),
    BuildStep(
        "kube-controller-manager",
        "k8s.io/kubernetes/cmd/kube-controller-manager",
        "kubernetes",
        f"-s -w {_VERSION_LDFLAGS}",
    ),
    BuildStep(
        "kube-scheduler",
        "k8s.io/kubernetes/cmd/kube-scheduler",
        "kubernetes",
        f"-s -w {_VERSION_LDFLAGS}",
    ),
    BuildStep("kwok", f"sigs.k8s.io/kwok/cmd/kwok@{KWOK_VERSION}", None),
    BuildStep(
        "metrics-server",
        f"sigs.k8s.io/metrics-server/cmd/metrics-server@{METRICS_SERVER_VERSION}",
        None,
    ),
)


def missing_binaries(layout: SandboxLayout) -> list[str]:
    """Names of the binaries not yet in the cache."""
    return [s.binary for s in BINARIES if not os.access(layout.binary(s.binary), os.X_OK)]


def build_binaries(
    layout: SandboxLayout,
    *,
    progress: Callable[[str], None] | None = None,
    force: bool = False,
) -> dict[str, float]:
    """Build every missing binary (all of them with ``force``).

    Parameters
    ----------
    layout
        Gives the cache directory.
    progress
        Called with one line per step (``building kube-apiserver``, ``... done in 412 s``).
    force
        Rebuild binaries that already exist.

    Returns
    -------
    dict[str, float]
        Seconds per built binary (empty when everything was cached: a no-op).

    Raises
    ------
    SandboxError
        ``go`` is missing or a build step failed; the message quotes the build log.
    """
    say = progress or (lambda line: None)
    todo = [s for s in BINARIES if force or s.binary in missing_binaries(layout)]
    if not todo:
        say(f"all binaries present in {layout.bin_dir}")
        return {}
    go = shutil.which("go")
    if go is None:
        raise SandboxError(
            "cannot build the sandbox: `go` is not on PATH; install Go >= 1.26 "
            "(https://go.dev/dl) and run `kubechat sandbox build` again"
        )
    layout.bin_dir.mkdir(parents=True, exist_ok=True)
    layout.build_log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
    times: dict[str, float] = {}
    started = time.monotonic()
    for module in sorted({s.module for s in todo if s.module}):
        say(f"downloading modules for gomod/{module}")
        _run(
            layout,
            f"download-{module}",
            [go, "mod", "download"],
            cwd=SandboxLayout.gomod_dir(module),
            env=env,
        )
    for step in todo:
        say(f"building {step.binary}")
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(dir=layout.bin_dir, prefix=".build-") as tmp:
            out = Path(tmp) / step.binary
            if step.module is not None:
                argv = [
                    go,
                    "build",
                    "-trimpath",
                    f"-ldflags={step.ldflags}",
                    "-o",
                    str(out),
                    step.package,
                ]
                _run(layout, step.binary, argv, cwd=SandboxLayout.gomod_dir(step.module), env=env)
            else:
                argv = [go, "install", "-trimpath", f"-ldflags={step.ldflags}", step.package]
                _run(layout, step.binary, argv, cwd=Path(tmp), env={**env, "GOBIN": tmp})
            os.replace(out, layout.binary(step.binary))
        times[step.binary] = time.monotonic() - t0
        logger.info("binary built name=%s seconds=%.0f", step.binary, times[step.binary])
        say(f"{step.binary} done in {times[step.binary]:.0f} s")
    say(f"build done in {time.monotonic() - started:.0f} s ({layout.bin_dir})")
    return times


def _run(
    layout: SandboxLayout, name: str, argv: list[str], *, cwd: Path, env: dict[str, str]
) -> None:
    log_path = layout.build_log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        log.write(("$ " + " ".join(argv) + f"\n(cwd {cwd})\n").encode())
        log.flush()
        try:
            proc = subprocess.run(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=_STEP_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise SandboxError(
                f"building {name} took longer than {_STEP_TIMEOUT:.0f} s; see {log_path}"
            ) from exc
        except OSError as exc:
            raise SandboxError(f"could not run {argv[0]} for {name}: {exc.strerror}") from exc
    if proc.returncode != 0:
        raise SandboxError(
            f"building {name} failed (exit {proc.returncode}): {' '.join(argv)} in {cwd}. "
            f"Last lines of {log_path}:\n{tail(log_path, 30)}\n"
            "Check network access to the Go module proxy and the Go version (>= 1.26), "
            "then run `kubechat sandbox build` again."
        )
