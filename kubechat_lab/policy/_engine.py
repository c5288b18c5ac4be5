"""The policy engine: load rule files, assess commands, classify command lines."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from kubechat_lab.command import DEFAULT_RESOURCES, Command, CommandError, ResourceTable, parse
from kubechat_lab.errors import PolicyError
from kubechat_lab.policy._facts import facts_of
from kubechat_lab.policy._model import Assessment, Level, PolicyContext
from kubechat_lab.policy._rules import Rule, compile_rule
from kubechat_lab.policy._two_person import TwoPersonRule, parse_two_person, two_person_rule

__all__ = ["DEFAULT_POLICY_PATH", "Policy", "assess", "classify", "default_policy", "load_policy"]

#: The default policy shipped in the package (docs/policy.md).
DEFAULT_POLICY_PATH = Path(__file__).with_name("default_policy.yaml")

_TOP_FIELDS = ("version", "protected_namespaces", "allowed_registries", "rules", "disable",
               "denied_resources", "extends_default", "two_person")
_NO_RULE = Rule("no-rule", Level.WARNING,
                "no policy rule matched this command, so it needs a confirmation.")


@dataclass(frozen=True, slots=True)
class Policy:
    """A compiled safety policy: rules plus the protected namespaces.

    Build it with :func:`load_policy`; assess commands with :meth:`assess`.

    Parameters
    ----------
    rules
        The rules, in file order.
    protected_namespaces
        Writes in these namespaces are dangerous (rule ``protected-namespace``).
    sources
        The files the policy was read from.
    allowed_registries
        Where images may come from (empty: anywhere).
    two_person
        Where a second person from a named group must approve (``two_person``), in file order.
    """

    rules: tuple[Rule, ...]
    protected_namespaces: frozenset[str]
    sources: tuple[str, ...] = ()
    allowed_registries: tuple[str, ...] = ()
    two_person: tuple[TwoPersonRule, ...] = ()

    def two_person_for(self, command: Command, level: Level, kube_context: str | None,
                       context: PolicyContext | None = None, *,
                       resources: ResourceTable = DEFAULT_RESOURCES) -> TwoPersonRule | None:
        """Return the ``two_person`` entry that covers ``command`` judged ``level``.

        ``kube_context`` is the kubeconfig context it runs on. The namespaces it touches are
        the ones the protected-namespace rules read: its ``-n`` (else ``context``'s
        namespace), the namespaces of a manifest's objects, the namespaces a write to
        namespaces names (``delete ns payments``), and every namespace for ``-A``.
        """
        if not self.two_person:
            return None
        if command.all_namespaces:
            return two_person_rule(self.two_person, level, kube_context, None)
        alone = replace(context, observe=None) if context is not None else None
        facts = facts_of(command, alone, self.protected_namespaces, resources,
                         self.allowed_registries)
        return two_person_rule(self.two_person, level, kube_context, facts.namespaces)

    def assess(self, command: Command, context: PolicyContext | None = None, *,
               resources: ResourceTable = DEFAULT_RESOURCES) -> Assessment:
        """Return the :class:`Assessment` of ``command`` run in ``context``."""
        facts = facts_of(command, context, self.protected_namespaces, resources,
                         self.allowed_registries)
        matched = [rule for rule in self.rules if rule.matches(facts)]
        if not matched:
            matched = [_NO_RULE]
        matched.sort(key=lambda rule: -rule.level.rank)
        level = matched[0].level
        ceilings = [rule for rule in matched if rule.caps and rule.level < level]
        if ceilings and level is not Level.FORBIDDEN:
            lowest = min(ceilings, key=lambda rule: rule.level.rank)
            level = lowest.level
            matched.remove(lowest)
            matched.insert(0, lowest)  # the rule that decided the level comes first
        fields = facts.format_fields()
        return Assessment(
            level=level,
            reasons=tuple(rule.explain(fields, facts) for rule in matched),
            rule_ids=tuple(rule.id for rule in matched),
        )

    @property
    def digest(self) -> str:
        """``sha256:`` of the effective policy (the policy version).

        It covers the rules (id, level, reason, match, caps, in order), the protected
        namespaces and the allowed registries. Where the rules were read from is left out:
        the same policy from another path has the same digest. The server's LLM answer
        cache keys on it (a changed policy misses).
        """
        import hashlib
        import json

        body = {
            "rules": [[rule.id, rule.level.value, rule.reason, rule.caps, rule.match]
                      for rule in self.rules],
            "protected_namespaces": sorted(self.protected_namespaces),
            "allowed_registries": list(self.allowed_registries),
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=repr)
        return "sha256:" + hashlib.sha256(text.encode()).hexdigest()

    def merged(self, data: Mapping[str, object], source: str) -> Policy:
        """Return this policy with an operator's policy mapping merged on top."""
        _check_top(data, source)
        if data.get("extends_default", True) is False:
            base: tuple[Rule, ...] = ()
            protected = frozenset[str]()
            registries: tuple[str, ...] = ()
            two_person: tuple[TwoPersonRule, ...] = ()
        elif data.get("extends_default", True) is not True:
            raise PolicyError(f"policy file {source}: field 'extends_default': expected true "
                              f"or false, got {data.get('extends_default')!r}")
        else:
            base, protected = self.rules, self.protected_namespaces
            registries = self.allowed_registries
            two_person = self.two_person
        if "two_person" in data:
            two_person = parse_two_person(data["two_person"], source)
        if "protected_namespaces" in data:
            protected = _protected(data["protected_namespaces"], source)
        if "allowed_registries" in data:
            registries = _registries(data["allowed_registries"], source)
        rules = _rules(data, source)
        by_id = {rule.id: rule for rule in base}
        disabled = _string_list(data.get("disable", []), source, "disable")
        for rule_id in disabled:
            if rule_id not in by_id:
                close = difflib.get_close_matches(rule_id, list(by_id), n=2)
                hint = f" (did you mean {' or '.join(close)}?)" if close else ""
                raise PolicyError(f"policy file {source}: field 'disable': no rule "
                                  f"{rule_id!r} to disable{hint}")
            del by_id[rule_id]
        for rule in rules:
            by_id[rule.id] = rule  # same id replaces, new id appends
        return Policy(tuple(by_id.values()), protected, (*self.sources, source), registries,
                      two_person)


