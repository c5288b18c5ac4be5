"""Precise or silent: every content word of a question must be accounted for by its reading.

The extractors *take* the words they read (a namespace, a kind, a name, a count); the intent
table reads its verb; what is left must be words that carry no request of their own (grammar,
politeness, hedges, the plain verbs of looking). A question with a word left over was not
understood, whatever the rest matched: "clean up the mess in shop" must not become a delete of
a pod called ``mess``. :func:`unaccounted` returns those words so the translator can refuse
with them named.
"""

from __future__ import annotations

import re
from functools import lru_cache

from kubechat_lab.translate.rules.scan import Scan

__all__ = ["FILLERS", "FRAME_WORDS", "SYMPTOMS", "intent_words", "stems", "unaccounted"]

#: Words that carry no request of their own: grammar, politeness, hedges, chat, the plain
#: verbs of asking to look. A content word (a verb of change, a noun) is never here.
FILLERS: frozenset[str] = frozenset(
    """
    as-is
    a about above actually after again against ago all almost along already also although
    always am an and any anybody anyone anything anyway anywhere are around as at available
    back basically be because been before being below best between both but by can cheers
    clearly come could currently curious did do does doing done each either else even ever
    every exactly for from further get gets getting give given go going gonna got gotta guess
    had happen has have having he hello help her here hey hi him his hmm how however i if in
    into is it its itself just kind kindly know let like likely lol look looking looks lot lots
    maybe me mean might mine more much must my need needs no nope not now of off oh ok okay on
    once one only or other our out over perhaps please pls plz pretty probably quick quickly
    quite rather real really right said say see seems she should show showing so some
    somebody someone something sometime somewhat soon sort still such sure tell than thank
    thanks that the their them then there these they thing things think this those though
    thx to too try trying u ur r wat whats hows whos y uh um up us very wanna want wanted was
    way we well were what
    whatever when where whether which while who whom whose why will wish with would yeah yes
    yet you your yours ya fyi asap btw imo tbh rn atm pls pl0x idk
    list display view find fetch pull bring print dump output return check see seeing lookup
    tell know wondering wonder curious need needed currently current right now there
    please, thanks, ok, hey, hi, let, lemme, gimme, give, me
    tidy tiny teeny tweak little small minor installed lately sec bottom alert alerts
    fired firing paged says said cap keep keeps kept again appear appears appearing alone
    lying laying sitting leftover serve serves served support supports supported
    kubelet scheduler apiserver heartbeat heartbeats thingy thingies stuff guarding guards
    protecting protects covering covers fine good great stable happy patching kernel
    maintenance overnight earlier tonight morning afternoon evening night build raw register
    registered busted flagged pagerduty pager slack grafana datadog ran docs documentation
    yep yup ahead emitting harmless vs versus match matches matching including pd form format
    formatted export nothing headless carry carries carrying note server kwok nobody months
    month years recorded record distinct unique altogether combined racked climbing working
    """.replace(",", " ").split()
)

#: Words for what is wrong with something: what a "why" or a look at logs is about, never a
#: request or a name.
SYMPTOMS: frozenset[str] = frozenset(
    """
    crash crashes crashing crashed crashloop die dies died dying dead kill killed killing
    schedule scheduling scheduled hang hangs hanging hung stuck slow broken broke break
    breaking fail fails failing failed failure flapping flaky erroring error errors timeout
    timeouts timing restart restarting restarted restarts oom oomkilled evicted unhealthy
    unready down up start starting started stop stopped stopping exit exited exiting exits
    instance incarnation consumers consumer hungry hog hogs hogging load loaded complaining burning
    complain complains
    """.split()
)

#: Words of questions whose answer is one list to analyse as a frame ("rank", "tally",
#: "spread evenly") and the column names people ask for: a read accounts for them.
FRAME_WORDS: frozenset[str] = frozenset(
    """
    rank ranked tally count counts common frequent spread evenly distribution breakdown split
    grouped group per each histogram completions duration age status ready restarts nominated
    readiness ports selector capacity schedule active available desired updated reason reasons
    defined installed configured present exist exists existing pointing pointed listen listens
    listening land landed lands live lives sits sum total avg average mean median block blocks
    blocking big large size sizes
    """.split()
)

