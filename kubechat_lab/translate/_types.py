"""Translation data types: ``Translation``, ``TranslationContext``, the ``Translator`` Protocol."""

from __future__ import annotations

import copy
import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol, runtime_checkable

from kubechat_lab.command import DEFAULT_RESOURCES, Command, ResourceInfo, ResourceTable

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "Choice",
    "ClientState",
    "DeltaCallback",
    "Translation",
    "TranslationContext",
    "Translator",
    "TranslatorClosedError",
    "Turn",
]

#: Called with each piece of the explanation as a provider streams it.
DeltaCallback = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Choice:
    """One plausible reading of a question the translator would not answer alone.

    A refusal because of doubt (not because of policy) offers up to three of these; a person
    picks one and it is proposed like any typed command (it never runs by itself).

    Parameters
    ----------
    command
        The parsed command of this reading.
    why
        One line saying which reading it is ("cordon: stop new pods landing on the node").
    """

    command: Command
    why: str

    @property
    def text(self) -> str:
        """The canonical command line."""
        return self.command.render()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict (the command as its canonical string)."""
        return {"command": self.text, "why": self.why}


#: The most choices a refusal offers.
MAX_CHOICES = 3


@dataclass(frozen=True, slots=True)
class Translation:
    """What a translator made of one question.

    ``command`` is the parsed :class:`~kubechat_lab.command.Command` when the grammar accepted
    the answer; it is None when nothing could be translated (``text`` is empty and
    ``explanation`` says what to try) or when the answer is a command the grammar refuses
    (``text`` holds it, for example ``kubectl exec ...``, and ``notes`` say why it is refused).
    Classify it with :func:`kubechat_lab.translate.assess_translation`; the level is never
    taken from a provider's own words.

    Parameters
    ----------
    question
        The question as asked.
    command
        The parsed command, or None.
    text
        The canonical command line (``command.render()``), the refused line, or ``""``.
    explanation
        A short human explanation (from the provider; never trusted for safety).
    provider
        The id of the translator that produced ``command`` (``"rules"`` after a fallback).
    assumptions
        What the translator assumed (a namespace from the inventory, a default flag, ...).
    notes
        What happened on the way (``"fell back to rules: ..."``, a repair round, ...).
    latency
        Seconds spent translating.
    choices
        When ``command`` is None because the translator was unsure (not because of policy):
        up to :data:`MAX_CHOICES` plausible readings for a person to pick from.
    cached
        True when the model's answer came from the LLM answer cache (the model was not
        asked); the answer was parsed, checked against the question and judged again all
        the same (:mod:`kubechat_lab.translate.llm.cache`).
    """

    question: str
    command: Command | None
    text: str
    explanation: str = ""
    provider: str = "rules"
    assumptions: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    latency: float = 0.0
    choices: tuple[Choice, ...] = ()
    cached: bool = False

    @property
    def ok(self) -> bool:
        """True when the translation holds a command the grammar accepted."""
        return self.command is not None

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict (the command as its canonical string)."""
        return {
            "question": self.question,
            "command": self.text or None,
            "parsed": self.command.to_dict() if self.command is not None else None,
            "explanation": self.explanation,
            "provider": self.provider,
            "assumptions": list(self.assumptions),
            "notes": list(self.notes),
            "latency": self.latency,
            "choices": [choice.to_dict() for choice in self.choices],
            "cached": self.cached,
        }


