"""Refuse, don't trim: the parts of a question kubechat never does, found before anything else.

A question that asks for a shell pipe, a token, another identity, an HTTP request from inside
the cluster or a secret's value is refused *whole*, with the reason and what to do instead;
the rest of it is not translated and run on its own, because the person asked for the whole.
The LLM translators run the same finder over the question before they accept a model's command.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kubechat_lab.translate.rules.intents import WRITE_WORDS
from kubechat_lab.translate.rules.scan import split_evidence

__all__ = ["Refusal", "find_refusals", "refusal_explanation"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """One part of a question that kubechat refuses.

    Parameters
    ----------
    kind
        ``shell``, ``credentials``, ``identity``, ``escalation``, ``host``, ``who-did``,
        ``network``, ``secret-value`` or ``steps``.
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
        "copy",
        re.compile(r"\b(?:copy|clone|duplicate|mirror)\b(?: \S+){0,4} (?:over )?(?:in)?to (?:the )?"
                   r"(?!clipboard|a file|my )\S+", _FLAGS),
        "copying an object into another place is two steps (read it, then create it there), "
        "and kubechat proposes one command at a time",
        "read it first ('get secret NAME -o yaml' shows a Secret's keys, never its values) "
        "and create the copy as its own change",
    ),
    (
        "credentials",
        re.compile(r"\b(?:use|using|with|via|pass(?:ing)?|and) (?:the |a |my |this )?"
                   r"(?:bearer )?token\b|\btoken[=: ]+(?:(?=\S*\d)\S{6,}|\S{16,})|--token\b"
                   r"|--server\b|--kubeconfig\b|--client-(?:key|certificate)\b"
                   r"|\b(?:mint|create|generate|issue|make|get me|give me) (?:me )?(?:a |an |the )?"
                   r"(?:new |fresh |service ?account |sa )?(?:bearer |access |api )?tokens?\b"
                   r"|\b(?:kubeconfig|client cert(?:ificate)?|private key) (?:at|from|in|file)\b"
                   r"|\b(?:show|print|display|reveal|dump|output|echo|copy|fetch|request|read)\b"
                   r"[^.?!]{0,40}?(?<![-/.\w])tokens?\b(?![-/.])"
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
        "escalation",
        re.compile(r"\bmake (?:me|us|myself) (?:a |an |the )?(?:cluster[- ]?admin|"
                   r"admin(?:istrator)?|root|superuser|owner)\b|\bgive (?:me|us|myself) "
                   r"(?:cluster[- ]?admin|admin|root|full|all|more) ?(?:access|rights|"
                   r"permissions|privileges)?\b|\bgrant (?:me|us|myself)\b|\bescalat\w*\b"
                   r"|\b(?:bind|add) (?:me|us|myself) to\b", _FLAGS),
        "granting yourself more rights is refused: kubechat runs commands with the rights you "
        "have, and RBAC changes for yourself go through whoever administers the cluster",
        "ask 'can I ... in NAMESPACE?' to see what you may do now ('auth can-i'), and ask an "
        "admin for the role you need",
    ),
    (
        "host",
        re.compile(r"\bprivileged (?:debug )?(?:pods?|containers?|shell)\b|\bhost(?:'s)? ?(?:fs|"
                   r"file ?system|network|pid|ipc|path|root)\b|\bnsenter\b|\bchroot\b", _FLAGS),
        "reaching a node's host (privileged pods, host paths, host network or PIDs) is refused: "
        "it steps outside every boundary the cluster enforces",
        "look at the node with 'describe node NAME' and its events; host access is an admin's "
        "break-glass procedure, outside kubechat",
    ),
    (
        "who-did",
        re.compile(r"\bwho (?:\w+ )?(?:deleted|removed|scaled|changed|modified|restarted|created|"
                   r"edited|patched|killed|drained|cordoned|touched|applied|updated|rolled|"
                   r"keeps? \w+ing)\b|\bwho (?:did|made) (?:this|that|it)\b", _FLAGS),
        "kubectl cannot say who changed something: objects do not record who touched them",
        "kubechat's audit log records every command run through it: '%kubechat audit --type "
        "executed -n 500', then filter its command column for the verb and the name "
        "(df[df.command.str.contains('delete') & df.command.str.contains('checkout')]), or "
        "the side panel's Audit tab; changes made outside kubechat are in the cluster's own "
        "audit log, which an admin can read",
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
_NEGATED = re.compile(r"\b(?:do ?n[o']?t|never|without|no|not the) (?:\w+ )?(?:the )?(?:values?|"
                      r"contents?|data|passwords?)\b", re.IGNORECASE)
_LOOKS_LIKE_A_COUNT = re.compile(r">\s*=?\s*\d")

#: Where one step of a request ends and the next may begin.
_STEP_BREAK = re.compile(r"\s*(?:[,;]|\band then\b|\bthen\b|\bafter that\b|\bafterwards\b"
                         r"|\band also\b|\balso\b|\band\b)\s*")
#: Words that may come before a step's verb ("please restart", "can you show", "now list").
_STEP_LEAD = frozenset("please pls plz kindly now ok okay just go can could would will you u "
                       "and then also".split())
#: Verbs that open a step that reads.
_READ_STEPS = frozenset("show list get describe display print tail check view find count watch "
                        "follow look read".split())


def _steps(question: str) -> list[str]:
    """Return the verb that opens each step of a request, in order.

    "restart checkout and show its logs" -> ``["restart", "show"]``. A clause that does not open
    with a verb (``before I delete ...``, ``pod web-2``) is no step.
    """
    steps = []
    for part in _STEP_BREAK.split(question.lower()):
        words = re.findall(r"[a-z][a-z'-]*", part)
        while words and words[0] in _STEP_LEAD:
            words.pop(0)
        if words and (words[0] in WRITE_WORDS or words[0] in _READ_STEPS):
            steps.append(words[0])
    return steps


def _several_steps(question: str) -> Refusal | None:
    """Refuse a request for a write and another step: one command cannot be all of it."""
    steps = _steps(question)
    if len(steps) < 2 or not any(step in WRITE_WORDS for step in steps):
        return None
    return Refusal(
        "steps", " ... ".join(steps),
        f"this asks for {len(steps)} steps ({', then '.join(steps)}) and one of them changes "
        "the cluster; kubechat proposes one command at a time, so what you approve is all "
        "that runs",
        f"ask for each step on its own, starting with the {steps[0]!r}")


_CODE_SPAN = re.compile(r"`[^`\n]*`")
_COLUMN_LIST = re.compile(r"\b(?:columns?|cols|table)\b", re.IGNORECASE)
_PIPED_TO = re.compile(r"\|\s*(?:grep|awk|sed|sort|head|tail|wc|jq|xargs|cut|less|tee|sh|bash)\b")
_SHELLISH = re.compile(r"\$\(|\||;|&&|>|^`\s*(?:kubectl|rm|sudo|curl|wget|sh|bash|cat|echo|"
                       r"chmod|chown|kill|dd|mv|cp|nc|python|perl)\b")


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
    question = split_evidence(question)[0]
    found: list[Refusal] = []
    for kind, pattern, why, instead in _RULES:
        if permission_question and kind in ("network", "secret-value"):
            continue
        text = question if kind in ("shell", "secret-value") else question.lower()
        if kind == "shell":  # `CrashLoopBackOff`, `pull "img:1" failed`: code spans in prose
            text = _CODE_SPAN.sub(lambda m: m.group(0) if _SHELLISH.search(m.group(0)) else " ",
                                  text)
            if _COLUMN_LIST.search(text) and not _PIPED_TO.search(text):
                text = re.sub(r"(?<=\w) \| (?=\w)", ", ", text)  # "columns: name | node"
        match = pattern.search(text)
        if match is None and kind == "secret-value":
            match = pattern.search(question.lower().replace("_", " "))
            if match is not None and match.group(0).isupper():
                match = None
        if match is None:
            continue
        if kind == "shell" and _LOOKS_LIKE_A_COUNT.match(match.group(0).strip()):
            continue
        if kind == "secret-value" and _NEGATED.search(text[:match.end()][-60:]):
            continue  # "which keys are in it? don't show the values" asks for no value
        found.append(Refusal(kind, match.group(0), why, instead))
    several = None if permission_question else _several_steps(question)
    if several is not None:
        found.append(several)
    return found


def refusal_explanation(refusals: tuple[Refusal, ...] | list[Refusal]) -> str:
    """Return what a refused question is told: the first reason, and that nothing runs."""
    first = refusals[0]
    return (f"I won't translate this question: {first.explain()}. Nothing in it runs, not even "
            "the parts that would be allowed on their own: they were asked for together.")
