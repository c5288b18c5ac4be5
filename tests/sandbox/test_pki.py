"""The generated PKI: a CA that signs serving and client certificates with the right names."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubechat_lab.sandbox._pki import ensure_pki, write_kubeconfig


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_apiserver_serving_cert_is_signed_by_the_ca_with_local_names(tmp_path: Path) -> None:
    ensure_pki(tmp_path)
    ca, leaf = _cert(tmp_path / "ca.crt"), _cert(tmp_path / "apiserver-serving.crt")
    leaf.verify_directly_issued_by(ca)
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "kubernetes.default.svc" in san.get_values_for_type(x509.DNSName)
    assert ipaddress.ip_address("127.0.0.1") in san.get_values_for_type(x509.IPAddress)
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.SERVER_AUTH in eku


def test_admin_client_cert_is_in_system_masters(tmp_path: Path) -> None:
    ensure_pki(tmp_path)
    admin = _cert(tmp_path / "admin.crt")
    admin.verify_directly_issued_by(_cert(tmp_path / "ca.crt"))
    orgs = [a.value for a in admin.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    assert orgs == ["system:masters"]
    scheduler = _cert(tmp_path / "kube-scheduler.crt")
    cns = [a.value for a in scheduler.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    assert cns == ["system:kube-scheduler"]


def test_ensure_pki_keeps_existing_files(tmp_path: Path) -> None:
    ensure_pki(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    ensure_pki(tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    assert (tmp_path / "ca.key").stat().st_mode & 0o077 == 0


def test_kubeconfig_embeds_credentials(tmp_path: Path) -> None:
    ensure_pki(tmp_path)
    path = tmp_path / "kubeconfig"
    write_kubeconfig(path, tmp_path, "admin", "https://127.0.0.1:36443")
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:36443"
    assert config["users"][0]["user"]["client-certificate-data"]
    assert path.stat().st_mode & 0o077 == 0
