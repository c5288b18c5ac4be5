"""Command lines and readiness probes of etcd, the control plane, kwok and metrics-server."""

from __future__ import annotations

import functools
import ssl

import httpx

from kubechat_lab.sandbox._layout import Ports, SandboxLayout
from kubechat_lab.sandbox._process import ComponentSpec

__all__ = ["HOST", "apiserver_url", "build_specs", "tls_context"]

HOST = "127.0.0.1"
_PROBE_TIMEOUT = 2.0


def apiserver_url(ports: Ports) -> str:
    """Return the apiserver's base URL."""
    return f"https://{HOST}:{ports.apiserver}"


@functools.lru_cache(maxsize=16)
def _context(ca: str | None, cert: str | None, key: str | None) -> ssl.SSLContext:
    if ca is None:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx = ssl.create_default_context(cafile=ca)
    if cert is not None:
        ctx.load_cert_chain(cert, key)
    return ctx


def tls_context(
    layout: SandboxLayout, client: str | None = "admin", *, verify: bool = True
) -> ssl.SSLContext:
    """Return an SSL context trusting the sandbox CA, presenting ``client``'s certificate."""
    pki = layout.pki_dir
    ca = str(pki / "ca.crt") if verify else None
    if client is None:
        return _context(ca, None, None)
    return _context(ca, str(pki / f"{client}.crt"), str(pki / f"{client}.key"))


def _get_ok(url: str, ctx: ssl.SSLContext | None = None, expect: str | None = None) -> bool:
    with httpx.Client(verify=ctx if ctx is not None else True, timeout=_PROBE_TIMEOUT) as client:
        response = client.get(url)
    if response.status_code != 200:
        return False
    return expect is None or expect in response.text


