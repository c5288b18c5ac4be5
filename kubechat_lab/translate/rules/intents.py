"""What a question asks to *do*: the ordered intent table of the rules translator.

Read intent wins: a write mentioned only as a plan ("before I delete checkout, show me what it
is", "list its revisions, I want to roll it back later", "which pods would go if I drained
node-3") or inside a question about something ("what's killing fraud-detector?") is not what
the question asks to do. :func:`take_planned` removes planned clauses before the intent is
read, and :func:`detect_intent` reads question clauses with their write words masked.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from kubechat_lab.translate.rules.lexicon import RESOURCE_WORDS
from kubechat_lab.translate.rules.scan import Scan, rx

__all__ = [
    "FORBIDDEN_INTENTS",
    "INTENT_PATTERNS",
    "WRITE_INTENTS",
    "WRITE_WORDS",
    "asked_about",
    "asks_about",
    "asks_for_change",
    "detect_intent",
    "is_permission_question",
    "take_planned",
]

#: Intents whose kubectl command the grammar refuses (interactive, local files, tunnels).
FORBIDDEN_INTENTS: frozenset[str] = frozenset(
    {"exec", "port-forward", "cp", "attach", "edit", "proxy", "debug"}
)

_WRITE_WORDS = (
    r"delete|remove|create|update|patch|edit|change|modify|scale|exec|list|watch|get|read|"
    r"view|see|restart|drain|cordon|uncordon|label|annotate|deploy|make|kill|nuke|wipe|destroy|"
    r"terminate|purge|evict|taint|bounce|redeploy|recycle|roll|rollback|undo|pause|resume|set|"
    r"upgrade|add|apply"
)

# Ordered: the first pattern that matches wins. Earlier rows are the more specific ones
# ("remove the label" is a label change, not a delete; "restarts" is a sort, not a restart).
_TABLE: tuple[tuple[str, str], ...] = (
    (
        "auth",
        r"\b(?:am|are) (?:i|we) (?:even |still |actually |really )?(?:allowed|able|permitted|"
        r"authori[sz]ed)\b|\bdo (?:i|we) (?:even |still |actually |really )?have "
        r"(?:the )?(?:permission|permissions|rights?|access)\b|\b(?:check|see|verify) "
        r"(?:if|whether) (?:i|we) (?:can|am allowed|may)\b|\bwhat (?:can|am) i (?:do|allowed)\b"
        r"|\bmy permissions\b|\brbac\b|\b(?:can|may|could) (?:i|we) "
        r"(?:even |still |really |actually )?(?:" + _WRITE_WORDS + r")\b",
    ),
    (
        "get",  # "which pods would a drain evict": a look at the node's pods, never the drain
        r"\b(?:which|what) pods\b.{0,40}\b(?:kicked off|evicted|moved off|displaced|affected|"
        r"bumped|thrown off|lost)\b|\bdrain preview\b",
    ),
    ("port-forward", r"\bport-forward\b|\bforward (?:a |the )?(?:local )?ports?\b|\btunnel\b"),
    (
        "exec",
        r"\b(?:open|get|start|give me|drop into|spawn|launch)\b.{0,30}\b(?:shell|terminal|"
        r"console|bash|prompt|tty)\b|\b(?:shell|terminal|bash|sh) (?:in|into|inside|on|to)\b"
        r"|\bexec\b|\bssh\b|\b(?:psql|mysql|redis-cli|mongo|mongosh|sqlplus|sqlcmd|cqlsh|"
        r"python|irb|zsh) (?:in|into|inside|on|to)\b"
        r"|\b(?:run|execute)\b.{1,60} (?:in|inside|on) (?:the )?(?:pod|container)\b",
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
    (
        "auth-whoami",
        r"\bwho am i\b|\bwho (?:does|do) (?:the )?(?:cluster|kubernetes|api ?server|it|they) "
        r"(?:think|thinks|see|sees|take|takes) (?:i am|me)\b|\bwhat (?:user|identity|account) "
        r"(?:am i|do i (?:run|act) as)\b|\bmy (?:identity|user ?name|current user)\b|\bwhoami\b",
    ),
    ("api-versions", r"\bapi[- ]?versions\b|\bapi groups\b|\bgroup ?versions\b"
                     r"|\b(?:what|which) apis\b"
                     r"|\bapis (?:are |does it |do we )?(?:served|serve|available|enabled)\b"
                     r"|\b(?:is|are) [a-z0-9.-]+/v\d[a-z0-9]* (?:served|available|supported|"
                     r"enabled|there|on)\b"),
    (
        "api-resources",
        r"\b(?:resources|kinds|types)\b.{0,40}\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:io|com|dev|org|"
        r"net)\b|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:io|com|dev|org|net)\b.{0,40}\b(?:resources|"
        r"kinds|types)\b",
    ),
    (
        "api-resources",
        r"\bapi[- ]?resources\b|\bresource (?:types|kinds)\b|\b(?:kinds|types) of "
        r"(?:resources|objects)\b|\b(?:what|which) (?:kinds|types|resources|object types|crds)"
        r"\b.{0,40}\b(?:available|exist|supported|support|know|have|serve|offer|there)\b"
        r"|\ball (?:the )?(?:kinds|resource types|object types)\b"
        r"|\bwhich (?:api ?)?group\b|\b(?:in|of) the [a-z0-9.-]+ api ?group\b"
        r"|\bshort ?names?\b(?= (?:for|of)\b)"
        r"|\b(?:the|what|which|list|every|all)(?: \S+)? short ?names?\b"
        r"|\b(?:resources|kinds|types) (?:does|do|in) the [a-z0-9.-]+ (?:api ?)?group\b"
        r"|\b(?:is|are) (?:the )?[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:io|com|dev|org|net) (?:api )?"
        r"(?:available|served|installed|registered|enabled|there|on)\b"
        r"|\b(?:every|all|which|what) (?:the )?(?:resource types?|kinds?|types?|resources?)\b"
        r".{0,20}\b(?:api ?group|group)\b",
    ),
    (
        "unlabel",
        r"\b(?:remove|delete|drop|strip|unset|clear|take off) (?:the |a )?labels? \S+"
        r"|\b(?:remove|delete|drop|strip|unset|clear|take off) (?:the |a |an )?\S+ label\b"
        r"|\bunlabel\b",
    ),
    (
        "unannotate",
        r"\b(?:remove|delete|drop|strip|unset|clear) (?:the |an )?annotations? \S+"
        r"|\b(?:remove|delete|drop|strip|unset|clear) (?:the |an )?\S+ annotation\b",
    ),
    ("untaint", r"\b(?:remove|delete|drop|clear|take off) (?:the |a |all )?taints?\b|\buntaint\b"),
    ("taint", r"\btaint\b"),
    (
        "label",
        r"^(?:please )?label\b|\b(?:add|set|put|apply|attach|give|tag)\b.{0,30}\blabels?\b"
        r"|^(?:please )?tag\b|\blabel (?:it|them)\b|\btag (?:\S+ ){1,3}with\b"
        r"|\b(?:add|put|stick|slap|attach) (?:on|to|onto)\b",
    ),
    ("annotate", r"\bannotate\b|\b(?:add|set|put|apply|attach|stick|slap|pin)\b.{0,30}"
                 r"\bannotations?\b"),
    (
        "create-job",
        r"\b(?:fire|kick|trigger|launch|start|run)(?: off)? (?:a |an )?(?:one-off |one off |"
        r"manual |ad-?hoc |single |extra )(?:run|job|execution)\b"
        r"|\btrigger (?:the )?\S+ (?:cron ?job|cron)\b"
        r"|\b(?:run|trigger) (?:the )?\S+ (?:cron ?job|cron) (?:now|manually|once)\b",
    ),
    (
        "set-key",
        r"\b(?:set|change|bump|update|raise|lower|make)\b (?:the )?[a-z][a-z0-9]*(?:_[a-z0-9]+)+ "
        r"(?:to|=)",
    ),
    (
        "rollout-undo",
        r"\bundo\b(?! (?:options|targets|points|candidates|choices))"
        r"|\broll ?back\b(?! to (?:\S+ )?v?\d+\.| (?:options|targets|points|candidates|choices))"
        r"|\broll (?:it|them|\S+) back\b(?! to (?:\S+ )?v?\d+\.)"
        r"|\brevert\b(?! (?:\S+ )?to (?:\S+ )?v?\d+\.)"
        r"|\bgo back to (?:the )?(?:previous|last|prior|old|earlier)\b"
        r"|\b(?:take|put|bring|send) (?:it|them|\S+) back (?:to|on|at) (?:rev|revision)\b"
        r"|\bback to (?:rev|revision) \d+\b",
    ),
    (
        "rollout-history",
        r"\b(?:rollout|roll-out|deployment|revision|release|deploy|version) history\b"
        r"|\bhistory of\b|\b(?:list|show|see|past|previous|all) (?:the )?(?:rollouts|revisions|"
        r"releases)\b|\brevisions of\b|\bwhat changed\b.{0,40}\broll(?:-| )?outs?\b"
        r"|\brevisions\b|\b(?:show|see|display|list|describe|get) (?:me )?(?:the )?revision\b"
        r"|\b(?:rollback|roll back|revert|undo) (?:options|targets|points|candidates|choices)\b"
        r"|\bwhat (?:can|could) (?:i|we) (?:roll ?back|revert|go back) to\b",
    ),
    ("rollout-pause", r"\bpause\b|\bsuspend\b|\bfreeze\b|\bhold (?:the |off )?(?:\S+ )?"
                      r"roll ?out\b|\bhold off (?:on )?(?:the )?\S+"),
    ("rollout-resume", r"\bresume\b|\bunpause\b|\bunsuspend\b|\bunfreeze\b|\blet it run "
                       r"again\b|\bwake (?:\S+ ){0,4}up\b"
                       r"|\b(?:let|allow) (?:the |its |their )?(?:\S+ )?roll ?out (?:to )?(?:carry "
                       r"on|continue|proceed|go on|finish|complete)\b|\b(?:continue|carry on with|"
                       r"proceed with|unblock) (?:the |its |their )?(?:paused )?roll ?out\b"),
    (
        "rollout-status",
        r"\broll(?:-| )?out (?:status|progress)\b|\broll(?:-| )?out\b.{0,40}\b(?:finish|finished|"
        r"done|complete|completed|progress|progressing|stuck|succeed|succeeded|status|healthy|"
        r"over|through|ready)\b|\b(?:finished|done|complete|completed) roll(?:ing)? ?out\b"
        r"|\b(?:babysit|keep an eye on|follow) (?:the )?(?:\S+ )?roll ?out\b"
        r"|\brolled out\b|\b(?:still )?rolling out\b|\bstatus of (?:the )?(?:latest |last )?"
        r"roll(?:-| )?out\b|\bwatch (?:the )?roll(?:-| )?out\b",
    ),
    (
        "rollout-restart",
        r"(?<!most\x20)(?<!many\x20)(?<!by\x20)(?<!of\x20)(?<!highest\x20)(?<!no\x20)"
        r"\b(?:rolling )?restart\b"
        r"|\broll (?:the )?(?:\S+ )?(?:sts|statefulsets?|deploy(?:ment)?s?|ds|daemonsets?)\b"
        r"(?! back| to)"
        r"(?! count)|\bbounce\b|\bredeploy\b|\brecycle\b|\bcycle (?:the |all )?pods\b"
        r"|\bgive .{1,40} a (?:kick|bounce|restart|nudge)\b|\bkick\b|\bfresh pods\b"
        r"|\bcycle\b|\bnudge\b",
    ),
    (
        "autoscale",
        r"\bautoscale\b|\b(?:put|slap|add|set up|attach|create|give)\b (?:it |\S+ )?(?:an? )?"
        r"(?:hpa|autoscaler|horizontalpodautoscaler)\b",
    ),
    (
        "set-resources",
        r"\bset resources\b|\b(?:more|less) headroom\b|\b(?:set|bump|raise|lower|change|update|"
        r"give|increase|decrease)\b.{0,40}\b(?:cpu|memory|mem) (?:limits?|requests?)\b"
        r"(?=.{0,30}\b\d)|\b(?:limits?|requests?) (?:of|to) \d"
        r"|\b(?:set|bump|raise|lower|change|update|increase|decrease) (?:the )?(?:cpu |memory |"
        r"mem )?(?:limits?|requests?)\b(?=.{0,40}\d)",
    ),
    (
        "scale",
        r"\b(?:spin up|add|bring up|launch|start|remove|drop|kill) (?:\d+|one|two|three|four|"
        r"five) (?:more|extra|additional|fewer|less)\b|\b(?:\d+|one|two|three) (?:more|fewer) "
        r"(?:\S+ )?(?:replicas?|pods?|instances?|copies)\b|\bscal(?:e|ing)\b"
        r"|\b(?:set|change|increase|decrease|reduce|bump|adjust|lower|raise|update|drop|cut|"
        r"trim|take|bring)\b.{0,70}\breplica(?:s| count)?\b"
        r"|\breplicas? to\b|\bshut ?down\b|\bturn off\b|\b(?:bring|take|turn|run) \S+ (?:down )?"
        r"to (?:zero|0|nothing|none)\b|\bbump (?:it|them|this|that) (?:up |down )?"
        r"to \d+\b|\bscale (?:it|them) back\b"
        r"|\b(?:trim|shrink|cut|reduce|grow) \S+ by (?:\d+|one|two|three)\b"
        r"|\bpark\b|\b(?:switch|turn) (?:it|them|\S+) off\b|\bdial (?:\S+ ){0,4}(?:down|up|back)\b"
        r"|\b(?:shave|knock|take|lop|chop) (?:\d+|one|two|three|a) (?:\S+ )?(?:replicas?|pods?|"
        r"instances?|copies) off\b"
        r"|\b(?:double|triple|halve) (?:it|them|\S+)\b"
        r"|\bto (?:\d+|one|two|three|four|five|six|seven|eight|nine|ten) (?:replicas|copies|"
        r"instances)\b"
        r"|\bstop (?:the )?(?:deployment|statefulset|replicaset)\b|\b(?:run|have) (?:\d+|one|"
        r"two|three|four|five|six|seven|eight|nine|ten) (?:replicas|copies|instances)\b",
    ),
    (
        "uncordon",
        r"\buncordon\b|\b(?:make|mark|set)\b.{0,30} schedulable\b|\b(?:allow|enable|re-?enable|"
        r"resume) scheduling\b|\bschedulable again\b|\bback (?:into|in|to) (?:the )?(?:service|"
        r"rotation|pool)\b|\b(?:take|accept|receive|serve|get) (?:traffic|pods|work|workloads?) "
        r"again\b|\bput (?:it|\S+) back(?: (?:in|into|to) (?:service|rotation|the pool))?$"
        r"|\bback online\b|\bopen (?:it|them|\S+) (?:back )?up\b(?= for| to|$)",
    ),
    (
        "cordon",
        r"\bcordon\b|\b(?:take|pull|get|remove|drop) .{1,40} (?:out of|from) (?:the )?(?:rotation|"
        r"pool|service|scheduling)\b|\bout of (?:the )?(?:rotation|pool)\b"
        r"|\b(?:make|mark|set)\b.{0,30}\bunschedulable\b|\b(?:stop|prevent|disable|"
        r"block) (?:new )?(?:pods )?(?:from )?(?:being )?scheduling\b",
    ),
    ("drain", r"\bdrain\b|\bevacuate\b|\bmove (?:all )?(?:the )?(?:pods|workloads) off\b"),
    (
        "set-env",
        r"\bset (?:the |an? )?env(?:ironment)?(?:[- ]?(?:vars?|variables?))?\b"
        r"|\b(?:pick up|load|inject|expose|pass|add|put|set)\b.{0,60}"
        r"\bas (?:an? )?env(?:ironment)?[- ]?(?:vars?|variables?)\b"
        r"|\benv(?:ironment)?[- ]?(?:vars?|variables?)? (?:from|=)\b"
        r"|\b(?:set|add|put) (?:the )?env(?:ironment)?[- ]?(?:vars?|variables?)\b",
    ),
    (
        "env",
        r"\benv(?:ironment)?[- ]?(?:vars?|variables?)\b|\benv (?:of|for|on|in)\b|^env\b",
    ),
    (
        "set-image",
        r"\b(?:set|update|change|upgrade|bump|switch|swap|replace|point|move|roll)\b.{0,60}"
        r"\bimage\b|\bimage\b.{0,60} to \S+[:@/]\S*|\bupgrade\b.{0,60} to \S+:\S+"
        r"|\b(?:ship|deploy|release|upgrade|bump|move|roll|pin|downgrade|revert) (?:\S+ ){0,3}"
        r"(?:back )?(?:to |version |tag )?(?:\S+ )?v?\d+"
        r"(?:\.\d+)+\b",
    ),
    (
        "delete",
        r"\bdelete\b|\bremove\b|\bkill\b|\bdestroy\b|\bterminate\b|\bnuke\b|\berase\b|\bpurge\b"
        r"|\bget rid of\b|\btear down\b|\bclean ?up\b|\bevict\b|\bwipe\b|\bblow (?:away|up)\b"
        r"|\btrash\b|\bzap\b|\btidy up\b|\b(?:clear|clean) out\b",
    ),
    (
        "create",
        r"\bcreate\b|\b(?:make|add|set up|spin up|provision)\b (?:me )?(?:a |an )?(?:new )?"
        r"(?:namespace|deployment|configmap|configmaps|secret|job|serviceaccount|"
        r"serviceaccounts)\b|\bnew (?:namespace|deployment|configmaps|secret|job)\b"
        ,
    ),
    (
        "explain",
        r"\bexplain(?:ed)?\b|^(?:what|which) (?:is|are) (?:a |an |the )?(?:kubernetes )?\S+$"
        r"|\bfields? (?:of|in|does|on|under)\b|\bschema (?:of|for)\b"
        r"|\bdocumentation (?:of|for|on)\b"
        r"|\bwhat (?:does|do) \S+ (?:on|in|of|for) (?:a |an |the )?\S+ (?:do|mean)\b"
        r"|\bwhat (?:does|do) \S+ (?:do|mean) (?:on|in|for) (?:a |an |the )?\S+\b"
        r"|\bdocs (?:of|for|on)\b|\bwhat does (?:a |an )?\S+ (?:look like|contain|mean)\b"
        r"|^(?:what|which) (?:is|are) (?:a |an )?\S+ (?:object|resource|kind)s?\b"
        r"(?=.{0,40}\b(?:docs|documentation|explain|schema|fields?)\b)",
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
        "describe",
        r"\b(?:full |complete )?(?:rundown|lowdown|deep ?dive)\b"
        r"|\bhow much (?:cpu|memory|ram) (?:is |are )?(?:already )?(?:requested|allocated|reserved)"
        r"\b|\b(?:requested|allocated|reserved) (?:cpu|memory)\b"
        r"|\b(?:last )?exit(?:ed)? (?:code|status)\b|\blast state\b|\btermination (?:reason|"
        r"message)\b|\b(?:what is|what's) (?:the )?(?:scheduler|kubelet|it|\S+) complaining "
        r"about\b",
    ),
    (
        "logs",
        r"\blogs?\b|\blogging\b|\bstdout\b|\bstderr\b|\btail\b|\bconsole output\b|\bwhat "
        r"(?:did|does|is) .{1,40} (?:print|printing|output|outputting|say|saying|log|logged)\b",
    ),
    (
        "top",
        r"\busage\b|\butili[sz]ation\b|^(?:cpu|memory|ram|mem)\b|\b(?:cpu|memory|ram) (?:of|for|"
        r"used|use)\b|\bconsum\w*\b|\btop\b(?! and| says| said| shows| reports)"
        r"|\bmetrics\b(?![- ](?:server|api|apiservice))"
        r"|\bhog(?:s|ging|ged|gers?)?\b|\bhow much "
        r"(?:cpu|memory|ram|mem)\b|\b(?:most|highest|heaviest|least|lowest|more|less|much) "
        r"(?:cpu|memory|ram|mem)\b|\b(?:by|sorted by|order by|ordered by) (?:cpu|memory|ram|mem)"
        r"\b|\b(?:cpu|memory|ram)[- ]hungry\b|\busing (?:the )?most\b|\buse (?:the )?most\b"
        r"|\b(?:avg|average|mean|sum|total|combined|summed) (?:of )?(?:the )?(?:cpu|memory|mem|"
        r"ram)\b"
        r"|\b(?:what|how much) (?:is|are) (?:it|they|\S+) (?:actually )?using\b"
        r"(?! (?:the |a |an )?[a-z])"
        r"|\b(?:what|how much) (?:is|are) (?:it|they|\S+) (?:actually )?using (?:right )?now\b",
    ),
    (
        "describe",
        r"\bdescribe\b|\bdesc\b|\bdetails?\b|\bdetailed\b|\binspect\b|\binvestigate\b"
        r"|\btell me (?:more |"
        r"everything )?about\b|\b(?:everything|all) about\b|\binfo(?:rmation)? (?:on|about|for)\b"
        r"|\bwhat is wrong\b|\bwhy\b"
        r"|\bdiagnose\b|\bdebug\b|\btroubleshoot\b|\bwhat is (?:going on|happening|up) with\b"
        r"|\bproblem with\b|\bissue with\b|\bconditions\b|\bhealth of\b"
        r"|\b(?:which|what) keys\b",
    ),
)


#: The pattern of each intent, by intent.
INTENT_PATTERNS: dict[str, str] = dict(_TABLE)

#: Intents that change the cluster.
WRITE_INTENTS: frozenset[str] = frozenset(
    {
        "delete", "scale", "rollout-restart", "rollout-undo", "rollout-pause", "rollout-resume",
        "cordon", "uncordon", "drain", "taint", "untaint", "label", "unlabel", "annotate",
        "unannotate", "set-image", "set-env", "set-resources", "autoscale", "create",
        "create-job", "set-key",
    }
)
# "why was it scaled down", "who deleted the pod": a question about a past change is a read.
_ABOUT_THE_PAST = r"^(?:why|when|who|did|was|were|has|had|have|how come)\b"

#: Words that ask for a change, in any form; masked where the question only mentions them.
WRITE_WORDS: frozenset[str] = frozenset(
    """
    delete deleted deletes deleting remove removed removes removing kill killed kills killing
    scale scaled scales scaling restart restarted restarts restarting drain drained drains
    draining cordon cordoned cordoning uncordon uncordoned taint tainted untaint label
    labelled labeled labeling labelling annotate annotated roll rolled rolling rollback undo
    undid revert reverted touch touched update updated upgrade upgraded patch patched edit
    edited nuke nuked wipe wiped destroy destroyed terminate terminated evict evicted purge
    purged bounce bounced redeploy redeployed recycle recycled create created add added set
    change changed modify modified deploy deployed apply applied stop stopped shut kick kicked
    tear clean cleaned rid pause paused resume resumed blow replace replaced swap bump
    suspend suspended unsuspend freeze frozen ship shipped spin shutdown
    """.split()
)
_WRITE_WORD_RE = re.compile(r"\b(?:" + "|".join(sorted(WRITE_WORDS, key=len, reverse=True))
                            + r")\b")
#: A clause that only plans a change: "before I ...", "if I drained ...", "I will ... later".
_PLANNED_LEAD = (
    r"^(?:and |but |so |then )?(?:just |right )?(?:before|after|once|until|prior to|ahead of) "
    r"(?:i|we|you|someone|anyone)\b"
)
_PLANNED_INSIDE = (
    r"\b(?:before|after|once|prior to) (?:i|we|you) \w+|\bif (?:i|we|you|someone) \w+"
    r"|\b(?:i|we) (?:will|would|want to|wanna|plan to|intend to|am going to|are going to|"
    r"might|may|am about to|are about to|need to|have to)\b|\bwould\b|\bso (?:that )?"
    r"(?:i|we) can\b|\bin case\b|\blater\b|\bafterwards?\b"
)
#: A clause that asks about something rather than telling kubectl what to do.
_QUESTION_LEAD = (
    r"^(?:and |so |ok |then |but )?(?:what|which|who|whose|why|when|where|how|is|are|was|were|"
    r"does|did|has|have|had|do (?=i|we|you|they|any|all|these|those|my|our|pods))\b"
    # a clause that says what not to do ("dont roll back yet", "not adding any") asks nothing
    r"|^(?:and |but |just |so )?(?:do not|never|not|no need to) (?!only\b|just\b)"
)
#: A write word that names a thing, not an act: "kill count", "restart policy", "drain timeout".
_WRITE_AS_NOUN = re.compile(
    r"\b(?:kill|restart|delete|deletion|scale|drain|evict|eviction|rollout|update|cordon|"
    r"taint|label|patch|suspend|pause) (?=(?:counts?|counters?|rates?|timestamps?|times?|"
    r"switch(?:es)?|policy|policies|history|budgets?|limits?|reasons?|signals?|timeouts?|"
    r"events?|stats?|numbers?|totals?)\b)")
#: A clause reporting what someone did: a past, never a request.
_REPORT_LEAD = (
    r"^(?:and |but |so |ok |because )?(?:someone|somebody|a teammate|my teammate|a colleague|"
    r"ops|on-?call|oncall|i|we|they|he|she|ci|the pipeline|the bot)(?: already| just| earlier)?"
    r" (?:[a-z]+ed|ran|did|had|went|made|set|put|took|hit|undid|rolled|kicked)\b"
)
_PRONOUNS = frozenset({"it", "them", "this", "that", "these", "those", "one", "ones"})


def _keeps(scan: Scan, index: int, known: Callable[[str], bool]) -> bool:
    """Return True for a token of a planned clause that may name the object of the question."""
    word = scan.words[index]
    if scan.is_name(word, strict=True) or (scan.is_name(word) and known(word)) or (
            word in RESOURCE_WORDS):
        return True  # "if I deleted the frontend service": the service is what is asked about
    before = [scan.words[i] for i in range(max(0, index - 2), index)]
    after = scan.words[index + 1] if index + 1 < len(scan.words) else ""
    return (scan.is_name(word) and word not in _PRONOUNS and word not in WRITE_WORDS
            and (after in WRITE_WORDS or bool(before) and (before[-1] in WRITE_WORDS or (
                before[-1] in ("the", "my", "our") and len(before) > 1
                and before[-2] in WRITE_WORDS))))


def _unknown(word: str) -> bool:
    return False


def take_planned(scan: Scan, known: Callable[[str], bool] = _unknown) -> list[str]:
    """Take the clauses that only plan a change; return the write words they held.

    Object names in them stay (``before I delete checkout, show me what it is`` still
    names ``checkout``); everything else is taken, so no later step reads the plan as a
    request. A question that is nothing but a plan ("I'm going to restart checkout") is a
    request: nothing is taken then.

    Parameters
    ----------
    scan
        The question.
    known
        Whether the cluster knows a name (a namespace, an object): such names are kept.
    """
    spans: list[tuple[int, int]] = []
    for first, end in scan.clauses():
        start, stop = scan.span_of(first, end)
        clause = scan.text[start:stop]
        if rx(_PLANNED_LEAD).search(clause):
            spans.append((first, end))
            continue
        inside = rx(_PLANNED_INSIDE).search(clause)
        if inside is not None and _WRITE_WORD_RE.search(clause[inside.start():]):
            spans.append((scan.index_at(start + inside.start()), end))
    planned = {i for first, end in spans for i in range(first, end)}
    rest = [i for i in range(len(scan.words)) if i not in planned and scan.words[i] not in ",;"]
    if not spans or not rest:
        return []
    words = []
    for index in sorted(planned):
        word = scan.words[index]
        if word in WRITE_WORDS:
            words.append(word)
        if not scan.used[index] and not _keeps(scan, index, known):
            scan.take_token(index)
    return words


def _masked(scan: Scan) -> str:
    """Return the live text (literals blanked), write words blanked where nothing is asked.

    That is in question clauses and in reports of what someone did ("someone ran rollout
    pause earlier").
    """
    live = _WRITE_AS_NOUN.sub(lambda m: " " * len(m.group(0)), scan.words_only())
    for first, end in scan.clauses():
        start, stop = scan.span_of(first, end)
        clause = scan.text[start:stop]
        if not rx(_QUESTION_LEAD).search(clause) and not rx(_REPORT_LEAD).search(clause):
            continue
        clause = _WRITE_WORD_RE.sub(lambda m: " " * len(m.group(0)), live[start:stop])
        live = live[:start] + clause + live[stop:]
    return live


def asked_about(scan: Scan) -> frozenset[str]:
    """Return the write words of the question's question clauses ("did someone suspend it").

    A read accounts for them: they are what the question asks about, not what it asks for.
    """
    words: set[str] = set()
    for first, end in scan.clauses():
        start, stop = scan.span_of(first, end)
        clause = scan.text[start:stop]
        if rx(_QUESTION_LEAD).search(clause) or rx(_REPORT_LEAD).search(clause):
            words.update(w for w in scan.words[first:end] if w in WRITE_WORDS)
    return frozenset(words)


def asks_about(scan: Scan) -> bool:
    """Return True when a write word of the question sits in a clause that asks a question."""
    return _masked(scan) != scan.words_only()


def asks_for_change(scan: Scan) -> bool:
    """Return True when a write word is left outside planned and question clauses."""
    return _WRITE_WORD_RE.search(_masked(scan)) is not None


def is_permission_question(scan: Scan) -> bool:
    """Return True for "can I ... / am I allowed to ..." (an ``auth can-i`` question)."""
    return rx(INTENT_PATTERNS["auth"]).search(scan.text) is not None


_KINDS_BY_VERB = (r"\b(?:which|what) (?:resource types|kinds|resources|types)\b (?:can|could|may) "
                  r"(?:i|we|you) (?:list|watch|get|create|delete|patch|update)\b")


def _asks_about_the_past(scan: Scan, at: int) -> bool:
    """Return True when the clause holding character ``at`` asks about a past change."""
    if rx(_ABOUT_THE_PAST).search(scan.text):
        return True
    for first, end in scan.clauses():
        start, stop = scan.span_of(first, end)
        if start <= at < stop:  # "DiskPressure on node-1 -- did the kubelet taint it?"
            return rx(_ABOUT_THE_PAST).search(scan.text[start:stop]) is not None
    return False


def detect_intent(scan: Scan, *, unmask: bool = False) -> str:
    """Return the intent of the question.

    That is a kubectl verb (``get``, ``logs``), a verb-subverb pair (``rollout-restart``,
    ``set-image``), or a forbidden intent (``exec``). ``get`` is the default: a question that
    only names a resource lists it. Write words inside a question clause ("what is killing
    X?") are not read as requests.
    """
    live = scan.words_only()
    auth = INTENT_PATTERNS["auth"]
    if rx(_KINDS_BY_VERB).search(live):
        return "api-resources"  # "which resource types can I list": no permission question
    if rx(auth).search(live):
        return "auth"
    masked = live if unmask else _masked(scan)
    for intent, pattern in _TABLE:
        # write intents are read with the write words of question clauses masked, so
        # "what is killing X" is no delete; read intents see the whole text
        found = rx(pattern).search(masked if intent in WRITE_INTENTS else live)
        if found:
            scan.mark_seen(*found.span())
            if intent in WRITE_INTENTS and _asks_about_the_past(scan, found.start()):
                return "describe"
            return intent
    return "get"
