"""The LLM prompt: grammar scope, grounding, few-shot examples, the JSON schema, repair turn."""

from __future__ import annotations

import json
from collections.abc import Mapping

from kubechat_lab.command import DEFAULT_RESOURCES
from kubechat_lab.translate._types import TranslationContext

__all__ = [
    "FEW_SHOT",
    "RESPONSE_SCHEMA",
    "SCHEMA_NAME",
    "SYSTEM_PROMPT",
    "build_messages",
    "grounding_text",
    "previous_text",
    "repair_message",
]

Message = dict[str, str]

#: Name of the structured-output schema (OpenAI ``json_schema.name``).
SCHEMA_NAME = "kubectl_command"

#: The structured output every provider asks for: one command and a short explanation.
RESPONSE_SCHEMA: Mapping[str, object] = {
    "type": "object",
    "properties": {
        "command": {
            "type": "string",
            "description": "Exactly one kubectl command line, or an empty string when the "
            "question cannot be answered with one allowed command.",
        },
        "explanation": {
            "type": "string",
            "description": "One or two sentences: what the command shows or changes.",
        },
    },
    "required": ["command", "explanation"],
    "additionalProperties": False,
}

SYSTEM_PROMPT = """\
You translate a question about a Kubernetes cluster into exactly ONE kubectl command.
Answer with a JSON object {"command": "...", "explanation": "..."} and nothing else.

The command must follow this grammar:
- verbs: get, describe, logs, top pods|nodes, events, explain, api-resources, api-versions,
  version, cluster-info, auth can-i, rollout status|history|restart|undo|pause|resume, scale,
  autoscale, cordon, uncordon, drain, taint, label, annotate, set image|env|resources, patch,
  create, delete, wait.
- scope with -n NAMESPACE, or -A for all namespaces; leave both out for the current namespace.
- filters: -l key=value (labels), --field-selector=status.phase=Pending,
  --field-selector=spec.nodeName=NODE, --sort-by=.metadata.creationTimestamp,
  --sort-by=.status.containerStatuses[0].restartCount; logs: --tail=N, --since=1h,
  --previous, -c CONTAINER; output: -o wide|yaml|json|name only when asked.
Never use: shell syntax (pipes, ;, &&, $( ), backticks, redirects, newlines), more than one
command, exec, attach, cp, port-forward, proxy, edit, debug, run, config, files (-f PATH),
watching or following (-w, -f), or connection and credential flags (--server, --token,
--kubeconfig, --context, --cluster, --user, --as, --certificate-authority, --insecure-...).
Read intent wins: when the question asks to see, list, check or count, answer with a read
even if it mentions a write it only plans ("before I delete X, show me X" -> get or describe;
"can I / am I allowed to ..." -> kubectl auth can-i; "what would X do" -> a read, never X).
Write only when the user clearly asks for a change now.
Refuse, don't trim: if any part of the question asks for something not allowed (a shell pipe,
a token or other credentials, another identity, curl or wget, a secret's value), return
"command": "" for the whole question and say why; never answer only the allowed part.
Use the namespace the question names, or the one the cluster lists an object in; a follow-up
question ("and in payments?", "now restart it") refers to the previous turn given below.
If the question cannot be answered with one allowed command, return "command": "" and say
why in the explanation. Do not rate the command's safety: the server classifies it itself.
"""

#: Few-shot examples: (question, command, explanation).
FEW_SHOT: tuple[tuple[str, str, str], ...] = (
    (
        "which pods in shop aren't running?",
        "kubectl get pods -n shop --field-selector=status.phase!=Running",
        "Lists the pods in namespace shop whose phase is not Running.",
    ),
    (
        "last 50 lines of the previous container of pod web-1 in shop",
        "kubectl logs web-1 -n shop --previous --tail=50",
        "Shows the last 50 log lines of the container that ran before the last restart.",
    ),
    (
        "restart the checkout deployment",
        "kubectl rollout restart deployment/checkout -n shop",
        "Restarts the pods of deployment checkout (it lives in namespace shop).",
    ),
    (
        "open a shell in pod web-1",
        "",
        "Interactive shells (kubectl exec) are not allowed here; try logs or describe.",
    ),
)


def _cap(items: list[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def grounding_text(context: TranslationContext) -> str:
    """Describe the cluster to the model: namespaces, kinds (with CRDs), known objects."""
    lines = [f"Current namespace: {context.namespace or 'unknown (leave -n out)'}"]
    if context.namespaces:
        lines.append(f"Namespaces: {_cap(sorted(context.namespaces), 100)}")
    builtin = [info.plural for info in DEFAULT_RESOURCES]
    lines.append(f"Built-in kinds: {_cap(sorted(set(builtin)), 80)}")
    extra = list(context.extra_resources)
    if extra:
        lines.append(f"Custom resources (CRDs): {_cap(sorted(extra), 100)}")
    objects: list[str] = []
    for kind, pairs in sorted(context.inventory.items()):
        for namespace, name in pairs:
            objects.append(f"{kind}/{name}" + (f" (namespace {namespace})" if namespace else ""))
    if objects:
        lines.append(f"Known objects: {_cap(objects, 200)}")
    return "\n".join(lines)


def previous_text(context: TranslationContext) -> str:
    """Describe the previous turn of the conversation, or ``""`` for a first question."""
    turn = context.previous
    if turn is None:
        return ""
    lines = [f"Previous question: {turn.question}"]
    command = turn.command.render() if turn.command is not None else "(none: it was refused)"
    lines.append(f"Previous command: {command}")
    if turn.kind or turn.names:
        shown = _cap(list(turn.names), 20) if turn.names else "no names"
        lines.append(f"Its result showed {turn.kind or 'objects'}: {shown}")
    return "\n".join(lines)


def _answer(command: str, explanation: str) -> str:
    return json.dumps({"command": command, "explanation": explanation})


def build_messages(question: str, context: TranslationContext) -> list[Message]:
    """Return the chat messages: system prompt with grounding, few-shot turns, the question."""
    system = f"{SYSTEM_PROMPT}\nCluster:\n{grounding_text(context)}"
    previous = previous_text(context)
    if previous:
        system += f"\nConversation so far:\n{previous}"
    messages: list[Message] = [{"role": "system", "content": system}]
    for example, command, explanation in FEW_SHOT:
        messages.append({"role": "user", "content": example})
        messages.append({"role": "assistant", "content": _answer(command, explanation)})
    messages.append({"role": "user", "content": question})
    return messages


def repair_message(error: str) -> Message:
    """Return the user turn of the repair round: the parser's or a check's error, verbatim."""
    return {
        "role": "user",
        "content": (
            f"That answer was refused: {error}\n"
            "Reply again with the same JSON object holding ONE corrected kubectl command that "
            "follows the grammar, or an empty command if that is impossible."
        ),
    }
