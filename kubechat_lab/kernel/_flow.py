"""The flow of one command in a kernel: propose -> card -> approval -> execute -> frame.

Safe commands were approved by policy when proposed and run at once. Others wait: the card's
Approve button (a browser request) or, for *warning* commands only, ``--approve`` where the
capability has the ``approve:warning`` scope. While it waits or runs, the card says so and
counts the seconds, so the cell never looks frozen.
"""

from __future__ import annotations

import concurrent.futures
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kubechat_lab.errors import ApprovalRequired, KubechatError, PolicyViolation, ServiceError
from kubechat_lab.widgets._cards import CardState, state_of

if TYPE_CHECKING:
    from kubechat_lab.kernel._client import KubechatClient
    from kubechat_lab.kernel._frames import Outcome
    from kubechat_lab.widgets.command_card import CommandCard

__all__ = ["TICK", "execute_with_progress", "settle"]

#: Seconds between two looks at a waiting proposal (and two progress updates).
TICK = 0.25


def settle(client: KubechatClient, card: CommandCard, proposal: Mapping[str, Any], *,
           approve: bool = False, wait: float | None = None,
           sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Return the proposal once approved; raise when it cannot or will not be.

    Parameters
    ----------
    client
        The kernel's client.
    card
        The card on screen (moved along as the proposal moves).
    proposal
        The proposal just made.
    approve
        Approve a *warning* proposal from the kernel (needs ``approve:warning``).
    wait
        Seconds to wait for an approval from the page (None: until the proposal expires).

    Raises
    ------
    PolicyViolation
        Forbidden, rejected, or ``approve`` asked for a dangerous command.
    ApprovalRequired
        Still not approved after ``wait`` seconds.
    """
    current = dict(proposal)
    pid = str(current["id"])
    level = str(current.get("level"))
    state = state_of(current)
    if state is CardState.REFUSED:
        card.move(CardState.REFUSED, "forbidden by policy: it never runs")
        raise PolicyViolation(f"{current.get('command')!r} is forbidden: "
                              + "; ".join(current.get("reasons") or ()),
                              rule_id=(current.get("rule_ids") or ["forbidden"])[0])
    if state is CardState.APPROVED:
        return current
    if approve:
        if level == "dangerous":
            card.message = ("--approve cannot approve a dangerous command: approve it on the "
                            f"approval page (this card's link), typing {current.get('confirm')!r}")
            raise PolicyViolation(
                f"{current.get('command')!r} is dangerous: a kernel can never approve it; open "
                "the approval page (the link on the card above or in the kubechat side panel) "
                f"and type {current.get('confirm')!r} there", rule_id="dangerous-needs-browser")
        current = client.approve(pid)
        card.follow(current)
        return current
    started = time.monotonic()
    try:
        while True:
            elapsed = time.monotonic() - started
            card.message = f"waiting for approval… {elapsed:.0f} s"
            sleep(TICK * 2)
            current = client.get(pid)
            state = card.follow(current)
            if state is CardState.APPROVED:
                return current
            if state is CardState.REJECTED:
                raise PolicyViolation(
                    f"{current.get('command')!r} was rejected by "
                    f"{current.get('approver') or 'someone'}; nothing ran", rule_id="rejected")
            if state is CardState.EXPIRED:
                raise ServiceError(f"proposal {pid} expired before it was approved; run the "
                                   "cell again to propose it anew", status=409,
                                   reason="expired")
            if wait is not None and time.monotonic() - started >= wait:
                card.message = f"not approved within {wait:.0f} s"
                raise ApprovalRequired(
                    f"{current.get('command')!r} ({level}) was not approved within {wait:.0f} s; "
                    "run the cell again and approve it on the card while it waits"
                    + (" (or use --approve, with a capability that has approve:warning)"
                       if level == "warning" else ""),
                    proposal_id=pid, level=level)
    except KeyboardInterrupt:
        _reject_quietly(client, card, pid, "interrupted in the kernel while waiting")
        raise


def _reject_quietly(client: KubechatClient, card: CommandCard, pid: str, reason: str) -> None:
    try:
        card.follow(client.reject(pid, reason=reason))
        card.message = reason
    except KubechatError:
        card.message = f"{reason}; the proposal stays open until it expires"


def execute_with_progress(client: KubechatClient, card: CommandCard, pid: str) -> Outcome:
    """Execute ``pid`` in a worker thread; the card counts the seconds until the frame is in.

    A kernel interrupt stops waiting (the server finishes what it started, audited).

    Raises
    ------
    KubechatError
        Whatever the server answered (the card shows ``failed`` with the message).
    """
    card.move(CardState.EXECUTING, "running…")
    started = time.monotonic()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kubechat")
    future = pool.submit(client.execute, pid)
    rows_so_far = ""
    ticks = 0
    try:
        while True:
            try:
                outcome = future.result(timeout=TICK)
                break
            except concurrent.futures.TimeoutError:
                ticks += 1
                if ticks % 2 == 0:  # a list that pages reports its rows on the proposal
                    rows_so_far = _rows_so_far(client, pid) or rows_so_far
                card.message = (f"running on the cluster… {time.monotonic() - started:.1f} s"
                                + rows_so_far)
    except KubechatError as exc:
        card.move(CardState.FAILED, str(exc))
        raise
    except KeyboardInterrupt:
        card.message = ("interrupted: the kernel stopped waiting; the server completes and "
                        "audits what it started")
        raise
    finally:
        pool.shutdown(wait=False)
    elapsed = time.monotonic() - started
    rows = len(outcome.frame) if outcome.frame is not None else 0
    card.move(CardState.EXECUTED, f"{outcome.status}: {rows} rows in {elapsed:.2f} s "
                                  f"({outcome.transfer}, {outcome.nbytes / 1024:.0f} KiB)")
    card.show_result({"kind": outcome.kind, "rows": rows, "status": outcome.status,
                      "columns": [] if outcome.frame is None else list(outcome.frame.columns)})
    return outcome


def _rows_so_far(client: KubechatClient, pid: str) -> str:
    try:
        progress = client.get(pid).get("progress") or {}
    except KubechatError:  # progress is a courtesy; the execute call reports real failures
        return ""
    rows = progress.get("rows")
    return f", {rows:,} rows so far" if isinstance(rows, int) else ""
