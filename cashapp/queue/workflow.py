"""The resolutions that move no money: duplicate, link, acknowledge, re-present, dismiss,
and the queue's own bookkeeping, assign and note.

Why a module of its own: these change only the exception (and, for ``link``, who the
payer is), so their rules are about the queue's state, not amounts -- with one money
rule kept: an exception still holding a payment's cash cannot be dismissed (the cash
would vanish from the day's totals: "in exception" would drop and nothing else rise);
it must be applied, put on account or refunded first.

The events' exceptions (``ach_return``, ``failed_payment``, ``chargeback``) are closed by
``ack`` (the matcher already reversed the original's applications and reopened its
invoices) or ``re_present`` (the debit is collected again, or the chargeback disputed;
the invoice stays open until that money arrives).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from cashapp.domain import ActionRefused, NotPermitted
from cashapp.queue.framework import ActionResult, Context, Plan, Request, planner, run
from cashapp.queue.policy import DEFAULT_POLICY
from cashapp.store import Store
from cashapp.users import Actor, require

#: Exception types raised by an event (a return, a chargeback): no cash of ours to apply.
EVENT_TYPES: Final = ("ach_return", "failed_payment", "chargeback")

#: Types a person may mark as a duplicate payment (the matcher did not see it).
_DUPLICABLE: Final = ("unmatched", "unidentified", "ambiguous", "currency_mismatch")


def _simple(
    store: Store,
    actor: Actor | str,
    exception: str,
    action: str,
    params: Mapping[str, Any],
    plan: Any,
    *,
    version: int | None,
    note: str,
    permission: str = "queue.resolve",
    resolving: bool = True,
) -> ActionResult:
    request = Request(action, params, permission, note, version, resolving)
    return run(store, actor, exception, request, plan, DEFAULT_POLICY)


# --- duplicate ------------------------------------------------------------------------------


@planner("duplicate")
def _plan_duplicate(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    context.receivable()
    if exc.type not in _DUPLICABLE:
        raise ActionRefused(
            f"{exc.short} is {exc.type}; only {', '.join(_DUPLICABLE)} can be marked a duplicate"
        )
    of = params.get("of")
    changes: dict[str, object] = {"type": "duplicate_payment"}
    target = ""
    if of:
        of = str(of)
        invoice = context.store.scalar(
            "SELECT invoice_number FROM invoices WHERE invoice_number = ?", [of]
        )
        original = context.store.scalar(
            "SELECT payment_id FROM payments WHERE payment_id = ?", [of]
        )
        if invoice is None and original is None:
            raise ActionRefused(f"--of {of!r} is neither an invoice nor a payment in the book")
        if invoice is not None:
            changes["invoice_number"] = invoice
        target = f" of {of}"
    detail = (
        f"marked a duplicate payment{target} by {context.actor.user_id}:"
        " refund it or keep it on account"
    )
    changes["detail"] = detail
    return Plan(
        f"marked a duplicate payment{target} (refund it or keep it on account)", None, changes
    )


def duplicate(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    of: str | None = None,
    version: int | None = None,
    note: str = "",
) -> ActionResult:
    """Mark the payment a duplicate (of invoice or payment ``of``); it stays in the queue
    as ``duplicate_payment`` until refunded or kept on account."""
    return _simple(
        store, actor, exception, "duplicate", {"of": of}, _plan_duplicate, version=version,
        note=note,
    )  # fmt: skip


# --- link -----------------------------------------------------------------------------------


@planner("link")
def _plan_link(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.funds
    customer = str(params["customer"])
    known = context.store.scalar("SELECT name FROM customers WHERE customer_id = ?", [customer])
    if known is None:
        raise ActionRefused(f"no customer {customer!r} (import it first)")
    if funds is None or funds.kind != "payment":
        raise ActionRefused(f"{exc.short} is {exc.type}: there is no payer to link")
    if exc.customer_id == customer and funds.customer_id == customer:
        raise ActionRefused(f"{exc.short}'s payer is already linked to {customer}")
    context.store.execute(
        "UPDATE payments SET customer_id = ? WHERE payment_id = ?", [customer, funds.payment_id]
    )
    changes: dict[str, object] = {"customer_id": customer}
    if exc.type == "unidentified":
        changes["type"] = "unmatched"
    payer = funds.payer_name or funds.payer_account or "the payer"
    changes["detail"] = f"payer {payer!r} linked to {customer} ({known}) by {context.actor.user_id}"
    return Plan(
        f"payer {payer!r} linked to {customer} ({known})", None, changes, learn_customer=customer
    )


def link(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    customer: str,
    version: int | None = None,
    note: str = "",
) -> ActionResult:
    """Link the payer to ``customer`` (learned as an alias for the next payment); an
    ``unidentified`` exception becomes ``unmatched``, to be applied or put on account."""
    return _simple(
        store, actor, exception, "link", {"customer": customer}, _plan_link, version=version,
        note=note,
    )  # fmt: skip


# --- returns and chargebacks ----------------------------------------------------------------


def _event(context: Context, verb: str) -> None:
    exc = context.exception
    if exc.type not in EVENT_TYPES:
        raise ActionRefused(
            f"{exc.short} is {exc.type}; only a return or chargeback ({', '.join(EVENT_TYPES)})"
            f" can be {verb}"
        )


@planner("ack")
def _plan_ack(context: Context, _params: Mapping[str, Any]) -> Plan:
    _event(context, "acknowledged")
    exc = context.exception
    reopened = f"; {exc.invoice_number} is open again" if exc.invoice_number else ""
    summary = f"{exc.type} {exc.reason_code} acknowledged{reopened}".replace("  ", " ")
    return Plan(summary, "resolved", {"resolution": summary})


@planner("re-present")
def _plan_re_present(context: Context, _params: Mapping[str, Any]) -> Plan:
    _event(context, "re-presented")
    exc = context.exception
    what = "disputed (representment)" if exc.type == "chargeback" else "re-presented for collection"
    waits = (
        f"; {exc.invoice_number} stays open until the money arrives" if exc.invoice_number else ""
    )
    summary = f"{exc.type} {exc.reason_code} {what}{waits}".replace("  ", " ")
    return Plan(summary, "resolved", {"resolution": summary})


def ack(
    store: Store, actor: Actor | str, exception: str, *, version: int | None = None, note: str = ""
) -> ActionResult:
    """Acknowledge a return or chargeback: the reversal stands, the invoice stays reopened."""
    return _simple(store, actor, exception, "ack", {}, _plan_ack, version=version, note=note)


def re_present(
    store: Store, actor: Actor | str, exception: str, *, version: int | None = None, note: str = ""
) -> ActionResult:
    """Re-present a returned debit (or dispute a chargeback); the invoice waits for it."""
    return _simple(
        store, actor, exception, "re-present", {}, _plan_re_present, version=version, note=note
    )


# --- dismiss --------------------------------------------------------------------------------


@planner("dismiss")
def _plan_dismiss(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.funds
    if funds is not None and funds.free > 0:
        others = context.store.scalar(
            "SELECT count(*) FROM exceptions WHERE payment_id = ? AND exception_id <> ?"
            " AND status IN ('open', 'in_review')",
            [funds.payment_id, exc.exception_id],
        )
        if not others:
            raise ActionRefused(
                f"{exc.short} still holds {funds.free} {funds.currency} of the payment's cash:"
                " apply it, put it on account or refund it; dismissing would lose it from the"
                " day's totals"
            )
    summary = f"dismissed: {params['note']}"
    return Plan(summary, "dismissed", {"resolution": summary})


def dismiss(
    store: Store, actor: Actor | str, exception: str, *, note: str, version: int | None = None
) -> ActionResult:
    """Close the exception with a note saying why (it needs no action in cashapp)."""
    if not note.strip():
        raise ActionRefused("dismiss needs a note saying why (--note)")
    return _simple(
        store, actor, exception, "dismiss", {"note": note.strip()}, _plan_dismiss,
        version=version, note=note,
    )  # fmt: skip


# --- assign and note ------------------------------------------------------------------------


@planner("assign")
def _plan_assign(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    to = params.get("to")
    if exc.closed:
        raise ActionRefused(f"{exc.short} is {exc.status}: there is nothing to assign")
    if to == exc.assignee:
        raise ActionRefused(f"{exc.short} is already assigned to {to or 'nobody'}")
    if to is not None:
        try:
            require(context.store, str(to), "queue.resolve")
        except NotPermitted as exc_:
            raise ActionRefused(f"cannot assign {exc.short} to {to}: {exc_}") from None
    status = "in_review" if to is not None and exc.status == "open" else None
    summary = f"assigned to {to}" if to else "unassigned"
    return Plan(summary, status, {"assignee": to})


@planner("note")
def _plan_note(_context: Context, _params: Mapping[str, Any]) -> Plan:
    return Plan("note added")


def assign(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    to: str | None,
    version: int | None = None,
    note: str = "",
) -> ActionResult:
    """Give the exception to user ``to`` (None: to nobody); it is then in review."""
    return _simple(
        store, actor, exception, "assign", {"to": to}, _plan_assign, version=version, note=note,
        permission="queue.assign", resolving=False,
    )  # fmt: skip


def note(
    store: Store, actor: Actor | str, exception: str, text: str, *, version: int | None = None
) -> ActionResult:
    """Add a note to the exception (``{at, by, text}`` in its notes)."""
    if not text.strip():
        raise ActionRefused("the note is empty")
    return _simple(
        store, actor, exception, "note", {}, _plan_note, version=version, note=text,
        permission="queue.assign", resolving=False,
    )  # fmt: skip
