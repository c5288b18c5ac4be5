"""What a question asks to *do*: the ordered intent table of the rules translator."""

from __future__ import annotations

from kubechat_lab.translate.rules.scan import Scan, rx

__all__ = ["FORBIDDEN_INTENTS", "WRITE_INTENTS", "detect_intent"]

#: Intents whose kubectl command the grammar refuses (interactive, local files, tunnels).
FORBIDDEN_INTENTS: frozenset[str] = frozenset(
    {"exec", "port-forward", "cp", "attach", "edit", "proxy", "debug"}
)

_WRITE_WORDS = (
    r"delete|remove|create|update|patch|edit|change|modify|scale|exec|list|watch|get|read|"
    r"view|see|restart|drain|cordon|label|annotate|deploy|make"
)

# Ordered: the first pattern that matches wins. Earlier rows are the more specific ones
# ("remove the label" is a label change, not a delete; "restarts" is a sort, not a restart).
_TABLE: tuple[tuple[str, str], ...] = (
    (
        "auth",
        r"\b(?:am|are) (?:i|we) (?:allowed|able|permitted|authori[sz]ed)\b|\bdo (?:i|we) have "
        r"(?:the )?(?:permission|permissions|rights?|access)\b|\b(?:check|see|verify) "
        r"(?:if|whether) (?:i|we) (?:can|am allowed|may)\b|\bwhat (?:can|am) i (?:do|allowed)\b"
        r"|\bmy permissions\b|\brbac\b|^(?:can|may|could) (?:i|we) (?:" + _WRITE_WORDS + r")\b",
    ),
    ("port-forward", r"\bport-forward\b|\bforward (?:a |the )?(?:local )?ports?\b|\btunnel\b"),
    (
        "exec",
        r"\b(?:open|get|start|give me|drop into|spawn|launch)\b.{0,30}\b(?:shell|terminal|"
        r"console|bash|prompt|tty)\b|\b(?:shell|terminal|bash|sh) (?:in|into|inside|on|to)\b"
        r"|\bexec\b|\bssh\b|\b(?:run|execute)\b.{1,60} (?:in|inside|on) (?:the )?"
        r"(?:pod|container)\b",
    ),
    (
        "cp",
        r"\bcopy\b.{0,40}\bfiles?\b|\bkubectl cp\b|\bdownload\b.{0,30}\bfile|\bupload\b"
        r"|\bcopy\b.{0,60}\b(?:from|to|into|out of) (?:the )?(?:pod|container)\b|\bcopy\b.{0,60}"
        r"\b(?:to|onto|into) (?:my |the |this )?(?:laptop|machine|local|disk|computer|workstation)",
    ),
    ("attach", r"\battach (?:to|me)\b"),
    ("edit", r"^(?:please )?edit\b|\b(?:open|interactively) (?:and )?edit\b|\bin an editor\b"),
    ("proxy", r"\bkubectl proxy\b|\b(?:start|run|open) (?:a |the )?(?:kubectl |api )?proxy\b"),
    ("api-versions", r"\bapi[- ]?versions\b|\bapi groups\b|\bgroup ?versions\b"),
    (
        "api-resources",
        r"\bapi[- ]?resources\b|\bresource (?:types|kinds)\b|\b(?:kinds|types) of "
        r"(?:resources|objects)\b|\b(?:what|which) (?:kinds|types|resources|object types|crds)"
        r"\b.{0,40}\b(?:available|exist|supported|support|know|have|serve|offer|there)\b"
        r"|\ball (?:the )?(?:kinds|resource types|object types)\b",
    ),
    (
        "unlabel",
        r"\b(?:remove|delete|drop|strip|unset|clear|take off) (?:the |a )?labels? \S+"
        r"|\bunlabel\b",
    ),
    (
        "unannotate",
        r"\b(?:remove|delete|drop|strip|unset|clear) (?:the |an )?annotations? \S+",
    ),
    ("untaint", r"\b(?:remove|delete|drop|clear|take off) (?:the |a |all )?taints?\b|\buntaint\b"),
    ("taint", r"\btaint\b"),
    (
        "label",
        r"^(?:please )?label\b|\b(?:add|set|put|apply|attach|give|tag)\b.{0,30}\blabels?\b"
        r"|^(?:please )?tag\b|\blabel (?:it|them)\b",
    ),
    ("annotate", r"\bannotate\b|\b(?:add|set|put|apply|attach)\b.{0,30}\bannotations?\b"),
    (
        "rollout-undo",
        r"\bundo\b|\broll ?back\b|\broll (?:it|them) back\b|\brevert\b|\bgo back to (?:the )?"
        r"(?:previous|last|prior|old|earlier)\b",
    ),
    (
        "rollout-history",
        r"\b(?:rollout|roll-out|deployment|revision|release|deploy|version) history\b"
        r"|\bhistory of\b|\b(?:list|show|see|past|previous|all) (?:the )?(?:rollouts|revisions|"
        r"releases)\b|\brevisions of\b|\bwhat changed\b.{0,40}\broll(?:-| )?outs?\b",
    ),
    ("rollout-pause", r"\bpause\b"),
    ("rollout-resume", r"\bresume\b|\bunpause\b"),
    (
        "rollout-status",
        r"\broll(?:-| )?out (?:status|progress)\b|\broll(?:-| )?out\b.{0,40}\b(?:finish|finished|"
        r"done|complete|completed|progress|progressing|stuck|succeed|succeeded|status|healthy|"
        r"over|through|ready)\b|\b(?:finished|done|complete|completed) roll(?:ing)? ?out\b"
        r"|\brolled out\b|\b(?:still )?rolling out\b|\bstatus of (?:the )?(?:latest |last )?"
        r"roll(?:-| )?out\b|\bwatch (?:the )?roll(?:-| )?out\b",
    ),
    (
        "rollout-restart",
        r"(?<!most\x20)(?<!many\x20)(?<!by\x20)(?<!of\x20)(?<!highest\x20)(?<!no\x20)"
        r"\b(?:rolling )?restart\b"
        r"(?! count)|\bbounce\b|\bredeploy\b|\brecycle\b|\bcycle (?:the |all )?pods\b",
    ),
    (
        "scale",
        r"\bscale\b|\b(?:set|change|increase|decrease|reduce|bump|adjust|lower|raise|"
        r"update)\b.{0,70}\breplica(?:s| count)?\b|\breplicas? to\b|\bshut ?down\b|\bturn off\b"
        r"|\bto (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten) (?:replicas|copies|"
        r"instances)\b"
        r"|\bstop (?:the )?(?:deployment|statefulset|replicaset)\b|\b(?:run|have) (?:\d+|one|"
        r"two|three|four|five|six|seven|eight|nine|ten) (?:replicas|copies|instances)\b",
    ),
    (
        "uncordon",
        r"\buncordon\b|\b(?:make|mark|set)\b.{0,30} schedulable\b|\b(?:allow|enable|re-?enable|"
        r"resume) scheduling\b|\bschedulable again\b|\bback (?:into|in|to) (?:service|rotation)\b"
        r"|\bback online\b",
    ),
    (
        "cordon",
        r"\bcordon\b|\b(?:make|mark|set)\b.{0,30}\bunschedulable\b|\b(?:stop|prevent|disable|"
        r"block) (?:new )?(?:pods )?(?:from )?(?:being )?scheduling\b",
    ),
    ("drain", r"\bdrain\b|\bevacuate\b|\bmove (?:all )?(?:the )?(?:pods|workloads) off\b"),
    (
        "set-image",
        r"\b(?:set|update|change|upgrade|bump|switch|swap|replace|point|move|roll)\b.{0,60}"
        r"\bimage\b|\bimage\b.{0,60} to \S+[:@/]\S*|\bupgrade\b.{0,60} to \S+:\S+",
    ),
    (
        "delete",
        r"\bdelete\b|\bremove\b|\bkill\b|\bdestroy\b|\bterminate\b|\bnuke\b|\berase\b|\bpurge\b"
        r"|\bget rid of\b|\btear down\b|\bclean ?up\b|\bevict\b|\bwipe\b",
    ),
    (
        "create",
        r"\bcreate\b|\b(?:make|add|set up|spin up|provision)\b (?:me )?(?:a |an )?(?:new )?"
        r"(?:namespace|deployment|configmap|configmaps|secret|job|serviceaccount|"
        r"serviceaccounts)\b|\bnew (?:namespace|deployment|configmaps|secret|job)\b",
    ),
    (
        "explain",
        r"\bexplain\b|^(?:what|which) (?:is|are) (?:a |an |the )?(?:kubernetes )?\S+$"
        r"|\bfields? (?:of|in|does|on)\b|\bschema (?:of|for)\b|\bdocumentation (?:of|for|on)\b"
        r"|\bdocs (?:of|for|on)\b|\bwhat does (?:a |an )?\S+ (?:look like|contain|mean)\b",
    ),
    (
        "version",
        r"\b(?:kubernetes|cluster|server|api ?server|control plane|kubectl|client) version"
        r"|\bversion of (?:the )?(?:kubernetes|cluster|server|api ?server|control plane|kubectl)"
        r"|\b(?:what|which) version\b|^version$",
    ),
    (
        "cluster-info",
        r"\bcluster[- ]info\b|\bcluster information\b|\bcontrol plane (?:address|url|"
        r"endpoint)\b|\bapi ?server (?:address|url|endpoint)\b|\bwhere is the (?:api ?server|"
        r"control plane|cluster)\b|\b(?:core|cluster) services\b|\bcluster endpoints?\b",
    ),
    (
        "logs",
        r"\blogs?\b|\blogging\b|\bstdout\b|\bstderr\b|\btail\b|\bconsole output\b|\bwhat "
        r"(?:did|does|is) .{1,40} (?:print|printing|output|outputting|say|saying|log|logged)\b",
    ),
    (
        "top",
        r"\busage\b|\butili[sz]ation\b|\bconsum\w*\b|\btop\b|\bmetrics\b|\bhogg?\w*\b|\bhow much "
        r"(?:cpu|memory|ram|mem)\b|\b(?:most|highest|heaviest|least|lowest|more|less|much) "
        r"(?:cpu|memory|ram|mem)\b|\b(?:by|sorted by|order by|ordered by) (?:cpu|memory|ram|mem)"
        r"\b|\b(?:cpu|memory|ram)[- ]hungry\b|\busing (?:the )?most\b|\buse (?:the )?most\b",
    ),
    (
        "describe",
        r"\bdescribe\b|\bdetails?\b|\bdetailed\b|\binspect\b|\binvestigate\b|\btell me (?:more |"
        r"everything )?about\b|\b(?:everything|all) about\b|\binfo(?:rmation)? (?:on|about|for)\b"
        r"|\bwhat is wrong\b|\bwhy\b"
        r"|\bdiagnose\b|\bdebug\b|\btroubleshoot\b|\bwhat is (?:going on|happening|up) with\b"
        r"|\bproblem with\b|\bissue with\b|\bconditions (?:of|on)\b|\bhealth of\b",
    ),
)


#: Intents that change the cluster.
WRITE_INTENTS: frozenset[str] = frozenset(
    {
        "delete", "scale", "rollout-restart", "rollout-undo", "rollout-pause", "rollout-resume",
        "cordon", "uncordon", "drain", "taint", "untaint", "label", "unlabel", "annotate",
        "unannotate", "set-image", "create",
    }
)
# "why was it scaled down", "who deleted the pod": a question about a past change is a read.
_ABOUT_THE_PAST = r"^(?:why|when|who|did|was|were|has|had|have|how come)\b"


def detect_intent(scan: Scan) -> str:
    """Return the intent of the question.

    That is a kubectl verb (``get``, ``logs``), a verb-subverb pair (``rollout-restart``,
    ``set-image``), or a forbidden intent (``exec``). ``get`` is the default: a question that
    only names a resource lists it.
    """
    live = scan.live
    for intent, pattern in _TABLE:
        if rx(pattern).search(live):
            if intent in WRITE_INTENTS and rx(_ABOUT_THE_PAST).search(scan.text):
                return "describe"
            return intent
    return "get"
