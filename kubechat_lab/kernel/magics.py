"""``%kubechat`` / ``%%kubechat`` / ``%kubectl`` / ``%%kubectl``: the notebook face of kubechat.

``%load_ext kubechat_lab`` registers :class:`KubechatMagics`. Every command goes to the
kubechat server with this kernel's capability; nothing here reads a kubeconfig.
"""

from __future__ import annotations

import re
import secrets
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from kubechat_lab.errors import ServiceError, TranslateError
from kubechat_lab.kernel._display import show, show_markdown, show_text
from kubechat_lab.kernel._registry import FrameRegistry

if TYPE_CHECKING:
    import pandas as pd
    from IPython.core.interactiveshell import InteractiveShell

    from kubechat_lab.kernel._client import KubechatClient

__all__ = ["HELP", "KubechatMagics", "Options", "load_ipython_extension", "split_options"]

#: kubectl's own ``-o`` formats: ``-o FORMAT`` stays in the command, ``-o NAME`` stores a frame.
_KUBECTL_FORMATS = re.compile(
    r"^(wide|yaml|json|name|jsonpath(-as-json|-file)?=.*|custom-columns(-file)?=.*|"
    r"go-template(-file)?=.*|template=.*)$")
_OPTION = re.compile(
    r"(?:^|\s)(?P<flag>--out|-o|--context|--wait|--for)(?:=|\s+)(?P<value>[^\s'\"]+)"
    r"|(?:^|\s)(?P<switch>--approve)(?=\s|$)")
#: Words that start an explicit ``%kubechat why KIND NAME``: never read as a question.
_KIND_WORDS = frozenset({"pod", "deployment", "deploy", "statefulset", "sts", "daemonset", "ds",
                         "service", "svc", "node", "job", "pvc", "persistentvolumeclaim"})
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

HELP = """\
**kubechat in this kernel** (every command goes to the kubechat server; writes wait for approval)

| | |
|---|---|
| `%kubechat QUESTION` / `%%kubechat` | translate, show the card, run (safe at once) |
| `%kubectl ARGS` | the same path for a command you type |
| `%%kubectl apply -f -` | the cell body is the manifest `-f -` sends |
| `-o NAME` | keep the frame as `NAME` (`_kc` always holds the last one) |
| `--context NAME` | use another cluster the server enabled |
| `--approve` | approve a *warning* command (needs the approve:warning scope) |
| `--wait SECONDS` | stop waiting for an approval after SECONDS |
| `%kubechat sql SELECT ...` / `%%kubechat sql` | DuckDB over this kernel's frames |
| `%kubechat watch get pods -n NS [--for 60s]` | a live table (Stop, interrupt, `--for`) |
| `%kubechat why OBJECT [--save F.ipynb]` | investigate one object: safe reads, findings |
| `%kubechat dashboard [--context NAME]` | the cluster at a glance, refreshed while shown |
| `%kubechat audit [-n N]` | recent audit events as a frame |
| `%kubechat status` | server, cluster, provider and database health |
| `%kubechat chat` | the chat panel (`kubechat_lab.kernel.ChatPanel()`) |

Dangerous commands are approved only on the card (or the side panel), by typing the target's
name; a kernel can never approve them. Forbidden commands never run.
"""


@dataclass(frozen=True, slots=True)
class Options:
    """The magic's own options, taken out of the line before it goes to the server."""

    out: str | None = None
    context: str | None = None
    approve: bool = False
    wait: float | None = None
    duration: float | None = None


