"""The typed kubectl command (``Command``) and ``parse``, which builds one from a line.

The resource table lives in ``_resource_table`` (with the built-in one in
``_builtin_resources``), the verb sets in ``_verb_kinds``; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kubechat_lab.command._builtin_resources import DEFAULT_RESOURCES
from kubechat_lab.command._grammar import read_command
from kubechat_lab.command._render import render
from kubechat_lab.command._resource_table import BUILTIN_GROUPS, ResourceInfo, ResourceTable
from kubechat_lab.command._secrets import redact_text, redacted_line, secret_values
from kubechat_lab.command._verb_kinds import READ_VERBS, VERBS, WRITE_VERBS
from kubechat_lab.errors import CommandError

if TYPE_CHECKING:
    from typing import Self

__all__ = [
    "BUILTIN_GROUPS",
    "DEFAULT_RESOURCES",
    "READ_VERBS",
    "VERBS",
    "WRITE_VERBS",
    "Command",
    "ResourceInfo",
    "ResourceTable",
    "parse",
]

_READ_ROLLOUT = frozenset({"status", "history"})

@dataclass(frozen=True, slots=True)
class Command:
    """One kubectl command line, parsed, validated and immutable.

    Build it with :func:`kubechat_lab.command.parse`; :meth:`render` gives back the one
    canonical string, and ``parse(render(c)) == c``. New values come from
    ``dataclasses.replace``. The fields are documented in COMMAND-API (the contract).

    Parameters
    ----------
    verb
        The kubectl verb (``get``, ``rollout``, ...), one of :data:`VERBS`.
    subverb
        ``rollout``/``set``/``auth``/``top``/``create``/``apply`` sub-command, else None.
    resources
        Canonical resource names (``pods``, ``widgets.example.com``); empty when none.
    names
        Object names (also the names of ``TYPE/NAME`` arguments).
    targets
        ``(resource, name)`` pairs when the command was written ``TYPE/NAME``.
    namespace
        ``-n/--namespace``.
    all_namespaces
        ``-A/--all-namespaces``.
    selector
        ``-l/--selector``, canonical spacing.
    field_selector
        ``--field-selector``, canonical spacing.
    output
        ``-o/--output`` value.
    flags
        Every other flag as ``(long name, value)``, sorted by name; booleans are ``"true"``.
    args
        Positional arguments that are not object names (``key=value`` labels, taints, ...).
        For ``create deployment|job|cronjob`` a ``"--"`` element starts the container command.
    manifest
        Inline manifest text for ``-f -`` (never a path); None when not supplied.
    """

    verb: str
    subverb: str | None = None
    resources: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    targets: tuple[tuple[str, str], ...] = ()
    namespace: str | None = None
    all_namespaces: bool = False
    selector: str | None = None
    field_selector: str | None = None
    output: str | None = None
    flags: tuple[tuple[str, str], ...] = ()
    args: tuple[str, ...] = ()
    manifest: str | None = field(default=None, repr=False)

    def flag(self, name: str) -> str | None:
        """Return the (first) value of flag ``name`` (long name, no dashes), or None."""
        for key, value in self.flags:
            if key == name:
                return value
        return None

    def flag_values(self, name: str) -> tuple[str, ...]:
        """Return every value of a repeatable flag (``--from-literal``, ``--for``, ...)."""
        return tuple(value for key, value in self.flags if key == name)

    def has_flag(self, name: str) -> bool:
        """Return True when flag ``name`` is present with any value."""
        return any(key == name for key, _ in self.flags)

    @property
    def is_write(self) -> bool:
        """True when running the command changes cluster state (``--dry-run`` is ignored)."""
        verb = self.verb
        if verb not in WRITE_VERBS:
            return False
        if verb == "rollout":
            return self.subverb not in _READ_ROLLOUT
        if verb == "apply":
            return self.subverb is None
        if verb in ("label", "annotate") or (verb == "set" and self.subverb == "env"):
            return self.flag("list") != "true"
        return True

    @property
    def is_dry_run(self) -> bool:
        """True when ``--dry-run`` is ``client`` or ``server`` (nothing is persisted)."""
        return self.flag("dry-run") in ("client", "server")

    def render(self) -> str:
        """Return the canonical kubectl string (same as ``render(self)``)."""
        return render(self)

    @property
    def secret_values(self) -> tuple[str, ...]:
        """Every secret value the command writes (and its base64 spelling).

        ``--from-literal`` of ``create secret generic``, ``data``/``stringData`` of a patch of
        a Secret, the Secrets of an inline manifest (:mod:`kubechat_lab.command._secrets`).
        They must never reach the audit log or the logs: see :meth:`redacted`.
        """
        return secret_values(self)

    def redacted(self) -> str:
        """Return the canonical line with every secret value as ``<redacted>`` (keys kept).

        What is recorded: the audit chain proves which keys a command wrote, never their values.
        """
        return redacted_line(self)

    def redact(self, text: str) -> str:
        """Return free text (the question that asked for it) without secret values.

        This command's values go, and so does anything that looks like a credential
        (:func:`kubechat_lab.command.redact_text`).
        """
        return redact_text(text, self.secret_values)

    def to_dict(self) -> dict[str, object]:
        """Return a JSON-friendly dict of every field plus ``"canonical"`` (the rendered line)."""
        return {
            "verb": self.verb,
            "subverb": self.subverb,
            "resources": list(self.resources),
            "names": list(self.names),
            "targets": [list(pair) for pair in self.targets],
            "namespace": self.namespace,
            "all_namespaces": self.all_namespaces,
            "selector": self.selector,
            "field_selector": self.field_selector,
            "output": self.output,
            "flags": [list(pair) for pair in self.flags],
            "args": list(self.args),
            "manifest": self.manifest,
            "canonical": self.render(),
        }

    @classmethod
    def from_dict(
        cls, data: Mapping[str, object], *, resources: ResourceTable | None = None
    ) -> Self:
        """Rebuild a Command from :meth:`to_dict` output, validating it through the grammar.

        Raises
        ------
        CommandError
            When a field has the wrong type or the command is not what the grammar would
            produce for its own canonical string (reason ``"invalid-command"``).
        """
        try:
            cmd = cls(
                verb=_as_str(data["verb"], "verb"),
                subverb=_as_opt_str(data.get("subverb"), "subverb"),
                resources=_as_strs(data.get("resources", ()), "resources"),
                names=_as_strs(data.get("names", ()), "names"),
                targets=_as_pairs(data.get("targets", ()), "targets"),
                namespace=_as_opt_str(data.get("namespace"), "namespace"),
                all_namespaces=bool(data.get("all_namespaces", False)),
                selector=_as_opt_str(data.get("selector"), "selector"),
                field_selector=_as_opt_str(data.get("field_selector"), "field_selector"),
                output=_as_opt_str(data.get("output"), "output"),
                flags=_as_pairs(data.get("flags", ()), "flags"),
                args=_as_strs(data.get("args", ()), "args"),
                manifest=_as_opt_str(data.get("manifest"), "manifest"),
            )
        except KeyError as exc:
            raise CommandError(
                f"command dict has no {exc.args[0]!r} field; pass the output of Command.to_dict()",
                reason="invalid-command",
            ) from exc
        again = parse(cmd.render(), resources=resources, manifest=cmd.manifest)
        if again != cmd:
            raise CommandError(
                f"command dict is not canonical: it renders as {cmd.render()!r}, which parses "
                "to a different command; build commands with kubechat_lab.command.parse()",
                reason="invalid-command",
            )
        return cmd


def _as_str(value: object, name: str) -> str:
    if not isinstance(value, str):
        raise CommandError(
            f"command field {name!r} must be a string, got {value!r}", reason="invalid-command"
        )
    return value


def _as_opt_str(value: object, name: str) -> str | None:
    return None if value is None else _as_str(value, name)


def _as_strs(value: object, name: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CommandError(
            f"command field {name!r} must be a list of strings, got {value!r}",
            reason="invalid-command",
        )
    return tuple(_as_str(item, name) for item in value)


def _as_pairs(value: object, name: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise CommandError(
            f"command field {name!r} must be a list of [key, value] pairs, got {value!r}",
            reason="invalid-command",
        )
    pairs = []
    for item in value:
        items = _as_strs(item, name)
        if len(items) != 2:
            raise CommandError(
                f"command field {name!r} holds {item!r}, not a [key, value] pair",
                reason="invalid-command",
            )
        pairs.append((items[0], items[1]))
    return tuple(pairs)


def parse(
    text: str, *, resources: ResourceTable | None = None, manifest: str | None = None
) -> Command:
    """Parse one kubectl command line into a :class:`Command`.

    Parameters
    ----------
    text
        The command; the leading ``kubectl`` is optional.
    resources
        Resource table to resolve names with (default :data:`DEFAULT_RESOURCES`; pass one
        extended by cluster discovery to accept CRDs).
    manifest
        Manifest text for ``-f -`` (apply, create, replace, delete), YAML or JSON. It is data:
        paths and URLs are never read.

    Returns
    -------
    Command
        The validated command; ``parse(render(cmd), manifest=cmd.manifest) == cmd``.

    Raises
    ------
    CommandError
        With ``reason`` naming the cause (``shell-syntax``, ``credential-flag``,
        ``local-file``, ``interactive``, ``not-kubectl``, ``unknown-verb``, ``unknown-flag``,
        ``invalid-name``, ...); ``CommandSyntaxError`` for malformed quoting.
    """
    ctx, (res, names, targets, args) = read_command(text, resources=resources, manifest=manifest)
    flags: list[tuple[str, str]] = []
    for name in sorted(ctx.flags):
        for value in ctx.flags[name]:
            flags.append((name, value))
    return Command(
        verb=ctx.verb,
        subverb=ctx.subverb,
        resources=res,
        names=names,
        targets=targets,
        namespace=ctx.namespace,
        all_namespaces=ctx.all_namespaces,
        selector=ctx.selector,
        field_selector=ctx.field_selector,
        output=ctx.output,
        flags=tuple(flags),
        args=args,
        manifest=manifest,
    )

