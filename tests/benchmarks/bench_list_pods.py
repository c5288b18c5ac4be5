"""Benchmark: 10,000 pods to a DataFrame, ours against kubectl and the kubernetes client's models.

Run (the sandbox must be up; it creates the pods in namespace ``bench`` on extra kwok nodes and
removes them afterwards unless ``--keep``)::

    .venv/bin/python tests/benchmarks/bench_list_pods.py [--pods 10000] [--repeat 3] [--keep]

Each approach runs in its own subprocess, several times; the report gives the median wall time
of the operation (after imports), the whole process, and the peak RSS (``ru_maxrss`` of the
subprocess tree), plus ratios against (a):

(a) kubechat: Table API + paging + narrow msgspec decode (orjson without msgspec), frame
    built column-wise (``get pods -A``)
(b) ``kubectl get pods -A -o json`` + ``json.loads`` + ``pandas.json_normalize``
(c) the kubernetes client's ``list_pod_for_all_namespaces()`` into models, then a DataFrame
(d) plain ``kubectl get pods -A`` printing its table
(e) ``kubechat run "kubectl get pods -A" --no-audit`` printing its table: the whole command
    line, imports included (what a person waits for at the terminal)

Then, on the raw Table pages fetched once: decoding with orjson vs msgspec, and moving the
frame to a kernel as columnar JSON vs Arrow IPC. Timings are reported, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
KUBECHAT = str(Path(sys.executable).with_name("kubechat"))
KUBECTL = "/usr/bin/kubectl"
TIME = "/usr/bin/time"
NAMESPACE = "bench"
NODE_PREFIX = "kc-bench-node-"
PODS_PER_NODE = 1100
TAINT = {"key": "kubechat.bench", "value": "true", "effect": "NoSchedule"}

# -- the measured programs (each runs in a fresh interpreter) ------------------------------------

PROGRAM_A = """
import sys, time, json
from kubechat_lab.cluster import ClusterClient, ClusterConfig
from kubechat_lab.command import parse
import pandas
import kubernetes.client, kubernetes.config  # imported before timing, as in (c)
cmd = parse("get pods -A")
t0 = time.perf_counter()
with ClusterClient(ClusterConfig(kubeconfig=sys.argv[1])) as client:
    frame = client.execute(cmd).to_frame()
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "rows": len(frame)}))
"""

PROGRAM_B = """
import sys, time, json, subprocess, resource
import pandas
t0 = time.perf_counter()
out = subprocess.run([sys.argv[2], f"--kubeconfig={sys.argv[1]}", "get", "pods", "-A", "-o",
                      "json"], capture_output=True, check=True).stdout
data = json.loads(out)
frame = pandas.json_normalize(data["items"])
t1 = time.perf_counter()
kubectl_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": t1 - t0, "rows": len(frame), "kubectl_kb": kubectl_kb,
                  "python_kb": self_kb}))
"""

PROGRAM_C = """
import sys, time, json
import pandas
from kubernetes import client, config
config.load_kube_config(config_file=sys.argv[1])
api = client.CoreV1Api()
t0 = time.perf_counter()
pods = api.list_pod_for_all_namespaces().items
rows = {"namespace": [], "name": [], "status": [], "restarts": [], "node": [], "ip": [],
        "created": [], "labels": []}
for p in pods:
    rows["namespace"].append(p.metadata.namespace)
    rows["name"].append(p.metadata.name)
    rows["status"].append(p.status.phase)
    rows["restarts"].append(sum(c.restart_count for c in p.status.container_statuses or ()))
    rows["node"].append(p.spec.node_name)
    rows["ip"].append(p.status.pod_ip)
    rows["created"].append(p.metadata.creation_timestamp)
    rows["labels"].append(p.metadata.labels or {})
