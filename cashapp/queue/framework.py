"""How every queue action runs: one transaction, the user's role, the version, the audit.

Why a module of its own: the rules that make an action safe are the same for all of them,
and an action that skipped one would be the one that breaks the day's totals. So each
action is only a *planner* -- a function from what it reads (:class:`Context`) to what it
would write (:class:`Plan`) -- and :func:`run` does the rest, in this order, inside
``Store.transaction()``:

1. the acting user is checked with ``cashapp.users.require`` (roles are enforced here,
   not in the CLI), and the exception token resolved to its id;
2. the exception is read with its ``version``; a caller that says which version it read
   gets a :class:`~cashapp.domain.Conflict` if it moved, naming who changed it and when
   (from the audit log); a closed exception is a conflict too (someone resolved it), and
   one waiting for approval takes no resolution until a lead decides;
3. the planner validates the amounts (never over-apply a payment or an invoice, same
   currency only, a split adds up exactly, every amount exact in the currency's minor
   units) and returns the plan, or refuses with one line;
4. a write-off or refund over the ``[approval]`` limit becomes a pending approval
   instead (nothing else is written: nothing can reach the journal);
5. otherwise the plan is written through :mod:`cashapp.matching.decisions` (the writer
   the matcher uses), the exception changes only ``WHERE version = <read>`` (a lost race
   is a conflict and the transaction rolls back: nothing is doubled), and one audit row
   records who, when, before, after, the parameters and the note;
6. DESIGN §7 is checked on the payment and the invoices the action touched before
   commit (:mod:`cashapp.queue.checks`); a break refuses the action whole.

Worked example: a payment of 200.00 in the queue as ``unmatched``; ``apply`` with
``INV-1=120.00 INV-2=80.00`` plans two ``payment`` applications; the checks pass, the
exception becomes ``resolved`` at version 2, and the audit row says ``spec1 apply``,
before ``{status: open, version: 1, free: 200.00}``, after ``{status: resolved,
version: 2, free: 0.00}``. A second person who read version 1 and applies too gets
"exc_1a2b3c4d was changed by spec1 at ... (apply)" and nothing of theirs is written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import duckdb

from cashapp.domain import ActionRefused, Conflict, stable_key
from cashapp.matching import learning
from cashapp.matching.decisions import (
    ManualApplication,
    update_exception,
    write_manual_applications,
    write_manual_reversal,
)
from cashapp.money import MoneyError, quantize
from cashapp.queue.checks import touched_breaks
from cashapp.queue.ids import resolve_exception, short_id
from cashapp.queue.policy import Policy
from cashapp.store import Store, StoreError, utcnow
from cashapp.users import Actor, require

ZERO: Final = Decimal(0)

#: Exception statuses a person's resolution has closed.
CLOSED: Final = ("resolved", "dismissed")

#: Application kinds that spend a payment's cash (discounts and write-offs do not).
CASH_KINDS: Final = ("payment", "unapplied", "refund")


# --- what an action reads ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExceptionState:
    """One exception as read inside the action's transaction."""

    exception_id: str
    payment_id: str | None
    type: str
    status: str
    amount: Decimal
    currency: str
    customer_id: str | None
    invoice_number: str | None
    reason_code: str
    assignee: str | None
    detail: str
    resolution: str
    notes: tuple[Mapping[str, Any], ...]
    suggestions: tuple[Mapping[str, Any], ...]
    version: int

    @property
    def short(self) -> str:
        return short_id(self.exception_id)

    @property
    def closed(self) -> bool:
        return self.status in CLOSED

    def snapshot(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "type": self.type,
            "amount": str(self.amount),
            "customer": self.customer_id,
            "invoice": self.invoice_number,
            "assignee": self.assignee,
            "reason_code": self.reason_code,
            "version": self.version,
        }


