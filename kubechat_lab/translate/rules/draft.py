"""The Draft: what the rules translator has understood of a question so far."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["NAME", "Draft"]

#: A name in a pattern (group 1).
NAME = r"([a-z0-9][a-z0-9.\-]*[a-z0-9]|[a-z0-9])"


@dataclass
class Draft:
    """What the rules translator has understood so far; rendered to one kubectl line."""

    intent: str = "get"
    resources: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    namespace: str | None = None
    namespace_object: str | None = None
    all_namespaces: bool = False
    selectors: list[str] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    kvs: list[str] = field(default_factory=list)
    output: str | None = None
    output_hint: bool = False
    show_labels: bool = False
    tail: str | None = None
    since: str | None = None
    container: str | None = None
    all_containers: bool = False
    previous: bool = False
    node: str | None = None
    sort: str | None = None
    states: list[str] = field(default_factory=list)
    want_all: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
