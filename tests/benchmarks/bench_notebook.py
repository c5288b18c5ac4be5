"""Benchmark: ``%kubectl get pods -A`` in a real kernel -> DataFrame, vs kubectl and the client.

Run (the sandbox must be up; 10,000 pods are made in namespace ``bench`` as
tests/benchmarks/bench_list_pods.py makes them, and removed afterwards unless ``--keep``)::

    .venv/bin/python tests/benchmarks/bench_notebook.py [--pods 10000] [--repeat 3] [--keep]

It starts a real Jupyter server with kubechat (sandbox kubeconfig, an embedded PostgreSQL for
the audit chain under a temporary directory) and a real kernel through the sessions API, then
measures, interleaved in the same run:

(k) ``%kubectl get pods -A -o pods`` in the kernel: propose, audit, policy approval, the Table
    list through the server, Arrow IPC to the kernel, the typed DataFrame (timed in the kernel)
(a) the client alone in the kernel (``propose`` + ``execute``), Arrow reply, no widget
(j) the same with the JSON reply (``execute(arrow=False)``) instead of Arrow
(d) plain ``kubectl get pods -A`` printing its table (process wall time)
(c) the kubernetes client's ``list_pod_for_all_namespaces()`` into models, then a DataFrame

and prints medians, ratios against (k), and the Arrow and JSON sizes. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.benchmarks.bench_list_pods import (  # noqa: E402 - the repo root goes on the path first
    KUBECTL,
    PROGRAM_C,
    PYTHON,
    cleanup,
    run_child,
    setup,
)

KERNEL_SETUP = """%load_ext kubechat_lab
import time, json
from kubechat_lab.kernel import KubechatClient
"""
KERNEL_ARROW = """
t0 = time.perf_counter()
_ = get_ipython().run_line_magic('kubectl', 'get pods -A -o pods')
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "rows": len(pods)}))
"""
KERNEL_CLIENT = """
kc = KubechatClient()
t0 = time.perf_counter()
p = kc.propose('kubectl get pods -A')
out = kc.execute(p['id'], arrow=%s)
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "rows": len(out.frame), "bytes": out.nbytes}))
"""
KERNEL_JSON = KERNEL_CLIENT % "False"
KERNEL_RAW_ARROW = KERNEL_CLIENT % "True"


def start_server(base: Path, kubeconfig: str) -> tuple[subprocess.Popen[bytes], str, str, Any]:
    """Start ``jupyter server`` with kubechat; return (process, url, token, embedded pg)."""
    import httpx

    from kubechat_lab.audit import embedded_for_data_dir

    pg = embedded_for_data_dir(base / "postgres")
    token = secrets.token_hex(16)
    for name in ("config", "data", "runtime", "root"):
        (base / name).mkdir(parents=True, exist_ok=True)
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = {"ServerApp": {"ip": "127.0.0.1", "port": port, "port_retries": 0,
                            "open_browser": False, "allow_root": True,
                            "root_dir": str(base / "root"),
                            "jpserver_extensions": {"kubechat_lab": True}},
              "IdentityProvider": {"token": token},
              "KubechatApp": {"kubeconfig": kubeconfig, "audit_dsn": pg.app_dsn,
                              "audit_dsn_env": "", "request_timeout": 120.0}}
    (base / "config" / "jupyter_server_config.json").write_text(json.dumps(config))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(base / "config"),
           "JUPYTER_DATA_DIR": str(base / "data"), "JUPYTER_RUNTIME_DIR": str(base / "runtime")}
    log = (base / "server.log").open("wb")
    proc = subprocess.Popen([PYTHON, "-m", "jupyter", "server"], env=env, cwd=base / "root",
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "api/status", headers={"Authorization": f"token {token}"},
                         timeout=5).status_code == 200:
                return proc, url, token, pg
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"jupyter server did not start; see {base / 'server.log'}")


def start_kernel(base: Path, url: str, token: str) -> Any:
    """Start a notebook session's kernel through the server; return a blocking client."""
    import httpx
    from jupyter_client import BlockingKernelClient

    body = {"path": "bench.ipynb", "type": "notebook", "name": "bench",
            "kernel": {"name": "python3"}}
    reply = httpx.post(url + "api/sessions", json=body,
                       headers={"Authorization": f"token {token}"}, timeout=60)
    reply.raise_for_status()
    kernel_id = reply.json()["kernel"]["id"]
    connection = base / "runtime" / f"kernel-{kernel_id}.json"
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels(hb=False)  # the server owns the kernel and its heartbeat
    client.wait_for_ready(timeout=120)
    return client