def _check_top(data: Mapping[str, object], source: str) -> None:
    for key in data:
        if key not in _TOP_FIELDS:
            close = difflib.get_close_matches(str(key), _TOP_FIELDS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PolicyError(f"policy file {source}: unknown field {key!r}{hint}; fields: "
                              + ", ".join(_TOP_FIELDS))
    version = data.get("version", 1)
    if version != 1:
        raise PolicyError(f"policy file {source}: field 'version': {version!r} is not "
                          "supported; write version: 1")


def _string_list(value: object, source: str, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"policy file {source}: field {name!r}: expected a list of strings, "
                          f"got {value!r}")
    return list(value)


def _protected(value: object, source: str) -> frozenset[str]:
    return frozenset(_string_list(value, source, "protected_namespaces"))


_REGISTRY = re.compile(r"(?:\*\.)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?(?::[0-9]+)?(?:/[a-z0-9._/-]+)?")


def _registries(value: object, source: str) -> tuple[str, ...]:
    entries = _string_list(value, source, "allowed_registries")
    for entry in entries:
        if not _REGISTRY.fullmatch(entry.strip().lower().rstrip("/")):
            raise PolicyError(f"policy file {source}: field 'allowed_registries': {entry!r} is "
                              "not a registry host (ghcr.io, *.gcr.io, localhost:5000) or a "
                              "host and path prefix (docker.io/library)")
    return tuple(entry.strip().lower().rstrip("/") for entry in entries)


def _rules(data: Mapping[str, object], source: str) -> list[Rule]:
    raw = data.get("rules", [])
    if not isinstance(raw, list):
        raise PolicyError(f"policy file {source}: field 'rules': expected a list of rules, "
                          f"got {raw!r}")
    rules = [compile_rule(item, source, i) for i, item in enumerate(raw)]
    seen: set[str] = set()
    for rule in rules:
        if rule.id in seen:
            raise PolicyError(f"policy file {source}: rule {rule.id!r}: field 'id': the id is "
                              "used twice in this file")
        seen.add(rule.id)
    denied = data.get("denied_resources", [])
    if not isinstance(denied, list):
        raise PolicyError(f"policy file {source}: field 'denied_resources': expected a list, "
                          f"got {denied!r}")
    for i, entry in enumerate(denied):
        resource = _denied_resource(entry, source, i)
        rules.append(compile_rule({
            "id": f"denied-resource:{resource}",
            "level": "forbidden",
            "reason": f"the policy denies any access to {resource}.",
            "match": {"resources": [resource]},
        }, source, len(rules)))
    return rules


def _denied_resource(entry: object, source: str, index: int) -> str:
    where = f"policy file {source}: denied_resources #{index + 1}"
    if isinstance(entry, str):
        word = entry
    elif isinstance(entry, dict) and isinstance(entry.get("kind") or entry.get("resource"), str):
        word = str(entry.get("resource") or entry.get("kind"))
        group = entry.get("group")
        if isinstance(group, str) and group and "." not in word:
            found = DEFAULT_RESOURCES.lookup(f"{word}.{group}")
            word = found[0] if found else word
    else:
        raise PolicyError(f"{where}: expected a resource name or a mapping with 'kind' "
                          f"(and optional 'group'), got {entry!r}")
    found = DEFAULT_RESOURCES.lookup(word)
    if found is not None:
        return found[0]
    if "." in word:
        return word.lower()
    raise PolicyError(f"{where}: field 'kind': unknown resource {word!r}")


def _read(path: Path) -> Mapping[str, object]:
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"policy file {path} cannot be read: {exc.strerror or exc}; check "
                          "the policy_file setting") from exc
    # libyaml's loader when built in: every command loads the default policy, and the pure
    # Python parser takes several times as long over it
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        at = f" (line {mark.line + 1})" if mark is not None else ""
        raise PolicyError(f"policy file {path} is not valid YAML{at}: {first}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(f"policy file {path}: expected a mapping at the top level, got "
                          f"{type(data).__name__}")
    return data


