"""The one loader of manifests and patches: no aliases, bounded size and depth, clear errors."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from kubechat_lab.command import (
    MAX_DATA_CHARS,
    MAX_DATA_DEPTH,
    CommandError,
    load_data,
    load_documents,
    manifest_objects,
    parse,
)

#: The red team's shape: a ConfigMap whose ``data`` is a few lines of nested aliases.
BOMB = """apiVersion: v1
kind: ConfigMap
metadata: {name: lol}
data:
  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
  h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
  i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


@pytest.mark.parametrize("text", [
    BOMB,
    "a: &x 1\nb: 2\n",                                  # an anchor alone
    "base: &b {x: 1}\nother:\n  <<: *b\n",               # a merge key
    "- &one a\n- *one\n",
    "--- &doc\nkind: ConfigMap\n",
    "a: !!str &x v\n",
])
def test_anchors_and_aliases_are_refused_with_the_line(text: str) -> None:
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == "yaml-alias"
    assert "anchors and aliases" in str(info.value) and "line" in str(info.value)


@pytest.mark.parametrize("command", [
    ("kubectl apply -f -", BOMB),
    ("kubectl create -f -", BOMB),
    ("kubectl replace -f -", BOMB),
    ("kubectl delete -f -", BOMB),
])
def test_the_grammar_refuses_a_bomb_before_anything_reads_it(command: tuple[str, str]) -> None:
    line, manifest = command
    with pytest.raises(CommandError) as info:
        parse(line, manifest=manifest)
    assert info.value.reason == "yaml-alias"


def test_a_patch_goes_through_the_same_loader() -> None:
    patch = "{a: &a [1,1,1,1,1,1,1,1], b: [*a,*a,*a,*a,*a,*a,*a,*a]}"
    with pytest.raises(CommandError) as info:
        parse(f"kubectl patch deploy web -n shop -p '{patch}'")
    assert info.value.reason == "yaml-alias"


def test_size_is_bounded_and_the_limit_is_named() -> None:
    text = "a: " + "x" * MAX_DATA_CHARS
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == "data-too-large" and str(MAX_DATA_CHARS) in str(info.value)


@pytest.mark.parametrize("text", [
    "[" * (MAX_DATA_DEPTH + 1) + "]" * (MAX_DATA_DEPTH + 1),                 # JSON
    "a: " + "[" * (MAX_DATA_DEPTH + 1) + "]" * (MAX_DATA_DEPTH + 1),         # YAML flow
    "".join(f"{' ' * 2 * i}k:\n" for i in range(MAX_DATA_DEPTH + 1)) + " " * 300 + "v: 1\n",
    '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",                          # past recursion
])
def test_depth_is_bounded(text: str) -> None:
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == "data-too-deep" and str(MAX_DATA_DEPTH) in str(info.value)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * MAX_DATA_DEPTH + "]" * MAX_DATA_DEPTH
    assert load_data(text) is not None                      # JSON
    assert load_data("--- " + text) is not None             # the same as YAML flow
    inner = "[" * (MAX_DATA_DEPTH - 1) + "]" * (MAX_DATA_DEPTH - 1)
    assert load_data("a: " + inner) is not None             # the mapping is one level


@pytest.mark.parametrize(("text", "reason"), [
    ("a: " + "9" * 5000, "invalid-manifest"),    # PyYAML raises ValueError, not YAMLError
    ("{unclosed", "invalid-manifest"),
    ("a: [b\n", "invalid-manifest"),
])
def test_unreadable_values_are_a_command_error(text: str, reason: str) -> None:
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == reason


def test_a_large_plain_manifest_is_read() -> None:
    data = {f"key-{i}": "v" * 40 for i in range(17_500)}
    obj = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "big"}, "data": data}
    for text in (yaml.safe_dump(obj), json.dumps(obj)):
        assert 800_000 < len(text) <= MAX_DATA_CHARS
        assert manifest_objects(text) == [obj]


def test_several_documents_and_a_single_one() -> None:
    assert load_documents("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert load_data("") is None
    with pytest.raises(CommandError, match="2 YAML documents"):
        load_data("a: 1\n---\nb: 2\n")


_scalars = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.text(max_size=20)
_data = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(_data, st.booleans())
def test_alias_free_data_reads_back_as_written(value: object, as_json: bool) -> None:
    text = json.dumps(value) if as_json else yaml.safe_dump(value)
    assert load_data(text) == value


@settings(max_examples=100, deadline=None)
@given(_data, st.text(alphabet="abcxyz", min_size=1, max_size=6))
def test_any_anchor_anywhere_is_refused(value: object, anchor: str) -> None:
    shared = {"shared": value}
    # PyYAML writes an anchor and an alias for an object it meets twice
    text = yaml.safe_dump({"one": shared, "two": shared, anchor: 1})
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == "yaml-alias"


def test_every_path_that_reads_yaml_uses_the_one_loader() -> None:
    """Only the loader parses YAML, besides files the operator or the project writes."""
    import re
    from pathlib import Path

    import kubechat_lab

    root = Path(kubechat_lab.__file__).parent
    # the operator's policy file and the sandbox's own seed manifests are not user data
    allowed = {"command/_yaml.py", "policy/_engine.py", "sandbox/_seed.py"}
    pattern = re.compile(r"\byaml\.(?:safe_load|load|load_all|safe_load_all|parse|compose"
                         r"|compose_all|full_load|unsafe_load)\b|\bSafeLoader\b")
    readers = {str(path.relative_to(root)) for path in root.rglob("*.py")
               if pattern.search(path.read_text(encoding="utf-8"))}
    assert readers <= allowed, readers - allowed


@pytest.mark.parametrize("text", [
    "a: !!set {x, y}", "a: !!binary aGVsbG8=", "a: !!omap [{x: 1}]", "a: !!pairs [{x: 1}]",
    "a: !custom x", "a: !!python/object/apply:os.system [id]",
])
def test_tags_that_are_not_json_data_are_refused(text: str) -> None:
    with pytest.raises(CommandError) as info:
        load_documents(text)
    assert info.value.reason == "yaml-tag" and "line 1" in str(info.value)


def test_json_tags_are_read_and_timestamps_stay_text() -> None:
    assert load_data("a: !!str 12\nb: !!int '3'\nc: 2024-01-01\nd: 2001-12-14t21:59:43.10-05:00\n"
                     ) == {"a": "12", "b": 3, "c": "2024-01-01",
                           "d": "2001-12-14t21:59:43.10-05:00"}
