"""The model's answer, checked: decoded, parsed by the grammar, held to the question."""

from __future__ import annotations

import dataclasses
import json
import re

from kubechat_lab.command import Command, parse
from kubechat_lab.errors import CommandError
from kubechat_lab.translate._checks import QuestionFacts, check_command
from kubechat_lab.translate._types import TranslationContext

__all__ = ["Reply", "judged", "read_reply", "scrub_explanation"]

_SAFETY_CLAIM = re.compile(
    r"\b(?:safe|safely|harmless|risk[- ]free|no risk|non-destructive|not destructive|"
    r"nothing bad|approved|pre-approved|trusted)\b",
    re.IGNORECASE,
)



@dataclasses.dataclass(frozen=True, slots=True)
class Reply:
    """The model's answer, checked: a command, or the error the parser or schema gave."""

    raw: str
    command: Command | None = None
    explanation: str = ""
    error: str | None = None
    declined: bool = False


def scrub_explanation(text: str) -> tuple[str, bool]:
    """Drop sentences in which the model rates safety; the policy alone decides the level."""
    sentences = re.split(r"(?<=[.!?])\s+", text.strip())
    kept = [s for s in sentences if not _SAFETY_CLAIM.search(s)]
    return " ".join(kept).strip(), len(kept) != len(sentences)


def judged(reply: Reply, facts: QuestionFacts, context: TranslationContext) -> Reply:
    """Hold a parsed command to the question: read intent, refusals, namespace (see _checks)."""
    if reply.command is None:
        return reply
    problems = check_command(facts, reply.command, context)
    if not problems:
        return reply
    return dataclasses.replace(
        reply, command=None,
        error=f"{reply.command.render()!r} does not answer the question: {'; '.join(problems)}")


def read_reply(raw: str, context: TranslationContext) -> Reply:
    """Decode the structured answer and parse its command with the grammar."""
    try:
        data = json.loads(raw)
    except ValueError as exc:
        return Reply(raw, error=f"the reply is not the JSON object the schema asks for ({exc}); "
                                f"it began {raw[:60]!r}")
    if not isinstance(data, dict) or set(data) - {"command", "explanation"} or not isinstance(
        data.get("command"), str
    ):
        return Reply(raw, error='the reply must be exactly {"command": "<one kubectl command>", '
                                f'"explanation": "<text>"}}, got {raw[:80]!r}')
    explanation = data.get("explanation")
    explanation = explanation if isinstance(explanation, str) else ""
    text = data["command"].strip()
    if not text:
        return Reply(raw, explanation=explanation, declined=True)
    try:
        command = parse(text, resources=context.resources)
    except CommandError as exc:
        return Reply(raw, explanation=explanation,
                     error=f"the kubectl grammar refused {text!r} ({exc.reason}): {exc}")
    return Reply(raw, command=command, explanation=explanation)
