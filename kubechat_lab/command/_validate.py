"""Validators for the values inside a command: names, selectors, durations, outputs, data.

Each validator returns the canonical form of a good value and raises ``CommandError`` naming
the value, what was expected and how to fix it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kubechat_lab.command._yaml import load_data, load_documents
from kubechat_lab.errors import CommandError

__all__ = [
    "FLAG_LIKE",
    "canonical_field_selector",
    "canonical_label_selector",
    "check_annotation_key",
    "check_label_key",
    "check_label_value",
    "check_name",
    "check_namespace",
    "check_object_name",
    "check_no_smuggling",
    "manifest_objects",
    "validate_patch",
]

_LABEL = r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?"
_DNS_LABEL = re.compile(_LABEL)
_DNS_SUBDOMAIN = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_RBAC_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9.:@_]*[a-z0-9])?")
_QUALIFIED = re.compile(r"[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
#: A word that a program would read as a flag (``-x``, ``--xyz``), not a negative number.
FLAG_LIKE = re.compile(r"-{1,2}[A-Za-z]")
# Credential and connection flags mentioned anywhere inside a value are refused as smuggling.
_SMUGGLED = re.compile(
    r"(?:^|\s)--?(?:token|server|kubeconfig|context|cluster|user|as|as-group|as-uid|"
    r"certificate-authority|client-certificate|client-key|insecure-skip-tls-verify|username|"
    r"password|raw|s)(?:=|\s|$)"
)
_RBAC_RESOURCES = frozenset({"roles", "rolebindings", "clusterroles", "clusterrolebindings"})


def check_no_smuggling(value: str, flag: str) -> None:
    """Refuse a value that is, or carries, a flag (``-n --server=x``, ``'a --token=b'``)."""
    if FLAG_LIKE.match(value) or _SMUGGLED.search(value):
        raise CommandError(
            f"the value {value!r} of {flag} looks like a flag; a value may not smuggle a flag "
            "(that is how tools leak tokens): give a real value",
            reason="flag-smuggling",
        )


def check_name(name: str, resource: str | None = None) -> str:
    """Check an object name: a DNS-1123 subdomain (RBAC objects may also use ``:``)."""
    if len(name) <= 253 and (
        _DNS_SUBDOMAIN.fullmatch(name)
        or (resource in _RBAC_RESOURCES and _RBAC_NAME.fullmatch(name))
    ):
        return name
    what = f"{resource} name" if resource else "name"
    raise CommandError(
        f"invalid {what} {name!r}: object names are lower-case letters, digits, '-' and '.', "
        "starting and ending with a letter or digit (DNS-1123), at most 253 characters",
        reason="invalid-name",
    )


def check_namespace(name: str) -> str:
    """Check a namespace name: a DNS-1123 label (at most 63 characters, no dots)."""
    if _DNS_LABEL.fullmatch(name):
        return name
    raise CommandError(
        f"invalid namespace {name!r}: namespaces are lower-case letters, digits and '-', "
        "starting and ending with a letter or digit, at most 63 characters (DNS-1123 label)",
        reason="invalid-name",
    )


def check_label_key(key: str, what: str = "label") -> str:
    """Check a label key ``[prefix/]name`` (prefix a DNS subdomain, name at most 63 chars)."""
    prefix, slash, name = key.rpartition("/")
    if _QUALIFIED.fullmatch(name) and (
        not slash or (len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix))
    ):
        return key
    raise CommandError(
        f"invalid {what} key {key!r}: expected [prefix/]name where name is at most 63 letters, "
        "digits, '-', '_' or '.', starting and ending with a letter or digit",
        reason="invalid-label",
    )


def check_annotation_key(key: str) -> str:
    """Check an annotation key (same syntax as a label key)."""
    return check_label_key(key, "annotation")


def check_label_value(value: str, key: str) -> str:
    """Check a label value: empty or at most 63 letters, digits, '-', '_' or '.'."""
    if _LABEL_VALUE.fullmatch(value):
        return value
    raise CommandError(
        f"invalid value {value!r} for label {key!r}: label values are at most 63 letters, "
        "digits, '-', '_' or '.', starting and ending with a letter or digit",
        reason="invalid-label",
    )


_REQ_PLAIN = re.compile(
    r"\s*(?P<not>!)?\s*(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s*"
    r"(?:(?P<op>==|=|!=|>|<)\s*(?P<value>[-A-Za-z0-9_.]*)\s*)?"
)
_REQ_SET = re.compile(
    r"\s*(?P<key>[A-Za-z0-9][-A-Za-z0-9_./]*)\s+(?P<op>in|notin)\s*\((?P<values>[^()]*)\)\s*"
)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _bad_selector(selector: str, part: str, why: str) -> CommandError:
    return CommandError(
        f"invalid label selector {selector!r}: {why} in {part.strip()!r}; expected "
        "comma-separated requirements such as app=web, tier!=db, env in (prod,staging), "
        "!canary",
        reason="invalid-selector",
    )


def canonical_label_selector(selector: str) -> str:
    """Validate a label selector and return it with canonical spacing.

    ``==`` becomes ``=``, set values are sorted and de-duplicated: ``app = web, env in (b, a)``
    becomes ``app=web,env in (a,b)``.
    """
    if not selector.strip():
        raise _bad_selector(selector, selector, "empty selector")
    out = []
    for part in _split_top_level(selector):
        match = _REQ_SET.fullmatch(part)
        if match is not None:
            key = check_label_key(match["key"])
            values = sorted({v.strip() for v in match["values"].split(",")})
            if "" in values:
                raise _bad_selector(selector, part, "empty value in a set")
            for value in values:
                check_label_value(value, key)
            out.append(f"{key} {match['op']} ({','.join(values)})")
            continue
        match = _REQ_PLAIN.fullmatch(part)
        if match is None:
            raise _bad_selector(selector, part, "cannot read the requirement")
        try:
            key = check_label_key(match["key"])
        except CommandError as exc:
            raise _bad_selector(selector, part, str(exc)) from None
        op, value = match["op"], match["value"]
        if op is None:
            out.append(("!" if match["not"] else "") + key)
            continue
        if match["not"]:
            raise _bad_selector(selector, part, "'!' only goes before a bare key")
        if op in (">", "<"):
            if not value.isdigit():
                raise _bad_selector(selector, part, f"{op} needs an integer")
        else:
            check_label_value(value, key)
        out.append(f"{key}{'=' if op == '==' else op}{value}")
    return ",".join(out)


_FIELD_REQ = re.compile(r"\s*(?P<key>[A-Za-z][A-Za-z0-9.]*)\s*(?P<op>==|=|!=)\s*(?P<value>\S*)\s*")


def canonical_field_selector(selector: str) -> str:
    """Validate a field selector (``status.phase!=Running,spec.nodeName=n1``); canonical form."""
    out = []
    for part in re.split(r"(?<!\\),", selector):
        match = _FIELD_REQ.fullmatch(part)
        if match is None:
            raise CommandError(
                f"invalid field selector {selector!r} at {part.strip()!r}: expected "
                "comma-separated field=value or field!=value, e.g. status.phase=Running",
                reason="invalid-selector",
            )
        op = "=" if match["op"] == "==" else match["op"]
        out.append(f"{match['key']}{op}{match['value']}")
    return ",".join(out)


def validate_patch(text: str) -> str:
    """Check that a patch is a JSON or YAML object or list (it is data, never a path)."""
    value = load_data(text, "patch")
    if not isinstance(value, (dict, list)):
        raise CommandError(
            f"patch {text[:60]!r} is not a JSON/YAML object or list; give the patch itself, "
            "e.g. -p '{\"spec\":{\"replicas\":2}}'",
            reason="invalid-patch",
        )
    return text


def manifest_objects(text: str) -> list[dict[str, object]]:
    """Parse inline manifest text (YAML or JSON, several documents, ``kind: List``) to objects.

    Raises
    ------
    CommandError
        ``reason="invalid-manifest"`` when the text is not YAML, or an object has no
        ``apiVersion``/``kind``; the bounds of :func:`load_documents` (no aliases, size,
        depth) with their own reasons.
    """
    documents = load_documents(text, "manifest")
    objects: list[dict[str, object]] = []
    for document in documents:
        if document is None:
            continue
        if not isinstance(document, dict):
            raise CommandError(
                f"manifest document is a {type(document).__name__}, not an object with "
                "apiVersion and kind",
                reason="invalid-manifest",
            )
        items = document.get("items")
        if str(document.get("kind", "")).endswith("List") and isinstance(items, list):
            for item in items:
                objects.append(_manifest_object(item))
        else:
            objects.append(_manifest_object(document))
    if not objects:
        raise CommandError("manifest holds no objects", reason="invalid-manifest")
    return objects


def _manifest_object(item: object) -> dict[str, object]:
    if not isinstance(item, dict) or not all(
        isinstance(item.get(key), str) and item.get(key) for key in ("apiVersion", "kind")
    ):
        raise CommandError(
            f"manifest object {str(item)[:80]!r} has no apiVersion and kind",
            reason="invalid-manifest",
        )
    _check_metadata(item)
    return item


# Kinds named like URL path segments (``system:aggregate-to-edit``), not DNS subdomains.
_PATH_SEGMENT_KINDS = frozenset({"role", "clusterrole", "rolebinding", "clusterrolebinding"})
_PATH_SEGMENT = re.compile(r"[^/%]+")


def _check_metadata(item: dict[str, object]) -> None:
    """Names that become URL path segments must be valid Kubernetes names (never ``.``/``..``)."""
    kind = str(item["kind"])
    meta = item.get("metadata")
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise CommandError(f"manifest {kind}: metadata is a {type(meta).__name__}, not a "
                           "mapping with name (and namespace)", reason="invalid-manifest")
    name, generate = meta.get("name"), meta.get("generateName")
    if name is None and generate is None:
        raise CommandError(f"manifest {kind} has no metadata.name; name every object",
                           reason="invalid-manifest")
    for field, value in (("name", name), ("generateName", generate)):
        if value is None:
            continue
        if not isinstance(value, str):
            raise CommandError(f"manifest {kind}: metadata.{field} {value!r} is not a string",
                               reason="invalid-name")
        check_object_name(value.rstrip("-") if field == "generateName" and value != "-"
                          else value, kind)
    namespace = meta.get("namespace")
    if namespace is not None:
        if not isinstance(namespace, str):
            raise CommandError(f"manifest {kind}: metadata.namespace {namespace!r} is not a "
                               "string", reason="invalid-name")
        check_namespace(namespace)


def check_object_name(name: str, kind: str) -> str:
    """Check the name of an object of ``kind`` (a Kind such as ``Namespace``, or a resource).

    Namespaces are DNS labels, RBAC objects path segments (no ``/`` or ``%``), everything else
    a DNS-1123 subdomain; ``.`` and ``..`` are never names (they would turn an object's URL
    into its collection's or its parent's).
    """
    lowered = kind.lower()
    if name in ("", ".", ".."):
        raise CommandError(
            f"invalid {kind} name {name!r}: '.', '..' and empty names would address a "
            "collection or its parent instead of one object; give the object's real name",
            reason="invalid-name",
        )
    if lowered in ("namespace", "namespaces"):
        return check_namespace(name)
    singular = lowered[:-1] if lowered.endswith("s") else lowered
    if singular in _PATH_SEGMENT_KINDS:
        if len(name) <= 253 and _PATH_SEGMENT.fullmatch(name):
            return name
        raise CommandError(
            f"invalid {kind} name {name!r}: RBAC object names may not contain '/' or '%'",
            reason="invalid-name",
        )
    return check_name(name)


Validator = Callable[[str], str]
