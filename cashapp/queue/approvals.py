"""Maker-checker: a write-off or refund over the limit waits for a second person.

Why a module of its own: the four-eyes rule is a control an auditor tests, so it is
enforced in one place and in the service: an action over ``[approval] write_off_limit``
or ``refund_limit`` is stored as a pending approval by the framework (nothing posted, the
exception ``in_review``); here a user with ``approvals.decide`` (the lead role) who is not
its maker approves it -- the stored action is then carried out by its planner, against
the book as it is now, through the same writer, in one transaction, under the approval
(each application names it and its checker) -- or rejects it, which posts nothing and
puts the exception back in the queue. An approval is decided once: a second decision is
a conflict naming the first.

Worked example: spec1 writes off 1,000.00 (limit 50.00) -> ``apr_…`` pending, nothing
in the journal; spec1 approving it is refused ("the maker cannot approve their own");
lead1 approves -> the write-off application is written (created by spec1, approved by
lead1), the exception resolved, and the next journal posting carries it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Final

import duckdb

from cashapp.domain import ActionRefused, Conflict, NotPermitted
from cashapp.matching.decisions import update_exception
from cashapp.queue import actions as _actions  # noqa: F401 - registers the planners it replays
from cashapp.queue.framework import (
    PLANNERS,
    ActionResult,
    Grant,
    Request,
    carry_out,
    in_currency,
    in_transaction,
    load_exception,
    stale,
    user_of,
)
from cashapp.queue.ids import short_id
from cashapp.queue.policy import DEFAULT_POLICY, Policy
from cashapp.store import Store, utcnow
from cashapp.users import Actor, require

APPROVAL_STATES: Final = ("pending", "approved", "rejected")


@dataclass(frozen=True, slots=True)
class Approval:
    """One approval as listed: what waits (or waited), who asked and who decided."""

    approval_id: str
    exception_id: str
    action: str
    parameters: dict[str, Any]
    amount: Decimal
    currency: str
    kind: str
    state: str
    maker: str
    made_at: datetime
    note: str
    checker: str | None
    decided_at: datetime | None
    decision_note: str

    COLUMNS: ClassVar[tuple[str, ...]] = (
        "approval_id", "exception_id", "action", "parameters", "amount", "currency", "kind",
        "state", "maker", "made_at", "note", "checker", "decided_at", "decision_note",
    )  # fmt: skip

    def row(self) -> tuple[Any, ...]:
        return tuple(getattr(self, c) for c in self.COLUMNS)


_SELECT = (
    "SELECT approval_id, exception_id, action, parameters, amount, currency, kind, state,"
    " maker, made_at, note, checker, decided_at, decision_note FROM approvals"
)


def _approval(row: tuple[Any, ...]) -> Approval:
    params = json.loads(row[3]) if row[3] else {}
    return Approval(row[0], row[1], row[2], params, in_currency(row[4], row[5]), *row[5:])


def list_approvals(
    source: Store | duckdb.DuckDBPyConnection, *, state: str = "pending"
) -> list[Approval]:
    """The approvals in ``state`` (or ``all``), oldest first."""
    if state != "all" and state not in APPROVAL_STATES:
        raise ActionRefused(
            f"unknown state {state!r}; valid: {', '.join((*APPROVAL_STATES, 'all'))}"
        )
    con = source.con if isinstance(source, Store) else source
    rows = con.execute(
        _SELECT + " WHERE (? = 'all' OR state = ?) ORDER BY made_at, approval_id", [state, state]
    ).fetchall()
    return [_approval(tuple(r)) for r in rows]


def resolve_approval(store: Store, token: str) -> str:
    """The full id of the approval ``token`` names (the id, or a unique prefix >= 6)."""
    digits = token.strip().lower().removeprefix("apr_")
    if len(digits) < 6 or not all(c in "0123456789abcdef" for c in digits):
        raise ActionRefused(
            f"{token!r} is not an approval id: give apr_... or 6+ of its hex characters"
        )
    rows = store.fetchall(
        "SELECT approval_id FROM approvals WHERE starts_with(approval_id, ?) ORDER BY 1 LIMIT 2",
        ["apr_" + digits],
    )
    if not rows:
        raise ActionRefused(f"no approval {token!r}")
    if len(rows) > 1:
        raise ActionRefused(f"{token!r} names more than one approval: give more of it")
    return str(rows[0][0])


def _decidable(store: Store, actor: Actor | str, token: str) -> tuple[Actor, Approval]:
    checker = require(store, user_of(actor), "approvals.decide")
    approval = _approval(
        tuple(
            store.fetchall(_SELECT + " WHERE approval_id = ?", [resolve_approval(store, token)])[0]
        )
    )
    short = short_id(approval.approval_id)
    if approval.state != "pending":
        when = approval.decided_at.strftime("%Y-%m-%d %H:%M:%S UTC") if approval.decided_at else ""
        raise Conflict(f"{short} is already {approval.state} by {approval.checker} at {when}")
    if approval.maker == checker.user_id:
        raise NotPermitted(
            f"{short} was asked for by {approval.maker}: the maker cannot decide their own;"
            " another lead must"
        )
    return checker, approval


def _decide(store: Store, approval: Approval, checker: Actor, state: str, note: str) -> None:
    decided = store.execute(
        "UPDATE approvals SET state = ?, checker = ?, decided_at = ?, decision_note = ?"
        " WHERE approval_id = ? AND state = 'pending'",
        [state, checker.user_id, utcnow(), note, approval.approval_id],
    ).fetchone()
    if not decided or int(decided[0]) != 1:
        raise Conflict(
            f"{short_id(approval.approval_id)} was decided at the same moment by someone else"
        )
    store.audit(
        checker.user_id,
        "approve" if state == "approved" else "reject",
        "approval",
        approval.approval_id,
        {
            "exception": approval.exception_id,
            "action": approval.action,
            "amount": str(approval.amount),
            "maker": approval.maker,
            "note": note,
        },
    )


def approve(
    store: Store,
    actor: Actor | str,
    approval: str,
    *,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Approve ``approval`` and carry its action out now, in one transaction."""

    def work() -> ActionResult:
        checker, pending = _decidable(store, actor, approval)
        _decide(store, pending, checker, "approved", note.strip())
        planner = PLANNERS[pending.action]
        maker_role = store.scalar("SELECT role FROM users WHERE user_id = ?", [pending.maker])
        maker = Actor(pending.maker, str(maker_role or ""))
        request = Request(pending.action, pending.parameters, "queue.resolve", "", None)
        done = carry_out(
            store, maker, pending.exception_id, request, planner, policy,
            Grant(pending.approval_id, checker.user_id),
        )  # fmt: skip
        return ActionResult(
            "approve", done.exception_id, done.status, done.version,
            f"{short_id(pending.approval_id)} approved by {checker.user_id}: {done.message}",
            done.applications, done.reversals, pending.approval_id,
        )  # fmt: skip

    return in_transaction(store, work, approval)


