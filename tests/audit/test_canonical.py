"""Canonical payloads (RFC 8785) and the entry-hash formula, against independent vectors."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import struct

import pytest

from kubechat_lab.audit import GENESIS_HASH, AuditError, canonical_payload, entry_hash


def test_keys_sorted_and_no_whitespace() -> None:
    assert canonical_payload({"type": "ask", "b": [1, 2], "a": {"z": None, "y": True}}) == (
        b'{"a":{"y":true,"z":null},"b":[1,2],"type":"ask"}'
    )


def test_rfc8785_number_and_string_forms() -> None:
    # RFC 8785 section 3.2.2.3 / ECMAScript Number serialisation and minimal string escapes.
    payload = canonical_payload(
        {"type": "t", "n": [1.0, 0.5, 1e21, 1e-7, -0.0, 333333333.3333333], "s": '€\n"\\\u0001'}
    )
    assert payload == (
        b'{"n":[1,0.5,1e+21,1e-7,0,333333333.3333333],'
        b'"s":"\xe2\x82\xac\\n\\"\\\\\\u0001","type":"t"}'
    )


def test_keys_sorted_by_utf16_code_units() -> None:
    # U+1F600 (surrogates D83D DE00) sorts before U+FB01 in UTF-16, after it by code point.
    payload = canonical_payload({"type": "t", "\ufb01": 1, "\U0001f600": 2})
    assert payload.index("\U0001f600".encode()) < payload.index("\ufb01".encode())


def test_mappings_and_tuples_are_plain_json() -> None:
    from types import MappingProxyType

    event = MappingProxyType({"type": "t", "reasons": ("a", "b")})
    assert canonical_payload(event) == b'{"reasons":["a","b"],"type":"t"}'


@pytest.mark.parametrize(
    ("event", "fragment"),
    [
        ({"type": "t", "when": dt.datetime(2026, 1, 1)}, "$.when is a datetime"),
        ({"type": "t", "x": {1, 2}}, "$.x is a set"),
        ({"type": "t", "x": b"raw"}, "$.x is a bytes"),
        ({"type": "t", "deep": {"list": [1, math.nan]}}, "$.deep.list[1] is nan"),
        ({"type": "t", "x": math.inf}, "JSON has no NaN or Infinity"),
        ({"type": "t", "big": 2**53}, "outside JSON's exact range"),
        ({"type": "t", "o": {3: "x"}}, "non-string key 3"),
        ({"type": "t", "s": "a\x00b"}, "contains a NUL character"),
        ({"user": "alice"}, "non-empty string 'type'"),
        ({"type": ""}, "non-empty string 'type'"),
        ({"type": 3}, "non-empty string 'type'"),
    ],
)
def test_non_json_values_are_refused_with_their_path(event: dict, fragment: str) -> None:
    with pytest.raises(AuditError, match="audit event") as info:
        canonical_payload(event)
    assert fragment in str(info.value)
    assert info.value.sqlstate is None


def test_non_mapping_event_is_refused() -> None:
    with pytest.raises(AuditError, match="must be a JSON object"):
        canonical_payload(["type", "ask"])  # type: ignore[arg-type]


def test_max_safe_integer_is_accepted() -> None:
    assert canonical_payload({"type": "t", "n": -(2**53 - 1)}) == (
        b'{"n":-9007199254740991,"type":"t"}'
    )


def _independent_hash(seq: int, prev: bytes, payload: bytes) -> bytes:
    material = b"kubechat-audit/v1" + bytes([0]) + struct.pack(">q", seq) + prev
    return hashlib.sha256(material + hashlib.sha256(payload).digest()).digest()


def test_entry_hash_formula_known_vectors() -> None:
    payload = b'{"type":"ask"}'
    first = entry_hash(1, GENESIS_HASH, payload)
    assert first == _independent_hash(1, bytes(32), payload)
    # Fixed vector computed with coreutils, no Python involved:
    # (printf 'kubechat-audit/v1\x00'; printf '\x00\x00\x00\x00\x00\x00\x00\x01';
    #  head -c 32 /dev/zero; printf '{"type":"ask"}' | sha256sum | xxd -r -p) | sha256sum
    assert first.hex() == "65c319b843170ffddc7b58bf7e0c5510b2da45a8ef56f456cb756970186b3a5c"
    assert len(first) == 32
    second = entry_hash(2, first, b'{"type":"proposed"}')
    assert second == _independent_hash(2, first, b'{"type":"proposed"}')


def test_entry_hash_depends_on_every_input() -> None:
    base = entry_hash(7, b"\x01" * 32, b'{"type":"t"}')
    assert entry_hash(8, b"\x01" * 32, b'{"type":"t"}') != base
    assert entry_hash(7, b"\x02" * 32, b'{"type":"t"}') != base
    assert entry_hash(7, b"\x01" * 32, b'{"type":"u"}') != base
    # seq is 8 bytes big-endian: 256 must not collide with 1 shifted.
    assert entry_hash(256, b"\x01" * 32, b"{}") != entry_hash(1, b"\x01" * 32, b"{}")
