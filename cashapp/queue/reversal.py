"""Reversing an earlier application, automatic or manual: the invoice reopens, and the
cash it held goes back to the queue.

Why a module of its own: a reversal starts from an application, not an exception, and
has to find (or make) the exception that holds the cash it frees -- otherwise the money
would leave "applied" in the day's totals and appear nowhere else. In order:

1. the application is reversed by a reversal row (never deleted or edited;
   :func:`cashapp.matching.decisions.write_manual_reversal`), which reopens its invoice
   by the amount; a second reversal of the same row is a conflict naming the first;
2. the payment's status is recomputed from its money;
3. cash freed (a ``payment``, ``unapplied`` or ``refund`` row reversed) is held by an
   exception: the payment's open one (its amount updated), else its latest closed one
   reopened, else a new ``unmatched`` (or ``unidentified``, without a customer) one.

The journal gets the reversal row as a new entry dated today, the mirror of the
original's: an exported day is never rewritten.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from cashapp.domain import ActionRefused, Conflict
from cashapp.matching.decisions import (
    raise_manual_exception,
    update_exception,
    write_manual_reversal,
)
from cashapp.queue.checks import touched_breaks
from cashapp.queue.framework import (
    ActionResult,
    in_currency,
    in_transaction,
    last_change,
    load_exception,
    load_funds,
    settle_payment,
    stale,
    user_of,
)
from cashapp.queue.ids import resolve_application, short_id
from cashapp.store import Store, utcnow
from cashapp.users import Actor, require

#: Exception types that hold a payment's cash; a reopened exception of another type (a
#: short pay, an over pay) holds it as ``unmatched``.
_CASH_TYPES: Final = (
    "unmatched",
    "unidentified",
    "ambiguous",
    "duplicate_payment",
    "currency_mismatch",
)


def reverse(store: Store, actor: Actor | str, application: str, *, note: str) -> ActionResult:
    """Reverse ``application`` (a full or short id) with a ``note`` saying why."""
    if not note.strip():
        raise ActionRefused("a reversal needs a note saying why (--note)")

    def work() -> ActionResult:
        who = require(store, user_of(actor), "queue.resolve")
        app_id = resolve_application(store, application)
        return _reverse(store, who, app_id, note.strip())

    return in_transaction(store, work, application)


def _reverse(store: Store, who: Actor, app_id: str, note: str) -> ActionResult:
    now = utcnow()
    rows = store.fetchall(
        "SELECT payment_id, invoice_number, amount, currency, kind, status, reverses, method,"
        " customer_id FROM applications WHERE application_id = ?",
        [app_id],
    )
    payment_id, invoice, stored, currency, kind, status, reverses, method, customer = rows[0]
    amount = in_currency(stored, currency)
    short = short_id(app_id)
    if reverses is not None:
        raise ActionRefused(f"{short} is itself the reversal of {reverses}; it cannot be reversed")
    if status != "active":
        raise Conflict(f"{short} is already reversed: {last_change(store, 'application', app_id)}")
    before = load_funds(store, payment_id)
    reversal = write_manual_reversal(store, app_id, actor=who.user_id, now=now, note=note)
    if reversal is None:
        raise Conflict(
            f"{short} was reversed at the same moment: {last_change(store, 'application', app_id)}"
        )
    after = settle_payment(store, payment_id, None)
    what = f"{kind} {amount} {currency}" + (f" on {invoice}" if invoice else "")
    message = f"{short} ({method} {what}) reversed"
    if invoice is not None and kind in ("payment", "discount", "writeoff", "fee"):
        message += f"; {invoice} is open again"
    exception_id: str | None = None
    exc_status = "n/a"
    version: int | None = None
    freed = after.free - before.free
    if after.receivable and freed > 0:
        exception_id, exc_status, version = _hold(
            store, who, app_id, note, after.free, after.customer_id or customer, payment_id,
            currency,
        )  # fmt: skip
        message += f"; {after.free} {currency} back in the queue as {short_id(exception_id)}"
    breaks = touched_breaks(store, [payment_id], [invoice] if invoice else [])
    if breaks:
        raise ActionRefused(f"{short}: refused, it would break the book: {breaks[0]}")
    return ActionResult(
        "reverse", exception_id, exc_status, version, message, reversals=(reversal,)
    )


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def _hold(
    store: Store,
    who: Actor,
    app_id: str,
    note: str,
    free: Decimal,
    customer: str | None,
    payment_id: str,
    currency: str,
) -> tuple[str, str, int]:
    """The exception that holds the freed cash: (id, status, version)."""
    detail = f"application {app_id} reversed by {who.user_id}: {note}"
    rows = store.fetchall(
        "SELECT exception_id FROM exceptions WHERE payment_id = ?"
        " ORDER BY status IN ('open', 'in_review') DESC, coalesce(resolved_at, opened_at) DESC,"
        " exception_id LIMIT 1",
        [payment_id],
    )
    if not rows:
        type_ = "unmatched" if customer else "unidentified"
        new = raise_manual_exception(
            store, payment_id=payment_id, type_=type_, amount=free, currency=currency,
            customer_id=customer, detail=detail, actor=who.user_id, now=utcnow(),
        )  # fmt: skip
        return new, "open", 1
    exc = load_exception(store, str(rows[0][0]))
    changes: dict[str, object] = {"amount": free, "detail": detail}
    if exc.type not in _CASH_TYPES:
        changes["type"] = "unmatched" if customer else "unidentified"
    status = exc.status
    if exc.closed:
        changes.update(status="open", resolution="", resolved_at=None)
        status = "open"
    version = update_exception(
        store, exc.exception_id, version=exc.version, changes=changes, actor=who.user_id,
        action="reopen" if exc.closed else "hold",
        detail={
            "before": exc.snapshot(),
            "after": {**exc.snapshot(), **{k: _text(v) for k, v in changes.items()}},
            "reversed": app_id,
            "note": note,
        },
    )  # fmt: skip
    if version is None:
        raise stale(store, exc, exc.version)
    return exc.exception_id, status, version