@dataclass(frozen=True, slots=True)
class Funds:
    """A payment's money: how much of it is applied, on account, refunded, or still free."""

    payment_id: str
    kind: str
    status: str
    amount: Decimal  # signed, as stored
    currency: str
    customer_id: str | None
    payer_name: str
    payer_account: str
    remittance: str
    decided: bool
    applied: Decimal  # cash applied to invoices (active ``payment`` rows)
    on_account: tuple[tuple[str, Decimal], ...]  # active ``unapplied`` rows: (id, amount)
    refunded: Decimal  # active ``refund`` rows

    @property
    def receivable(self) -> bool:
        """Money a customer sent us that is ours to apply (not returned, not ignored)."""
        return (
            self.kind == "payment"
            and self.amount > 0
            and self.decided
            and self.status not in ("reversed", "ignored")
        )

    @property
    def on_account_total(self) -> Decimal:
        return sum((amount for _, amount in self.on_account), ZERO)

    @property
    def free(self) -> Decimal:
        """Cash neither applied, nor on account, nor refunded: what the queue holds."""
        if not self.receivable:
            return ZERO
        return self.amount - self.applied - self.on_account_total - self.refunded

    @property
    def available(self) -> Decimal:
        """What an action may spend: the free cash and the cash on account."""
        return self.free + self.on_account_total if self.receivable else ZERO

    def snapshot(self) -> dict[str, Any]:
        return {
            "payment": self.payment_id,
            "payment_status": self.status,
            "applied": str(self.applied),
            "on_account": str(self.on_account_total),
            "refunded": str(self.refunded),
            "free": str(self.free),
        }


def load_exception(store: Store, exception_id: str) -> ExceptionState:
    rows = store.fetchall(
        "SELECT exception_id, payment_id, type, status, amount, currency, customer_id,"
        " invoice_number, reason_code, assignee, detail, resolution, notes, suggestions,"
        " version FROM exceptions WHERE exception_id = ?",
        [exception_id],
    )
    if not rows:
        raise ActionRefused(f"no exception {exception_id!r}")
    r = rows[0]
    return ExceptionState(
        r[0], r[1], r[2], r[3], in_currency(r[4], r[5]), r[5], r[6], r[7], r[8], r[9], r[10],
        r[11], tuple(_json_list(r[12])), tuple(_json_list(r[13])), int(r[14]),
    )  # fmt: skip


def in_currency(amount: Decimal, currency: str) -> Decimal:
    """A stored ``DECIMAL(18,4)`` at its currency's minor unit (``588.7900`` -> ``588.79``):
    the stored value was quantized on the way in, so nothing is rounded here."""
    try:
        return quantize(amount, currency)
    except MoneyError:
        return amount


def _json_list(text: str) -> list[Mapping[str, Any]]:
    try:
        value = json.loads(text or "[]")
    except json.JSONDecodeError:
        return []
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def load_funds(store: Store, payment_id: str) -> Funds:
    rows = store.fetchall(
        "SELECT payment_id, kind, status, amount, currency, customer_id, payer_name,"
        " payer_account, remittance, matched_at IS NOT NULL FROM payments WHERE payment_id = ?",
        [payment_id],
    )
    if not rows:
        raise ActionRefused(f"the payment {payment_id} of this exception is not in the book")
    p = rows[0]
    cur = str(p[4])
    apps = store.fetchall(
        "SELECT kind, application_id, amount FROM applications"
        " WHERE payment_id = ? AND status = 'active' AND kind IN ('payment', 'unapplied', 'refund')"
        " ORDER BY created_at, application_id",
        [payment_id],
    )
    applied = sum((in_currency(a[2], cur) for a in apps if a[0] == "payment"), ZERO)
    refunded = sum((in_currency(a[2], cur) for a in apps if a[0] == "refund"), ZERO)
    on_account = tuple((str(a[1]), in_currency(a[2], cur)) for a in apps if a[0] == "unapplied")
    return Funds(
        p[0], p[1], p[2], in_currency(p[3], cur), cur, p[5], p[6], p[7], p[8], bool(p[9]),
        applied, on_account, refunded,
    )  # fmt: skip


def last_change(store: Store, entity: str, entity_id: str) -> str:
    """``apply by spec1 at 2026-11-20 10:31:07 UTC``: the latest audit row of the entity."""
    rows = store.fetchall(
        "SELECT action, actor, occurred_at FROM audit_log WHERE entity = ? AND entity_id = ?"
        " ORDER BY occurred_at DESC, audit_id DESC LIMIT 1",
        [entity, entity_id],
    )
    if not rows:
        return "someone"
    action, actor, at = rows[0]
    when = at.strftime("%Y-%m-%d %H:%M:%S UTC") if isinstance(at, datetime) else str(at)
    return f"{action} by {actor} at {when}"


def stale(store: Store, exc: ExceptionState, read: int) -> Conflict:
    """The conflict of an exception that moved since version ``read`` was read."""
    now = load_exception(store, exc.exception_id)
    return Conflict(
        f"{exc.short} was changed since you read version {read} (now version {now.version},"
        f" {now.status}): {last_change(store, 'exception', exc.exception_id)}; read it again"
    )