@lru_cache(maxsize=1)
def default_policy() -> Policy:
    """Return the default policy (read once from :data:`DEFAULT_POLICY_PATH`)."""
    empty = Policy((), frozenset(), ())
    return empty.merged(_read(DEFAULT_POLICY_PATH), str(DEFAULT_POLICY_PATH))


def load_policy(path: str | Path | None = None) -> Policy:
    """Load a policy: the default one, with the operator's YAML file merged on top.

    Parameters
    ----------
    path
        The operator's policy file; None gives the default policy.

    Raises
    ------
    PolicyError
        When the file cannot be read or is invalid; the message names the file, the rule
        and the bad field.
    """
    if path is None:
        return default_policy()
    path = Path(path)
    return default_policy().merged(_read(path), str(path))


def assess(command: Command, context: PolicyContext | None = None, *,
           policy: Policy | None = None) -> Assessment:
    """Assess ``command`` with ``policy`` (default: the default policy).

    Parameters
    ----------
    command
        A parsed command (unknown verbs never get here: the parser refuses them).
    context
        The user and default namespace.
    policy
        The policy to apply.

    Returns
    -------
    Assessment
        Level, reasons (most severe first) and the ids of the matching rules.
    """
    return (policy or default_policy()).assess(command, context)


def classify(
    text: str,
    *,
    policy: Policy | None = None,
    context: PolicyContext | None = None,
    resources: ResourceTable | None = None,
    manifest: str | None = None,
) -> tuple[Command | None, Assessment]:
    """Parse and assess one command line.

    Returns
    -------
    tuple[Command | None, Assessment]
        The command and its assessment; ``(None, FORBIDDEN)`` with the parser's reason (rule
        id ``parse:<reason>``) when the line is refused.
    """
    try:
        command = parse(text, resources=resources, manifest=manifest)
    except CommandError as exc:
        return None, Assessment(Level.FORBIDDEN, (str(exc),), (f"parse:{exc.reason}",))
    chosen = policy or default_policy()
    return command, chosen.assess(command, context, resources=resources or DEFAULT_RESOURCES)
