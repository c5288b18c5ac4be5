"""``kubechat translate`` and ``kubechat eval``: questions to kubectl commands, and their scores."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import click

from kubechat_lab.cli._errors import PolicyDenied, RuntimeFailure, UsageFailure
from kubechat_lab.errors import TranslateError
from kubechat_lab.policy import Level, assess
from kubechat_lab.translate import (
    Translation,
    TranslationContext,
    Translator,
    assess_translation,
    available_translators,
    create_translator,
    load_cases,
)
from kubechat_lab.translate import evaluate as evaluate_cases

__all__ = ["evaluate", "translate"]


class ProviderType(click.ParamType[str]):
    """A translator id among the installed plugins (``rules``, ``ollama``, ``openai``, ...)."""

    name = "provider"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> str:
        """Check ``value`` against the installed translator plugins."""
        text = str(value)
        installed = available_translators()
        if text not in installed:
            self.fail(f"{text!r} is not an installed translator; choose from "
                      f"{', '.join(installed)}", param, ctx)
        return text


#: Flags that are shorthands for a translator option (the provider decides whether it has it).
_SHORTHANDS = {"model": "--model", "host": "--ollama-host", "base_url": "--openai-base-url",
               "api_key_env": "--api-key-env", "timeout": "--timeout"}


def _provider_options(func: click.decorators.FC) -> click.decorators.FC:
    options = [
        click.option("--provider", type=ProviderType(), default="rules", show_default=True,
                     help="Translator plugin: rules (offline), ollama, openai, ..."),
        click.option("--option", "-O", "raw_options", multiple=True, metavar="NAME=VALUE",
                     help="An option the provider declares (repeatable), e.g. -O model=llama3.1 "
                          "-O host=http://127.0.0.1:11434; see docs/translation.md."),
        click.option("--model", metavar="NAME", help="Same as --option model=NAME."),
        click.option("--ollama-host", metavar="URL", help="Same as --option host=URL."),
        click.option("--openai-base-url", metavar="URL", help="Same as --option base_url=URL."),
        click.option("--api-key-env", metavar="NAME",
                     help="Same as --option api_key_env=NAME: the environment variable holding "
                          "the API key. The key itself is never an option."),
        click.option("--timeout", type=float, metavar="SECONDS",
                     help="Same as --option timeout=SECONDS."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _grounding_option(default: str) -> Callable[[click.decorators.FC], click.decorators.FC]:
    return click.option(
        "--grounding", "grounding_path", metavar="FILE|demo|none", default=default,
        show_default=True,
        help='Cluster grounding: a JSON file {"namespace", "namespaces", "inventory": '
             '{"deployments": [["shop", "checkout"], ...]}}; "demo" for the sandbox\'s demo '
             'workload (what the shared evaluation questions are about); "none" for none.')


def _grounding(path: str | None) -> TranslationContext | None:
    if path is None or path == "none":
        return None
    if path == "demo":
        from kubechat_lab.sandbox import demo_grounding

        return TranslationContext.from_dict(demo_grounding())
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("the file must hold a JSON object")
        return TranslationContext.from_dict(data)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageFailure(f"cannot read grounding file {path}: {exc}") from exc


def _options(raw_options: tuple[str, ...], shorthands: dict[str, object]) -> dict[str, object]:
    options: dict[str, object] = {}
    for item in raw_options:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise UsageFailure(f"--option {item!r} must look like NAME=VALUE")
        options[name.strip().replace("-", "_")] = value
    options.update({k: v for k, v in shorthands.items() if v is not None})
    return options


@contextlib.contextmanager
def _translator(provider: str, raw_options: tuple[str, ...],
                **shorthands: object) -> Iterator[Translator]:
    options = _options(raw_options, shorthands)
    try:
        translator = create_translator(provider, options=options)
    except TranslateError as exc:
        flags = [f"{_SHORTHANDS[name]} NAME" for name in _SHORTHANDS if name in str(exc)]
        hint = f" (on the command line: {' or '.join(flags)})" if flags else ""
        raise UsageFailure(f"{exc}{hint}") from exc
    try:
        yield translator
    finally:
        close = getattr(translator, "close", None)
        if callable(close):
            close()


def _choices(translation: Translation) -> list[dict[str, object]]:
    """Return a refusal's readings judged by the default policy (forbidden ones left out)."""
    offered: list[dict[str, object]] = []
    for choice in translation.choices:
        assessment = assess(choice.command)
        if assessment.level is Level.FORBIDDEN:
            continue
        offered.append({"command": choice.text, "level": assessment.level.value,
                        "reasons": list(assessment.reasons), "why": choice.why})
    return offered


def _record(translation: Translation, context: TranslationContext | None) -> dict[str, object]:
    assessment = assess_translation(translation, grounding=context)
    return {
        "question": translation.question,
        "command": translation.text or None,
        "level": assessment.level.value if assessment is not None else None,
        "reasons": list(assessment.reasons) if assessment is not None
        else [translation.explanation],
        "provider": translation.provider,
        "assumptions": list(translation.assumptions),
        "choices": _choices(translation),
    }


def _translate_one(translator: Translator, question: str,
                   context: TranslationContext | None) -> Translation:
    try:
        return translator.translate(question, context)
    except TranslateError as exc:
        raise RuntimeFailure(str(exc)) from exc