def _seconds(value: str, flag: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(ms|s|m|h)?", value)
    if match is None:
        raise UsageError(f"{flag} {value!r}: give a duration such as 30, 30s, 5m or 1h")
    factor = {"ms": 0.001, "s": 1, None: 1, "m": 60, "h": 3600}[match.group(2)]
    return float(match.group(1)) * factor


def split_options(line: str, *, kubectl: bool) -> tuple[str, Options]:
    """Split the magic's options from ``line``; the rest goes to the server as typed.

    The rest is not re-quoted or re-joined: the server's grammar sees exactly what was typed
    (and refuses shell syntax itself). ``-o FORMAT`` (wide, yaml, json, jsonpath=...) stays
    in a kubectl command; ``-o NAME`` with a Python name stores the frame.
    """
    found: dict[str, Any] = {}
    spans: list[tuple[int, int]] = []
    for match in _OPTION.finditer(line):
        if match.group("switch"):
            found["approve"] = True
            spans.append(match.span())
            continue
        flag, value = match.group("flag"), match.group("value")
        if flag == "-o" and kubectl and _KUBECTL_FORMATS.match(value):
            continue
        if flag in ("-o", "--out"):
            if not _IDENT.match(value):
                raise UsageError(f"{flag} {value!r}: give a Python variable name to keep the "
                                 "frame in (or a kubectl format: wide, yaml, json, jsonpath=...)")
            found["out"] = value
        elif flag == "--context":
            found["context"] = value
        elif flag == "--wait":
            found["wait"] = _seconds(value, flag)
        else:
            found["duration"] = _seconds(value, flag)
        spans.append(match.span())
    rest = line
    for start, end in reversed(spans):
        rest = rest[:start] + " " + rest[end:]
    return " ".join(rest.split()) if not kubectl else rest.strip(), Options(**found)


@magics_class
class KubechatMagics(Magics):
    """The kubechat magics; one instance per kernel (it holds the client and the frames)."""

    def __init__(self, shell: InteractiveShell) -> None:
        super().__init__(shell)
        self._client: KubechatClient | None = None
        self.registry = FrameRegistry(shell.user_ns)
        self.conversation = "kernel-" + secrets.token_hex(6)

    @property
    def namespace(self) -> dict[str, Any]:
        """The user namespace of the kernel."""
        if self.shell is None:
            raise RuntimeError("KubechatMagics needs an IPython shell; use %load_ext kubechat_lab")
        user_ns: dict[str, Any] = self.shell.user_ns
        return user_ns

    @property
    def client(self) -> KubechatClient:
        """The kernel's client (made on first use from KUBECHAT_URL/KUBECHAT_CAPABILITY)."""
        if self._client is None:
            from kubechat_lab.kernel._client import KubechatClient

            self._client = KubechatClient(conversation=self.conversation)
        return self._client

    # -- entry points ------------------------------------------------------------------------

    @line_cell_magic
    def kubechat(self, line: str, cell: str | None = None) -> Any:
        """Ask in plain language, or run a kubechat subcommand (``%kubechat help``)."""
        text = line.strip() if cell is None else f"{line.strip()}\n{cell}".strip()
        head, _, tail = line.strip().partition(" ")
        if head == "sql":
            return self._sql(tail if cell is None else cell, tail if cell is not None else "")
        if head == "watch":
            from kubechat_lab.kernel._watch import run_watch

            rest, opts = split_options(tail, kubectl=True)
            return self._keep(run_watch(self.client, _kubectl_text(rest, get=True), opts,
                                        self.registry), opts)
        if cell is None and head in ("help", "status", "chat") and not tail:
            return self._simple(head)
        if cell is None and head == "audit":
            return self._audit(tail)
        if cell is None and head == "why":
            return self._why(tail)
        if cell is None and head == "dashboard":
            return self._dashboard(tail)
        if not text:
            show_markdown(HELP)
            return None
        question, opts = split_options(text if cell is None else cell, kubectl=False)
        if cell is not None:
            _, line_opts = split_options(line, kubectl=False)
            opts = line_opts if line_opts != Options() else opts
        return self._ask(question, opts)

    @line_cell_magic
    def kubectl(self, line: str, cell: str | None = None) -> Any:
        """Run a kubectl command through kubechat (parsed, assessed, approved, audited).

        As a cell magic, the cell is the manifest ``-f -`` sends:
        ``%%kubectl apply -f -`` above YAML.
        """
        rest, opts = split_options(line, kubectl=True)
        if not rest:
            raise UsageError("%kubectl needs a command, e.g. %kubectl get pods -A")
        if cell is not None and not cell.strip():
            raise UsageError("%%kubectl ... -f - needs the manifest in the cell body")
        return self._run(self.client.propose(_kubectl_text(rest), context=opts.context,
                                             manifest=cell), opts)

    # -- the flow ----------------------------------------------------------------------------

    def _ask(self, question: str, opts: Options) -> Any:
        if not question:
            raise UsageError("%kubechat needs a question, e.g. %kubechat why is checkout failing?")
        answer = self.client.ask(question, context=opts.context)
        why = answer.get("investigate")
        if why:  # a why-question about one object: the server routed it (server/_why.py)
            if why.get("target"):
                where = f" --context {opts.context}" if opts.context else ""
                return self._why(f"{why['target']}{where}")
            offered = " or ".join(f"%kubechat why {c['target']}" for c in why.get("choices") or ())
            raise TranslateError(f"{why.get('explanation')}" + (f" ({offered})" if offered else ""))
        proposal = answer.get("proposal")
        translation = answer.get("translation") or {}
        if proposal is None and answer.get("choices"):
            return self._offer(answer, question, opts)
        if proposal is None:
            notes = "; ".join(translation.get("notes") or ()) or "no command matches"
            raise TranslateError(f"could not turn {question!r} into a kubectl command ({notes}); "
                                 "rephrase it, or type the command with %kubectl")
        return self._run(proposal, opts, question=question, translation=translation)

    def _offer(self, answer: Mapping[str, Any], question: str, opts: Options) -> None:
        """Show the choices of a refusal on a card; a click proposes one (like ``%kubectl``)."""
        from kubechat_lab.widgets import CommandCard

        show(CommandCard.offering(answer, question=question, client=self.client,
                                  context=opts.context))

    def _run(self, proposal: Mapping[str, Any], opts: Options, *, question: str | None = None,
             translation: Mapping[str, Any] | None = None) -> Any:
        from kubechat_lab.kernel._flow import execute_with_progress, settle
        from kubechat_lab.widgets import CommandCard

        card = CommandCard(proposal, question=question, translation=translation)
        show(card)
        approved = settle(self.client, card, proposal, approve=opts.approve, wait=opts.wait)
        outcome = execute_with_progress(self.client, card, str(approved["id"]))
        if outcome.diff:  # the card shows what changed (it showed the dry run before)
            card.card = {**card.card, "diff": outcome.diff}
        if outcome.frame is None or (outcome.text and outcome.kind in _TEXT_KINDS):
            if outcome.text:
                show_text(outcome.text)
            if outcome.frame is None:
                return None
        return self._keep(outcome.frame, opts)

    def _keep(self, frame: pd.DataFrame | None, opts: Options) -> Any:
        if frame is None:
            return None
        self.registry.add(frame, opts.out)
        self.namespace["_kc"] = frame
        return frame

    # -- subcommands -------------------------------------------------------------------------

    def _sql(self, query: str, line: str) -> Any:
        _, opts = split_options(line, kubectl=False)
        query = query.strip()
        if not query:
            raise UsageError("%kubechat sql needs a query, e.g. %kubechat sql SELECT * FROM pods")
        try:
            frame = self.registry.sql(query)
        except (LookupError, ValueError) as exc:
            raise UsageError(str(exc)) from exc
        frame.attrs["kind"] = "sql"
        if opts.out:  # queryable by a later %kubechat sql, like any other -o frame
            self.registry.add(frame, opts.out)
        self.namespace["_kc"] = frame
        return frame

    def _audit(self, tail: str) -> Any:
        words = shlex.split(tail)
        limit = 20
        filters: dict[str, str] = {}
        while words:
            flag = words.pop(0)
            if flag in ("-n", "--limit") and words and words[0].isdigit():
                limit = int(words.pop(0))
            elif flag in ("--type", "--proposal", "--user", "--via") and words:
                filters[flag[2:]] = words.pop(0)
            else:
                raise UsageError(f"%kubechat audit: unknown option {flag!r}; use -n N, --type T, "
                                 "--proposal ID, --user U or --via V")
        frame = self.client.audit(limit=limit, filters=filters)
        self.namespace["_kc"] = frame
        return frame

    def _why(self, tail: str) -> Any:
        from kubechat_lab.kernel._investigation import InvestigationReport

        save = re.search(r"(?:^|\s)--save(?:=|\s+)(\S+)", tail)
        if save:
            tail = tail[:save.start()] + " " + tail[save.end():]
        target, opts = split_options(tail, kubectl=False)
        if not target:
            raise UsageError("%kubechat why needs an object or a question, e.g. "
                             "%kubechat why deployment/checkout -n shop")
        try:
            reply = self.client.investigate(target, context=opts.context)
        except ServiceError as exc:
            first = target.split()[0].lower()
            if exc.reason != "invalid-target" or "/" in first or first in _KIND_WORDS:
                raise
            # A question about many objects ("why are pods pending in shop?"): no single
            # object to investigate, so it is asked like any other question.
            show_markdown(f"*No single object to investigate ({exc}); asked as a question.*")
            return self._ask(f"why {target}", opts)
        report = InvestigationReport(reply)
        if save:
            report.save(save.group(1))
        show_markdown(report.to_markdown())
        if reply.get("next"):  # the next commands, judged: a click proposes one (never runs)
            from kubechat_lab.widgets import CommandCard

            show(CommandCard.offering({"choices": reply["next"]}, question=report.title,
                                      client=self.client, context=opts.context))
        self.namespace["_kc"] = report.findings
        return report

    def _dashboard(self, tail: str) -> Any:
        from kubechat_lab.widgets import DashboardWidget

        rest, opts = split_options(tail, kubectl=False)
        if rest:
            raise UsageError(f"%kubechat dashboard takes only --context NAME, not {rest!r}")
        return DashboardWidget(context=opts.context or "")

    def _simple(self, what: str) -> Any:
        if what == "help":
            show_markdown(HELP)
            return None
        if what == "chat":
            from kubechat_lab.kernel import ChatPanel

            return ChatPanel(client=self.client, registry=self.registry)
        import pandas

        report = self.client.health()
        rows = [("server", True, self.client.url)]
        for name, item in ((report.get("cluster") or {}).get("contexts") or {}).items():
            rows.append((f"cluster {name}", bool(item.get("ok")),
                         item.get("version") or item.get("error") or ""))
        provider = report.get("provider") or {}
        rows.append(("provider", bool(provider.get("ok")),
                     ", ".join(f"{k}={v}" for k, v in provider.items() if k != "ok")))
        database = report.get("database") or {}
        rows.append(("database", bool(database.get("ok")),
                     f"audit head seq {database.get('head_seq')}" if database.get("ok")
                     else str(database.get("error", ""))))
        frame = pandas.DataFrame(rows, columns=["component", "ok", "detail"])
        frame.attrs["kind"] = "status"
        return frame


_TEXT_KINDS = frozenset({"describe", "objects", "text", "names", "version", "cluster-info",
                         "explain", "api-versions", "auth", "rollout-status", "wait"})


def _kubectl_text(rest: str, *, get: bool = False) -> str:
    text = rest.strip()
    if text.startswith("kubectl ") or text == "kubectl":
        text = text[len("kubectl"):].strip()
    if get and not text.startswith("get ") and text != "get":
        text = "get " + text
    return "kubectl " + text


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register the magics (``%load_ext kubechat_lab``); nothing else is touched."""
    ipython.register_magics(KubechatMagics(ipython))