frame = pandas.DataFrame(rows)
t1 = time.perf_counter()
print(json.dumps({"seconds": t1 - t0, "rows": len(frame)}))
"""


def run_child(argv: list[str], *, stdout_json: bool) -> dict[str, Any]:
    """Run argv under GNU time; return wall seconds, peak RSS (MB) and its JSON output.

    GNU time (a 1 MB process) reports the child's ``ru_maxrss``: forking from this Python
    process directly would carry this process's own high-water mark into the child's.
    """
    started = time.perf_counter()
    proc = subprocess.run([TIME, "-f", "maxrss_kb=%M", *argv], capture_output=True, cwd=ROOT,
                          timeout=600, check=False)
    wall = time.perf_counter() - started
    err = proc.stderr.decode()
    if proc.returncode:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {err[-2000:]}")
    peak_kb = int(err.strip().splitlines()[-1].split("=", 1)[1])
    result: dict[str, Any] = {"wall": wall, "peak_mb": peak_kb / 1024}
    if stdout_json:
        result.update(json.loads(proc.stdout.decode().strip().splitlines()[-1]))
    return result


# -- setup: bench nodes and 10,000 kwok pods ------------------------------------------------------


def kubectl(kubeconfig: str, *args: str, stdin: str | None = None,
            check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run([KUBECTL, f"--kubeconfig={kubeconfig}", *args], input=stdin,
                          capture_output=True, text=True, timeout=600, check=check)


def running_pods(kubeconfig: str) -> int:
    from kubechat_lab.cluster import ClusterClient, ClusterConfig
    from kubechat_lab.command import parse

    with ClusterClient(ClusterConfig(kubeconfig=kubeconfig)) as client:
        frame = client.execute(parse(f"get pods -n {NAMESPACE}")).to_frame()
    return int((frame["status"] == "Running").sum())


def setup(kubeconfig: str, pods: int) -> None:
    nodes = -(-pods // PODS_PER_NODE)
    docs: list[dict[str, Any]] = [{"apiVersion": "v1", "kind": "Namespace",
                                   "metadata": {"name": NAMESPACE}}]
    for i in range(nodes):
        name = f"{NODE_PREFIX}{i}"
        docs.append({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": name,
                         "annotations": {"kwok.x-k8s.io/node": "fake",
                                         "node.alpha.kubernetes.io/ttl": "0",
                                         "metrics.k8s.io/resource-metrics-path":
                                             f"/metrics/nodes/{name}/metrics/resource"},
                         "labels": {"type": "kwok", "kubechat-bench": "yes",
                                    "kubernetes.io/hostname": name}},
            "spec": {"taints": [TAINT]},
            "status": {"allocatable": {"cpu": "64", "memory": "256Gi",
                                       "pods": str(PODS_PER_NODE)},
                       "capacity": {"cpu": "64", "memory": "256Gi",
                                    "pods": str(PODS_PER_NODE)}},
        })
    per_deployment = 1000
    for d in range(-(-pods // per_deployment)):
        replicas = min(per_deployment, pods - d * per_deployment)
        name = f"bench-{d}"
        docs.append({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": NAMESPACE},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name, "bench": "yes"}},
                                  "spec": {"nodeSelector": {"kubechat-bench": "yes"},
                                           "tolerations": [{**TAINT, "operator": "Equal"}],
                                           "containers": [{"name": "app",
                                                           "image": "bench:1"}]}}},
        })
    # a bench namespace still terminating from an earlier run would swallow the new pods; one
    # left Active by an interrupted run is simply reused (the apply below is idempotent)
    phase = kubectl(kubeconfig, "get", "namespace", NAMESPACE, "-o",
                    "jsonpath={.status.phase}", check=False).stdout.strip()
    if phase == "Terminating":
        kubectl(kubeconfig, "wait", "--for=delete", f"namespace/{NAMESPACE}", "--timeout=540s",
                check=False)
        kubectl(kubeconfig, "wait", "--for=delete", "node", "-l", "kubechat-bench=yes",
                "--timeout=540s", check=False)
    listed = {"apiVersion": "v1", "kind": "List", "items": docs}
    kubectl(kubeconfig, "apply", "-f", "-", stdin=json.dumps(listed))
    started = time.monotonic()
    while True:
        count = running_pods(kubeconfig)
        print(f"  {count}/{pods} bench pods Running after {time.monotonic() - started:.0f}s",
              flush=True)
        if count >= pods:
            return
        made = kubectl(kubeconfig, "get", "deployments", "-n", NAMESPACE, "--no-headers",
                       check=False).stdout.count("\n")
        if made == 0:
            raise RuntimeError(f"the bench deployments are gone from namespace {NAMESPACE}")
        if time.monotonic() - started > 1800:
            raise RuntimeError(f"only {count} of {pods} pods Running after 30 minutes")
        time.sleep(15)


def cleanup(kubeconfig: str) -> None:
    kubectl(kubeconfig, "delete", "namespace", NAMESPACE, "--wait=false", check=False)
    names = kubectl(kubeconfig, "get", "nodes", "-l", "kubechat-bench=yes", "-o", "name",
                    check=False).stdout.split()
    if names:
        kubectl(kubeconfig, "delete", *names, "--wait=false", check=False)


# -- the in-process comparisons ---------------------------------------------------------------


def decode_comparison(kubeconfig: str) -> dict[str, Any]:
    """orjson vs msgspec on the same raw Table pages (fetched once), plus kernel transfer."""
    import orjson

    from kubechat_lab.cluster import ClusterConfig, frames
    from kubechat_lab.cluster._transport import ACCEPT_TABLE, Transport

    transport = Transport(ClusterConfig(kubeconfig=kubeconfig))
    raw: list[bytes] = []
    token = None
    while True:
        query = {"limit": "500"}
        if token:
            query["continue"] = token
        body = transport.request("GET", "/api/v1/pods", query=query, accept=ACCEPT_TABLE)
        raw.append(body)
        token = orjson.loads(body)["metadata"].get("continue")
        if not token:
            break
    size_mb = sum(len(b) for b in raw) / 2**20

    def with_orjson() -> Any:
        builder = frames.TableBuilder("pods", namespaced=True)
        for body in raw:
            doc = orjson.loads(body)
            for row in doc["rows"]:
                row["object"]["metadata"].pop("managedFields", None)
            builder.add(doc)
        return builder.result()

    result: dict[str, Any] = {"pages": len(raw), "table_mb": round(size_mb, 1)}
    result["orjson_s"] = best(with_orjson)
    from kubechat_lab.cluster._fastdecode import table_decoder

    decode = table_decoder()
    if decode is None:
        result["msgspec_s"] = None
    else:
        narrow = decode

        def with_msgspec() -> Any:
            builder = frames.TableBuilder("pods", namespaced=True)
            for body in raw:
                builder.add(narrow(body))
            return builder.result()

        result["msgspec_s"] = best(with_msgspec)
    frame_result = with_orjson()
    result["to_frame_s"] = best(frame_result.to_frame)

    def json_transfer() -> Any:
        from kubechat_lab.cluster import Result

        return Result.from_json(frame_result.to_json()).to_frame()

    def arrow_transfer() -> Any:
        import pyarrow as pa

        table = frame_result.to_arrow()
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        data = sink.getvalue()
        return pa.ipc.open_stream(data).read_all().to_pandas()

    import pyarrow as pa

    table = frame_result.to_arrow()
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    result["json_bytes_mb"] = round(len(frame_result.to_json()) / 2**20, 2)
    result["arrow_bytes_mb"] = round(len(sink.getvalue()) / 2**20, 2)
    result["json_transfer_s"] = best(json_transfer)
    result["arrow_transfer_s"] = best(arrow_transfer)
    transport.close()
    return result


def best(fn: Any, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(min(times), 4)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--kubeconfig", default=None)
    parser.add_argument("--keep", action="store_true", help="leave the bench pods in place")
    parser.add_argument("--skip-setup", action="store_true", help="the pods already exist")
    args = parser.parse_args()
    kubeconfig = args.kubeconfig
    if kubeconfig is None:
        from kubechat_lab.sandbox import SandboxManager

        kubeconfig = str(SandboxManager().kubeconfig_path())
    if not args.skip_setup:
        print(f"creating {args.pods} pods in namespace {NAMESPACE} ...", flush=True)
        setup(kubeconfig, args.pods)
    try:
        total = int(kubectl(kubeconfig, "get", "pods", "-A", "--no-headers").stdout.count("\n"))
        print(f"\ncluster holds {total} pods; {args.repeat} runs each (interleaved), median "
              f"shown; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n",
              flush=True)
        programs = {
            "a": ("kubechat get pods -A -> DataFrame",
                  [PYTHON, "-c", PROGRAM_A, kubeconfig], True),
            "b": ("kubectl -o json + json.loads + json_normalize",
                  [PYTHON, "-c", PROGRAM_B, kubeconfig, KUBECTL], True),
            "c": ("kubernetes client models -> DataFrame",
                  [PYTHON, "-c", PROGRAM_C, kubeconfig], True),
            "d": ("kubectl get pods -A (table printed)",
                  [KUBECTL, f"--kubeconfig={kubeconfig}", "get", "pods", "-A"], False),
            "e": ("kubechat run get pods -A (table printed)",
                  [KUBECHAT, "run", "kubectl get pods -A", "--kubeconfig", kubeconfig,
                   "--no-audit"], False),
        }
        report: dict[str, dict[str, Any]] = {}
        all_runs: dict[str, list[dict[str, Any]]] = {key: [] for key in programs}
        for _ in range(args.repeat):  # interleaved, so load changes hit every approach alike
            for key, (_, argv, has_json) in programs.items():
                all_runs[key].append(run_child(argv, stdout_json=has_json))
        for key, (label, _, _) in programs.items():
            runs = all_runs[key]
            op = [r.get("seconds", r["wall"]) for r in runs]
            report[key] = {
                "label": label,
                "op_s": statistics.median(op),
                "process_s": statistics.median(r["wall"] for r in runs),
                "peak_mb": max(r["peak_mb"] for r in runs),
                "rows": runs[0].get("rows"),
            }
            if key == "b":
                report[key]["kubectl_mb"] = max(r["kubectl_kb"] for r in runs) / 1024
                report[key]["python_mb"] = max(r["python_kb"] for r in runs) / 1024
            print(f"({key}) {label:48s} op {report[key]['op_s']:7.3f}s  process "
                  f"{report[key]['process_s']:7.3f}s  peak {report[key]['peak_mb']:6.0f} MB  "
                  f"rows {report[key]['rows']}", flush=True)
        a = report["a"]
        print("\nratios (how many times slower than (a); operation time, process time):")
        for key in ("b", "c", "d", "e"):
            r = report[key]
            print(f"  ({key}) / (a): {r['op_s'] / a['op_s']:6.2f}x op, "
                  f"{r['process_s'] / a['process_s']:6.2f}x process")
        print(f"\ntargets: (a) >= 5x faster than (c): {report['c']['op_s'] / a['op_s']:.1f}x; "
              f"(a) no slower than (d): (a) op {a['op_s']:.3f}s / process "
              f"{a['process_s']:.3f}s vs (d) {report['d']['process_s']:.3f}s; (e) the command "
              f"line {report['e']['process_s']:.3f}s (< 1 s); "
              f"(a) peak {a['peak_mb']:.0f} MB (< 300 MB)")
        print("\ndecoding and transfer (in process, best of 3):")
        extra = decode_comparison(kubeconfig)
        for key, value in extra.items():
            print(f"  {key:18s} {value}")
        print(json.dumps({"report": report, "extra": extra}, default=str))
    finally:
        if not args.keep:
            print("\nremoving the bench namespace and nodes", flush=True)
            cleanup(kubeconfig)
    return 0


if __name__ == "__main__":
    sys.exit(main())