def _notes(translation: Translation) -> None:
    for note in translation.notes:
        click.echo(f"note: {note}", err=True)


def _jsonl(stream: IO[str], translator: Translator, context: TranslationContext | None) -> None:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            record = None
            problem = f"line {number} is not JSON: {exc}"
        else:
            problem = f'line {number} has no "q" string'
        if not isinstance(record, dict) or not isinstance(record.get("q"), str):
            out: dict[str, object] = {"question": None, "command": None, "level": None,
                                      "reasons": [problem], "provider": None, "assumptions": [],
                                      "choices": []}
        else:
            translation = _translate_one(translator, record["q"], context)
            _notes(translation)
            out = _record(translation, context)
        click.echo(json.dumps(out, ensure_ascii=False))


@click.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True,
              help='Print {"question", "command", "level", "reasons", "provider", '
                   '"assumptions", "choices"} as JSON; "choices" are the readings a refusal '
                   'offers, each {"command", "level", "reasons", "why"}.')
@click.option("--jsonl", "jsonl", metavar="FILE", type=click.File("r", encoding="utf-8"),
              help='Translate every line {"q": ...} of FILE (\'-\' for stdin); one JSON object '
                   "per line, in order.")
@_provider_options
@_grounding_option("none")
def translate(question: str | None, as_json: bool, jsonl: IO[str] | None, provider: str,
              raw_options: tuple[str, ...], model: str | None, ollama_host: str | None,
              openai_base_url: str | None, api_key_env: str | None, timeout: float | None,
              grounding_path: str | None) -> None:
    """Translate QUESTION (plain language) into one kubectl command and print it.

    Nothing is run. Assumptions and notes (a fallback to rules, a repair round) go to stderr.
    When the translator is unsure it refuses and may offer readings: they are printed under
    "did you mean:" (run none of them blindly; propose the one you meant).
    Exit status: 0 printed a command, 1 could not translate, 2 bad usage, 3 the command is
    forbidden by the safety policy.
    """
    if (question is None) == (jsonl is None):
        raise UsageFailure("give either a QUESTION or --jsonl FILE")
    context = _grounding(grounding_path)
    with _translator(provider, raw_options, model=model, host=ollama_host,
                     base_url=openai_base_url, api_key_env=api_key_env,
                     timeout=timeout) as translator:
        if jsonl is not None:
            _jsonl(jsonl, translator, context)
            return
        translation = _translate_one(translator, question or "", context)
    _notes(translation)
    record = _record(translation, context)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False))
        return
    for assumption in translation.assumptions:
        click.echo(f"assumed: {assumption}", err=True)
    if not translation.text:
        offered = _choices(translation)
        if offered:
            click.echo("did you mean:", err=True)
            for choice in offered:
                line = f"  {choice['command']}    ({choice['level']}: {choice['why']})"
                click.echo(line, err=True)
        raise RuntimeFailure(translation.explanation)
    assessment = assess_translation(translation, grounding=context)
    level = assessment.level.value if assessment is not None else "unknown"
    reasons = "; ".join(assessment.reasons) if assessment is not None else ""
    if level == "forbidden":
        raise PolicyDenied(f"{translation.text} is forbidden: {reasons}")
    click.echo(translation.text)
    click.echo(f"level: {level} ({reasons})", err=True)


@click.command("eval")
@click.argument("file", metavar="FILE.jsonl")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON summary instead.")
@click.option("--fail-under", type=click.FloatRange(0, 100), metavar="PCT",
              help="Exit 1 when structural accuracy is below PCT percent.")
@_provider_options
@_grounding_option("demo")
def evaluate(file: str, as_json: bool, fail_under: float | None, provider: str,
             raw_options: tuple[str, ...], model: str | None, ollama_host: str | None,
             openai_base_url: str | None, api_key_env: str | None, timeout: float | None,
             grounding_path: str | None) -> None:
    """Score a translator on FILE.jsonl ({"q", "a", "safety"} per line).

    Optional fields: "tag" (numbers per tag), "prev" and "prev_command" (the previous turn of
    a follow-up question); "" among the answers means refusing is right. Questions are
    grounded on the sandbox's demo workload unless --grounding says otherwise. Prints
    structural accuracy overall, per tag and per verb, safety accuracy, how many reads got a
    write, wrong answers (a command that is not right, unlike a refusal), refusals whose
    choices hold a right command, latency percentiles, then the questions that failed.
    """
    try:
        cases = load_cases(file)
    except TranslateError as exc:
        raise UsageFailure(str(exc)) from exc
    context = _grounding(grounding_path)
    with _translator(provider, raw_options, model=model, host=ollama_host,
                     base_url=openai_base_url, api_key_env=api_key_env,
                     timeout=timeout) as translator:
        try:
            report = evaluate_cases(cases, translator, context=context)
        except TranslateError as exc:
            raise RuntimeFailure(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(report.summary(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.format_table())
    if fail_under is not None and report.structural_accuracy * 100 < fail_under:
        raise RuntimeFailure(f"structural accuracy {report.structural_accuracy:.1%} is below "
                             f"{fail_under:g}%")
