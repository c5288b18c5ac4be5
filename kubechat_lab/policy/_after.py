"""The object as it will be after a write: one before/after reading for every write form.

The policy never sees the live object, so "after" is what a write says about each key of a
map: the value it gives it, that it removes it, or nothing, and then what happens to the keys
it does not name. That last part is what differs between write forms, and what this module
decides in one place:

- a merge or strategic-merge patch, ``label`` and ``annotate`` keep them (``null`` or
  ``KEY-`` removes one key by name);
- ``apply`` and ``replace`` write the whole object: ``replace`` (a PUT) drops every key it
  does not list, and server-side ``apply`` drops those an earlier apply of the same field
  manager listed, which may be any of them;
- a JSON patch that sets a map or one of its parents whole (``replace /metadata/labels {}``,
  ``add /metadata {...}``, ``replace ""``), a merge patch ``labels: null``, and the
  strategic-merge directives ``$patch: replace|delete`` and ``$retainKeys`` drop them too;
- ``create`` makes a new object: there were none.

So ``label ns x pod-security.kubernetes.io/enforce-``, a merge patch of that label to
``null``, a JSON patch ``remove`` of it, ``replace /metadata/labels {}`` and an ``apply`` of
the Namespace without it are one fact: after the write the label is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from kubechat_lab.command import is_index_token
from kubechat_lab.policy._written import Written

__all__ = ["MapAfter", "Rest", "map_after", "sets_whole"]

#: What happens to the keys a write does not name: ``kept`` from the live object, ``dropped``
#: (the write sets the map, or something holding it, whole), or ``new`` (there were none).
Rest = Literal["kept", "dropped", "new"]


@dataclass(frozen=True, slots=True)
class MapAfter:
    """One map of an object (``metadata.labels``) after a write.

    Parameters
    ----------
    values
        The keys the write gives a value, with that value.
    removed
        The keys the write removes by name.
    rest
        What happens to every other key (see :data:`Rest`).
    how
        For ``rest == "dropped"``: how the write drops them, for a reason
        (``replace of /metadata/labels``).
    """

    values: Mapping[str, object]
    removed: tuple[str, ...]
    rest: Rest
    how: str = ""


def _key(mapping: Mapping[Any, Any], name: str) -> object | None:
    """Return the key of ``mapping`` that is ``name`` (exactly, else case-insensitively)."""
    if name in mapping:
        return name
    lowered = name.lower()
    return next((key for key in mapping if str(key).lower() == lowered), None)


def _directive(mapping: Mapping[Any, Any]) -> str | None:
    """``replace`` or ``delete`` for a strategic-merge directive that drops unlisted keys."""
    value = str(mapping.get("$patch", "")).strip().lower()
    if value in ("replace", "delete"):
        return value
    if any(str(key).startswith("$retainKeys") for key in mapping):
        return "replace"
    return None


def _whole(written: Written) -> str | None:
    """How the write sets the whole object, or None when it does not."""
    if written.mode == "object":
        if written.via.startswith("apply"):
            return "apply of the whole object (it drops what an earlier apply listed)"
        return f"{written.via} of the whole object"
    if () in written.replaced:
        return "a JSON patch of the whole object"
    return None


def map_after(written: Written, path: tuple[str, ...]) -> MapAfter | None:
    """Return what the map at ``path`` holds after ``written``; None when it is not written.

    None for a deletion, and for a patch that does not reach the map at all (all its keys are
    kept); keys are matched as the analyzers match them, case-insensitively.
    """
    if written.mode == "delete" or written.body is None:
        return None
    new = written.mode == "new"
    how = _whole(written)
    node: object = written.body
    walked: tuple[str, ...] = ()
    for name in (None, *path):
        if name is not None:
            if not isinstance(node, Mapping):
                return None  # not a map where the API has one: the server refuses the write
            key = _key(node, name)
            if key is None:
                if how is None:
                    return None
                return MapAfter({}, (), "new" if new else "dropped", how)
            walked = (*walked, str(key))
            node = node[key]
            if walked in written.replaced:
                how = f"replace of /{'/'.join(walked)}"
            if node is None:
                return MapAfter({}, (), "new" if new else "dropped",
                                f"removing {'.'.join(walked)}")
        if isinstance(node, Mapping):
            directive = _directive(node)
            if directive == "delete":
                return MapAfter({}, (), "new" if new else "dropped",
                                f"$patch: delete at {'.'.join(walked) or 'the top'}")
            if directive == "replace":
                how = f"$patch: replace at {'.'.join(walked) or 'the top'}"
    if not isinstance(node, Mapping):
        return None
    values = {str(key): value for key, value in node.items()
              if value is not None and not str(key).startswith("$")}
    removed = () if new else tuple(str(key) for key, value in node.items() if value is None)
    if new:
        return MapAfter(values, (), "new")
    return MapAfter(values, removed, "kept" if how is None else "dropped", how or "")


def sets_whole(written: Written, path: tuple[str, ...]) -> str | None:
    """How ``written`` sets the value at ``path`` whole (a field it lacks is gone), or None.

    ``path`` names fields and list positions (``("webhooks", "0")``). An ``apply`` or
    ``replace`` sets every path whole; a JSON patch the paths it adds or replaces and what is
    under them (an operation on one list element stands for that element, whichever it is);
    a merge patch its lists; a strategic-merge patch what a ``$patch: replace`` (in a map, or
    as an element of a list) or ``$retainKeys`` sets. A new object has nothing to lose: None.
    """
    if written.mode in ("new", "delete"):
        return None
    how = _whole(written)
    if how is not None:
        return how
    node: object = written.body
    for depth, name in enumerate((*path, None)):
        where = ".".join(path[:depth]) or "the top"
        if isinstance(node, Mapping) and _directive(node) is not None:
            return f"$patch: {_directive(node)} at {where}"
        if isinstance(node, list) and any(
                isinstance(item, Mapping) and _directive(item) == "replace" for item in node):
            return f"$patch: replace of the list {where}"
        if name is None:
            break
        if isinstance(node, Mapping):
            key = _key(node, name)
            node = None if key is None else node[key]
        elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
            node = node[int(name)]
        else:
            break
    for replaced in written.replaced:
        if len(replaced) <= len(path) and all(
                want == have or (is_index_token(have) and want.isdigit())
                for want, have in zip(path, replaced, strict=False)):
            return f"replace of /{'/'.join(replaced)}"
    return None
