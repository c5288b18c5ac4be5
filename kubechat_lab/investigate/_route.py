"""Whether a question asks *why* one object is unwell: a question routed to an investigation.

One rule for every face (the side panel, the chat widget, the ask route): a question that
starts like a diagnosis ("why ...", "what's wrong with ...", "how come ...", "investigate ...")
and names one object of the inventory is an investigation of that object. Precise or silent:

- it names exactly one object: an investigation of it (:attr:`WhyRoute.subject`);
- it names several, or a name close to one that exists (a typo), or a kind and a name that is
  not there ("why is pod web-9 pending" when no such pod exists): refused, with the objects it
  may mean as choices (:attr:`WhyRoute.choices`), never a guess;
- it names no object at all ("why are pods pending in shop?"): not an investigation (None),
  the translator answers it as any question.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from kubechat_lab.investigate._model import Subject
from kubechat_lab.investigate._plan import plan_more
from kubechat_lab.investigate._resolve import (
    _PREFERENCE,
    KIND_WORDS,
    Inventory,
    match_subjects,
    target_text,
)

__all__ = ["MAX_ROUTE_CHOICES", "WhyRoute", "is_why_question", "route_why"]

#: Objects a refused why-question offers, at most.
MAX_ROUTE_CHOICES = 4

_LEAD = (r"^\s*(?:(?:and|so|ok|okay|then|but|hey)[,\s]+)?"
         r"(?:(?:please\s+)?(?:tell\s+me|show\s+me|explain|find\s+out)\s+)?")
_WHY = re.compile(
    _LEAD + r"(?:why\b|how\s+come\b|"
    r"what(?:'s|\u2019s|s|\s+is|\s+was)\s+(?:wrong|up|going\s+on|happening)\s+(?:with|to)\b|"
    r"what\s+(?:happened|went\s+wrong)\s+(?:to|with)\b|"
    r"(?:investigate|diagnose|troubleshoot|debug)\b)",
    re.IGNORECASE,
)
#: Singular kind words: "pod X" names one object (a plural speaks of many).
_ONE_OF = frozenset(w for w in KIND_WORDS if not w.endswith("s") and w not in ("no", "po")) | {
    "sts", "ds", "svc"}
#: Words after a kind word that are not its name ("the pod is", "a node that").
_NOT_NAMES = frozenset({
    "the", "a", "an", "that", "this", "is", "are", "was", "has", "have", "does", "do", "did",
    "in", "on", "of", "for", "with", "not", "no", "named", "called", "still", "keeps", "won't",
    "can't", "it", "its", "my", "our", "which", "where",
})
#: A word shaped like a generated object name (``web-7d9f-x2k4p``, ``kwok-worker-9``).
_GENERATED = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?=[a-z0-9-]*[0-9])[a-z0-9-]*[a-z0-9]")
#: Shortest word compared for a typo of a name (shorter words match too much by chance).
_MIN_TYPO = 5
#: How close a word must be to a name to be offered as "did you mean".
_TYPO_CUTOFF = 0.84


def is_why_question(text: str) -> bool:
    """Whether ``text`` starts like a diagnosis ("why ...", "what's wrong with ...")."""
    return _WHY.search(text) is not None


@dataclass(frozen=True, slots=True)
class WhyRoute:
    """A why-question routed: the one object to investigate, or the objects it may mean.

    Parameters
    ----------
    question
        The question as asked.
    subject
        The one object it names (None when refused).
    choices
        When refused: the objects it may mean (possibly none), each offered to investigate.
    explanation
        One sentence: what will be investigated, or why not and what to name instead.
    """

    question: str
    subject: Subject | None
    choices: tuple[Subject, ...] = ()
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``investigate`` of an ask reply; see docs/openapi.yaml ``WhyRoute``).

        ``target`` is the explicit object for ``POST investigate``; ``plan`` the first round of
        safe reads it runs (later rounds follow what those show).
        """
        subject = self.subject
        return {
            "target": target_text(subject) if subject else None,
            "subject": subject.to_dict() if subject else None,
            "label": subject.label if subject else None,
            "plan": [r.command for r in plan_more(subject, ())] if subject else [],
            "choices": [{"target": target_text(c), "label": c.label, "subject": c.to_dict()}
                        for c in self.choices],
            "explanation": self.explanation,
        }


