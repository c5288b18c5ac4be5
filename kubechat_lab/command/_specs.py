"""The value types the grammar tables are made of: ``FlagSpec``, ``VerbSpec`` and ``Ctx``.

``Ctx`` is what the flag loop found in one command line; a verb's argument reader
(``Handler``) turns its positional words into ``Parsed`` parts of a ``Command``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from kubechat_lab.command._resource_table import ResourceTable

__all__ = [
    "Ctx",
    "Field",
    "FlagSpec",
    "Handler",
    "Kind",
    "Parsed",
    "Validator",
    "VerbSpec",
]

Validator = Callable[[str, ResourceTable], str]
Kind = Literal["bool", "value", "optional"]
Field = Literal["flags", "namespace", "all_namespaces", "selector", "field_selector", "output"]


@dataclass(frozen=True, slots=True)
class FlagSpec:
    """One accepted flag.

    ``kind`` is ``bool`` (``--x``, ``--x=false``), ``value`` (``--x=v`` or ``--x v``) or
    ``optional`` (bare ``--x`` means ``default``; a value only with ``=``). ``field`` names
    the Command field that receives the value; ``repeat`` allows the flag several times.
    """

    name: str
    short: str | None
    kind: Kind
    validate: Validator | None = None
    field: Field = "flags"
    repeat: bool = False
    default: str = "true"


Parsed = tuple[tuple[str, ...], tuple[str, ...], tuple[tuple[str, str], ...], tuple[str, ...]]


class Ctx:
    """What the flag loop found, handed to a verb's positional handler."""

    __slots__ = ("all_namespaces", "command_args", "field_selector", "flags", "namespace",
                 "output", "pos", "selector", "subverb", "table", "verb")

    def __init__(self, verb: str, subverb: str | None, table: ResourceTable) -> None:
        self.verb = verb
        self.subverb = subverb
        self.table = table
        self.pos: list[str] = []
        self.flags: dict[str, list[str]] = {}
        self.namespace: str | None = None
        self.all_namespaces = False
        self.selector: str | None = None
        self.field_selector: str | None = None
        self.output: str | None = None
        self.command_args: list[str] | None = None

    @property
    def label(self) -> str:
        return f"{self.verb} {self.subverb}" if self.subverb else self.verb

    def value(self, name: str) -> str | None:
        values = self.flags.get(name)
        return values[0] if values else None

    def true(self, name: str) -> bool:
        return self.value(name) == "true"

    def bulk_target(self) -> bool:
        return bool(self.selector or self.field_selector or self.true("all"))


Handler = Callable[[Ctx], Parsed]


@dataclass(frozen=True, slots=True)
class VerbSpec:
    """The grammar of one verb (or verb + subverb)."""

    verb: str
    subverb: str | None
    flags: tuple[str, ...]
    outputs: frozenset[str]
    handler: Handler
    command_args: bool = False
    longs: dict[str, FlagSpec] = field(default_factory=dict, compare=False)
    shorts: dict[str, FlagSpec] = field(default_factory=dict, compare=False)
