"""Files and objects the sandbox writes at start: kwok config, pod logs, nodes, metrics API."""

from __future__ import annotations

import base64
import datetime as dt
import os
import tempfile
from pathlib import Path
from typing import Any

import yaml

from kubechat_lab.sandbox._components import apiserver_url
from kubechat_lab.sandbox._layout import Ports, SandboxLayout
from kubechat_lab.sandbox._pki import ensure_pki, write_kubeconfig

__all__ = [
    "NODE_NAMES",
    "metrics_api_objects",
    "node_objects",
    "write_state_files",
]

NODE_NAMES: tuple[str, ...] = ("kwok-worker-1", "kwok-worker-2", "kwok-worker-3")
_KWOK_NODE_SELECTOR = ("kwok.x-k8s.io/node", "fake")
# metrics-server (>= v0.7) scrapes this path instead of /metrics/resource: kwok serves one
# resource-metrics endpoint per fake node on its single port.
_METRICS_PATH_ANNOTATION = "metrics.k8s.io/resource-metrics-path"
# container name -> pod log data file (the "" entry serves every other container).
_LOG_FILES: dict[str, str] = {
    "frontend": "frontend.txt",
    "checkout": "checkout.txt",
    "api": "api.txt",
    "postgres": "postgres.txt",
    "fraud-detector": "fraud-detector.txt",
    "report": "report.txt",
    "": "default.txt",
}


def write_state_files(layout: SandboxLayout, ports: Ports) -> None:
    """Write PKI, kubeconfigs, kwok's configuration and the pod log files (idempotent)."""
    for directory in (layout.state_dir, layout.config_dir, layout.podlogs_dir, layout.etcd_dir):
        directory.mkdir(parents=True, exist_ok=True)
    os.chmod(layout.etcd_dir, 0o700)
    ensure_pki(layout.pki_dir)
    server = apiserver_url(ports)
    write_kubeconfig(layout.kubeconfig, layout.pki_dir, "admin", server)
    for client in ("kube-controller-manager", "kube-scheduler", "kwok", "metrics-server"):
        write_kubeconfig(layout.config_dir / f"{client}.kubeconfig", layout.pki_dir, client, server)
    _write_pod_logs(layout)
    _write_text(layout.config_dir / "kwok.yaml", _kwok_config(layout, ports))
    _write_text(layout.ports_file, ports.to_json())


def _kwok_config(layout: SandboxLayout, ports: Ports) -> str:
    """KwokConfiguration + stages + Metric/ClusterResourceUsage + ClusterLogs, one YAML stream."""
    options: dict[str, Any] = {
        "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
        "kind": "KwokConfiguration",
        "options": {
            # kwok does not default these when a config file is given, so set them all.
            "cidr": "10.244.0.0/16",
            "enableDebuggingHandlers": True,
            "enableContentionProfiling": False,
            "enableProfilingHandler": False,
            "podPlayStageParallelism": 4,
            "nodePlayStageParallelism": 4,
            "nodeLeaseDurationSeconds": 40,
            "nodeLeaseParallelism": 4,
            "podsOnNodeSyncParallelism": 1,
            "enablePodsOnNodeSyncListPager": True,
            "enablePodsOnNodeSyncStreamWatch": False,
        },
    }
    logs: list[dict[str, Any]] = []
    for container, data_file in _LOG_FILES.items():
        stem = Path(data_file).stem
        entry: dict[str, Any] = {
            "logsFile": str(layout.podlogs_dir / f"{stem}.log"),
            "previousLogsFile": str(layout.podlogs_dir / f"{stem}.log"),
            "follow": True,
        }
        if container:
            entry["containers"] = [container]
        logs.append(entry)
    cluster_logs = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1",
        "kind": "ClusterLogs",
        "metadata": {"name": "kubechat-sandbox-logs"},
        "spec": {"logs": logs},  # no selector: every pod in every namespace
    }
    parts = [
        yaml.safe_dump(options, sort_keys=False),
        SandboxLayout.data_file("stages.yaml").read_text(),
        SandboxLayout.data_file("metrics.yaml").read_text(),
        yaml.safe_dump(cluster_logs, sort_keys=False),
    ]
    return "\n---\n".join(p.strip("\n") for p in parts) + "\n"


def _write_pod_logs(layout: SandboxLayout) -> None:
    """Turn each data file into a CRI log (``<RFC3339Nano> stdout F <line>``) ending now."""
    now = dt.datetime.now(dt.UTC)
    for data_file in _LOG_FILES.values():
        target = layout.podlogs_dir / f"{Path(data_file).stem}.log"
        if target.exists():
            continue
        lines = SandboxLayout.data_file(f"podlogs/{data_file}").read_text().splitlines()
        out = []
        for i, line in enumerate(lines):
            ts = now - dt.timedelta(seconds=5 * (len(lines) - i))
            stream = "stderr" if any(w in line for w in ("ERROR", "FATAL", "error")) else "stdout"
            out.append(f"{ts.strftime('%Y-%m-%dT%H:%M:%S.%f')}000Z {stream} F {line}\n")
        _write_text(target, "".join(out))


def node_objects() -> list[dict[str, Any]]:
    """Return the fake worker nodes kwok manages (status is filled in by kwok's node stages)."""
    nodes = []
    for i, name in enumerate(NODE_NAMES, start=1):
        nodes.append(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": name,
                    "annotations": {
                        _KWOK_NODE_SELECTOR[0]: _KWOK_NODE_SELECTOR[1],
                        "node.alpha.kubernetes.io/ttl": "0",
                        _METRICS_PATH_ANNOTATION: f"/metrics/nodes/{name}/metrics/resource",
                    },
                    "labels": {
                        "kubernetes.io/arch": "amd64",
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/hostname": name,
                        "node-role.kubernetes.io/worker": "",
                        "topology.kubernetes.io/zone": f"zone-{'abc'[(i - 1) % 3]}",
                        "type": "kwok",
                    },
                },
                "spec": {"podCIDR": f"10.244.{i}.0/24", "podCIDRs": [f"10.244.{i}.0/24"]},
                "status": {
                    "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                    "capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
                },
            }
        )
    return nodes


def metrics_api_objects(layout: SandboxLayout, ports: Ports) -> list[dict[str, Any]]:
    """Return the Service and APIService that route metrics.k8s.io to metrics-server."""
    ca = base64.b64encode((layout.pki_dir / "ca.crt").read_bytes()).decode()
    return [
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {
                "name": "metrics-server",
                "namespace": "kube-system",
                "labels": {"k8s-app": "metrics-server"},
            },
            "spec": {
                "type": "ExternalName",
                "externalName": "localhost",
                "ports": [{"name": "https", "port": ports.metrics_server, "protocol": "TCP"}],
            },
        },
        {
            "apiVersion": "apiregistration.k8s.io/v1",
            "kind": "APIService",
            "metadata": {"name": "v1beta1.metrics.k8s.io", "labels": {"k8s-app": "metrics-server"}},
            "spec": {
                "group": "metrics.k8s.io",
                "version": "v1beta1",
                "groupPriorityMinimum": 100,
                "versionPriority": 100,
                "caBundle": ca,
                "service": {
                    "name": "metrics-server",
                    "namespace": "kube-system",
                    "port": ports.metrics_server,
                },
            },
        },
    ]


def _write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
