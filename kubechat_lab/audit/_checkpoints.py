"""Signed checkpoints: Ed25519 signatures of (size, head hash) kept outside the database.

A chain alone cannot reveal a rewritten or truncated *tail*: whoever controls the database can
recompute every hash after the edit and move the head. A checkpoint file, signed with a key the
database never sees and stored elsewhere, pins ``entry_hash`` at ``size`` for each checkpoint;
:func:`verify_checkpoints` finds the first checkpoint the chain no longer matches.

One JSON object per line::

    {"at":"2026-01-01T00:00:00.000000Z","head_hash":"<hex>","sig":"<hex>","size":120,"v":1}

``sig`` is Ed25519 over the RFC 8785 bytes of the object without ``sig``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

import rfc8785

from kubechat_lab.audit._canonical import GENESIS_HASH
from kubechat_lab.audit._records import VerifyReport
from kubechat_lab.errors import AuditError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

    from kubechat_lab.audit._store import AuditStore

__all__ = [
    "generate_signing_key",
    "load_public_key",
    "load_signing_key",
    "verify_checkpoints",
    "write_checkpoint",
]

logger = logging.getLogger(__name__)

_VERSION = 1


def generate_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Create an Ed25519 key: ``path`` (PKCS#8 PEM, mode 0600) and ``path + ".pub"``.

    Parameters
    ----------
    path
        Where to write the private key; must not exist.

    Returns
    -------
    Ed25519PrivateKey
        The new key.

    Raises
    ------
    AuditError
        The file exists or cannot be written.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    target = Path(path)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(private)
        Path(f"{target}.pub").write_bytes(public)
    except OSError as exc:
        raise AuditError(
            f"cannot write checkpoint signing key {target}: {exc}; choose a new path "
            "(an existing key is never overwritten)"
        ) from exc
    logger.info("checkpoint signing key created path=%s", target)
    return key


def load_signing_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Load the Ed25519 private key written by :func:`generate_signing_key`.

    Parameters
    ----------
    path
        PEM file.

    Returns
    -------
    Ed25519PrivateKey
        The key.

    Raises
    ------
    AuditError
        Missing file, or not an unencrypted Ed25519 PEM key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise AuditError(f"cannot load checkpoint signing key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise AuditError(f"{path} holds a {type(key).__name__}, not an Ed25519 private key")
    return key


def load_public_key(path: str | os.PathLike[str]) -> Ed25519PublicKey:
    """Load an Ed25519 public key (PEM SubjectPublicKeyInfo, e.g. ``key.pem.pub``).

    Parameters
    ----------
    path
        PEM file.

    Returns
    -------
    Ed25519PublicKey
        The key.

    Raises
    ------
    AuditError
        Missing file, or not an Ed25519 public key.
    """
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise AuditError(f"cannot load checkpoint public key {path}: {exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise AuditError(f"{path} holds a {type(key).__name__}, not an Ed25519 public key")
    return key


def write_checkpoint(
    store: AuditStore, key: Ed25519PrivateKey, path: str | os.PathLike[str]
) -> dict[str, object]:
    """Sign the current head and append it to the checkpoint file (fsynced).

    Parameters
    ----------
    store
        An open store (the app role suffices).
    key
        The signing key (keep it away from the database host).
    path
        The JSON-lines checkpoint file (created if missing).

    Returns
    -------
    dict
        The checkpoint written, including ``sig``.

    Raises
    ------
    AuditError
        The head cannot be read or the file cannot be written.
    """
    size, head_hash = store.head()
    body: dict[str, object] = {
        "v": _VERSION,
        "size": size,
        "head_hash": head_hash.hex(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    signature = key.sign(rfc8785.dumps(body))  # type: ignore[arg-type]
    line = {**body, "sig": signature.hex()}
    try:
        with open(path, "ab") as fh:
            fh.write(rfc8785.dumps(line) + b"\n")  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise AuditError(f"cannot append checkpoint to {path}: {exc}") from exc
    logger.info("audit checkpoint written size=%d path=%s", size, path)
    return line


def verify_checkpoints(
    store: AuditStore, public_key: Ed25519PublicKey, path: str | os.PathLike[str]
) -> VerifyReport:
    """Check the chain (streaming verifier) and then every signed checkpoint against it.

    Parameters
    ----------
    store
        An open store.
    public_key
        The checkpoint key's public half.
    path
        The checkpoint file.

    Returns
    -------
    VerifyReport
        The chain's own failure if any; else the first checkpoint the chain contradicts: a
        truncated tail (fewer rows than a signed size) or a rewritten one (a different hash at
        a signed size; ``first_bad_seq`` is then the first seq after the last matching
        checkpoint). A bad signature or malformed line fails with ``first_bad_seq=None``.
    """
    from cryptography.exceptions import InvalidSignature

    # Read the file before the chain snapshot: every checkpoint in it then predates the snapshot.
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise AuditError(f"cannot read checkpoint file {path}: {exc}") from exc
    chain = store.verify_stream()
    if not chain.ok:
        return chain

    def fail(first_bad: int | None, why: str) -> VerifyReport:
        return VerifyReport(
            False, chain.rows_checked, first_bad, why, chain.head_seq, chain.head_hash,
            "checkpoints",
        )  # fmt: skip

    checkpoints: list[tuple[int, int, bytes, str]] = []
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            item = json.loads(text)
            sig = bytes.fromhex(item.pop("sig"))
            size, head_hex, at = int(item["size"]), str(item["head_hash"]), str(item["at"])
            if item.get("v") != _VERSION:
                return fail(None, f"{path} line {number}: unknown checkpoint version")
            public_key.verify(sig, rfc8785.dumps(item))
        except InvalidSignature:
            return fail(
                None,
                f"{path} line {number}: bad signature (edited checkpoint or wrong public key)",
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return fail(None, f"{path} line {number}: malformed checkpoint ({exc})")
        if checkpoints and size < checkpoints[-1][1]:
            return fail(
                None,
                f"{path} line {number}: size {size} is smaller than the previous checkpoint's "
                f"{checkpoints[-1][1]} (reordered or spliced checkpoint file)",
            )
        checkpoints.append((number, size, bytes.fromhex(head_hex), at))

    present = store.hashes_at([size for _, size, _, _ in checkpoints if size > 0])
    vouched = 0  # highest seq a matching checkpoint covers
    for number, size, head_hash, at in checkpoints:
        if size > chain.head_seq:
            return fail(
                chain.head_seq + 1,
                f"the chain has {chain.head_seq} rows but the checkpoint of {at} ({path} line "
                f"{number}) signed size {size}: the tail was truncated (or the database was "
                "restored from an older backup)",
            )
        actual = GENESIS_HASH if size == 0 else present.get(size)
        if actual != head_hash:
            return fail(
                vouched + 1,
                f"entry_hash at seq {size} differs from the checkpoint of {at} ({path} line "
                f"{number}): rows {vouched + 1}..{size} were rewritten after that checkpoint",
            )
        vouched = size
    return VerifyReport(
        True, chain.rows_checked, None, "", chain.head_seq, chain.head_hash, "checkpoints"
    )