def run_in_kernel(client: Any, code: str) -> dict[str, Any]:
    """Execute ``code``; return the JSON it printed last (raise on a kernel error)."""
    lines: list[str] = []

    def hook(msg: dict[str, Any]) -> None:
        if msg["msg_type"] == "stream":
            lines.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            lines.append("ERROR " + msg["content"]["evalue"])

    reply = client.execute_interactive(code, timeout=600, output_hook=hook)
    text = "".join(lines).strip()
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"kernel error: {text[-2000:]}")
    return json.loads(text.splitlines()[-1]) if text else {}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the bench pods in place")
    parser.add_argument("--skip-setup", action="store_true", help="the pods already exist")
    args = parser.parse_args()
    from kubechat_lab.sandbox import SandboxManager

    kubeconfig = str(SandboxManager().kubeconfig_path())
    if not args.skip_setup:
        print(f"creating {args.pods} pods in namespace bench ...", flush=True)
        setup(kubeconfig, args.pods)
    base = Path(tempfile.mkdtemp(prefix="kc-bench-nb-"))
    proc = None
    pg = None
    try:
        proc, url, token, pg = start_server(base, kubeconfig)
        kernel = start_kernel(base, url, token)
        run_in_kernel(kernel, KERNEL_SETUP)
        run_in_kernel(kernel, KERNEL_ARROW)  # warm: discovery, connection pools, imports
        runs: dict[str, list[dict[str, Any]]] = {"k": [], "a": [], "j": [], "d": [], "c": []}
        for _ in range(args.repeat):
            runs["k"].append(run_in_kernel(kernel, KERNEL_ARROW))
            runs["a"].append(run_in_kernel(kernel, KERNEL_RAW_ARROW))
            runs["j"].append(run_in_kernel(kernel, KERNEL_JSON))
            runs["d"].append(run_child([KUBECTL, f"--kubeconfig={kubeconfig}", "get", "pods",
                                        "-A"], stdout_json=False))
            runs["c"].append(run_child([PYTHON, "-c", PROGRAM_C, kubeconfig], stdout_json=True))
        kernel.stop_channels()
        labels = {"k": "%kubectl get pods -A in a kernel (Arrow, card)",
                  "a": "KubechatClient propose + execute, Arrow reply",
                  "j": "KubechatClient propose + execute, JSON reply",
                  "d": "kubectl get pods -A (table printed, process)",
                  "c": "kubernetes client models -> DataFrame"}
        median = {key: statistics.median(r.get("seconds", r.get("wall", 0.0)) for r in rs)
                  for key, rs in runs.items()}
        print(f"\n{runs['k'][0]['rows']} pods; {args.repeat} runs each (interleaved), median; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
        for key, label in labels.items():
            print(f"({key}) {label:48s} {median[key]:7.3f}s")
        print("\nratios against (k):")
        for key in ("a", "j", "d", "c"):
            print(f"  ({key}) / (k): {median[key] / median['k']:6.2f}x")
        print(f"\ntransfer: Arrow {runs['a'][0]['bytes'] / 2**20:.2f} MiB vs JSON "
              f"{runs['j'][0]['bytes'] / 2**20:.2f} MiB; JSON / Arrow time "
              f"{median['j'] / median['a']:.2f}x")
        print(f"targets: (k) no slower than (d): {median['k']:.3f}s vs {median['d']:.3f}s; "
              f"(k) >= 5x faster than (c): {median['c'] / median['k']:.1f}x")
        print(json.dumps({"median_s": median, "runs": runs}, default=str))
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if pg is not None:
            pg.stop()
        if not args.keep:
            print("\nremoving the bench namespace and nodes", flush=True)
            cleanup(kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
