"""The one loader for the data a command carries (manifests, patches): bounded YAML and JSON.

Every path that reads a manifest or a patch (the grammar, the policy, the cluster writes)
calls :func:`load_documents` or :func:`load_data`, so the bounds below hold before anything
else sees the data:

- at most :data:`MAX_DATA_CHARS` characters;
- no YAML anchors or aliases (``&name``, ``*name``, ``<<: *name``). An alias repeats a
  subtree, so a few hundred bytes of nested aliases (a "billion laughs") stand for gigabytes
  once anything walks, copies or serializes the result; the API server reads JSON, and a
  manifest written out in full says the same thing. Refusing them outright is simpler and
  safer than counting expansions;
- at most :data:`MAX_DATA_DEPTH` levels of nesting (deeper data would exhaust the recursion
  of the YAML composer and of everything that walks the object);
- JSON data only: explicit tags other than ``!!str``, ``!!int``, ``!!float``, ``!!bool``,
  ``!!null``, ``!!map`` and ``!!seq`` are refused, and a plain timestamp stays a string.

Without aliases the parsed data grows with the text, so the character bound also bounds the
expanded size. YAML is checked event by event (libyaml's C parser where PyYAML has it) before
any object is built.
"""

from __future__ import annotations

import json
from functools import lru_cache

from kubechat_lab.errors import CommandError

__all__ = ["MAX_DATA_CHARS", "MAX_DATA_DEPTH", "load_data", "load_documents"]

#: Characters of manifest or patch text the loader reads (the server's request limit too).
MAX_DATA_CHARS = 1_000_000
#: Levels of nested mappings and lists a manifest or patch may have.
MAX_DATA_DEPTH = 100


def _refuse(what: str, message: str, reason: str) -> CommandError:
    return CommandError(f"{what}: {message}", reason=reason)


def _too_deep(what: str, where: str = "") -> CommandError:
    return _refuse(what, f"nested deeper than {MAX_DATA_DEPTH} levels{where} (the limit is "
                   f"MAX_DATA_DEPTH = {MAX_DATA_DEPTH}); flatten the data",
                   "data-too-deep")


def _check_size(text: str, what: str) -> None:
    if len(text) > MAX_DATA_CHARS:
        raise _refuse(what, f"{len(text)} characters; the limit is {MAX_DATA_CHARS} "
                      "(MAX_DATA_CHARS); split it into smaller manifests", "data-too-large")


def _check_depth(value: object, what: str) -> None:
    """Refuse JSON data nested deeper than :data:`MAX_DATA_DEPTH` (iteratively)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        children: list[object]
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth + 1 > MAX_DATA_DEPTH:
            raise _too_deep(what)
        stack.extend((child, depth + 1) for child in children)


def _json(text: str, what: str) -> tuple[bool, object]:
    """Return ``(True, value)`` when ``text`` is JSON, ``(False, None)`` when it is not."""
    if text.lstrip()[:1] not in ("{", "[", '"'):
        return False, None
    try:
        value: object = json.loads(text)
    except RecursionError:
        raise _too_deep(what) from None
    except ValueError:
        return False, None
    _check_depth(value, what)
    return True, value


#: Explicit tags that name JSON data; any other (``!!set``, ``!!binary``, ``!!omap``, ...)
#: builds something the API server's JSON has no word for.
_JSON_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in
                       ("str", "int", "float", "bool", "null", "map", "seq"))


@lru_cache(maxsize=1)
def _loader() -> type:
    import yaml

    base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    # A plain 2024-01-01 stays text, as the API server reads it (YAML 1.1 would make a date).
    loader = type("_ManifestLoader", (base,), {})
    loader.add_constructor(  # type: ignore[attr-defined]
        "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)
    return loader


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _where(event: object) -> str:
    mark = getattr(event, "start_mark", None)
    return f" at line {mark.line + 1}" if mark is not None else ""


def _check_events(text: str, what: str) -> None:
    """Refuse anchors, aliases and deep nesting before any object is built."""
    import yaml

    depth = 0
    try:
        for event in yaml.parse(text, Loader=_loader()):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _refuse(
                    what, f"YAML anchors and aliases (&name, *name, <<: *name) are refused"
                    f"{_where(event)}: an alias repeats a subtree, and a few hundred bytes of "
                    "nested aliases expand to gigabytes; write the values out in full",
                    "yaml-alias")
            tag = getattr(event, "tag", None)
            if tag and tag != "!" and tag not in _JSON_TAGS:
                raise _refuse(what, f"the YAML tag {tag} is refused{_where(event)}: a manifest "
                              "holds JSON data (strings, numbers, booleans, null, mappings, "
                              "lists); remove the tag", "yaml-tag")
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DATA_DEPTH:
                    raise _too_deep(what, _where(event))
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
    except yaml.YAMLError as exc:
        raise _refuse(what, f"not valid YAML or JSON: {_first_line(exc)}",
                      f"invalid-{what.split()[0]}") from None


def load_documents(text: str, what: str = "manifest") -> list[object]:
    """Return every document of YAML or JSON ``text`` (empty documents included as None).

    Parameters
    ----------
    text
        The manifest or patch text.
    what
        What the text is, for messages and the error reason (``manifest``, ``patch``).

    Raises
    ------
    CommandError
        ``reason`` ``data-too-large``, ``yaml-alias``, ``data-too-deep`` (the message names the
        limit), ``yaml-tag``, or ``invalid-<what>`` for text that is not YAML or JSON.
    """
    _check_size(text, what)
    is_json, value = _json(text, what)
    if is_json:
        return [value]
    _check_events(text, what)
    import yaml

    try:
        return list(yaml.load_all(text, Loader=_loader()))
    except yaml.YAMLError as exc:
        raise _refuse(what, f"not valid YAML or JSON: {_first_line(exc)}",
                      f"invalid-{what.split()[0]}") from None
    except (ValueError, OverflowError, RecursionError) as exc:
        # an integer of thousands of digits, a date out of range: PyYAML raises builtins
        raise _refuse(what, f"holds a value that cannot be read: {_first_line(exc)}",
                      f"invalid-{what.split()[0]}") from None


def load_data(text: str, what: str = "patch") -> object:
    """Return the single YAML or JSON document of ``text`` (None for empty text).

    Raises
    ------
    CommandError
        As :func:`load_documents`, and ``invalid-<what>`` when the text holds several
        documents.
    """
    documents = load_documents(text, what)
    if len(documents) > 1:
        raise _refuse(what, f"holds {len(documents)} YAML documents; give one",
                      f"invalid-{what.split()[0]}")
    return documents[0] if documents else None
