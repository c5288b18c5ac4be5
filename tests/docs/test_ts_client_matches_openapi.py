"""The one REST client in TypeScript (js/src/api.ts) matches docs/openapi.yaml.

Every call the client makes is an operation the spec has (path and method), and the type it
reads the reply as (an interface of js/src/model.ts) names only fields the spec's response
has, and every field the spec requires. The enums of levels and states are the spec's.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
API = (REPO / "js" / "src" / "api.ts").read_text()
MODEL = (REPO / "js" / "src" / "model.ts").read_text()
SPEC = yaml.safe_load((REPO / "docs" / "openapi.yaml").read_text())

CALL = re.compile(r"this\.(post|request)<(\w+)>\(([\s\S]*?)\);")
LITERAL = re.compile(r"""['`]([a-z]+(?:/[a-z${}._]+)*)(?:\?[^'`]*)?['`]""")


def interfaces() -> dict[str, dict[str, bool]]:
    """Each exported interface of model.ts: its top-level fields, and whether each is optional."""
    out: dict[str, dict[str, bool]] = {}
    for name, base, body in re.findall(
            r"export interface (\w+)(?: extends ([^{]+))? \{\n(.*?)\n\}", MODEL, re.S):
        fields = {f: bool(o) for f, o in re.findall(r"^  (\w+)(\??):", body, re.M)}
        if base.strip():
            fields = {**out[base.strip()], **fields}
        out[name] = fields
    return out


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "allOf" in schema:
        parts = [resolve(part) for part in schema["allOf"]]
        return {"properties": {k: v for p in parts for k, v in (p.get("properties") or {}).items()},
                "required": [r for p in parts for r in p.get("required") or ()]}
    ref = schema.get("$ref")
    if ref:
        node: Any = SPEC
        for part in ref.lstrip("#/").split("/"):
            node = node[part]
        return resolve(node)
    return schema


def calls() -> list[tuple[str, str, str]]:
    """(METHOD, spec path, reply type) of every call in api.ts."""
    found = []
    for kind, reply, args in CALL.findall(API):
        if reply == "T":
            continue  # the helper that the calls go through
        method = "post" if kind == "post" else (
            "delete" if "method: 'DELETE'" in args else "get")
        for path in {m for m in LITERAL.findall(args) if m not in ("application/json",)}:
            found.append((method, path, reply))
    return found


def operation(method: str, path: str) -> dict[str, Any]:
    pattern = r"\{\w+\}".join(re.escape(part) for part in re.split(r"\$\{\w+\}", "/" + path))
    matches = [p for p in SPEC["paths"] if re.fullmatch(pattern, p)]
    assert matches, f"api.ts calls {path!r}: no such path in docs/openapi.yaml"
    ops = SPEC["paths"][matches[0]]
    assert method in ops, f"api.ts sends {method.upper()} {path}; the spec has {sorted(ops)}"
    return dict(ops[method])


def test_every_call_is_an_operation_of_the_spec_and_reads_its_reply_type() -> None:
    types = interfaces()
    found = calls()
    assert {p for _, p, _ in found} >= {"ask", "propose", "proposals/${id}/approve",
                                        "proposals/${id}/reject", "proposals/${id}/watch",
                                        "health", "audit", "audit/verify", "proposals"}, found
    checked = 0
    for method, path, reply in found:
        op = operation(method, path)
        if reply == "unknown":
            continue
        responses = op["responses"]
        content = (responses.get("200") or responses.get("201"))["content"]
        schema = resolve(content["application/json"]["schema"])
        props = set(schema.get("properties") or {})
        fields = types[reply]
        invented = set(fields) - props
        assert not invented, f"{reply} ({method.upper()} {path}) reads {invented}, not in the spec"
        missing = set(schema.get("required") or ()) - set(fields)
        assert not missing, f"{reply} lacks {missing}, which the spec requires"
        checked += 1
    assert checked >= 8


def test_nested_reply_types_match_their_schemas() -> None:
    types = interfaces()
    schemas = SPEC["components"]["schemas"]
    for ts, name in (("IChoice", "Choice"), ("IProposal", "Proposal"), ("IHealth", "Health"),
                     ("IProposer", "Proposer"), ("IWaitingProposal", "WaitingProposal"),
                     ("IDashboardWatchEvent", "DashboardWatchEvent")):
        schema = resolve(schemas[name])
        props = set(schema["properties"])
        assert set(types[ts]) <= props, (ts, set(types[ts]) - props)
        assert set(schema.get("required") or ()) <= set(types[ts]), ts


def union(name: str) -> set[str]:
    match = re.search(rf"export type {name} =([^;]+);", MODEL)
    assert match, name
    return set(re.findall(r"'(\w+)'", match.group(1)))


def test_levels_and_states_are_the_spec_enums() -> None:
    proposal = SPEC["components"]["schemas"]["Proposal"]["properties"]
    assert union("Level") == set(proposal["level"]["enum"])
    assert union("ProposalState") == set(proposal["state"]["enum"])


def test_the_dashboard_stream_is_an_operation_of_the_spec() -> None:
    """``dashboardWatch`` reads a stream (not through ``request``): its path is the spec's."""
    body = API[API.index("async dashboardWatch("):]
    body = body[:body.index("\n  }\n")]
    paths = set(re.findall(r"['`](dashboard/watch)[?'`]", body))
    assert paths == {"dashboard/watch"}, paths
    op = operation("get", "dashboard/watch")
    events = resolve(op["responses"]["200"]["content"]["application/x-ndjson"]["schema"])
    assert set(events["properties"]["type"]["enum"]) == union_of_field(
        "IDashboardWatchEvent", "type")


def union_of_field(interface: str, field: str) -> set[str]:
    match = re.search(rf"export interface {interface} \{{\n(.*?)\n\}}", MODEL, re.S)
    assert match, interface
    line = re.search(rf"^  {field}\??: ([^;]+);", match.group(1), re.M)
    assert line, (interface, field)
    return set(re.findall(r"'(\w+)'", line.group(1)))
