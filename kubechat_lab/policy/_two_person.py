"""Two-person approval: which commands need a second person from a named group (docs/policy.md).

An operator's policy file lists ``two_person`` entries; each names the levels, contexts and
namespaces it covers and the group whose member approves::

    two_person:
      - levels: [dangerous]
        contexts: [prod, "prod-*"]
        namespaces: [payments]
        approvers: sre-leads

A proposal is matched against the entries when it is made (the first entry that matches
decides); the server then refuses an approval by the proposer, or by anyone outside the group.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

from kubechat_lab.errors import PolicyError
from kubechat_lab.policy._model import Level

__all__ = ["TwoPersonRule", "parse_two_person", "two_person_rule"]

_FIELDS = ("levels", "contexts", "namespaces", "approvers")
#: Levels a person approves (safe is approved by policy, forbidden never runs).
_APPROVED_LEVELS = (Level.WARNING, Level.DANGEROUS)
#: A group name as JupyterHub and the ``groups`` setting spell it.
_GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:-]{0,99}")


@dataclass(frozen=True, slots=True)
class TwoPersonRule:
    """One ``two_person`` entry: where a second person from ``approvers`` must approve.

    Parameters
    ----------
    approvers
        The group whose member (never the proposer) approves.
    levels
        The levels it covers (``warning``, ``dangerous``).
    contexts
        Context name globs (``fnmatch``, case-sensitive); empty: every context.
    namespaces
        Namespace globs; empty: every namespace and cluster-scoped commands too. With
        globs, a command matches when a namespace it touches matches one
        (:meth:`~kubechat_lab.policy.Policy.two_person_for` says which it touches).
    index
        Its position in the file (1-based), for messages.
    """

    approvers: str
    levels: frozenset[Level] = frozenset({Level.DANGEROUS})
    contexts: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    index: int = 1

    def matches(self, level: Level, context: str | None, namespaces: Iterable[str] | None
                ) -> bool:
        """Return whether a command of ``level`` on ``context`` touching ``namespaces`` is covered.

        Parameters
        ----------
        level
            The command's level.
        context
            The kubeconfig context it runs on (None: unknown, matched only by a rule without
            ``contexts``).
        namespaces
            The namespaces it touches; None means every namespace (``-A``); empty means none
            (a cluster-scoped command).
        """
        if level not in self.levels:
            return False
        if self.contexts and not (context is not None and _any(context, self.contexts)):
            return False
        if not self.namespaces:
            return True
        if namespaces is None:
            return True  # every namespace: the named ones among them
        return any(_any(ns, self.namespaces) for ns in namespaces)

    def describe(self) -> str:
        """Return what the entry covers, in words (``dangerous commands in prod``)."""
        levels = " and ".join(lv.value for lv in _APPROVED_LEVELS if lv in self.levels)
        where = ""
        if self.contexts:
            where += " on context " + ", ".join(self.contexts)
        if self.namespaces:
            where += " in namespace " + ", ".join(self.namespaces)
        return f"{levels} commands{where}"


def _any(value: str, globs: tuple[str, ...]) -> bool:
    return any(fnmatchcase(value, glob) for glob in globs)


def two_person_rule(rules: Iterable[TwoPersonRule], level: Level, context: str | None,
                    namespaces: Iterable[str] | None) -> TwoPersonRule | None:
    """Return the first rule that covers the command, or None (see :meth:`TwoPersonRule.matches`).

    ``namespaces`` is materialised once, so a generator may be passed.
    """
    touched = None if namespaces is None else tuple(namespaces)
    for rule in rules:
        if rule.matches(level, context, touched):
            return rule
    return None


def parse_two_person(value: object, source: str) -> tuple[TwoPersonRule, ...]:
    """Parse the ``two_person`` field of a policy file.

    Raises
    ------
    PolicyError
        For anything but a list of mappings with a valid ``approvers`` group, ``levels`` among
        ``warning``/``dangerous``, and ``contexts``/``namespaces`` lists of non-empty strings;
        the message names the file, the entry and the field.
    """
    if not isinstance(value, list):
        raise PolicyError(f"policy file {source}: field 'two_person': expected a list of "
                          "entries such as {levels: [dangerous], contexts: [prod], approvers: "
                          f"sre-leads}}, got {value!r}")
    return tuple(_entry(item, source, i + 1) for i, item in enumerate(value))


def _entry(item: object, source: str, index: int) -> TwoPersonRule:
    where = f"policy file {source}: two_person #{index}"
    if not isinstance(item, dict):
        raise PolicyError(f"{where}: expected a mapping with 'approvers' (and optional "
                          f"'levels', 'contexts', 'namespaces'), got {item!r}")
    for key in item:
        if key not in _FIELDS:
            close = difflib.get_close_matches(str(key), _FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PolicyError(f"{where}: unknown field {key!r}{hint}; fields: "
                              + ", ".join(_FIELDS))
    group = item.get("approvers")
    if not isinstance(group, str) or not _GROUP.fullmatch(group):
        raise PolicyError(f"{where}: field 'approvers': expected the name of one group (as in "
                          "c.KubechatApp.groups or JupyterHub's groups), e.g. sre-leads; got "
                          f"{group!r}")
    return TwoPersonRule(
        approvers=group,
        levels=_levels(item.get("levels", ["dangerous"]), where),
        contexts=_globs(item.get("contexts", []), where, "contexts"),
        namespaces=_globs(item.get("namespaces", []), where, "namespaces"),
        index=index,
    )


def _levels(value: object, where: str) -> frozenset[Level]:
    names = [lv.value for lv in _APPROVED_LEVELS]
    if not isinstance(value, list) or not value:
        raise PolicyError(f"{where}: field 'levels': expected a non-empty list of "
                          f"{' and/or '.join(names)}, got {value!r}")
    levels = set()
    for entry in value:
        if entry not in names:
            why = {"safe": "safe commands are approved by policy",
                   "forbidden": "forbidden commands never run"}.get(str(entry), "unknown level")
            raise PolicyError(f"{where}: field 'levels': {entry!r} cannot need two people "
                              f"({why}); use {' or '.join(names)}")
        levels.add(Level(entry))
    return frozenset(levels)


def _globs(value: object, where: str, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise PolicyError(f"{where}: field {name!r}: expected a list of names or globs "
                          f"(prod, 'prod-*'), got {value!r}; leave it out to cover every "
                          f"{name[:-1]}")
    return tuple(v.strip() for v in value)
