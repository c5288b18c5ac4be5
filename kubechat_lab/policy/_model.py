"""Safety levels, the Assessment of one command, and the context it is assessed in."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["Assessment", "Level", "Observe", "PolicyContext"]

#: Reads one live object: ``(resource, namespace, name) -> object``, None when it does not
#: exist or cannot be read. ``resource`` is the canonical plural (``deployments``).
Observe = Callable[[str, "str | None", str], "Mapping[str, object] | None"]


class Level(enum.StrEnum):
    """How risky a command is; ordered ``SAFE < WARNING < DANGEROUS < FORBIDDEN``.

    safe runs at once, warning needs a click, dangerous needs an authenticated browser
    approval with the target typed back, forbidden never runs (docs/policy.md).
    """

    SAFE = "safe"
    WARNING = "warning"
    DANGEROUS = "dangerous"
    FORBIDDEN = "forbidden"

    @property
    def rank(self) -> int:
        """0 for safe up to 3 for forbidden."""
        return _RANK[self]

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] < _RANK[other]

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] <= _RANK[other]

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] > _RANK[other]

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Level):
            return NotImplemented
        return _RANK[self] >= _RANK[other]


_RANK = {Level.SAFE: 0, Level.WARNING: 1, Level.DANGEROUS: 2, Level.FORBIDDEN: 3}


@dataclass(frozen=True, slots=True)
class Assessment:
    """The policy's verdict on one command.

    Parameters
    ----------
    level
        The highest level among the matching rules.
    reasons
        Human sentences, most severe first.
    rule_ids
        The ids of the matching rules, in the same order (``parse:<reason>`` for a command
        the parser refused).
    """

    level: Level
    reasons: tuple[str, ...] = ()
    rule_ids: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """Return ``{"level", "reasons", "rule_ids"}`` with JSON-friendly values."""
        return {
            "level": self.level.value,
            "reasons": list(self.reasons),
            "rule_ids": list(self.rule_ids),
        }


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """Who asks and where: the signed-in user and the namespace commands default to.

    Parameters
    ----------
    user
        The Jupyter user (matched by rules' ``users`` globs).
    namespace
        The namespace a command without ``-n`` runs in (kubeconfig context's namespace);
        None means ``default``.
    groups
        The user's groups (informational; rules do not match them yet).
    observe
        Reads live objects as the user (None: the policy judges the command alone). Used
        only where a rule compares with what runs now (``image-source-change``).
    """

    user: str | None = None
    namespace: str | None = None
    groups: tuple[str, ...] = ()
    observe: Observe | None = field(default=None, compare=False, repr=False)
