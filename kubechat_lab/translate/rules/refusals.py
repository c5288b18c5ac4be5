"""Refuse, don't trim: the parts of a question kubechat never does, found before anything else.

A question that asks for a shell pipe, a token, another identity, an HTTP request from inside
the cluster or a secret's value is refused *whole*, with the reason and what to do instead;
the rest of it is not translated and run on its own, because the person asked for the whole.
The LLM translators run the same finder over the question before they accept a model's command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Refusal", "find_refusals", "refusal_explanation"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """One part of a question that kubechat refuses.

    Parameters
    ----------
    kind
        ``shell``, ``credentials``, ``identity``, ``network`` or ``secret-value``.
    phrase
        The words of the question that asked for it.
    why
        Why it is refused.
    instead
        What to do instead.
    """

    kind: str
    phrase: str
    why: str
    instead: str

    def explain(self) -> str:
        """Return one sentence: what was refused, why, and the way forward."""
        return f"{self.why} (you asked: {self.phrase.strip()!r}); {self.instead}"


_FLAGS = re.IGNORECASE
_RULES: tuple[tuple[str, re.Pattern[str], str, str], ...] = (
    (
        "shell",
        re.compile(r"\|\|?|&&|`|\$\(|(?:^|\s)>>?\s*[\w./~-]*[a-z/~.][\w./~-]*|"
                   r";\s*(?:kubectl|sudo|rm|cat|echo|curl|wget|sh|bash)\b|"
                   r"^\s*kubectl\b[^;]*;|\n", _FLAGS),
        "shell syntax (pipes, ;, &&, redirects, $( )) never runs here: kubechat runs exactly "
        "one kubectl command, never a shell",
        "ask for one command at a time; results come back as a DataFrame you can filter in "
        "Python (df[df.name.str.contains('fraud')]) instead of grep",
    ),
    (
        "credentials",
        re.compile(r"\b(?:use|using|with|via|pass(?:ing)?|and) (?:the |a |my |this )?"
                   r"(?:bearer )?token\b|\btoken[=: ]+(?:(?=\S*\d)\S{6,}|\S{16,})|--token\b"
                   r"|--server\b|--kubeconfig\b|--client-(?:key|certificate)\b"
                   r"|\b(?:mint|create|generate|issue|make|get me|give me) (?:me )?(?:a |an |the )?"
                   r"(?:new |fresh |service ?account |sa )?(?:bearer |access |api )?tokens?\b"
                   r"|\b(?:kubeconfig|client cert(?:ificate)?|private key) (?:at|from|in|file)\b"
                   r"|\busing (?:the |a |my )?kubeconfig\b|\bon https?://|\bagainst https?://"
                   r"|\bhttps?://\S+:\d+", _FLAGS),
        "credentials and connection settings (tokens, kubeconfigs, other API servers) are the "
        "server's alone and never part of a command",
        "the server connects with the context its operator configured; ask an admin for "
        "access to another cluster",
    ),
    (
        "identity",
        re.compile(r"\bas (?:the )?(?:user|group|service ?account|sa)\b|--as(?:-group|-uid)?\b"
                   r"|\bimpersonat\w*|\bon behalf of\b|\bas (?:system:\S+|cluster-admin|root|"
                   r"(?:an? |the )?admin(?:istrator)?)\b|\bpretend(?:ing)? to be\b", _FLAGS),
        "acting as another identity is refused: every command runs as your own mapped "
        "identity, so RBAC and the audit log name you",
        "ask the question as yourself; to check what someone may do, ask an admin",
    ),
    (
        "network",
        re.compile(r"\b(?:curl|wget|telnet|netcat|ping|nslookup)\b|\bhttp (?:get|post|"
                   r"request)\b|\bsend (?:a |an )?(?:http )?request\b", _FLAGS),
        "requests from inside the cluster (curl, wget, ping) need a shell in a pod, which "
        "kubechat never opens",
        "look at the service and its endpoints instead ('describe service NAME', "
        "'endpoints of NAME') or the pods' logs",
    ),
    (
        "secret-value",
        re.compile(r"\b(?:decod\w*|plain ?text|clear ?text|base64|reveal\w*|unmask\w*)\b.{0,40}"
                   r"\bsecrets?\b|\bsecrets?\b.{0,40}\b(?:decod\w*|values?|contents?|data|"
                   r"plain ?text|base64)\b|\b(?:what|show|give|tell|print|read|get|reveal|"
                   r"decode|fetch|dump)\b.{0,30}\b(?:password|passwd|api key|secret key|private "
                   r"key|credentials? (?:value|values)|token value)s?\b|\b[A-Z0-9_]*(?:PASSWORD|"
                   r"PASSWD|SECRET|TOKEN|API_KEY)[A-Z0-9_]*\b", 0),
        "secret values are never shown: results redact them, and a command that only exists "
        "to reveal one is refused",
        "'describe secret NAME in NAMESPACE' lists its keys and sizes; rotate or read the "
        "value where your secret store allows it",
    ),
)
_LOOKS_LIKE_A_COUNT = re.compile(r">\s*=?\s*\d")


def find_refusals(question: str, *, permission_question: bool = False) -> list[Refusal]:
    """Return the refused parts of ``question`` (empty when there are none).

    Parameters
    ----------
    question
        The question as typed.
    permission_question
        True for "can I ... / am I allowed to ..." questions: those only check RBAC
        (``auth can-i``), so asking whether one may exec or read secrets is not refused;
        shell syntax, credentials and other identities still are.
    """
    found: list[Refusal] = []
    for kind, pattern, why, instead in _RULES:
        if permission_question and kind in ("network", "secret-value"):
            continue
        text = question if kind in ("shell", "secret-value") else question.lower()
        match = pattern.search(text)
        if match is None and kind == "secret-value":
            match = pattern.search(question.lower().replace("_", " "))
            if match is not None and match.group(0).isupper():
                match = None
        if match is None:
            continue
        if kind == "shell" and _LOOKS_LIKE_A_COUNT.match(match.group(0).strip()):
            continue
        found.append(Refusal(kind, match.group(0), why, instead))
    return found


def refusal_explanation(refusals: tuple[Refusal, ...] | list[Refusal]) -> str:
    """Return what a refused question is told: the first reason, and that nothing runs."""
    first = refusals[0]
    return (f"I won't translate this question: {first.explain()}. Nothing in it runs, not even "
            "the parts that would be allowed on their own: they were asked for together.")
