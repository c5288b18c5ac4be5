"""Typos and shorthand: a misspelt word is read as the closest vocabulary word or cluster name.

People type fast in a notebook ("pods in paymnets", "desribe deploy fronted", "cronjbs in ci
namepsace"). Each word that is not a known word is compared, with the Optimal String Alignment
distance from rapidfuzz (a transposition counts as one edit), against

- the cluster's namespaces, where a namespace is expected ("in X", "X namespace", "-n X");
- the object names of a resource right after that resource's word ("deploy fronted");
- the translator's vocabulary (resource words, verbs, states);
- the namespaces and object names of the inventory, anywhere else.

Corrections are returned as assumptions ("read 'paymnets' as namespace payments"). Literal
values are never touched: anything quoted, anything with ``=``, ``:``, ``/``, ``@`` or a digit
in or around it (labels, images, versions, numbers), and words of three letters or fewer
(except where a namespace is expected).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from kubechat_lab.translate._types import TranslationContext
from kubechat_lab.translate.rules.account import FILLERS, SYMPTOMS
from kubechat_lab.translate.rules.intents import WRITE_WORDS
from kubechat_lab.translate.rules.lexicon import NOT_NAMES, RESOURCE_WORDS, REWRITES, is_english

__all__ = ["VOCABULARY", "correct_spelling"]

#: Words the rules act on, most common first (ties between equally close words go to the
#: earlier one).
VOCABULARY: tuple[str, ...] = tuple(dict.fromkeys((
    *"""
    pods pod deployments deployment nodes node services service namespaces namespace logs
    events describe delete restart running pending failed failing warning warnings memory
    usage cpu statefulsets statefulset daemonsets daemonset cronjobs cronjob jobs job
    configmaps configmap secrets secret replicasets replicaset ingresses ingress persistent
    volume volumes claims claim rollout rollback replicas drain cordon uncordon containers
    container previous restarts crashing crashlooping annotate oldest newest across cluster
    everywhere revisions endpoints serviceaccounts roles rolebindings networkpolicies
    """.split(),
    *RESOURCE_WORDS,
)))
#: Common words that are not typos of the vocabulary, though close to it.
_ENGLISH = frozenset(
    """
    notes note rules rule modes mode codes code posts post pots host hosts files file times
    users user teams team apps app ports port parts part steps step items item tools tool
    pages page roots root rows row values value keys key lines line costs cost nodes roles
    sure thanks please pls okay cool nice good great fine ones also just only even ever
    kicked kick going want wanted plan later after again first then once when where which
    shell token tokens user jane jobs grep curl wget impersonate admin laptop local sort
    what whats thing things stuff hello hey yeah yes nope look looks show shows showing
    """.split()
)
_KNOWN = (NOT_NAMES | WRITE_WORDS | _ENGLISH | FILLERS | SYMPTOMS | frozenset(VOCABULARY)
          | frozenset("""
    columns column table string value values expression field fields tier tidy tiny teeny
    tweak suspend suspended preview protection policy rotation pool evenly spread common
    reasons reason tally rank installed lately bottom autoscale headroom throttled
    """.split()))
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9.\-]*[A-Za-z0-9]|[A-Za-z]")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_LITERAL_NEIGHBOURS = frozenset("=:/@")
_NAMESPACE_BEFORE = frozenset({"in", "from", "namespace", "ns", "-n", "--namespace", "within",
                               "inside"})
_NAMESPACE_AFTER = frozenset({"namespace", "ns"})


def _limit(word: str) -> int:
    return 1 if len(word) <= 6 else 2


def _closest(word: str, choices: Sequence[str], limit: int) -> str | None:
    """Return the closest choice within ``limit`` edits (ties: same first letter, earlier)."""
    if not choices:
        return None
    found = process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit,
                            limit=None)
    if not found:
        return None
    best = min(found, key=lambda hit: (hit[1], hit[0][:1] != word[:1], hit[2]))
    return str(best[0])


def _literal(question: str, start: int, end: int, quoted: Iterable[tuple[int, int]]) -> bool:
    before = question[start - 1] if start > 0 else " "
    after = question[end] if end < len(question) else " "
    if before in _LITERAL_NEIGHBOURS or after in _LITERAL_NEIGHBOURS:
        return True
    return any(q_start <= start < q_end for q_start, q_end in quoted)


_last: tuple[str, TranslationContext, tuple[str, tuple[str, ...]]] | None = None


def correct_spelling(question: str, ctx: TranslationContext) -> tuple[str, list[str]]:
    """Return the question with typos corrected, and one assumption per correction.

    The last answer is kept: a translation reads the same question twice (once for the
    checks every translator answers to, once to build the command).

    Parameters
    ----------
    question
        The question as typed.
    ctx
        Grounding: namespaces and inventory names are candidates too.
    """
    global _last
    memo = _last
    if memo is not None and memo[0] == question and memo[1] is ctx:
        return memo[2][0], list(memo[2][1])
    corrected, assumptions = _correct(question, ctx)
    _last = (question, ctx, (corrected, tuple(assumptions)))
    return corrected, assumptions


def _join_spaced_names(question: str, tokens: list[tuple[str, int, int]],
                       quoted: list[tuple[int, int]], ctx: TranslationContext,
                       assumptions: list[str]) -> tuple[str, list[tuple[str, int, int]]]:
    """Join words that spell an inventory name with spaces: "logs of fraud detector".

    An exact name, not a guess, so writes get it too ("restart fraud detector" restarts
    ``fraud-detector``, said in an assumption); the words must be adjacent, outside quotes.
    """
    out, joined, last, index = [], [], 0, 0
    while index < len(tokens):
        for size in (3, 2):
            run = tokens[index:index + size]
            if len(run) < size or _literal(question, run[0][1], run[-1][2], quoted) or any(
                    question[a[2]:b[1]] != " " for a, b in zip(run, run[1:], strict=False)):
                continue
            name = "-".join(raw.lower() for raw, _, _ in run)
            if ctx.locate(name):
                out += [question[last:run[0][1]], name]
                last = run[-1][2]
                assumptions.append(f"read {question[run[0][1]:last]!r} as the object {name}")
                joined.append(name)
                index += size
                break
        else:
            index += 1
    if not joined:
        return question, tokens
    question = "".join(out) + question[last:]
    return question, [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(question)]


#: Verbs (and words) after which a kind is what comes next: "list nods" is "list nodes".
_LISTING = frozenset("list get show describe display watch all".split())


def _correct(question: str, ctx: TranslationContext) -> tuple[str, list[str]]:
    for pattern, repl in REWRITES:  # "replica sets" is one word before it is judged
        question = pattern.sub(repl, question)
    quoted = [m.span() for m in _QUOTED.finditer(question)]
    tokens = [(m.group(0), m.start(), m.end()) for m in _WORD.finditer(question)]
    namespaces = tuple(ctx.namespaces) or tuple(name for _, name in
                                                ctx.inventory.get("namespaces", ()))
    named = {raw.lower() for raw, _, _ in tokens if ctx.knows_namespace(raw.lower())}
    # A name is only corrected where it cannot hurt: in a question that changes nothing, and
    # to an object in the namespace the question names (if it names one).
    reads = not any(raw.lower() in WRITE_WORDS and raw.lower() not in RESOURCE_WORDS
                    for raw, _, _ in tokens)
    assumptions: list[str] = []
    question, tokens = _join_spaced_names(question, tokens, quoted, ctx, assumptions)
    out: list[str] = []
    last = 0
    for index, (raw, start, end) in enumerate(tokens):
        word = raw.lower()
        if any(ch.isdigit() for ch in word) or _literal(question, start, end, quoted):
            continue
        if word in _KNOWN or ctx.knows_namespace(word) or ctx.locate(word):
            continue
        previous = tokens[index - 1][0].lower() if index else ""
        following = tokens[index + 1][0].lower() if index + 1 < len(tokens) else ""
        fixed, what = None, ""
        where_namespace = previous in _NAMESPACE_BEFORE or following in _NAMESPACE_AFTER
        if where_namespace and len(word) >= 3:
            fixed, what = _closest(word, namespaces, _limit(word)), "namespace "
            if fixed is None and len(word) < 7:
                continue  # "in shop" with no namespaces known: a name, not a typo
        if fixed is None and previous in RESOURCE_WORDS and len(word) >= 4 and reads:
            kind = RESOURCE_WORDS[previous][0]
            names = tuple(name for ns, name in ctx.inventory.get(kind, ())
                          if not named or ns in named or not ns)
            fixed = _closest(word, names, _limit(word))
            found = ctx.resources.lookup(kind)
            what = f"{found[1].singular if found else kind} " if fixed else ""
        if fixed is None and is_english(word):
            # "landing", "leave": words, not typos of "pending" or "lease"; but right after a
            # verb that lists, a word one slip from a kind is the kind ("list nods")
            listed = _closest(word, tuple(RESOURCE_WORDS), _limit(word)) if (
                previous in _LISTING and len(word) >= 4) else None
            if listed is None:
                continue
            fixed, what = listed, ""
        if fixed is None and "-" not in word and any(n.startswith(word) for n in ctx.object_names):
            continue  # "the fron deployment": the start of a name, read as one later
        if fixed is None and len(word) >= 4:
            fixed, what = _closest(word, VOCABULARY, _limit(word)), ""
            if fixed is None:
                fixed, what = _closest(word, namespaces, _limit(word)), "namespace "
            if fixed is None and len(word) >= 5 and reads:
                fixed = _closest(word, ctx.object_names, _limit(word))
                if fixed is not None and named and not any(
                    ns in named or not ns for _, ns in ctx.locate(fixed)
                ):
                    fixed = None  # the near name lives in another namespace
                what = "the object " if fixed else ""
        if fixed is None or fixed == word:
            continue
        out.append(question[last:start])
        out.append(fixed)
        last = end
        assumptions.append(f"read {raw!r} as {what}{fixed}")
    out.append(question[last:])
    return "".join(out), assumptions
