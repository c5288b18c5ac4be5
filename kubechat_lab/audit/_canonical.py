"""Canonical audit payloads (RFC 8785) and the entry-hash formula of the chain."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from typing import TypeAlias

import rfc8785

from kubechat_lab.errors import AuditError

__all__ = [
    "GENESIS_HASH",
    "HASH_DOMAIN",
    "JSONValue",
    "canonical_payload",
    "entry_hash",
]

JSONValue: TypeAlias = (
    "str | int | float | bool | None | Sequence[JSONValue] | Mapping[str, JSONValue]"
)
"""A value that has exactly one JSON form (what an audit event may contain)."""

HASH_DOMAIN = b"kubechat-audit/v1"
"""Domain-separation prefix of every entry hash (a version bump changes it)."""

GENESIS_HASH = bytes(32)
"""The ``prev_hash`` of seq 1: 32 zero bytes."""

# RFC 8785 numbers are IEEE doubles: integers beyond +-(2**53 - 1) would silently lose digits.
_INT_LIMIT = 2**53 - 1
_MAX_DEPTH = 64


def entry_hash(seq: int, prev_hash: bytes, payload: bytes) -> bytes:
    """Compute the chain hash of one entry.

    ``sha256(HASH_DOMAIN || 0x00 || seq as 8 big-endian bytes || prev_hash || sha256(payload))``,
    the same formula as the SQL function ``kubechat_audit_append``.

    Parameters
    ----------
    seq
        Position in the chain, starting at 1.
    prev_hash
        ``entry_hash`` of ``seq - 1`` (``GENESIS_HASH`` for seq 1), 32 bytes.
    payload
        The exact stored payload bytes.

    Returns
    -------
    bytes
        The 32-byte SHA-256 digest.
    """
    digest = hashlib.sha256(HASH_DOMAIN)
    digest.update(b"\x00")
    digest.update(seq.to_bytes(8, "big", signed=True))
    digest.update(prev_hash)
    digest.update(hashlib.sha256(payload).digest())
    return digest.digest()


def canonical_payload(event: Mapping[str, JSONValue]) -> bytes:
    """Serialise an audit event as RFC 8785 canonical JSON bytes.

    Parameters
    ----------
    event
        A JSON object with a non-empty string ``"type"``. Values must be JSON values: ``str``,
        ``int`` within +-(2**53 - 1), finite ``float``, ``bool``, ``None``, lists/tuples and
        mappings with ``str`` keys. Strings may not contain NUL (PostgreSQL's jsonb refuses it).

    Returns
    -------
    bytes
        The canonical UTF-8 bytes that are stored and hashed.

    Raises
    ------
    AuditError
        The event is not a JSON object with a ``type``, or a value is not JSON; the message
        names the key path (``$.reasons[2]``) and the offending type or value.
    """
    if not isinstance(event, Mapping):
        raise AuditError(
            f"audit event must be a JSON object (a mapping), got {type(event).__name__}; "
            "pass a dict such as {'type': 'proposed', ...}"
        )
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise AuditError(
            f"audit event needs a non-empty string 'type' (ask, proposed, approved, ...), "
            f"got {kind!r}"
        )
    plain = _plain(event, "$", 0)
    try:
        return rfc8785.dumps(plain)  # type: ignore[arg-type]
    except rfc8785.CanonicalizationError as exc:  # pragma: no cover - _plain checks first
        raise AuditError(f"audit event is not canonicalisable JSON: {exc}") from exc


def _plain(value: object, path: str, depth: int) -> object:
    """Check ``value`` is JSON and return it as plain dict/list/scalars (what rfc8785 takes)."""
    if depth > _MAX_DEPTH:
        raise AuditError(f"audit event nests deeper than {_MAX_DEPTH} levels at {path}")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if abs(value) > _INT_LIMIT:
            raise AuditError(
                f"audit event value at {path} is the integer {value}, outside JSON's exact "
                f"range +-{_INT_LIMIT}; store it as a string"
            )
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(
                f"audit event value at {path} is {value!r}; JSON has no NaN or Infinity"
            )
        return float(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise AuditError(
                f"audit event string at {path} contains a NUL character, which PostgreSQL "
                "jsonb refuses; remove or escape it"
            )
        return str.__str__(value)
    if isinstance(value, Mapping):
        out: dict[str, object] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise AuditError(
                    f"audit event object at {path} has a non-string key {key!r} "
                    f"({type(key).__name__}); JSON keys are strings"
                )
            out[str.__str__(key)] = _plain(item, f"{path}.{key}", depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise AuditError(
        f"audit event value at {path} is a {type(value).__name__} ({value!r:.60}), "
        "not a JSON value; convert it first (datetime -> ISO string, bytes -> hex, "
        "set -> sorted list)"
    )
