"""The one redaction of secret values: what a command writes into a Secret, and free text.

A command can carry a Secret's values in four places: ``--from-literal`` of
``create secret generic``, the ``data``/``stringData`` of a ``patch`` of a Secret (every
patch type), the Secrets of an inline manifest (``apply``/``create``/``replace -f -``,
several documents and ``kind: List`` included), and the last-applied annotation (a copy of
the whole Secret) written by a patch, a manifest or ``annotate``. :func:`secret_spots` finds
each value; :func:`redact_command` gives the command with each one replaced, which is what the audit
chain, the logs, webhooks and conversations keep (:func:`redacted_line` and
:func:`redacted_manifest` are its text). Free text (a question, an error) goes through
:func:`redact_text`, which removes a command's values and anything that looks like a
credential, even when no command came of the text.

The command that runs keeps its values: only its author's card shows them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kubechat_lab.command._render import render

if TYPE_CHECKING:
    from kubechat_lab.command.model import Command

__all__ = [
    "REDACTED",
    "SecretSpot",
    "redact_command",
    "redact_text",
    "redacted_line",
    "redacted_manifest",
    "secret_spots",
    "secret_template",
    "secret_values",
]

#: What the audit log, the logs and webhooks keep of a secret value.
REDACTED = "<redacted>"
_LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Commands whose redaction is kept (a manifest may be 1 MB: a few, not many).
_CACHED = 16
_VALUE_FIELDS = frozenset({"data", "stringdata"})
# Where a JSON-patch op on a Secret writes nothing secret: its value is kept.
_PLAIN_PATHS = (("metadata", "labels"), ("metadata", "name"), ("metadata", "namespace"),
                ("metadata", "finalizers"), ("metadata", "ownerreferences"),
                ("metadata", "generatename"), ("type",), ("immutable",), ("kind",),
                ("apiversion",))


@dataclass(frozen=True, slots=True)
class SecretSpot:
    """One secret value a command carries.

    Parameters
    ----------
    where
        Where it is, in words (``--from-literal password``, ``patch data.password``,
        ``Secret shop/db stringData.token``); never the value.
    value
        The value as the command writes it (base64 for ``data``).
    encoding
        How a plain value becomes what is written, in order: ``"base64"`` (a ``data`` key),
        ``"json"`` (a JSON string in a patch or manifest); empty for plain text.
    """

    where: str
    value: str
    encoding: tuple[str, ...] = ()


Replace = Callable[[SecretSpot], Any]


@functools.lru_cache(maxsize=_CACHED)
def secret_spots(command: Command) -> tuple[SecretSpot, ...]:
    """Return every secret value ``command`` carries, in the order it carries them."""
    found: list[SecretSpot] = []

    def keep(spot: SecretSpot) -> str:
        found.append(spot)
        return spot.value

    _rewrite(command, keep)
    return tuple(found)


@functools.lru_cache(maxsize=_CACHED)
def secret_values(command: Command) -> tuple[str, ...]:
    """Return the secret values of ``command`` in every spelling free text may hold them.

    Each value as written, base64 both ways, JSON-escaped, and the string leaves of a value
    that is itself a JSON document (a last-applied annotation).
    """
    out: list[str] = []
    for spot in secret_spots(command):
        todo = [spot.value]
        while todo:
            value = todo.pop()
            out += [value, json.dumps(value, ensure_ascii=False)[1:-1]]
            out.append(_b64decode(value) or "" if "base64" in spot.encoding else _b64encode(value))
            todo += _leaves(value)
    return tuple(dict.fromkeys(v for v in out if v))


def _leaves(value: str) -> list[str]:
    if not value.lstrip().startswith(("{", "[")):
        return []
    try:
        doc = json.loads(value)
    except ValueError:
        return []
    found: list[str] = []
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack += node.values()
        elif isinstance(node, list):
            stack += node
        elif isinstance(node, str) and node != value:
            found.append(node)
    return found


def redact_command(command: Command, replace: Replace | None = None) -> Command:
    """Return ``command`` with every secret value replaced (by :data:`REDACTED` by default).

    Keys, object names and everything else are kept, so the record still says which keys a
    command wrote. A patch or manifest that holds YAML anchors, or that cannot be read, is
    replaced whole.
    """
    if replace is None:
        return _redacted(command)
    return _rewrite(command, replace)


@functools.lru_cache(maxsize=_CACHED)
def _redacted(command: Command) -> Command:
    return _rewrite(command, lambda _spot: REDACTED)


def redacted_line(command: Command) -> str:
    """Return the canonical line without secret values (what the audit chain and logs keep)."""
    return render(redact_command(command))


def redacted_manifest(command: Command) -> str | None:
    """Return the inline manifest without secret values (JSON documents when it had any)."""
    return redact_command(command).manifest


def secret_template(command: Command) -> dict[str, Any] | None:
    """Return the command as a template whose secret values are parameters (None: it has none).

    What a runbook writes instead of the values: ``{"args": [...], "manifest": [...] | None,
    "params": [{"where", "encoding"}]}``. ``args`` are the kubectl arguments (no ``kubectl``),
    unquoted, each a list of literal strings and parameter indexes; ``manifest`` likewise for
    the inline manifest. A parameter is the plain value a person types: applying its
    ``encoding`` (``"base64"``, then ``"json"`` for a JSON string) gives what is written. When
    a value cannot be put back that way (an unreadable patch, a last-applied annotation), the
    template has ``"args": None`` and the runbook says so instead of writing a command.
    """
    found = _template(command)
    return json.loads(found) if found is not None else None


@functools.lru_cache(maxsize=_CACHED)
def _template(command: Command) -> str | None:
    """Return the template of :func:`secret_template` as JSON text (cached per command)."""
    import secrets
    import shlex

    nonce = secrets.token_hex(6)
    spots: list[SecretSpot] = []

    def mark(spot: SecretSpot) -> str:
        spots.append(spot)
        return f"KCSECRET{nonce}N{len(spots) - 1}X"

    marked = redact_command(command, mark)
    if not spots:
        return None
    params = [{"where": spot.where, "encoding": list(spot.encoding)} for spot in spots]
    pattern = re.compile(rf"(\"?)KCSECRET{nonce}N(\d+)X(\"?)")

    def parts(text: str) -> list[str | int] | None:
        out: list[str | int] = []
        last = 0
        for match in pattern.finditer(text):
            index = int(match[2])
            quoted = "json" in spots[index].encoding
            if (match[1] == '"') != quoted or (match[3] == '"') != quoted:
                return None
            out += [text[last:match.start()], index]
            last = match.end()
        out.append(text[last:])
        return [p for p in out if p != ""]

    args = [parts(word) for word in shlex.split(render(marked))[1:]]
    manifest = parts(marked.manifest) if marked.manifest is not None else None
    if any(a is None for a in args) or (marked.manifest is not None and manifest is None):
        return json.dumps({"args": None, "manifest": None, "params": params})
    return json.dumps({"args": args, "manifest": manifest, "params": params})


# -- free text -----------------------------------------------------------------------------

_NAME = (r"(?:pass(?:word|wd|phrase)?|pwd|secret(?:[_-]?key)?|token|api[_-]?key|apikey|"
         r"access[_-]?key|private[_-]?key|client[_-]?secret|credentials?|auth|bearer|"
         r"docker[_-]password)")
_QUOTED = r"(?:\"[^\"]*\"|'[^']*'|[^\s,;'\"{}\[\]]+)"
_TEXT_PATTERNS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    # PEM blocks (keys, certificates)
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|$)", re.S),
     lambda m: REDACTED),
    # --from-literal=K=V, --from-literal K=V, and configmap-like key=value after it
    (re.compile(r"(--from-literal(?:=|\s+))(['\"]?)([-._a-zA-Z0-9]+)=" + _QUOTED),
     lambda m: f"{m[1]}{m[2]}{m[3]}={REDACTED}{m[2]}"),
    # data/stringData blocks: every value inside the braces
    (re.compile(r"((?:\"|')?(?:data|stringData)(?:\"|')?\s*[:=]\s*)\{[^{}]*\}", re.I),
     lambda m: m[1] + "{" + REDACTED + "}"),
    # --docker-password=V, --password V, --token=V and the like
    (re.compile(r"(--" + _NAME + r")(=|\s+)" + _QUOTED, re.I),
     lambda m: f"{m[1]}{m[2]}{REDACTED}"),
    # password=V, "token": "V", api_key: V, password is V, password to V
    (re.compile(r"(\b[\w.-]*" + _NAME + r"[\w.-]*[\"']?\s*(?:[=:]|\bis\b|\bto\b|\bas\b)\s*)"
                + _QUOTED, re.I),
     lambda m: m[1] + REDACTED),
    # Authorization headers
    (re.compile(r"(\bbearer\s+)[\w.~+/-]+=*", re.I), lambda m: m[1] + REDACTED),
    # cloud access key ids and long hex keys
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\b[0-9a-fA-F]{32,}\b"), lambda m: REDACTED),
    # JSON web tokens
    (re.compile(r"\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*"), lambda m: REDACTED),
)
_SECRET_WORD = re.compile(r"secret", re.I)
_PAIR = re.compile(r"(?<![\w.-])([A-Za-z_][-._A-Za-z0-9]*)=(?!<redacted>)" + _QUOTED)
# A long word of letters and digits in both cases (a key, a token, a base64 blob), never an
# object name (those are lower case).
_OPAQUE = re.compile(r"(?<![\w+/=.-])[A-Za-z0-9+/_.-]{16,}={0,2}(?![\w+/=.-])")


def _opaque(match: re.Match[str]) -> str:
    word = match[0]
    if (re.search(r"[a-z]", word) and re.search(r"[A-Z]", word) and re.search(r"[0-9]", word)
            and not re.fullmatch(r"[A-Za-z][a-z]+(?:[A-Z][a-z]+)+[0-9]*", word)):
        return REDACTED
    return word


def redact_text(text: str, values: Iterable[str] = ()) -> str:
    """Return free text without secret values.

    Parameters
    ----------
    text
        A question, an explanation or an error message.
    values
        Known secret values (:func:`secret_values` of the command that came of the text);
        each is replaced wherever it appears, longest first.

    Returns
    -------
    str
        ``text`` with each known value and each credential-looking value (``password=...``,
        ``--from-literal=K=V``, ``data: {...}``, bearer tokens, JWTs, PEM blocks, long
        mixed-case keys) as :data:`REDACTED`.
    """
    for value in sorted(set(values), key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, REDACTED)
        elif value and value not in REDACTED:  # short: only where it stands as a word
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", REDACTED, text)
    for pattern, sub in _TEXT_PATTERNS:
        text = pattern.sub(sub, text)
    if _SECRET_WORD.search(text):  # about a Secret: any KEY=VALUE may be one of its values
        text = _PAIR.sub(lambda m: f"{m[1]}={REDACTED}", text)
    return _OPAQUE.sub(_opaque, text)


# -- the walk over a command ---------------------------------------------------------------

def _rewrite(command: Command, replace: Replace) -> Command:
    flags = command.flags
    manifest = command.manifest
    holds_secret = "secrets" in command.resources or any(
        kind == "secrets" for kind, _ in command.targets)
    if (command.verb, command.subverb) == ("create", "secret generic"):
        flags = tuple((key, _literal(value, replace) if key == "from-literal" else value)
                      for key, value in flags)
    elif command.verb == "patch" and holds_secret:
        flags = tuple((key, _patch(value, replace) if key == "patch" else value)
                      for key, value in flags)
    args = command.args
    if command.verb == "annotate" and holds_secret:  # the last-applied copy of the Secret
        args = tuple(_annotation(arg, replace) for arg in args)
    if manifest is not None:
        manifest = _manifest(manifest, replace)
    if flags == command.flags and manifest == command.manifest and args == command.args:
        return command
    return dataclasses.replace(command, flags=flags, manifest=manifest, args=args)


def _annotation(arg: str, replace: Replace) -> str:
    key, sep, value = arg.partition("=")
    if not sep or key.lower() != _LAST_APPLIED:
        return arg
    return f"{key}={_applied(value, f'annotation {key}', replace)}"


def _literal(literal: str, replace: Replace) -> str:
    key, sep, value = literal.partition("=")
    if not sep:
        return literal
    return f"{key}={replace(SecretSpot(f'--from-literal {key}', value))}"


def _load(text: str) -> list[Any] | None:
    """Read JSON or YAML text into its documents; None when unreadable (or refused).

    The one bounded loader (:mod:`kubechat_lab.command._yaml`) reads it: a text it refuses
    (anchors, a size or depth past its limits) cannot be read for its values, so the caller
    replaces it whole.
    """
    from kubechat_lab.command._yaml import load_documents
    from kubechat_lab.errors import CommandError

    try:
        return load_documents(text, "manifest")
    except CommandError:
        return None


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _patch(text: str, replace: Replace) -> str:
    documents = _load(text)
    body = documents[0] if documents is not None and len(documents) == 1 else None
    if not isinstance(body, (dict, list)):
        return _whole(text, "patch", replace)
    if isinstance(body, list):
        return _dump([_json_op(op, replace) for op in body])
    return _dump(_object(body, (), "patch", replace))


def _whole(text: str, where: str, replace: Replace) -> str:
    out = replace(SecretSpot(f"{where} (unreadable or with anchors: kept whole)", text))
    return str(out)


def _segments(path: object) -> tuple[str, ...]:
    """JSON-pointer segments, read leniently (with or without the leading ``/``)."""
    if not isinstance(path, str):
        return ("?",)
    parts = path.split("/")
    return tuple(p.replace("~1", "/").replace("~0", "~").lower() for p in parts if p != "")


def _json_op(op: object, replace: Replace) -> object:
    if not isinstance(op, dict):
        return replace(SecretSpot("patch (an operation that is not an object)", _dump(op),
                                  ("json",)))
    out: dict[str, object] = {}
    segments = _segments(op.get("path"))
    for key, value in op.items():
        if key in ("op", "path", "from"):
            out[key] = value
        else:
            out[key] = _at(value, segments, f"patch {'.'.join(segments) or '/'}", replace)
    return out


def _at(value: object, segments: tuple[str, ...], where: str, replace: Replace) -> object:
    """Redact ``value`` written at ``segments`` of a Secret (anything not known plain is)."""
    if not segments or segments in (("metadata",), ("metadata", "annotations")):
        return _object(value, segments, where, replace)
    if segments[0] in _VALUE_FIELDS:
        base64 = segments[0] == "data"
        if len(segments) == 1:
            return _fields(value, where, replace, base64=base64)
        return _secret(value, where, replace, base64=base64)
    if segments[:2] == ("metadata", "annotations"):
        return _applied(value, where, replace) if segments[2] == _LAST_APPLIED else value
    if any(segments[:len(plain)] == plain for plain in _PLAIN_PATHS):
        return value
    return _secret(value, where, replace)


def _object(value: object, at: tuple[str, ...], where: str, replace: Replace) -> object:
    """Redact a Secret object (``at=()``), its metadata or its annotations."""
    if not isinstance(value, dict):
        return value if at else _secret(value, where, replace)
    out: dict[object, object] = {}
    for key, item in value.items():
        name = str(key)
        lower = name.lower()
        if not at and lower in _VALUE_FIELDS:
            out[key] = _fields(item, f"{where} {name}", replace, base64=lower == "data")
        elif not at and lower == "metadata":
            out[key] = _object(item, ("metadata",), where, replace)
        elif at == ("metadata",) and lower == "annotations":
            out[key] = _object(item, ("metadata", "annotations"), where, replace)
        elif at == ("metadata", "annotations") and lower == _LAST_APPLIED:
            out[key] = _applied(item, f"{where} {name}", replace)
        else:
            out[key] = item
    return out


def _applied(value: object, where: str, replace: Replace) -> object:
    """Redact a last-applied annotation: the whole Secret as JSON (keys kept)."""
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except ValueError:
            doc = None
        if isinstance(doc, dict):
            return _dump(_object(doc, (), where, replace))
    return _secret(value, where, replace)


def _fields(value: object, where: str, replace: Replace, *, base64: bool) -> object:
    if not isinstance(value, dict):
        return _secret(value, where, replace, base64=base64)
    return {key: _secret(item, f"{where}.{key}", replace, base64=base64)
            for key, item in value.items()}


def _secret(value: object, where: str, replace: Replace, *, base64: bool = False) -> object:
    if value is None:
        return None
    text = value if isinstance(value, str) else _dump(value)
    encoding = ("base64", "json") if base64 else ("json",)
    return replace(SecretSpot(where, text, encoding))


def _manifest(text: str, replace: Replace) -> str:
    documents = _load(text)
    if documents is None:
        return _whole(text, "manifest", replace) if _mentions_secret(text) else text
    out = [_document(document, replace) for document in documents]
    if all(a is b for a, b in zip(out, documents, strict=True)):
        return text
    return "\n---\n".join(_dump(doc) for doc in out if doc is not None) + "\n"


def _mentions_secret(text: str) -> bool:
    return re.search(r"secret", text, re.I) is not None


def _document(document: object, replace: Replace) -> object:
    if not isinstance(document, dict):
        return document
    kind = str(document.get("kind", ""))
    items = document.get("items")
    if kind.endswith("List") and isinstance(items, list):
        new_items = [_document(item, replace) for item in items]
        if all(a is b for a, b in zip(new_items, items, strict=True)):
            return document
        return {**document, "items": new_items}
    if kind.lower() != "secret":
        return document
    meta = document.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    where = f"Secret {namespace + '/' if namespace else ''}{name or '?'}"
    return _object(document, (), where, replace)


def _b64decode(value: str) -> str | None:
    try:
        return base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _b64encode(value: str) -> str:
    return base64.b64encode(value.encode()).decode()
