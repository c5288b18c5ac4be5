"""Words of the rules translator: resource synonyms, stop words, number words, phrase rewrites."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "NAME_RE",
    "NOT_NAMES",
    "NUMBER_WORDS",
    "RESOURCE_WORDS",
    "REWRITES",
    "TOKEN_RE",
    "is_english",
    "number",
]

#: One token of a question: words, names (``cart-5f7``), ``key=value``, flags, images.
TOKEN_RE = re.compile(r"-{0,2}[\w*][\w.\-/:=!*@%+~\[\]]*|[,;()]")

#: A Kubernetes object name (DNS-1123 subdomain, lower case).
NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9.\-]*[a-z0-9])?$")

# (pattern, replacement), applied case-insensitively in order before tokenizing: contractions
# and multi-word resource names become single tokens so later steps see one word each.
_REWRITE_SPECS: tuple[tuple[str, str], ...] = (
    (r"[\u2018\u2019\u201b`\u00b4]", "'"),
    (r"[\u201c\u201d]", '"'),
    (r"\bcan't\b|\bcannot\b", "can not"),
    (r"(?<=\s)\+(?=\s)", "and"),
    (r"\bw/o\b", "without"),
    (r"\bw/(?=\s)", "with"),
    (r"\bwon't\b", "will not"),
    (r"n't\b", " not"),
    # the same without the apostrophe, as people type ("which pods arent running")
    (r"\b(are|is|was|were|do|does|did|has|have|had|should|could|would)nt\b", r"\1 not"),
    (r"\b(what|who|where|that|it|there|how)'s\b", r"\1 is"),
    (r"\b(what|who|how|that)s\b", r"\1 is"),
    (r"\b(what|who|where|which|they|we|you)'re\b", r"\1 are"),
    (r"\bi'm\b", "i am"),
    (r"\b(i|we|you|they|he|she|it)'ll\b", r"\1 will"),
    (r"\b(i|we|you|they)'ve\b", r"\1 have"),
    (r"\b(i|we|you|they|it)'d\b", r"\1 would"),
    (r"'s\b", ""),
    (r"\bpersistent\s*volume\s*claim(s?)\b|\bvolume\s+claim(s?)\b", r"pvc\1\2"),
    (r"\bpersistent\s*volume(s?)\b", r"pv\1"),
    (r"\bconfig\s+map(s?)\b", r"configmap\1"),
    (r"\bstateful\s+set(s?)\b", r"statefulset\1"),
    (r"\bdaemon\s+set(s?)\b", r"daemonset\1"),
    (r"\breplica\s+set(s?)\b", r"replicaset\1"),
    (r"\breplication\s+controller(s?)\b", r"replicationcontroller\1"),
    (r"\bcron\s+job(s?)\b|\bscheduled\s+job(s?)\b", r"cronjob\1\2"),
    (r"\bservice\s+account(s?)\b", r"serviceaccount\1"),
    (r"\bcluster\s*role\s*binding(s?)\b", r"clusterrolebinding\1"),
    (r"\brole\s+binding(s?)\b", r"rolebinding\1"),
    (r"\bcluster\s+role(s?)\b", r"clusterrole\1"),
    (r"\bnetwork\s+policy\b", "networkpolicy"),
    (r"\bnetwork\s+policies\b", "networkpolicies"),
    (r"\b(?:horizontal\s+)?pod\s+autoscaler(s?)\b", r"hpa\1"),
    (r"\bstorage\s+class(es)?\b", r"storageclass\1"),
    (r"\bingress\s+class(es)?\b", r"ingressclass\1"),
    (r"\bpriority\s+class(es)?\b", r"priorityclass\1"),
    (r"\bendpoint\s+slice(s?)\b", r"endpointslice\1"),
    (r"\b(?:pod\s+)?disruption\s+budget(s?)\b", r"pdb\1"),
    (r"\bresource\s+quota(s?)\b", r"resourcequota\1"),
    (r"\blimit\s+range(s?)\b", r"limitrange\1"),
    (r"\bcustom\s+resource\s+definition(s?)\b", r"crd\1"),
    (r"\bcustom\s+resources\b", "crds"),
    (r"\bcertificate\s+signing\s+request(s?)\b", r"csr\1"),
    (r"\bworker\s+node(s?)\b", r"node\1"),
    (r"(?<![\w.=/-])k8s(?![\w.=/-])", "kubernetes"),
    (r"\bcrash[\s-]*loop(?:ing|s)?(?:\s*back[\s-]*off)?\b|\bcrashloopbackoff\b", "crashlooping"),
    (r"\bname\s+space\b", "namespace"),
    (r"\bname\s+spaces\b", "namespaces"),
    (r"\bport[\s-]forward(?:ing)?\b", "port-forward"),
    (r"\bincl\b\.?", "including"),
    (r"\b(cpu|memory|mem|ram|restart|age|size)[- ]wise\b", r"by \1"),  # "node cpu-wise"
    (r"\bapi[- ]?server\b", "apiserver"),  # the control plane, not an object named api
    (r"\bzero out\b", "scale to 0"),
    (r"\bin the order (?:they|it) (?:kicked off|started|began|ran)\b", "by start time"),
    (r"\bnode[ -]?selectors?\b", "nodeSelector"),  # a field, not the kind node
    (r"\b(?:node )?(?:heartbeat )?leases? (?:of|for) (?:the )?nodes\b|\bnode (?:heartbeat )?"
     r"leases\b|\bheartbeat leases\b", "leases in kube-node-lease"),  # where kubelets renew
    (r"\bnode heartbeats?\b", "heartbeats"),  # the kubelets' leases, not the nodes
    (r"\bgroup/versions?\b", "group versions"),
    (r"\bthru\b", "through"),
    (r"(?<![\w-])creds(?![\w-])", "credentials"),
    (r"\b(endpoints?|pods?|nodes?|services?|events?)[ -]wise\b", r"\1"),
    (r"\baggregation layer\b|\baggregated apis?\b", "apiservices"),
    (r"\ba single\b", "one"),
    (r"\bwhen (?:did )?(?:each|they|the \S+) (?:join(?:ed)?|get created|come up|came up)\b",
     "by age"),
    (r"\bb4\b", "before"),
    (r"(?<=\s)em\b", "them"),
    (r"(?<=[a-z])\s+n\s+(?=[a-z])", " and "),
    (r"\bin the order (?:they|it) (?:were|was) (?:created|made)\b", "by age"),
    (r"\bbreak (?:it |them |that )?down\b", "breakdown"),
    (r"\b(?:sorted|ordered|sort(?:ed)?|order(?:ed)?) by when (?:they|it) (?:were|was) "
     r"(?:created|made|born)\b", "by age"),
    (r"\bnode[ -]?affinity\b", "nodeAffinity"),
    (r"\b(cpu|memory|mem)/(cpu|memory|mem)\b", r"\1 and \2"),  # "cpu/mem requests"
    (r"(?<=\s)w(?=\s+(?:the|those|these|that|this|it|its|them)\b)", "with"),  # "w those pods"
    (r"\bvalidating\s+(?:admission\s+)?webhooks?(?:\s+configurations?)?\b",
     "validatingwebhookconfigurations"),
    (r"\bmutating\s+(?:admission\s+)?webhooks?(?:\s+configurations?)?\b",
     "mutatingwebhookconfigurations"),
)
REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), repl) for pattern, repl in _REWRITE_SPECS
)

#: Natural-language words for built-in resources -> (canonical plural, word is plural).
RESOURCE_WORDS: dict[str, tuple[str, bool]] = {}


def _add(canonical: str, singular: tuple[str, ...], plural: tuple[str, ...]) -> None:
    for word in singular:
        RESOURCE_WORDS[word] = (canonical, False)
    for word in plural:
        RESOURCE_WORDS[word] = (canonical, True)


_add("pods", ("pod", "po"), ("pods",))
_add("deployments", ("deployment", "deploy"), ("deployments", "deploys"))
_add("services", ("service", "svc"), ("services", "svcs"))
_add("nodes", ("node", "worker", "machine"), ("nodes", "machines", "workers"))
_add("namespaces", ("namespace", "ns"), ("namespaces",))
_add("configmaps", ("configmap", "cm"), ("configmaps", "cms"))
_add("secrets", ("secret",), ("secrets",))
_add("jobs", ("job",), ("jobs",))
_add("cronjobs", ("cronjob", "cj"), ("cronjobs",))
_add("daemonsets", ("daemonset", "ds"), ("daemonsets",))
_add("statefulsets", ("statefulset", "sts"), ("statefulsets",))
_add("replicasets", ("replicaset", "rs"), ("replicasets",))
_add("replicationcontrollers", ("replicationcontroller", "rc"), ("replicationcontrollers",))
_add("persistentvolumeclaims", ("pvc", "persistentvolumeclaim", "claim"),
     ("pvcs", "persistentvolumeclaims", "claims"))
_add("persistentvolumes", ("pv", "persistentvolume", "volume"),
     ("pvs", "persistentvolumes", "volumes"))
_add("ingresses", ("ingress", "ing"), ("ingresses",))
_add("ingressclasses", ("ingressclass",), ("ingressclasses",))
_add("serviceaccounts", ("serviceaccount", "sa"), ("serviceaccounts",))
_add("roles", ("role",), ("roles",))
_add("rolebindings", ("rolebinding",), ("rolebindings",))
_add("clusterroles", ("clusterrole",), ("clusterroles",))
_add("clusterrolebindings", ("clusterrolebinding",), ("clusterrolebindings",))
_add("networkpolicies", ("networkpolicy", "netpol"), ("networkpolicies", "netpols"))
_add("horizontalpodautoscalers", ("hpa", "autoscaler", "horizontalpodautoscaler"),
     ("hpas", "autoscalers", "horizontalpodautoscalers"))
_add("storageclasses", ("storageclass", "sc"), ("storageclasses",))
_add("priorityclasses", ("priorityclass",), ("priorityclasses",))
_add("endpoints", ("endpoint", "ep"), ("endpoints",))
_add("endpointslices", ("endpointslice",), ("endpointslices",))
_add("poddisruptionbudgets", ("pdb", "poddisruptionbudget"), ("pdbs", "poddisruptionbudgets"))
_add("resourcequotas", ("resourcequota", "quota"), ("resourcequotas", "quotas"))
_add("limitranges", ("limitrange",), ("limitranges",))
_add("customresourcedefinitions", ("crd", "customresourcedefinition"),
     ("crds", "customresourcedefinitions"))
_add("certificatesigningrequests", ("csr", "certificatesigningrequest"),
     ("csrs", "certificatesigningrequests"))
_add("events", ("event",), ("events",))
_add("apiservices", ("apiservice",), ("apiservices",))
RESOURCE_WORDS.setdefault("cron", ("cronjobs", False))
_add("leases", ("lease",), ("leases",))
_add("validatingwebhookconfigurations", ("validatingwebhookconfiguration",),
     ("validatingwebhookconfigurations",))
_add("mutatingwebhookconfigurations", ("mutatingwebhookconfiguration",),
     ("mutatingwebhookconfigurations",))

#: Words that are never object names: grammar words, verbs, states, units, output formats.
NOT_NAMES: frozenset[str] = frozenset(
    """
    a about above across after again against all along also always am among an and another any
    anything are around as ask at available back bad be because been before being below
    between both broken but by can check could current currently did do does doing done down
    during each either else every everything everywhere exist exists few find first for from
    full get gets give go going gone good got had has have having healthy help here how i if in
    inside into is it its just kindly last latest least let like list lists look many may me
    mine more most much must my need new next no none not now of off old on once one only or
    other our out over own please print recent recently right running same see should show
    shows so some something status still such sure tell than that the their them then there
    these they thing things this those through to too under unhealthy until up us use used
    using very via want was we were what when where whether which while who whole why will
    with within without would yaml json wide you your yours namespaced currently detail details
    detailed info information describe explain logs log tail top delete remove restart scale
    cordon uncordon drain taint label labels labelled labeled annotate annotation annotations
    create make rollout rollback undo pause resume events cluster kubernetes kubectl failing
    failed pending crashlooping crashing crashed restarts restarted restarting previous prior
    lines line minutes minute hours hour seconds second days day weeks week since ago container
    containers replicas replica copies instances oldest newest youngest memory cpu usage sorted
    sort order ordered sorting name named called names image version wrong happened happening
    problem problems issue issues error errors warning warnings normal ready state phase
    completed succeeded successful finished unscheduled scheduled schedulable unschedulable
    stuck terminated evicted dead deleted there's yet node's everyone somewhere everybody
    together number count counts total across output format shell terminal console bash
    command commands run execute exec bounce redeploy recycle reboot kill destroy terminate
    nuke erase purge evict wipe rid tear clean cleanup revert unpause untaint evacuate upgrade
    metrics
    update change set bump switch mark make allow enable disable stop prevent shut turn
    increase decrease reduce adjust add put apply attach tag open start spin provision inspect
    investigate diagnose debug troubleshoot consuming consumption utilization utilisation
    hogging forward copy edit ssh tunnel display fetch pull grab view return
    rolled rolling roll back revision revisions history progress complete finished happen
    order ascending descending reverse use parallel time today yesterday hogs hog heaviest
    highest lowest largest biggest smallest least fewest sorted most recent newest ones
    spec metadata field fields resource resources object objects kind kinds type types
    condition conditions belonging belongs application pod-level level mode logged kindly
    ok okay pls plz thanks thx actually instead maybe also same anyway hmm oops now then
    """.split()
)

#: Spelled-out numbers accepted wherever a count is expected.
NUMBER_WORDS: dict[str, int] = {
    "zero": 0,
    "no": 0,
    "none": 0,
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "couple": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}


def number(word: str) -> int | None:
    """Return the integer a token spells (``"3"``, ``"three"``), or None."""
    if word.isdigit():
        return int(word)
    return NUMBER_WORDS.get(word)


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    from english_words import get_english_words_set  # about 0.15 s, once, when first needed

    return frozenset(get_english_words_set(["web2"], lower=True, alpha=True))


def is_english(word: str) -> bool:
    """Return True for an ordinary English word, plurals included ("workers", "heartbeats")."""
    words = _english_words()
    return any(form in words for form in (word, word[:-1] if word.endswith("s") else "",
                                          word[:-2] if word.endswith("es") else ""))
