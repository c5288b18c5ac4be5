"""``ChatPanel``: a chat in a cell — history, command cards, result previews, charts for top.

It composes the kernel's client and frame registry with the widgets' cards, so it lives on the
kernel side: ``widgets/`` draws and never imports the kernel (``kernel`` -> ``widgets`` only).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import traitlets
from anywidget.experimental import command

from kubechat_lab.errors import KubechatError
from kubechat_lab.widgets import _bundle
from kubechat_lab.widgets._cards import (
    CardState,
    advance,
    card_fields,
    choice_fields,
    picked_command,
    state_of,
)

if TYPE_CHECKING:
    import pandas as pd

    from kubechat_lab.kernel._client import KubechatClient
    from kubechat_lab.kernel._registry import FrameRegistry

__all__ = ["ChatPanel", "preview"]

_PREVIEW_ROWS = 8


def preview(frame: pd.DataFrame, *, rows: int = _PREVIEW_ROWS) -> dict[str, Any]:
    """Return a JSON-friendly preview of a frame: kind, shape, columns, first rows as text."""
    head = frame.head(rows)
    cells = [["" if _missing(v) else str(v) for v in row] for row in head.itertuples(index=False)]
    out: dict[str, Any] = {"kind": str(frame.attrs.get("kind", "table")),
                           "shape": [int(frame.shape[0]), int(frame.shape[1])],
                           "columns": [str(c) for c in frame.columns], "rows": cells}
    if out["kind"] in ("top-pods", "top-nodes") and "cpu_m" in frame.columns:
        top = frame.sort_values("cpu_m", ascending=False).head(10)
        out["chart"] = {"label": "CPU (millicores)",
                        "bars": [[str(n), int(v) if not _missing(v) else 0]
                                 for n, v in zip(top["name"], top["cpu_m"], strict=True)]}
    return out


def _missing(value: Any) -> bool:
    import pandas

    try:
        return bool(pandas.isna(value))  # None, NaN, NaT, pd.NA
    except (TypeError, ValueError):  # a list or dict cell
        return False


class ChatPanel(anywidget.AnyWidget):
    """Ask in plain language inside a cell; commands come back as cards, results as previews.

    Enter sends the question. The page calls Python through anywidget's command channel
    (``ask``, ``pick``, ``execute``, ``keep``, ``refresh``, ``investigate``, ``propose_next``);
    Python calls the kubechat server with the kernel's capability. A why-question about one
    object ("why is recommendations pending") is investigated instead of translated: its
    findings show with their evidence, and each finding's next command is proposed on a click.
    A question the translator would not answer alone shows its choices as buttons; ``pick``
    proposes the one clicked like a typed command. Approve / Reject on a card go from the page
    to the server's browser route (as on :class:`CommandCard`), never through the kernel. Safe
    commands run at once; a result shows its shape and first rows, a chart for ``top``, and
    "keep as variable".

    Parameters
    ----------
    client
        The kernel's client (default: one from KUBECHAT_URL / KUBECHAT_CAPABILITY).
    registry
        Where results are registered for ``%kubechat sql`` (default: a private one).
    namespace
        Where "keep as variable" stores frames (default: the IPython user namespace).
    """

    _esm = _bundle.esm()
    _css = _bundle.css()

    view = traitlets.Unicode("chat").tag(sync=True)
    messages: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)

    def __init__(self, *, client: KubechatClient | None = None,
                 registry: FrameRegistry | None = None,
                 namespace: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if client is None:
            from kubechat_lab.kernel._client import KubechatClient

            client = KubechatClient(conversation="chat-" + self.model_id[:12])
        if namespace is None:
            namespace = _user_namespace()
        if registry is None:
            from kubechat_lab.kernel._registry import FrameRegistry

            registry = FrameRegistry(namespace)
        self._client = client
        self._registry = registry
        self._namespace = namespace
        self._frames: dict[str, pd.DataFrame] = {}

    # -- the command channel -----------------------------------------------------------------

    @command
    def ask(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"question"}`` -> translate, propose, run when safe; returns the new messages."""
        question = str(msg.get("question") or "").strip()
        if not question:
            return {"error": "type a question first"}, []
        self._append({"role": "user", "text": question})
        try:
            answer = self._client.ask(question)
        except KubechatError as exc:
            return self._error(exc), []
        if answer.get("investigate"):  # a why-question about one object (server/_why.py)
            route = dict(answer["investigate"])
            self._append({"role": "why", "question": question, "route": route,
                          "investigation": None})
            if route.get("target"):
                return self._investigate(len(self.messages) - 1, str(route["target"])), []
            return {"ok": True}, []
        proposal = answer.get("proposal")
        choices = choice_fields(answer)
        if proposal is None and choices:
            translation = answer.get("translation") or {}
            self._append({"role": "choices", "question": question, "choices": choices,
                          "explanation": str(translation.get("explanation") or "")})
            return {"ok": True}, []
        if proposal is None:
            notes = "; ".join((answer.get("translation") or {}).get("notes") or ())
            return self._error(f"no command for that ({notes or 'rephrase it'})"), []
        self._show(proposal, question=question, translation=answer.get("translation"))
        return {"ok": True}, []

    @command
    def pick(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"at", "index"}`` -> propose choice ``index`` of message ``at`` like a typed command.

        The choice goes through the same propose route as ``%kubectl``: judged again, and run
        at once only when it is a safe read the policy approves; anything else waits for
        Approve on its card.
        """
        at = msg.get("at")
        messages = list(self.messages)
        if not isinstance(at, int) or not 0 <= at < len(messages) or (
                messages[at].get("role") != "choices"):
            return self._error("that choice is gone; ask again"), []
        item = messages[at]
        try:
            text = picked_command(item["choices"], msg)
            proposal = self._client.propose(text)
        except (ValueError, KubechatError) as exc:
            return self._error(exc if isinstance(exc, KubechatError) else str(exc)), []
        messages[at] = {**item, "picked": msg.get("index")}
        self.messages = messages
        why = item["choices"][int(msg["index"])].get("why") or ""
        self._show(proposal, question=str(item.get("question") or ""),
                   translation={"explanation": f"Picked: {why}"})
        return {"ok": True, "id": proposal["id"]}, []

    @command
    def investigate(self, msg: Mapping[str, Any], buffers: list[bytes]
                    ) -> tuple[Any, list[bytes]]:
        """``{"at", "target"}`` -> investigate one of the objects a refused why-question offered."""
        at, target = msg.get("at"), str(msg.get("target") or "")
        item = self._item(at, "why")
        offered = [c.get("target") for c in (item or {}).get("route", {}).get("choices") or ()]
        if item is None or target not in offered:
            return self._error("that object was not offered here; ask again"), []
        return self._investigate(int(at), target), []  # type: ignore[arg-type]

    @command
    def propose_next(self, msg: Mapping[str, Any], buffers: list[bytes]
                     ) -> tuple[Any, list[bytes]]:
        """``{"at", "index"}`` -> propose next command ``index`` of an investigation's findings.

        Proposed like a typed command: a safe read runs at once, a write waits for Approve on
        its card. The investigation itself never runs it.
        """
        item = self._item(msg.get("at"), "why")
        offers = list(((item or {}).get("investigation") or {}).get("next") or ())
        try:
            text = picked_command(offers, msg)
            proposal = self._client.propose(text)
        except (ValueError, KubechatError) as exc:
            return self._error(exc if isinstance(exc, KubechatError) else str(exc)), []
        why = str(offers[int(msg["index"])].get("why") or "")
        self._show(proposal, question=f"Next step: {why}",
                   translation={"explanation": f"From the finding: {why}"})
        return {"ok": True, "id": proposal["id"]}, []

    @command
    def execute(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"id"}`` -> run an approved proposal (after Approve on its card)."""
        pid = str(msg.get("id") or "")
        try:
            state = self._follow(self._client.get(pid))
        except KubechatError as exc:
            return self._error(exc), []
        if state is not CardState.APPROVED:
            return {"error": f"proposal {pid} is {state.value}, not approved; nothing ran"}, []
        self._run(pid)
        return {"ok": True}, []

    @command
    def refresh(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"id"}`` -> follow the server's state of a proposal (rejected, expired...)."""
        try:
            state = self._follow(self._client.get(str(msg.get("id") or "")))
        except KubechatError as exc:
            return self._error(exc), []
        return {"state": state.value}, []

    @command
    def keep(self, msg: Mapping[str, Any], buffers: list[bytes]) -> tuple[Any, list[bytes]]:
        """``{"id", "name"}`` -> store a result frame in the user namespace as ``name``."""
        name = str(msg.get("name") or "")
        frame = self._frames.get(str(msg.get("id") or ""))
        if not name.isidentifier():
            return {"error": f"{name!r} is not a Python variable name"}, []
        if frame is None:
            return {"error": "that result is gone; ask again"}, []
        self._registry.add(frame, name)
        return {"ok": True, "name": name}, []

    # -- helpers -----------------------------------------------------------------------------

    def _item(self, at: Any, role: str) -> dict[str, Any] | None:
        messages = list(self.messages)
        if isinstance(at, int) and 0 <= at < len(messages) and messages[at].get("role") == role:
            return dict(messages[at])
        return None

    def _investigate(self, at: int, target: str) -> dict[str, Any]:
        """Run the investigation of ``target`` for message ``at``; its findings replace the plan."""
        try:
            found = self._client.investigate(target)
        except KubechatError as exc:
            return self._error(exc)
        found.pop("notebook", None)  # large, and saved with %kubechat why --save
        messages = list(self.messages)
        messages[at] = {**messages[at], "investigation": found}
        self.messages = messages
        return {"ok": True}

    def _show(self, proposal: Mapping[str, Any], *, question: str,
              translation: Mapping[str, Any] | None = None) -> None:
        """Append the proposal's card; run it at once when the policy approved it (safe)."""
        self._append({"role": "card", "card": card_fields(proposal, question=question,
                                                          translation=translation),
                      "state": state_of(proposal).value, "message": ""})
        if state_of(proposal) is CardState.APPROVED:
            self._run(str(proposal["id"]))

    def _run(self, pid: str) -> None:
        self._set_card(pid, CardState.EXECUTING, "running…")
        try:
            outcome = self._client.execute(pid)
        except KubechatError as exc:
            self._set_card(pid, CardState.FAILED, str(exc))
            return
        rows = len(outcome.frame) if outcome.frame is not None else 0
        self._set_card(pid, CardState.EXECUTED, f"{outcome.status}: {rows} rows")
        if outcome.frame is not None:
            self._frames[pid] = outcome.frame
            self._registry.add(outcome.frame)
            self._namespace["_kc"] = outcome.frame
            self._append({"role": "result", "id": pid, "preview": preview(outcome.frame),
                          "text": outcome.text or ""})
        elif outcome.text:
            self._append({"role": "result", "id": pid, "preview": None, "text": outcome.text})

    def _follow(self, proposal: Mapping[str, Any]) -> CardState:
        target = state_of(proposal)
        self._set_card(str(proposal.get("id")), target, "")
        return target

    def _set_card(self, pid: str, target: CardState, message: str) -> None:
        messages = list(self.messages)
        for i, item in enumerate(messages):
            if item.get("role") == "card" and item["card"].get("id") == pid:
                state = advance(CardState(item["state"]), target)
                messages[i] = {**item, "state": state.value, "message": message}
        self.messages = messages

    def _append(self, item: dict[str, Any]) -> None:
        self.messages = [*self.messages, item]

    def _error(self, exc: KubechatError | str) -> dict[str, Any]:
        text = str(exc)
        self._append({"role": "error", "text": text})
        return {"error": text}

    def __repr__(self) -> str:
        return f"ChatPanel({len(self.messages)} messages)"


def _user_namespace() -> dict[str, Any]:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:  # pragma: no cover - IPython is a dependency of every kernel
        shell = None
    return shell.user_ns if shell is not None else {}