def reject(store: Store, actor: Actor | str, approval: str, *, note: str) -> ActionResult:
    """Reject ``approval`` with a ``note``: nothing is posted, the exception is open again."""
    if not note.strip():
        raise ActionRefused("a rejection needs a note saying why (--note)")

    def work() -> ActionResult:
        checker, pending = _decidable(store, actor, approval)
        _decide(store, pending, checker, "rejected", note.strip())
        exc = load_exception(store, pending.exception_id)
        status = "in_review" if exc.assignee else "open"
        entry = {
            "at": utcnow().isoformat(),
            "by": checker.user_id,
            "text": f"rejected {pending.approval_id}: {note.strip()}",
        }
        version = update_exception(
            store, exc.exception_id, version=exc.version,
            changes={"status": status, "notes": json.dumps([*exc.notes, entry])},
            actor=checker.user_id, action="approval_rejected",
            detail={
                "before": exc.snapshot(), "after": {**exc.snapshot(), "status": status},
                "approval": pending.approval_id, "note": note.strip(),
            },
        )  # fmt: skip
        if version is None:
            raise stale(store, exc, exc.version)
        return ActionResult(
            "reject", exc.exception_id, status, version,
            f"{short_id(pending.approval_id)} rejected by {checker.user_id}: nothing was posted;"
            f" {exc.short} is {status} again",
            approval_id=pending.approval_id,
        )  # fmt: skip

    return in_transaction(store, work, approval)
