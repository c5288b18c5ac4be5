r"""The subset of kubectl's JSONPath used by ``-o jsonpath``, ``custom-columns`` and ``--sort-by``.

Supported: ``.field``, ``['field.with.dots']``, ``[n]`` (negative too), ``[*]``, ``[a:b]``,
``..field`` (recursive), filters ``[?(@.path == "x")]`` / ``!=`` / ``[?(@.path)]``, and in
templates ``{range EXPR}...{end}`` and quoted literals such as ``{"\\n"}``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from kubechat_lab.errors import ClusterError

__all__ = ["evaluate", "render_template"]

_TOKEN = re.compile(
    r"""\.\.(?P<deep>[A-Za-z0-9_\-$]+)
      | \.(?P<field>[A-Za-z0-9_\-$]+)
      | \[\s*'(?P<quoted>[^']*)'\s*\]
      | \[\s*"(?P<dquoted>[^"]*)"\s*\]
      | \[\s*(?P<star>\*)\s*\]
      | \[\s*(?P<slice>-?\d*\s*:\s*-?\d*)\s*\]
      | \[\s*(?P<index>-?\d+)\s*\]
      | \[\s*\?\(\s*@(?P<fpath>(?:\.[A-Za-z0-9_\-$]+)+)\s*
            (?:(?P<op>==|!=)\s*(?P<fval>"[^"]*"|'[^']*'|-?\d+(?:\.\d+)?|true|false))?\s*\)\s*\]
      | \.(?=$)
    """,
    re.VERBOSE,
)


def _bad(expr: str, why: str) -> ClusterError:
    return ClusterError(
        f"unsupported JSONPath {expr!r}: {why}; supported: .field, [n], [*], ..field, "
        "[?(@.f==\"v\")], {range}/{end}",
        status=400,
        reason="BadRequest",
    )


def _steps(expr: str) -> list[tuple[str, Any]]:
    text = expr.strip()
    if text.startswith("$"):
        text = text[1:]
    if text and not text.startswith((".", "[")):
        text = "." + text
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise _bad(expr, f"cannot read {text[pos:]!r}")
        pos = match.end()
        if match["deep"]:
            steps.append(("deep", match["deep"]))
        elif match["field"] is not None:
            steps.append(("field", match["field"]))
        elif match["quoted"] is not None or match["dquoted"] is not None:
            steps.append(("field", match["quoted"] if match["quoted"] is not None
                          else match["dquoted"]))
        elif match["star"]:
            steps.append(("star", None))
        elif match["slice"] is not None:
            start, _, stop = match["slice"].partition(":")
            steps.append(("slice", (int(start) if start.strip() else None,
                                    int(stop) if stop.strip() else None)))
        elif match["index"] is not None:
            steps.append(("index", int(match["index"])))
        elif match["fpath"]:
            value: Any = None
            if match["op"]:
                raw = match["fval"]
                if raw[0] in "\"'":
                    value = raw[1:-1]
                elif raw in ("true", "false"):
                    value = raw == "true"
                else:
                    value = float(raw) if "." in raw else int(raw)
            steps.append(("filter", (match["fpath"][1:].split("."), match["op"], value)))
    return steps


def _walk(values: list[Any], step: tuple[str, Any]) -> Iterator[Any]:
    kind, arg = step
    for value in values:
        if kind == "field":
            if isinstance(value, dict) and arg in value:
                yield value[arg]
        elif kind == "star":
            if isinstance(value, list):
                yield from value
            elif isinstance(value, dict):
                yield from value.values()
        elif kind == "index":
            if isinstance(value, list) and -len(value) <= arg < len(value):
                yield value[arg]
        elif kind == "slice":
            if isinstance(value, list):
                yield from value[arg[0]:arg[1]]
        elif kind == "deep":
            yield from _deep(value, arg)
        elif kind == "filter":
            path, op, expected = arg
            items = value if isinstance(value, list) else [value]
            for item in items:
                found = _get_path(item, path)
                if op is None:
                    if found is not _MISSING:
                        yield item
                elif (found == expected) == (op == "=="):
                    yield item


_MISSING = object()


def _get_path(value: Any, path: list[str]) -> Any:
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _deep(value: Any, key: str) -> Iterator[Any]:
    if isinstance(value, dict):
        if key in value:
            yield value[key]
        for sub in value.values():
            yield from _deep(sub, key)
    elif isinstance(value, list):
        for sub in value:
            yield from _deep(sub, key)


def evaluate(expr: str, obj: Any) -> list[Any]:
    """Every value ``expr`` (``.status.phase``, ``{.items[*].metadata.name}``) selects in obj.

    Raises
    ------
    ClusterError
        400 when the expression uses JSONPath this evaluator does not support.
    """
    text = expr.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    values = [obj]
    for step in _steps(text):
        values = list(_walk(values, step))
    return values


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        import orjson

        return orjson.dumps(value).decode()
    return "" if value is None else str(value)


_BLOCK = re.compile(r"\{((?:[^{}\"']|\"[^\"]*\"|'[^']*')*)\}")


def render_template(template: str, obj: Any) -> str:
    """Render a kubectl ``-o jsonpath=`` template against ``obj``.

    Raises
    ------
    ClusterError
        400 for unsupported syntax or an unbalanced ``{range}``/``{end}``.
    """
    parts: list[tuple[str, str]] = []
    pos = 0
    for match in _BLOCK.finditer(template):
        if match.start() > pos:
            parts.append(("text", template[pos:match.start()]))
        parts.append(("expr", match[1].strip()))
        pos = match.end()
    if pos < len(template):
        parts.append(("text", template[pos:]))
    out, rest = _render(parts, 0, obj, template)
    if rest != len(parts):
        raise _bad(template, "{end} without {range}")
    return out


def _render(parts: list[tuple[str, str]], start: int, obj: Any, template: str) -> tuple[str, int]:
    out: list[str] = []
    index = start
    while index < len(parts):
        kind, text = parts[index]
        if kind == "text":
            out.append(text)
            index += 1
            continue
        if text == "end":
            return "".join(out), index
        if text.startswith("range "):
            body_start = index + 1
            items = evaluate(text[len("range "):], obj)
            end = _skip_range(parts, body_start, template)
            for item in items:
                rendered, _ = _render(parts[:end], body_start, item, template)
                out.append(rendered)
            index = end + 1
            continue
        if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
            out.append(text[1:-1].encode().decode("unicode_escape"))
        else:
            out.append(" ".join(_format(v) for v in evaluate(text, obj)))
        index += 1
    return "".join(out), index


def _skip_range(parts: list[tuple[str, str]], start: int, template: str) -> int:
    depth = 1
    for index in range(start, len(parts)):
        kind, text = parts[index]
        if kind != "expr":
            continue
        if text.startswith("range "):
            depth += 1
        elif text == "end":
            depth -= 1
            if depth == 0:
                return index
    raise _bad(template, "{range} without {end}")
