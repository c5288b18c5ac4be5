"""Kubernetes quantities (``250m``, ``128Mi``), durations (``1h30m``) and timestamps."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

__all__ = [
    "cpu_millicores",
    "memory_bytes",
    "parse_duration",
    "parse_quantity",
    "parse_time",
    "seconds_since",
]

_SUFFIXES: dict[str, Decimal] = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
    "Ki": Decimal(2**10),
    "Mi": Decimal(2**20),
    "Gi": Decimal(2**30),
    "Ti": Decimal(2**40),
    "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}
_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)([a-zA-Z]*)$")
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h|d|y)")
_DURATION_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "y": 365 * 86400.0,
}


def parse_quantity(text: str) -> Decimal:
    """Parse a resource quantity (``250m``, ``1.5Gi``, ``2e3``) to a Decimal.

    Raises
    ------
    ValueError
        When ``text`` is not a Kubernetes quantity.
    """
    match = _QUANTITY.match(text.strip())
    if not match or match[2] not in _SUFFIXES:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (e.g. 250m, 1.5Gi, 2)")
    try:
        return Decimal(match[1]) * _SUFFIXES[match[2]]
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from exc


def cpu_millicores(text: str | None) -> int | None:
    """CPU quantity in whole millicores, rounded up like kubectl (``2500000n`` -> 3)."""
    if not text:
        return None
    return math.ceil(parse_quantity(text) * 1000)


def memory_bytes(text: str | None) -> int | None:
    """Memory or storage quantity in bytes, rounded up (``128Mi`` -> 134217728)."""
    if not text:
        return None
    return math.ceil(parse_quantity(text))


def parse_duration(text: str) -> float:
    """Parse a Go or kubectl duration (``1h30m``, ``90s``, ``2d3h``) to seconds.

    Raises
    ------
    ValueError
        When ``text`` is not a duration.
    """
    text = text.strip()
    pos = 0
    total = 0.0
    for match in _DURATION_PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match[1]) * _DURATION_SECONDS[match[2]]
        pos = match.end()
    if pos != len(text) or not text:
        raise ValueError(f"{text!r} is not a duration (e.g. 30s, 5m, 1h30m)")
    return total


def parse_time(text: str | None) -> datetime | None:
    """Parse an RFC 3339 timestamp (``2026-01-02T03:04:05Z``) to an aware UTC datetime."""
    if not text:
        return None
    stamp = datetime.fromisoformat(text)
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp


def seconds_since(text: str | None, now: datetime) -> float | None:
    """Seconds from an RFC 3339 timestamp until ``now`` (None when there is no timestamp)."""
    stamp = parse_time(text)
    if stamp is None:
        return None
    return (now - stamp).total_seconds()
