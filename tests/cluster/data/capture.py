"""Regenerate the captured API responses in this folder from a running sandbox.

    .venv/bin/python tests/cluster/data/capture.py

Table pages are saved as the server sent them, minus ``managedFields`` (dropped as the client
drops them) so the files stay small. Secret data never appears in a Table.
"""

from __future__ import annotations

import json
from pathlib import Path

from kubechat_lab.cluster import ClusterConfig
from kubechat_lab.cluster._transport import ACCEPT_TABLE, Transport, drop_managed_fields
from kubechat_lab.errors import ClusterError
from kubechat_lab.sandbox import SandboxManager

HERE = Path(__file__).parent
TABLES = {
    "pods": "/api/v1/namespaces/shop/pods",
    "deployments": "/apis/apps/v1/namespaces/shop/deployments",
    "statefulsets": "/apis/apps/v1/namespaces/data/statefulsets",
    "replicasets": "/apis/apps/v1/namespaces/shop/replicasets",
    "cronjobs": "/apis/batch/v1/namespaces/ci/cronjobs",
    "jobs": "/apis/batch/v1/namespaces/ci/jobs",
    "services": "/api/v1/namespaces/shop/services",
    "nodes": "/api/v1/nodes",
    "namespaces": "/api/v1/namespaces",
    "configmaps": "/api/v1/namespaces/shop/configmaps",
    "secrets": "/api/v1/namespaces/payments/secrets",
}
LISTS = {
    "events": "/api/v1/namespaces/shop/events",
    "metrics-pods": "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods",
    "metrics-nodes": "/apis/metrics.k8s.io/v1beta1/nodes",
    "nodes-objects": "/api/v1/nodes",
}


def main() -> None:
    kubeconfig = str(SandboxManager().kubeconfig_path())
    transport = Transport(ClusterConfig(kubeconfig=kubeconfig))
    for name, path in TABLES.items():
        doc = transport.get(path, accept=ACCEPT_TABLE)
        drop_managed_fields(doc)
        (HERE / f"table-{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    for name, path in LISTS.items():
        doc = transport.get(path)
        drop_managed_fields(doc)
        (HERE / f"list-{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
    stranger = transport.with_identity("kc-capture-stranger")
    for name, client, path in (("403", stranger, "/api/v1/namespaces/shop/pods"),
                               ("404", transport, "/api/v1/namespaces/shop/pods/no-such-pod")):
        try:
            client.request("GET", path)
        except ClusterError as exc:
            (HERE / f"status-{name}.json").write_bytes(exc.args[1] if len(exc.args) > 1
                                                        else _raw(client, path))


def _raw(client: Transport, path: str) -> bytes:
    """The error body exactly as the server sent it."""
    headers = {"Accept": "application/json"}
    if client.config.impersonate_user:
        headers["Impersonate-User"] = client.config.impersonate_user
    response = client._api.call_api("GET", client.host + path, header_params=headers)
    data: bytes = response.read()
    return data


if __name__ == "__main__":
    main()