def build_specs(layout: SandboxLayout, ports: Ports) -> list[ComponentSpec]:
    """Return the component specs in start order.

    The flags follow what ``kwokctl --runtime=binary`` uses (see kwok
    ``pkg/kwokctl/components``), with our own PKI instead of one shared admin certificate.
    """
    b = layout.binary
    pki = layout.pki_dir
    cfg = layout.config_dir
    admin = tls_context(layout)
    insecure = tls_context(layout, None, verify=False)
    api = apiserver_url(ports)

    def p(name: str) -> str:
        return str(pki / name)

    etcd_client = f"http://{HOST}:{ports.etcd_client}"
    etcd_peer = f"http://{HOST}:{ports.etcd_peer}"
    etcd = ComponentSpec(
        name="etcd",
        argv=(
            str(b("etcd")),
            "--name=node0",
            f"--data-dir={layout.etcd_dir}",
            f"--listen-client-urls={etcd_client}",
            f"--advertise-client-urls={etcd_client}",
            f"--listen-peer-urls={etcd_peer}",
            f"--initial-advertise-peer-urls={etcd_peer}",
            f"--initial-cluster=node0={etcd_peer}",
            "--initial-cluster-state=new",
            "--auto-compaction-retention=1",
            "--quota-backend-bytes=8589934592",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
        ),
        ready=lambda: _get_ok(f"{etcd_client}/health", None, '"health":"true"'),
        ready_timeout=30.0,
    )
    apiserver = ComponentSpec(
        name="kube-apiserver",
        argv=(
            str(b("kube-apiserver")),
            f"--etcd-servers={etcd_client}",
            "--etcd-prefix=/registry",
            f"--bind-address={HOST}",
            f"--advertise-address={HOST}",
            f"--secure-port={ports.apiserver}",
            f"--tls-cert-file={p('apiserver-serving.crt')}",
            f"--tls-private-key-file={p('apiserver-serving.key')}",
            f"--client-ca-file={p('ca.crt')}",
            "--authorization-mode=Node,RBAC",
            "--allow-privileged=true",
            "--service-cluster-ip-range=10.96.0.0/16",
            f"--service-account-key-file={p('sa.pub')}",
            f"--service-account-signing-key-file={p('sa.key')}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--kubelet-client-certificate={p('apiserver-kubelet-client.crt')}",
            f"--kubelet-client-key={p('apiserver-kubelet-client.key')}",
            f"--kubelet-certificate-authority={p('ca.crt')}",
            "--kubelet-preferred-address-types=InternalIP,Hostname",
            f"--requestheader-client-ca-file={p('front-proxy-ca.crt')}",
            "--requestheader-allowed-names=front-proxy-client",
            "--requestheader-username-headers=X-Remote-User",
            "--requestheader-group-headers=X-Remote-Group",
            "--requestheader-extra-headers-prefix=X-Remote-Extra-",
            f"--proxy-client-cert-file={p('front-proxy-client.crt')}",
            f"--proxy-client-key-file={p('front-proxy-client.key')}",
            "--enable-aggregator-routing=false",
            "--endpoint-reconciler-type=none",
            "--event-ttl=2h",
        ),
        ready=lambda: _get_ok(f"{api}/readyz", admin, "ok"),
        ready_timeout=120.0,
    )
    common_client_flags = (
        f"--bind-address={HOST}",
        "--leader-elect=false",
        "--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics",
        "--kube-api-qps=200",
        "--kube-api-burst=400",
    )
    kcm_kubeconfig = str(cfg / "kube-controller-manager.kubeconfig")
    controller_manager = ComponentSpec(
        name="kube-controller-manager",
        argv=(
            str(b("kube-controller-manager")),
            f"--kubeconfig={kcm_kubeconfig}",
            f"--authentication-kubeconfig={kcm_kubeconfig}",
            f"--authorization-kubeconfig={kcm_kubeconfig}",
            f"--secure-port={ports.controller_manager}",
            *common_client_flags,
            "--use-service-account-credentials=true",
            f"--root-ca-file={p('ca.crt')}",
            f"--service-account-private-key-file={p('sa.key')}",
            f"--cluster-signing-cert-file={p('ca.crt')}",
            f"--cluster-signing-key-file={p('ca.key')}",
            "--node-monitor-grace-period=60s",
        ),
        ready=lambda: _get_ok(f"https://{HOST}:{ports.controller_manager}/healthz", insecure, "ok"),
        ready_timeout=90.0,
    )
    sched_kubeconfig = str(cfg / "kube-scheduler.kubeconfig")
    scheduler = ComponentSpec(
        name="kube-scheduler",
        argv=(
            str(b("kube-scheduler")),
            f"--kubeconfig={sched_kubeconfig}",
            f"--authentication-kubeconfig={sched_kubeconfig}",
            f"--authorization-kubeconfig={sched_kubeconfig}",
            f"--secure-port={ports.scheduler}",
            *common_client_flags,
        ),
        ready=lambda: _get_ok(f"https://{HOST}:{ports.scheduler}/healthz", insecure, "ok"),
        ready_timeout=90.0,
    )
    kwok_ctx = tls_context(layout, None)
    kwok = ComponentSpec(
        name="kwok",
        argv=(
            str(b("kwok")),
            f"--kubeconfig={cfg / 'kwok.kubeconfig'}",
            f"--config={cfg / 'kwok.yaml'}",
            "--manage-all-nodes=false",
            "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
            f"--node-ip={HOST}",
            "--node-name=localhost",
            f"--node-port={ports.kwok}",
            f"--server-address={HOST}:{ports.kwok}",
            f"--tls-cert-file={p('kwok-serving.crt')}",
            f"--tls-private-key-file={p('kwok-serving.key')}",
            "--node-lease-duration-seconds=40",
        ),
        ready=lambda: _get_ok(f"https://{HOST}:{ports.kwok}/healthz", kwok_ctx, "ok"),
        ready_timeout=60.0,
    )
    ms_kubeconfig = str(cfg / "metrics-server.kubeconfig")
    metrics_server = ComponentSpec(
        name="metrics-server",
        argv=(
            str(b("metrics-server")),
            f"--bind-address={HOST}",
            f"--secure-port={ports.metrics_server}",
            f"--kubeconfig={ms_kubeconfig}",
            f"--authentication-kubeconfig={ms_kubeconfig}",
            f"--authorization-kubeconfig={ms_kubeconfig}",
            f"--tls-cert-file={p('metrics-server-serving.crt')}",
            f"--tls-private-key-file={p('metrics-server-serving.key')}",
            f"--kubelet-certificate-authority={p('ca.crt')}",
            f"--kubelet-client-certificate={p('apiserver-kubelet-client.crt')}",
            f"--kubelet-client-key={p('apiserver-kubelet-client.key')}",
            "--kubelet-preferred-address-types=InternalIP,Hostname",
            "--kubelet-use-node-status-port",
            "--metric-resolution=15s",
        ),
        # Ready once the apiserver's aggregation layer reaches it (the APIService exists).
        ready=lambda: _get_ok(f"{api}/apis/metrics.k8s.io/v1beta1/nodes", admin),
        ready_timeout=90.0,
    )
    return [etcd, apiserver, controller_manager, scheduler, kwok, metrics_server]