def _claimed_name(words: tuple[str, ...]) -> str | None:
    """Return the name the words claim: after a singular kind word, or a generated name."""
    for i, word in enumerate(words):
        low = word.lower()
        if "/" in word and low.partition("/")[0] in KIND_WORDS:
            return word.partition("/")[2] or None
        if low in _ONE_OF:
            for after in words[i + 1:i + 3]:
                if after.lower() not in _NOT_NAMES:
                    # a name has a digit or a dash, or is what follows "named"/"called"
                    named = words[i + 1].lower() in ("named", "called")
                    return after if named or re.search(r"[-0-9]", after) else None
            return None
    # a generated name (pods, nodes, jobs): a letter first, then dashes and digits
    return next((w for w in words if _GENERATED.fullmatch(w)), None)


def _near(words: tuple[str, ...], inventory: Inventory, kind: str | None,
          namespace: str | None) -> list[Subject]:
    """Objects whose name is close to a word of the question (a typo), best first."""
    pairs = [(resource, ns, name) for resource in ((kind,) if kind else _PREFERENCE)
             for ns, name in inventory.get(resource, ())
             if namespace is None or resource == "nodes" or ns == namespace]
    names = sorted({name for _, _, name in pairs})
    close: list[str] = []
    for word in words:
        if len(word) >= _MIN_TYPO and "/" not in word:
            close += difflib.get_close_matches(word, names, n=MAX_ROUTE_CHOICES,
                                               cutoff=_TYPO_CUTOFF)
    found: list[Subject] = []
    for name in dict.fromkeys(close):
        kinds = [r for r, _, n in pairs if n == name]
        best = min(kinds, key=_PREFERENCE.index) if kind is None else kind
        found += [Subject(r, n, ns or None) for r, ns, n in pairs if n == name and r == best]
    return found[:MAX_ROUTE_CHOICES]


def route_why(question: str, inventory: Inventory, namespaces: tuple[str, ...] = (),
              default_namespace: str | None = None) -> WhyRoute | None:
    """Route ``question``: an investigation of one object, a refusal with choices, or None.

    Parameters
    ----------
    question
        The question as asked.
    inventory
        ``{resource: ((namespace, name), ...)}`` as the asker may list it.
    namespaces
        Namespace names (to read ``in NAMESPACE``).
    default_namespace
        Breaks a tie between the same name in several namespaces.

    Returns
    -------
    WhyRoute or None
        None when it is not a why-question or names no object (the translator answers it).
    """
    if not is_why_question(question):
        return None
    found = match_subjects(question, inventory, namespaces, default_namespace)
    if len(found.found) == 1:
        subject = found.found[0]
        return WhyRoute(question, subject, explanation=(
            f"Investigating {subject.label}: safe reads chosen for its kind and state, then "
            "findings drawn from what they show."))
    if found.found:
        listed = ", ".join(target_text(m) for m in found.found[:MAX_ROUTE_CHOICES])
        return WhyRoute(question, None, found.found[:MAX_ROUTE_CHOICES], (
            f"This names {len(found.found)} objects ({listed}); pick the one to investigate "
            "or name it as KIND/NAME -n NAMESPACE."))
    near = _near(found.words, inventory, found.kind, found.namespace)
    claimed = _claimed_name(found.words)
    if not near and claimed is None:
        return None
    where = f" in namespace {found.namespace}" if found.namespace else ""
    what = f"{found.kind[:-1]} " if found.kind else ""
    named = f"no {what}{claimed!r}" if claimed else "no object this names"
    also = (" Did you mean one of these?" if near else
            " Name one as KIND/NAME -n NAMESPACE, e.g. deployment/checkout -n shop.")
    return WhyRoute(question, None, tuple(near), (
        f"Not investigated: there is {named}{where} (or you may not list it).{also}"))
