"""Property tests: hostile input never escapes as anything but CommandError or FORBIDDEN, and
canonical rendering round-trips."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from kubechat_lab.command import Command, CommandError, parse, render
from kubechat_lab.command._validate import canonical_label_selector
from kubechat_lab.policy import Level, classify

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

_DATA = Path(__file__).parent / "data" / "canonical.jsonl"
BASES: list[str] = [
    json.loads(line)["out"]
    for line in _DATA.read_text(encoding="utf-8").splitlines()
    if line.strip() and not json.loads(line).get("crd")
]

VOCAB = [
    "kubectl", "get", "describe", "logs", "delete", "scale", "apply", "create", "rollout",
    "restart", "status", "set", "image", "label", "top", "pods", "po", "deploy/web", "svc",
    "web-0", "-n", "shop", "-A", "-l", "app=web", "-o", "yaml", "wide", "--replicas=3",
    "--tail=10", "-f", "-", "-p", "-c", "--all", "--force", "--", "=", ",", "/", "'", '"',
    "\\", "|", ";", "&&", "&", ">", "<", "$(", ")", "(", "`", "$", "#", "\n", "\t", "ñ", "🙂",
    "\u202e", "\u00a0", "\u200b", "--token=x", "--server", "-s", "--kubeconfig", "--as=root",
    "-it", "--watch", "--from-file=x", "-k", "x", "''", '""', "{", "}", "*", "?", "[", "]",
    "~", "!", "exec", "config", "--dry-run", "-oyaml", "--for=delete", "key-", "a=b:NoSchedule",
]  # fmt: skip

SHELL = ["|", ";", "&&", "||", "&", ">", "<", ">>", "2>&1", "$(id)", "`id`", "$HOME", "${X}",
         "\nkubectl delete pods --all", "(", ")", "<(id)", "$'x'", "# comment"]
GLUE = ["|", ";", "&&", "&", ">", "<", "$(id)", "`id`", "$HOME", "(", ")"]
CREDENTIALS = ["--token", "--server", "-s", "--kubeconfig", "--context", "--cluster", "--user",
               "--as", "--as-group", "--as-uid", "--certificate-authority",
               "--client-certificate", "--client-key", "--insecure-skip-tls-verify",
               "--username", "--password", "--raw"]

def _words(text: str) -> list[str]:
    """Split on spaces outside quotes (so inserted words land between shell words)."""
    words, current, quote = [], "", ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == " ":
            words.append(current)
            current = ""
            continue
        current += char
    return [*words, current]


soups = st.lists(st.sampled_from(VOCAB) | st.text(max_size=6), max_size=14)


def _outcome(text: str) -> Command | None:
    try:
        return parse(text)
    except CommandError as exc:
        assert exc.reason and str(exc)
        return None


@SETTINGS
@given(soups, st.sampled_from([" ", "", "  "]))
@example(["kubectl", "get", "pods", "-l", "--all"], " ")
def test_token_soup_raises_only_command_error(words: list[str], sep: str) -> None:
    text = sep.join(words)
    command = _outcome(text)
    _, assessment = classify(text)
    assert assessment.reasons and assessment.rule_ids
    if command is None:
        assert assessment.level is Level.FORBIDDEN
        return
    canonical = render(command)
    assert parse(canonical) == command
    assert render(parse(canonical)) == canonical


@SETTINGS
@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_command_error(text: str) -> None:
    command = _outcome(text)
    if command is not None:
        assert parse(render(command)) == command
    classify(text)


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_shell_syntax_anywhere_is_forbidden(base: str, data: st.DataObject) -> None:
    words = _words(base)
    glue = data.draw(st.booleans())
    if glue:
        at = data.draw(st.integers(0, len(words) - 1))
        words[at] = words[at] + data.draw(st.sampled_from(GLUE))
    else:
        at = data.draw(st.integers(0, len(words) - 1))  # never last: a final newline is trimmed
        words.insert(at, data.draw(st.sampled_from(SHELL)))
    text = " ".join(words)
    command, assessment = classify(text)
    assert command is None, text
    assert assessment.level is Level.FORBIDDEN
    assert assessment.rule_ids[0] in (
        "parse:shell-syntax", "parse:multiple-commands", "parse:not-kubectl"), text


@SETTINGS
@given(st.sampled_from(BASES), st.sampled_from(CREDENTIALS), st.data())
def test_credential_flags_anywhere_are_forbidden(
    base: str, flag: str, data: st.DataObject
) -> None:
    words = _words(base)
    form = data.draw(st.sampled_from(["bare", "equals", "separate", "quoted"]))
    token = {"bare": flag, "equals": f"{flag}=x", "separate": f"{flag} x",
             "quoted": f"'{flag}=x'"}[form]
    words.insert(data.draw(st.integers(1, len(words))), token)
    text = " ".join(words)
    command, assessment = classify(text)
    assert command is None, text
    assert assessment.level is Level.FORBIDDEN
    assert assessment.rule_ids == ("parse:credential-flag",), (text, assessment)
    assert parse_refusal(text) == "credential-flag"


def parse_refusal(text: str) -> str:
    try:
        parse(text)
    except CommandError as exc:
        return exc.reason
    raise AssertionError(f"parsed: {text}")


_LABEL = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True)
_NAME = st.from_regex(r"[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?(\.[a-z0-9]{1,5})?", fullmatch=True)
_KEY = st.from_regex(r"([a-z]{1,5}\.[a-z]{2,3}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?",
                     fullmatch=True)
_VALUE = st.from_regex(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,6}[A-Za-z0-9])?)?", fullmatch=True)


@st.composite
def selectors(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        key = draw(_KEY)
        kind = draw(st.sampled_from(["eq", "ne", "in", "notin", "exists", "not"]))
        if kind in ("eq", "ne"):
            parts.append(f"{key} {'=' if kind == 'eq' else '!='} {draw(_VALUE)}")
        elif kind in ("in", "notin"):
            values = draw(st.lists(_VALUE.filter(bool), min_size=1, max_size=3))
            parts.append(f"{key} {kind} ( {' , '.join(values)} )")
        else:
            parts.append(("!" if kind == "not" else "") + key)
    return canonical_label_selector(", ".join(parts))


_SELECTABLE = {"get", "describe", "delete", "label", "annotate", "wait"}


@SETTINGS
@given(st.sampled_from(BASES), st.data())
def test_generated_commands_round_trip(base: str, data: st.DataObject) -> None:
    command = parse(base)
    changes: dict[str, object] = {}
    if not command.all_namespaces:
        changes["namespace"] = data.draw(st.none() | _LABEL)
    if command.verb in _SELECTABLE and command.flag("filename") is None:
        # a selector may be added or changed, never removed (it may be the only target)
        options = selectors() if command.selector else st.none() | selectors()
        changes["selector"] = data.draw(options)
    if (command.names and not command.targets and command.verb in ("get", "describe", "delete")
            and len(command.resources) == 1 and command.resources[0] != "namespaces"):
        changes["names"] = tuple(data.draw(st.lists(_NAME, min_size=1, max_size=3)))
    generated = dataclasses.replace(command, **changes)  # type: ignore[arg-type]
    canonical = render(generated)
    assert parse(canonical) == generated, canonical
    assert render(parse(canonical)) == canonical
    assert Command.from_dict(generated.to_dict()) == generated


@SETTINGS
@given(selectors())
def test_label_selector_canonical_form_is_a_fixed_point(selector: str) -> None:
    assert canonical_label_selector(selector) == selector