@dataclass(frozen=True, slots=True)
class Turn:
    """The previous turn of a conversation, handed to the translator as context.

    Follow-up questions ("and in payments?", "now restart it", "show its logs") are read
    against it: the translator takes the previous command's verb, resource, names, namespace
    and flags, and changes what the new question changes.

    Parameters
    ----------
    question
        The previous question as asked.
    command
        The command it was answered with (None when it was refused or not understood).
    kind
        The kind of objects its result showed (``"pods"``), when known.
    names
        Names of the objects its result showed, when known (first rows first).
    """

    question: str
    command: Command | None
    kind: str | None = None
    names: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict (the command as its canonical string)."""
        return {
            "question": self.question,
            "command": self.command.render() if self.command is not None else None,
            "kind": self.kind,
            "names": list(self.names),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object],
                  resources: ResourceTable = DEFAULT_RESOURCES) -> Turn:
        """Build a turn from ``{"question", "command", "kind", "names"}``.

        Raises
        ------
        TypeError
            When a field has the wrong type.
        kubechat_lab.errors.CommandError
            When ``command`` is not a command the grammar accepts.
        """
        from kubechat_lab.command import parse

        question = data.get("question") or ""
        command = data.get("command")
        kind = data.get("kind")
        names = data.get("names") or ()
        if not isinstance(question, str):
            raise TypeError(f"turn 'question' must be a string, got {question!r}")
        if command is not None and not isinstance(command, str):
            raise TypeError(f"turn 'command' must be a kubectl command string, got {command!r}")
        if kind is not None and not isinstance(kind, str):
            raise TypeError(f"turn 'kind' must be a string, got {kind!r}")
        if not isinstance(names, list | tuple):
            raise TypeError(f"turn 'names' must be a list of strings, got {names!r}")
        parsed = parse(command, resources=resources) if command else None
        return cls(question=question, command=parsed, kind=kind,
                   names=tuple(str(n) for n in names))


def _freeze_inventory(
    inventory: Mapping[str, Iterable[tuple[str, str]]] | None,
) -> dict[str, tuple[tuple[str, str], ...]]:
    if not inventory:
        return {}
    return {
        kind: tuple((ns or "", name) for ns, name in pairs) for kind, pairs in inventory.items()
    }


@dataclass(frozen=True, slots=True)
class TranslationContext:
    """What the server knows about the cluster, used to ground a translation.

    Parameters
    ----------
    namespace
        The current namespace of the user's context (None when unknown).
    namespaces
        Namespaces that exist in the cluster.
    inventory
        Object names by resource: ``{"deployments": [("shop", "checkout"), ...]}``. Keys may be
        any spelling the resource table knows (``deploy``, ``Deployment``); cluster-scoped
        objects use ``""`` as namespace.
    resources
        The resource table including CRDs found by discovery (default: the built-in table).
    previous
        The previous turn of the conversation, for follow-up questions (None: a new one).
    workloads
        Replicas and images of Deployments and StatefulSets, ``{(resource, namespace, name):
        (replicas, ((container, image), ...))}``: "2 more" and "ship 2.4.2" are relative to
        them.
    """

    namespace: str | None = None
    namespaces: tuple[str, ...] = ()
    inventory: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    resources: ResourceTable = field(default=DEFAULT_RESOURCES, compare=False)
    previous: Turn | None = None
    workloads: Mapping[tuple[str, str, str], tuple[int, tuple[tuple[str, str], ...]]] = field(
        default_factory=dict, compare=False)
    _by_name: dict[str, tuple[tuple[str, str], ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False, default=())
    _spaces: frozenset[str] = field(init=False, repr=False, compare=False, default=frozenset())
    # one cell shared with every with_previous() copy: the digest leaves the turn out
    _digest: list[str] = field(init=False, repr=False, compare=False, default_factory=list)

    def __post_init__(self) -> None:
        frozen = _freeze_inventory(self.inventory)
        canonical: dict[str, tuple[tuple[str, str], ...]] = {}
        for kind, pairs in frozen.items():
            found = self.resources.lookup(kind)
            key = found[0] if found is not None else kind.lower()
            canonical[key] = canonical.get(key, ()) + pairs
        object.__setattr__(self, "inventory", canonical)
        object.__setattr__(self, "namespaces", tuple(self.namespaces))
        by_name: dict[str, list[tuple[str, str]]] = {}
        for kind, pairs in canonical.items():
            for ns, name in pairs:
                by_name.setdefault(name, []).append((kind, ns))
        object.__setattr__(self, "_by_name", {k: tuple(v) for k, v in by_name.items()})
        object.__setattr__(self, "_names", tuple(by_name))
        object.__setattr__(self, "_spaces", frozenset(self.namespaces) | frozenset(
            name for _, name in canonical.get("namespaces", ())))

    @property
    def object_names(self) -> tuple[str, ...]:
        """Every distinct object name in the inventory (for spelling correction)."""
        return self._names

    @property
    def grounding_digest(self) -> str:
        """``sha256:`` of everything this context grounds a translation on, but the turn.

        The RFC 8785 canonical JSON of the current namespace, the namespaces, the inventory
        (sorted, so listing order does not matter), the workloads' replicas and images and
        the extra resource types (CRDs): what an identity can list, so two identities share
        a digest only when they see the same cluster. Computed once per context (a follow-up's
        :meth:`with_previous` keeps it).
        """
        if not self._digest:  # computed once per inventory, shared by its follow-ups
            import hashlib

            import rfc8785

            grounding = {
                "namespace": self.namespace,
                "namespaces": sorted(set(self.namespaces)),
                "inventory": {kind: sorted([ns, name] for ns, name in set(pairs))
                              for kind, pairs in self.inventory.items()},
                "workloads": sorted(
                    [kind, ns, name, replicas, [list(c) for c in containers]]
                    for (kind, ns, name), (replicas, containers) in self.workloads.items()),
                "resources": sorted(
                    [info.plural, info.group, info.version, info.kind, info.namespaced]
                    for info in self.resources
                    if DEFAULT_RESOURCES.lookup(
                        f"{info.plural}.{info.group}" if info.group else info.plural) is None),
            }
            digest = hashlib.sha256(rfc8785.dumps(grounding)).hexdigest()  # type: ignore[arg-type]
            self._digest.append(f"sha256:{digest}")
        return self._digest[0]

    def with_previous(self, previous: Turn | None) -> TranslationContext:
        """Return this context for a follow-up of ``previous`` (the inventory is shared).

        Cheaper than :func:`dataclasses.replace`, which would index the inventory again.
        """
        clone = copy.copy(self)
        object.__setattr__(clone, "previous", previous)
        return clone

    def locate(self, name: str, resource: str | None = None) -> tuple[tuple[str, str], ...]:
        """Return ``(resource, namespace)`` pairs of inventory objects called ``name``.

        Parameters
        ----------
        name
            The object name.
        resource
            Only this canonical resource (``"deployments"``), or any when None.
        """
        found = self._by_name.get(name, ())
        if resource is None:
            return found
        return tuple(pair for pair in found if pair[0] == resource)

    def knows_namespace(self, name: str) -> bool:
        """Return True when ``name`` is a namespace the server reported."""
        return name in self._spaces

    @property
    def extra_resources(self) -> tuple[str, ...]:
        """Canonical names of resources beyond the built-in table (CRDs)."""
        names: list[str] = []
        for info in self.resources:
            spelled = f"{info.plural}.{info.group}" if info.group else info.plural
            if DEFAULT_RESOURCES.lookup(spelled) is None:
                found = self.resources.lookup(spelled)
                if found is not None:
                    names.append(found[0])
        return tuple(names)

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Self:
        """Build a context from JSON (``namespace``, ``namespaces``, ``inventory``, ``resources``).

        ``inventory`` maps a resource to a list of ``[namespace, name]`` pairs; ``resources``
        lists extra resource types (CRDs) as ``{"plural", "singular", "kind", "group",
        "version", "namespaced", "short_names"}`` objects; ``previous`` is the previous turn
        (see :meth:`Turn.from_dict`).
        """
        namespace = data.get("namespace")
        namespaces = data.get("namespaces") or ()
        raw_inventory = data.get("inventory") or {}
        if namespace is not None and not isinstance(namespace, str):
            raise TypeError(f"context 'namespace' must be a string, got {namespace!r}")
        if not isinstance(namespaces, list | tuple):
            raise TypeError(f"context 'namespaces' must be a list, got {namespaces!r}")
        if not isinstance(raw_inventory, Mapping):
            raise TypeError(f"context 'inventory' must be an object, got {raw_inventory!r}")
        inventory: dict[str, tuple[tuple[str, str], ...]] = {}
        for kind, pairs in raw_inventory.items():
            if not isinstance(pairs, list | tuple):
                raise TypeError(f"context inventory[{kind!r}] must be a list of [namespace, name]")
            inventory[str(kind)] = tuple((str(p[0] or ""), str(p[1])) for p in pairs)
        table = DEFAULT_RESOURCES
        extra = data.get("resources") or []
        if not isinstance(extra, list | tuple):
            raise TypeError(f"context 'resources' must be a list, got {extra!r}")
        infos = []
        for item in extra:
            if not isinstance(item, Mapping) or not item.get("plural") or not item.get("kind"):
                raise TypeError(f"context resource {item!r} needs at least 'plural' and 'kind'")
            plural = str(item["plural"])
            infos.append(ResourceInfo(
                plural=plural,
                singular=str(item.get("singular") or plural.rstrip("s")),
                kind=str(item["kind"]),
                short_names=tuple(str(s) for s in item.get("short_names") or ()),
                group=str(item.get("group") or ""),
                version=str(item.get("version") or "v1"),
                namespaced=bool(item.get("namespaced", True)),
            ))
        if infos:
            table = table.with_resources(infos)
        raw_previous = data.get("previous")
        if raw_previous is not None and not isinstance(raw_previous, Mapping):
            raise TypeError(f"context 'previous' must be an object, got {raw_previous!r}")
        previous = Turn.from_dict(raw_previous, table) if raw_previous is not None else None
        raw_workloads = data.get("workloads") or []
        if not isinstance(raw_workloads, list | tuple):
            raise TypeError(f"context 'workloads' must be a list, got {raw_workloads!r}")
        workloads = {}
        for item in raw_workloads:
            if not isinstance(item, Mapping) or not {"kind", "namespace", "name"} <= set(item):
                raise TypeError(f"context workload {item!r} needs kind, namespace and name")
            found = table.lookup(str(item["kind"]))
            kind = found[0] if found is not None else str(item["kind"])
            containers = tuple((str(c[0]), str(c[1])) for c in item.get("containers") or ())
            workloads[(kind, str(item["namespace"]), str(item["name"]))] = (
                int(item.get("replicas", 1)), containers)
        return cls(
            namespace=namespace,
            namespaces=tuple(str(n) for n in namespaces),
            inventory=inventory,
            resources=table,
            previous=previous,
            workloads=workloads,
        )


@runtime_checkable
class Translator(Protocol):
    """Turns one plain-language question into a :class:`Translation`.

    Implementations are plugins in the ``kubechat_lab.translators`` entry-point group and
    declare their metadata as class variables.
    """

    id: ClassVar[str]
    display_name: ClassVar[str]
    requires_network: ClassVar[bool]
    api_key_env: ClassVar[str | None]

    def translate(self, question: str, context: TranslationContext | None = None) -> Translation:
        """Translate ``question``; never raise for a question it cannot map."""
        ...


class ClientState(enum.Enum):
    """Lifecycle of a translator that owns a network client."""

    UNOPENED = 1
    OPENED = 2
    CLOSED = 3


class TranslatorClosedError(RuntimeError):
    """A network translator was used after ``close()``; create a new one instead."""

    def __init__(self, provider: str) -> None:
        super().__init__(
            f"the {provider} translator is closed; its HTTP client cannot be reopened. "
            "Create a new translator (or use it as a context manager for its whole lifetime)."
        )
