"""The sandbox's certificates, keys and kubeconfigs, generated with ``cryptography``."""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["CLIENTS", "SERVERS", "ensure_pki", "write_kubeconfig"]

_VALIDITY = dt.timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class _Client:
    cn: str
    org: str | None


@dataclass(frozen=True, slots=True)
class _Server:
    dns: tuple[str, ...]
    ips: tuple[str, ...]


# Client identities (file stem -> subject). kwok and metrics-server act for many nodes and
# read every pod, so, like kwokctl, they run as system:masters.
CLIENTS: dict[str, _Client] = {
    "admin": _Client("kubechat-admin", "system:masters"),
    "kube-controller-manager": _Client("system:kube-controller-manager", None),
    "kube-scheduler": _Client("system:kube-scheduler", None),
    "kwok": _Client("kwok-controller", "system:masters"),
    "metrics-server": _Client("system:metrics-server", "system:masters"),
    "apiserver-kubelet-client": _Client("kube-apiserver-kubelet-client", "system:masters"),
}

_LOCAL = _Server(("localhost",), ("127.0.0.1",))
SERVERS: dict[str, _Server] = {
    "apiserver": _Server(
        (
            "localhost",
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            "kubernetes.default.svc.cluster.local",
        ),
        ("127.0.0.1", "10.96.0.1"),
    ),
    "kwok": _LOCAL,
    # The aggregator dials the APIService's service (ExternalName localhost) but checks the
    # certificate for <service>.<namespace>.svc.
    "metrics-server": _Server(
        (
            "localhost",
            "metrics-server.kube-system.svc",
            "metrics-server.kube-system.svc.cluster.local",
        ),
        ("127.0.0.1",),
    ),
}


def ensure_pki(pki: Path) -> None:
    """Create the CA, server and client certificates and the service-account keys if missing.

    Files (PEM): ``ca.crt/key``, ``front-proxy-ca.crt/key``, ``front-proxy-client.crt/key``,
    ``<server>-serving.crt/key`` for each of :data:`SERVERS`, ``<client>.crt/key`` for each
    of :data:`CLIENTS`, and ``sa.key``/``sa.pub``. Existing files are kept, so restarts keep
    the same identities.
    """
    pki.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ensure_ca(pki, "ca", "kubechat-sandbox-ca")
    fp_key, fp_cert = _ensure_ca(pki, "front-proxy-ca", "kubechat-sandbox-front-proxy-ca")
    for stem, server in SERVERS.items():
        _ensure_leaf(pki, f"{stem}-serving", ca_key, ca_cert, stem, None, server)
    for stem, client in CLIENTS.items():
        _ensure_leaf(pki, stem, ca_key, ca_cert, client.cn, client.org, None)
    _ensure_leaf(pki, "front-proxy-client", fp_key, fp_cert, "front-proxy-client", None, None)
    if not (pki / "sa.key").exists():
        key = ec.generate_private_key(ec.SECP256R1())
        _write(
            pki / "sa.pub",
            key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            ),
        )
        _write(pki / "sa.key", _key_pem(key), private=True)


def write_kubeconfig(path: Path, pki: Path, client: str, server: str) -> None:
    """Write a kubeconfig for ``client`` (a :data:`CLIENTS` stem) with embedded credentials.

    The file is written to a temporary name and renamed, so readers never see half of it.
    """

    def b64(name: str) -> str:
        return base64.b64encode((pki / name).read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "kubechat-sandbox",
                "cluster": {"server": server, "certificate-authority-data": b64("ca.crt")},
            }
        ],
        "users": [
            {
                "name": client,
                "user": {
                    "client-certificate-data": b64(f"{client}.crt"),
                    "client-key-data": b64(f"{client}.key"),
                },
            }
        ],
        "contexts": [
            {
                "name": "kubechat-sandbox",
                "context": {"cluster": "kubechat-sandbox", "user": client},
            }
        ],
        "current-context": "kubechat-sandbox",
    }
    _write(path, yaml.safe_dump(config, sort_keys=False).encode(), private=True)


def _ensure_ca(
    pki: Path, stem: str, cn: str
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key_path, crt_path = pki / f"{stem}.key", pki / f"{stem}.crt"
    if key_path.exists() and crt_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise TypeError(f"{key_path} is not an EC key; delete {pki} and run up again")
        return key, x509.load_pem_x509_certificate(crt_path.read_bytes())
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    _write(key_path, _key_pem(key), private=True)
    _write(crt_path, cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def _ensure_leaf(
    pki: Path,
    stem: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    cn: str,
    org: str | None,
    server: _Server | None,
) -> None:
    key_path, crt_path = pki / f"{stem}.key", pki / f"{stem}.crt"
    if key_path.exists() and crt_path.exists():
        return
    key = ec.generate_private_key(ec.SECP256R1())
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        attrs.insert(0, x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    now = dt.datetime.now(dt.UTC)
    usage = ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()),  # type: ignore[arg-type]
            critical=False,
        )
    )
    if server:
        sans: list[x509.GeneralName] = [x509.DNSName(d) for d in server.dns]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in server.ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca_key, hashes.SHA256())
    _write(key_path, _key_pem(key), private=True)
    _write(crt_path, cert.public_bytes(serialization.Encoding.PEM))


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o600 if private else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