# --- what an action plans ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Grant:
    """A lead's approval an action is carried out under (maker-checker)."""

    approval_id: str
    checker: str


@dataclass(frozen=True, slots=True)
class Context:
    """Everything a planner may read: the exception, its payment's money, the policy."""

    store: Store
    actor: Actor
    now: datetime
    exception: ExceptionState
    funds: Funds | None
    policy: Policy
    grant: Grant | None = None

    def receivable(self) -> Funds:
        """The exception's payment, refused unless it is money of ours to apply."""
        f = self.funds
        exc = self.exception
        if f is None or not f.receivable:
            what = f"a {f.kind} of {f.amount} {f.currency} ({f.status})" if f else "no payment"
            raise ActionRefused(
                f"{exc.short} is a {exc.type} on {what}: there is no received cash to apply"
                " (acknowledge, re-present or dismiss it)"
            )
        return f


@dataclass(frozen=True, slots=True)
class Plan:
    """What an action would write; :func:`carry_out` writes it (or asks for approval)."""

    summary: str  # one line, past tense: "applied 120.00 to INV-1; 20.00 on account"
    status: str | None = None  # the exception's new status; None: unchanged
    changes: Mapping[str, object] = field(default_factory=dict)  # other exception columns
    applications: tuple[ManualApplication, ...] = ()
    from_account: Decimal = ZERO  # cash on account the applications spend
    payment_customer: str | None = None  # recorded on a payment that has no customer yet
    write_off_total: Decimal = ZERO
    refund_total: Decimal = ZERO
    invoices: tuple[str, ...] = ()  # touched without an application (checked too)
    learn_customer: str | None = None  # the payer pays for this customer: learn it


#: A planner: what the action would write, from what it reads and its parameters.
Planner = Callable[[Context, Mapping[str, Any]], Plan]

#: Every planner by action name: an approval carries its action out later by name.
PLANNERS: dict[str, Planner] = {}


def planner(name: str) -> Callable[[Planner], Planner]:
    def register(fn: Planner) -> Planner:
        PLANNERS[name] = fn
        return fn

    return register


@dataclass(frozen=True, slots=True)
class Request:
    """An action asked for: its name, its parameters (JSON-able: an approval stores them),
    the permission it needs, the note and the version the caller read."""

    action: str
    params: Mapping[str, Any]
    permission: str = "queue.resolve"
    note: str = ""
    version: int | None = None
    resolving: bool = True  # False: note, assign (allowed on a closed or pending exception)


@dataclass(frozen=True, slots=True)
class ActionResult:
    """What an action did, for the CLI and the web UI to render alike."""

    action: str
    exception_id: str | None
    status: str  # the exception's status now, or "pending_approval"
    version: int | None
    message: str
    applications: tuple[str, ...] = ()
    reversals: tuple[str, ...] = ()
    approval_id: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "exception_id": self.exception_id,
            "status": self.status,
            "version": self.version,
            "message": self.message,
            "applications": list(self.applications),
            "reversals": list(self.reversals),
            "approval_id": self.approval_id,
        }


# --- running one ---------------------------------------------------------------------------


def user_of(actor: Actor | str) -> str:
    return actor.user_id if isinstance(actor, Actor) else actor


def in_transaction(store: Store, work: Callable[[], ActionResult], label: str) -> ActionResult:
    """``work`` in one transaction; DuckDB's own write-write conflict (two connections of
    one process updating the same row) becomes a :class:`Conflict` naming ``label``."""
    clash = Conflict(f"{label} was changed by someone else at the same moment; read it again")
    try:
        with store.transaction():
            return work()
    except duckdb.TransactionException:  # at COMMIT
        raise clash from None
    except StoreError as exc:  # at a statement
        if isinstance(exc.__cause__, duckdb.TransactionException):
            raise clash from None
        raise


def run(
    store: Store,
    actor: Actor | str,
    token: str,
    request: Request,
    plan: Planner,
    policy: Policy,
) -> ActionResult:
    """Carry out one action on the exception ``token`` names, whole or not at all."""

    def work() -> ActionResult:
        who = require(store, user_of(actor), request.permission)
        exception_id = resolve_exception(store, token)
        return carry_out(store, who, exception_id, request, plan, policy)

    return in_transaction(store, work, token)