_WORD = re.compile(r"[a-z]+")


def stems(argv: list[str] | tuple[str, ...]) -> frozenset[str]:
    """Return the first five letters of each word in the flags of ``argv``.

    "drain node-c ignoring daemonsets" is accounted by ``--ignore-daemonsets``.
    """
    found: set[str] = set()
    for arg in argv:
        if arg.startswith("-"):
            found.update(word[:5] for word in _WORD.findall(arg) if len(word) >= 5)
    return frozenset(found)


@lru_cache(maxsize=64)
def intent_words(pattern: str) -> frozenset[str]:
    """Return the literal words of an intent's pattern: the verbs that phrase it."""
    text = re.sub(r"\\[a-zA-Z]", " ", pattern)
    return frozenset(word for word in _WORD.findall(text) if len(word) > 1)


def unaccounted(scan: Scan, known: frozenset[str] = frozenset(),
                names: tuple[str, ...] = (), flag_stems: frozenset[str] = frozenset()) -> list[str]:
    """Return the words of ``scan`` no rule took, read or accounts for.

    A clause of commentary, where no rule read anything ("traffic is climbing", "for
    maintenance"), is accounted as a whole: it says why, not what.

    Parameters
    ----------
    scan
        The question after every extractor ran.
    known
        Further words the reading accounts for (its intent's verbs, the lexicon).
    names
        The object names of the reading: a word that begins one (``api`` before
        ``api-6d4-xk2``) is part of it.
    flag_stems
        :func:`stems` of the command's flags ("ignoring" is ``--ignore-daemonsets``).
    """
    commentary = _commentary(scan)
    left: list[str] = []
    for index in scan.free():
        word = scan.words[index]
        if scan.seen[index] or index in commentary or word in ",;()":
            continue
        if word in FILLERS or any(form in known for form in _forms(word)) or (
                len(word) >= 5 and word[:5] in flag_stems):
            continue
        if not any(ch.isalnum() for ch in word):
            continue  # punctuation; a count or a version ("1.26") no rule read is content
        if word.startswith("-") and index + 1 < len(scan.words) and scan.used[index + 1]:
            continue  # a typed flag whose value was read ("-l app=web")
        if any(name.startswith(word + "-") for name in names):
            continue
        if _REASON_NAME.match(scan.orig[index]):
            continue  # an alert or reason name (KubeJobFailed, OOMKilled): evidence

        left.append(scan.orig[index])
    return left


_VERSION = re.compile(r"^v?\d+(?:\.\d+)+$")
_REASON_NAME = re.compile(r"^[A-Z][a-z]*[A-Z][A-Za-z0-9]*$")

def _forms(word: str) -> tuple[str, ...]:
    """Return ``word`` and the stems its inflections may come from (printed -> print)."""
    forms = [word]
    for suffix, repl in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""),
                         ("s", ""), ("ies", "y")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms.append(word[: -len(suffix)] + repl)
    return tuple(forms)


#: Words that open a clause of commentary: a reason or a purpose, not a request.
_WHY = frozenset("for because cause cuz since so as coz before".split())


#: A clause that asks for something, though no rule read it: never commentary to skip.
_REQUEST = re.compile(r"^(?:and |then |also |pls |please )*(?:give|add|grant|make|set|put|"
                      r"bump|raise|lower|let|allow|turn|switch|take|move|copy|open)\b"
                      r"|\b(?:give|add|grant) (?:it|them|\S+) (?:more|less|extra|another)\b")


def _commentary(scan: Scan) -> set[int]:
    """Return the token indices of commentary: clauses (or trailing reasons) nothing read."""
    found: set[int] = set(scan.aside)
    touched = [(u or s) and i not in scan.aside
               for i, (u, s) in enumerate(zip(scan.used, scan.seen, strict=True))]
    for number, (first, end) in enumerate(scan.clauses()):
        if number > 0 and not any(touched[first:end]) and not _REQUEST.search(
                " ".join(scan.words[first:end])):
            found.update(range(first, end))
            continue
        # "drain kwok-worker-2 for maintenance": a trailing reason nothing read
        for index in range(first, end):
            if scan.words[index] in _WHY and not any(touched[index:end]):
                found.update(range(index, end))
                break
    return found