def pending_approval(store: Store, exception_id: str) -> tuple[str, str, str] | None:
    """(id, maker, what) of the approval the exception waits for, if any."""
    rows = store.fetchall(
        "SELECT approval_id, maker, action || ' ' || CAST(amount AS VARCHAR) || ' ' || currency"
        " FROM approvals WHERE exception_id = ? AND state = 'pending' LIMIT 1",
        [exception_id],
    )
    return (str(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else None


def carry_out(  # noqa: C901 - the steps of module docstring, in order, one branch each
    store: Store,
    actor: Actor,
    exception_id: str,
    request: Request,
    plan_fn: Planner,
    policy: Policy,
    grant: Grant | None = None,
) -> ActionResult:
    """Steps 2-6 of the module docstring, inside the caller's transaction."""
    now = utcnow()
    exc = load_exception(store, exception_id)
    if request.version is not None and exc.version != request.version:
        raise stale(store, exc, request.version)
    if request.resolving:
        if exc.closed:
            raise Conflict(
                f"{exc.short} is already {exc.status}:"
                f" {last_change(store, 'exception', exc.exception_id)}"
            )
        waiting = pending_approval(store, exc.exception_id)
        if waiting is not None and (grant is None or grant.approval_id != waiting[0]):
            raise ActionRefused(
                f"{exc.short} waits for approval {waiting[0]} ({waiting[2]} by {waiting[1]}):"
                " a lead approves or rejects it first"
            )
    funds = load_funds(store, exc.payment_id) if exc.payment_id else None
    context = Context(store, actor, now, exc, funds, policy, grant)
    plan = plan_fn(context, request.params)
    notes = _with_note(exc, actor, now, request.note)

    need = _approval_needed(plan, policy)
    if need is not None and grant is None:
        return _ask_for_approval(store, context, request, plan, need, notes)

    reversals: list[str] = []
    applications = list(plan.applications)
    if plan.from_account > 0:
        assert funds is not None  # only a receivable payment has cash on account
        for app_id, _ in funds.on_account:
            reversal = write_manual_reversal(
                store, app_id, actor=actor.user_id, now=now, note=f"spent by {request.action}"
            )
            if reversal is None:
                raise stale(store, exc, exc.version)
            reversals.append(reversal)
        kept = funds.on_account_total - plan.from_account
        if kept < 0:
            raise ActionRefused(f"{exc.short}: spends more than the cash on account")
        if kept > 0:
            applications.append(
                ManualApplication(
                    funds.payment_id, None, funds.customer_id or plan.payment_customer, kept,
                    funds.currency, "unapplied", evidence={"kept_on_account": str(kept)},
                )
            )  # fmt: skip
    if grant is not None:
        applications = [_granted(a, grant) for a in applications]
    written = write_manual_applications(store, applications, actor=actor.user_id, now=now)

    after_funds = None
    if funds is not None:
        after_funds = settle_payment(store, funds.payment_id, plan.payment_customer)
        if plan.learn_customer is not None:
            learn_payer(context, funds, plan.learn_customer)
    changes = dict(plan.changes)
    if plan.status is not None and plan.status != exc.status:
        changes["status"] = plan.status
        if plan.status in CLOSED:
            changes["resolved_at"] = now
    if notes is not None:
        changes["notes"] = notes
    after = {**exc.snapshot(), **{k: _plain(v) for k, v in changes.items() if k != "notes"}}
    version = update_exception(
        store,
        exc.exception_id,
        version=exc.version,
        changes=changes,
        actor=actor.user_id,
        action=request.action,
        detail={
            "before": {**exc.snapshot(), **(funds.snapshot() if funds else {})},
            "after": {**after, **(after_funds.snapshot() if after_funds else {})},
            "summary": plan.summary,
            "parameters": dict(request.params),
            "note": request.note,
            "applications": written,
            "reversals": reversals,
            **({"approval": grant.approval_id, "approved_by": grant.checker} if grant else {}),
        },
    )
    if version is None:
        raise stale(store, exc, exc.version)
    touched = {a.invoice_number for a in applications if a.invoice_number} | set(plan.invoices)
    breaks = touched_breaks(store, [exc.payment_id] if exc.payment_id else [], sorted(touched))
    if breaks:
        raise ActionRefused(f"{exc.short}: refused, it would break the book: {breaks[0]}")
    status = str(changes.get("status", exc.status))
    return ActionResult(
        request.action, exc.exception_id, status, version, f"{exc.short} {status}: {plan.summary}",
        tuple(written), tuple(reversals), grant.approval_id if grant else None,
    )  # fmt: skip


def learn_payer(context: Context, funds: Funds, customer: str) -> None:
    """Record that this payment's payer pays for ``customer``, so the payer's next
    payment matches by itself (a link, or an unidentified payment resolved by hand),
    inside the action's transaction: a refused alias (the name already another
    customer's) refuses the action."""
    learning.learn_alias(
        context.store,
        customer_id=customer,
        payer_name=funds.payer_name,
        payer_account=funds.payer_account,
        exception_id=context.exception.exception_id,
        actor_id=context.actor.user_id,
        now=context.now,
    )


def _plain(value: object) -> object:
    return str(value) if isinstance(value, Decimal | datetime) else value


def _granted(app: ManualApplication, grant: Grant) -> ManualApplication:
    evidence = {**app.evidence, "approval": grant.approval_id, "approved_by": grant.checker}
    return ManualApplication(
        app.payment_id, app.invoice_number, app.customer_id, app.amount, app.currency,
        app.kind, app.reason_code, evidence, grant.approval_id,
    )  # fmt: skip


def _with_note(exc: ExceptionState, actor: Actor, now: datetime, note: str) -> str | None:
    """The exception's notes with ``note`` appended (None: no note given)."""
    text = note.strip()
    if not text:
        return None
    if len(text) > 2000:
        raise ActionRefused("a note is at most 2000 characters")
    entry = {"at": now.isoformat(), "by": actor.user_id, "text": text}
    return json.dumps([*exc.notes, entry])


def settle_payment(store: Store, payment_id: str, customer: str | None) -> Funds:
    """The payment's status from its money after the action (and its customer, if new)."""
    funds = load_funds(store, payment_id)
    if funds.receivable:
        used = funds.applied + funds.on_account_total + funds.refunded
        status = "applied" if used == funds.amount else "partially_applied" if used else "unapplied"
        store.execute(
            "UPDATE payments SET status = ?, customer_id = coalesce(customer_id, ?)"
            " WHERE payment_id = ?",
            [status, customer, payment_id],
        )
        funds = load_funds(store, payment_id)
    return funds


def _approval_needed(plan: Plan, policy: Policy) -> tuple[str, Decimal, Decimal] | None:
    """(kind, amount, limit) of the first limit the plan is over, or None."""
    if plan.write_off_total > policy.write_off_limit:
        return ("write_off", plan.write_off_total, policy.write_off_limit)
    if plan.refund_total > policy.refund_limit:
        return ("refund", plan.refund_total, policy.refund_limit)
    return None


def _ask_for_approval(
    store: Store,
    context: Context,
    request: Request,
    plan: Plan,
    need: tuple[str, Decimal, Decimal],
    notes: str | None,
) -> ActionResult:
    """Store the action as a pending approval; the exception waits ``in_review``."""
    exc, actor, now = context.exception, context.actor, context.now
    kind, amount, limit = need
    approval = (
        "apr_" + stable_key("approval", exc.exception_id, actor.user_id, now.isoformat())[:20]
    )
    store.execute(
        "INSERT INTO approvals (approval_id, exception_id, payment_id, action, parameters,"
        " amount, currency, kind, state, maker, made_at, note)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)",
        [
            approval, exc.exception_id, exc.payment_id, request.action,
            json.dumps(dict(request.params)), amount, exc.currency, kind, actor.user_id, now,
            request.note,
        ],
    )  # fmt: skip
    changes: dict[str, object] = {"status": "in_review"}
    if notes is not None:
        changes["notes"] = notes
    version = update_exception(
        store,
        exc.exception_id,
        version=exc.version,
        changes=changes,
        actor=actor.user_id,
        action="request_approval",
        detail={
            "before": exc.snapshot(),
            "after": {**exc.snapshot(), "status": "in_review"},
            "approval": approval,
            "requested": request.action,
            "parameters": dict(request.params),
            "summary": plan.summary,
            "note": request.note,
        },
    )
    if version is None:
        raise stale(store, exc, exc.version)
    words = kind.replace("_", "-")
    return ActionResult(
        request.action, exc.exception_id, "pending_approval", version,
        f"{exc.short} waits for a lead's approval {approval}: {plan.summary}"
        f" (the {words} of {amount} is over the limit of {limit}; nothing is posted until then)",
        approval_id=approval,
    )  # fmt: skip
