"""The resolutions that move money: accept, apply (split), on account, write-off, refund.

Why a module of its own: these are the actions whose amounts must add up, so each is a
planner (:mod:`cashapp.queue.framework`) that validates every amount against the
payment's money and the invoices' open amounts before anything is written:

- a payment's cash is what is **free** (in the queue) plus what is **on account**; an
  action spends the free cash first, then the cash on account (whose rows are reversed
  and the rest put back on account);
- an invoice takes at most its open amount, only in the payment's currency, and each
  invoice once per split;
- amounts are exact in the currency's minor units (``12.345`` USD is refused, never
  rounded: :func:`cashapp.money.parse_amount`);
- a resolution leaves no cash unaccounted for: what a split leaves of the payment goes
  on account (``--rest on-account``) or the action is refused; what it leaves of an
  invoice stays open (a partial payment, or ``short:REASON``, a short pay with its
  deduction code) or is written off (``write-off:REASON``).

Worked example: a payment of 200.00 with a 20.00 rest. ``apply(exc, ["INV-1=120.00",
"INV-2=60.00"], rest="on-account")`` writes ``payment`` 120.00 to INV-1, ``payment``
60.00 to INV-2 and ``unapplied`` 20.00 (on account), and resolves the exception; without
the rest it is refused: "20.00 USD of the payment would be left unapplied".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cashapp.domain import ActionRefused
from cashapp.matching.decisions import ManualApplication
from cashapp.money import MoneyError, parse_amount
from cashapp.queue.deductions import check_reason, suggest_reason
from cashapp.queue.framework import (
    ZERO,
    ActionResult,
    Context,
    Funds,
    Plan,
    Request,
    in_currency,
    planner,
    run,
)
from cashapp.queue.policy import DEFAULT_POLICY, Policy
from cashapp.queue.splits import Rest, SplitLine, parse_rest, parse_split
from cashapp.store import Store
from cashapp.users import Actor

# --- shared readers -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice as an action reads it."""

    invoice_number: str
    customer_id: str
    currency: str
    open_amount: Decimal


def read_invoice(context: Context, number: str) -> OpenItem:
    rows = context.store.fetchall(
        "SELECT invoice_number, customer_id, currency, open_amount FROM invoices"
        " WHERE invoice_number = ?",
        [number],
    )
    if not rows:
        raise ActionRefused(f"no invoice {number!r}")
    r = rows[0]
    return OpenItem(str(r[0]), str(r[1]), str(r[2]), in_currency(r[3], str(r[2])))


def money(value: str | Decimal, currency: str, what: str) -> Decimal:
    """A positive amount, exact in ``currency``'s minor units; refused otherwise."""
    try:
        amount = parse_amount(value, currency)
    except MoneyError as exc:
        raise ActionRefused(f"{what}: {exc}") from None
    if amount <= 0:
        raise ActionRefused(f"{what}: must be more than zero, not {amount}")
    return amount


def reason_for(context: Context, given: str | None, how: str) -> tuple[str, str]:
    """The deduction code and how it was chosen: given, else what the remittance says."""
    codes = context.policy.deductions
    if given:
        return check_reason(given, codes), ""
    funds = context.funds
    suggested = suggest_reason(funds.remittance) if funds else None
    if suggested is None or suggested not in codes:
        raise ActionRefused(
            f"{context.exception.short}: say why ({how}); the [deductions] codes are"
            f" {', '.join(codes)}"
        )
    return suggested, f" (reason from the remittance {funds.remittance if funds else ''!r})"


def _rest(value: object) -> Rest | None:
    if value is None or isinstance(value, Rest):
        return value
    return parse_rest(str(value))


def _holder(context: Context, funds: Funds, invoices: Sequence[OpenItem]) -> str | None:
    """The customer cash is held for: the payment's, the exception's, or the invoices' one."""
    customers = {i.customer_id for i in invoices}
    single = next(iter(customers)) if len(customers) == 1 else None
    return funds.customer_id or context.exception.customer_id or single


def _split_rest(funds: Funds, total: Decimal) -> tuple[Decimal, Decimal]:
    """(from the cash on account, free cash left) when ``total`` is spent, free cash first."""
    from_free = min(total, funds.free)
    return total - from_free, funds.free - from_free


# --- apply (and accept, which applies a suggestion) -----------------------------------------


def _plan_lines(  # noqa: C901 - one validation per rule of the module docstring
    context: Context, lines: Sequence[tuple[OpenItem, Decimal]], rest: Rest | None, how: str
) -> Plan:
    """The plan of applying ``lines`` (invoice, amount) with ``rest``."""
    exc = context.exception
    funds = context.receivable()
    cur = funds.currency
    if not lines:
        return _plan_rest_only(context, funds, rest)
    total = sum((amount for _, amount in lines), ZERO)
    if total > funds.available:
        raise ActionRefused(
            f"{exc.short}: the split applies {total} {cur} but the payment has"
            f" {funds.available} {cur} to apply"
        )
    from_account, left = _split_rest(funds, total)
    short = [
        (item, item.open_amount - amount) for item, amount in lines if amount < item.open_amount
    ]
    customer = _holder(context, funds, [item for item, _ in lines])
    evidence: dict[str, Any] = {"by": context.actor.user_id, "action": how}
    apps = [
        ManualApplication(
            funds.payment_id, item.invoice_number, item.customer_id, amount, cur, "payment",
            evidence=evidence,
        )
        for item, amount in lines
    ]  # fmt: skip
    parts = [f"{amount} to {item.invoice_number}" for item, amount in lines]
    changes: dict[str, object] = {}
    write_off = ZERO
    if rest is not None and rest.kind == "on-account":
        if left > 0:
            if customer is None:
                raise ActionRefused(
                    f"{exc.short}: no customer to hold {left} {cur} on account for;"
                    " link the payer first"
                )
            apps.append(
                ManualApplication(
                    funds.payment_id, None, customer, left, cur, "unapplied", evidence=evidence
                )
            )
            parts.append(f"{left} on account")
        left = ZERO
    elif rest is not None:
        if left > 0:
            raise ActionRefused(
                f"{exc.short}: {left} {cur} of the payment is left over; --rest {rest.kind}"
                " settles what the invoices keep open: put the payment's rest on account"
            )
        if not short:
            raise ActionRefused(f"{exc.short}: --rest {rest.kind}: no invoice is left short")
        reason, why = reason_for(context, rest.reason, f"--rest {rest.kind}:REASON")
        changes["reason_code"] = reason
        for item, remaining in short:
            if rest.kind == "write-off":
                apps.append(
                    ManualApplication(
                        funds.payment_id, item.invoice_number, item.customer_id, remaining,
                        cur, "writeoff", reason, evidence,
                    )
                )  # fmt: skip
                write_off += remaining
                parts.append(f"{remaining} written off on {item.invoice_number} ({reason})")
            else:
                parts.append(f"{item.invoice_number} keeps {remaining} open ({reason} short pay)")
        parts[-1] += why
    if left > 0:
        raise ActionRefused(
            f"{exc.short}: {left} {cur} of the payment would be left unapplied:"
            " apply it too, or put it on account (--rest on-account)"
        )
    if exc.customer_id is None and customer is not None:
        changes["customer_id"] = customer
    summary = f"{how}: applied " + "; ".join(parts)
    changes["resolution"] = summary
    # an unidentified payer resolved by hand is learned, as a link would be
    learn = customer if exc.type == "unidentified" else None
    return Plan(
        summary, "resolved", changes, tuple(apps), from_account, customer,
        write_off_total=write_off, learn_customer=learn,
    )  # fmt: skip


def _plan_rest_only(context: Context, funds: Funds, rest: Rest | None) -> Plan:
    """``apply EXC --rest ...`` with no invoices: the rest is the whole action."""
    exc = context.exception
    if rest is None:
        raise ActionRefused(f"{exc.short}: name the invoices to apply to (INVOICE=AMOUNT ...)")
    if rest.kind == "on-account":
        return _plan_on_account(context, {})
    if funds.free > 0:
        raise ActionRefused(
            f"{exc.short}: {funds.free} {funds.currency} of the payment is not applied yet;"
            " name the invoices it pays"
        )
    if rest.kind == "write-off":
        invoice = _short_invoice(context)
        remaining = read_invoice(context, invoice).open_amount
        return _plan_write_off(
            context, {"amount": str(remaining), "reason": rest.reason, "invoice": invoice}
        )
    invoice = _short_invoice(context)
    item = read_invoice(context, invoice)
    reason, why = reason_for(context, rest.reason, "--rest short:REASON")
    summary = f"short pay accepted ({reason}): {invoice} keeps {item.open_amount} open{why}"
    return Plan(
        summary, "resolved", {"reason_code": reason, "resolution": summary}, invoices=(invoice,)
    )


def _short_invoice(context: Context) -> str:
    exc = context.exception
    if exc.type != "short_payment" or exc.invoice_number is None:
        raise ActionRefused(
            f"{exc.short} is {exc.type}, not a short pay: name the invoices (INVOICE=AMOUNT)"
        )
    return exc.invoice_number


@planner("apply")
def _plan_apply(context: Context, params: Mapping[str, Any]) -> Plan:
    funds = context.receivable()
    lines: list[tuple[OpenItem, Decimal]] = []
    seen: set[str] = set()
    for number, text in params["lines"]:
        if number in seen:
            raise ActionRefused(f"{number} is named twice in the split")
        seen.add(number)
        item = read_invoice(context, number)
        if item.currency != funds.currency:
            raise ActionRefused(
                f"{number} is in {item.currency}, the payment in {funds.currency}:"
                " cash applies in its own currency only"
            )
        if item.open_amount <= 0:
            raise ActionRefused(f"{number} has nothing open (paid in full)")
        amount = item.open_amount if text is None else money(text, funds.currency, number)
        if amount > item.open_amount:
            raise ActionRefused(
                f"{number} has {item.open_amount} {item.currency} open;"
                f" {amount} would over-apply it"
            )
        lines.append((item, amount))
    return _plan_lines(context, lines, _rest(params.get("rest")), "apply")


@planner("accept")
def _plan_accept(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.receivable()
    rank = int(params["suggestion"])
    if not exc.suggestions:
        raise ActionRefused(f"{exc.short} has no suggestions: apply it to invoices you name")
    if not 1 <= rank <= len(exc.suggestions):
        raise ActionRefused(
            f"{exc.short} has {len(exc.suggestions)} suggestion(s); there is no number {rank}"
        )
    chosen = exc.suggestions[rank - 1]
    remaining = funds.available
    lines: list[tuple[OpenItem, Decimal]] = []
    for number in chosen.get("invoices", []):
        item = read_invoice(context, str(number))
        if item.currency != funds.currency:
            raise ActionRefused(f"{number} is in {item.currency}, the payment in {funds.currency}")
        if item.open_amount <= 0:
            raise ActionRefused(
                f"{number} has nothing open now, so suggestion {rank} cannot be accepted"
                f" ({chosen.get('evidence', '')})"
            )
        if remaining <= 0:
            raise ActionRefused(
                f"the payment is spent before {number}: apply suggestion {rank}'s invoices"
                " with amounts instead"
            )
        amount = min(item.open_amount, remaining)
        remaining -= amount
        lines.append((item, amount))
    return _plan_lines(context, lines, _rest(params.get("rest")), f"accepted suggestion {rank}")


def _request(action: str, params: Mapping[str, Any], version: int | None, note: str) -> Request:
    return Request(action, params, "queue.resolve", note, version)


def apply(
    store: Store,
    actor: Actor | str,
    exception: str,
    lines: Sequence[SplitLine | str],
    *,
    rest: Rest | str | None = None,
    version: int | None = None,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Apply the exception's payment to the invoices of ``lines`` (``INV=AMOUNT``, or an
    invoice alone for all it has open), with ``rest`` for what the split leaves."""
    split = [line if isinstance(line, SplitLine) else parse_split([line])[0] for line in lines]
    rest_value = _rest(rest)
    params = {
        "lines": [[line.invoice, line.amount] for line in split],
        "rest": rest_value.text() if rest_value else None,
    }
    return run(
        store, actor, exception, _request("apply", params, version, note), _plan_apply, policy
    )


def accept(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    suggestion: int = 1,
    rest: Rest | str | None = None,
    version: int | None = None,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Accept the exception's ranked suggestion ``suggestion`` (1 = the top one): its
    invoices take their open amounts in rank order, as far as the payment goes."""
    rest_value = _rest(rest)
    params = {"suggestion": suggestion, "rest": rest_value.text() if rest_value else None}
    return run(
        store, actor, exception, _request("accept", params, version, note), _plan_accept, policy
    )


# --- on account -----------------------------------------------------------------------------


@planner("on-account")
def _plan_on_account(context: Context, _params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.receivable()
    customer = _holder(context, funds, [])
    if customer is None:
        raise ActionRefused(
            f"{exc.short}: the payer is not a known customer; link it first"
            " (exceptions link EXC --customer ID) or refund it"
        )
    changes: dict[str, object] = {}
    if exc.customer_id is None:
        changes["customer_id"] = customer
    if funds.free > 0:
        summary = f"{funds.free} {funds.currency} put on account of {customer}"
        app = ManualApplication(
            funds.payment_id, None, customer, funds.free, funds.currency, "unapplied",
            evidence={"by": context.actor.user_id, "action": "on-account"},
        )  # fmt: skip
        return Plan(
            summary, "resolved", {**changes, "resolution": summary}, (app,),
            payment_customer=customer,
        )  # fmt: skip
    if funds.on_account_total > 0:
        summary = f"{funds.on_account_total} {funds.currency} kept on account of {customer}"
        return Plan(summary, "resolved", {**changes, "resolution": summary})
    raise ActionRefused(f"{exc.short}: nothing to put on account (the payment is fully applied)")


def on_account(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    version: int | None = None,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Put the payment's free cash on the customer's account (or keep what is there)."""
    return run(
        store, actor, exception, _request("on-account", {}, version, note), _plan_on_account,
        policy,
    )  # fmt: skip


# --- write-off ------------------------------------------------------------------------------


@planner("write-off")
def _plan_write_off(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.receivable()
    number = params.get("invoice") or exc.invoice_number
    if not number:
        raise ActionRefused(f"{exc.short} names no invoice: say which (--invoice)")
    if funds.free > 0:
        raise ActionRefused(
            f"{exc.short}: {funds.free} {funds.currency} of the payment is not applied yet;"
            " apply it first (apply --rest write-off:REASON writes off what it leaves)"
        )
    item = read_invoice(context, str(number))
    paid = context.store.scalar(
        "SELECT count(*) FROM applications WHERE payment_id = ? AND invoice_number = ?"
        " AND kind = 'payment' AND status = 'active'",
        [funds.payment_id, item.invoice_number],
    )
    if not paid:
        raise ActionRefused(
            f"{item.invoice_number} took no cash from {exc.short}'s payment: a write-off settles"
            " the difference a payment left on its invoice"
        )
    amount = money(str(params["amount"]), item.currency, "--amount")
    if amount > item.open_amount:
        raise ActionRefused(
            f"{item.invoice_number} has {item.open_amount} {item.currency} open;"
            f" a write-off of {amount} would over-apply it"
        )
    reason, why = reason_for(context, params.get("reason"), "--reason")
    app = ManualApplication(
        funds.payment_id, item.invoice_number, item.customer_id, amount, item.currency,
        "writeoff", reason, {"by": context.actor.user_id, "action": "write-off"},
    )  # fmt: skip
    summary = f"{amount} {item.currency} written off on {item.invoice_number} ({reason}){why}"
    left = exc.amount - amount if exc.type == "short_payment" else ZERO
    changes: dict[str, object] = {"reason_code": reason}
    status = "resolved"
    if left > 0:
        status = exc.status
        changes["amount"] = left
        summary += f"; {left} of the short pay is still open"
    else:
        changes["resolution"] = summary
    return Plan(summary, status, changes, (app,), write_off_total=amount)


def write_off(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    amount: str | Decimal,
    reason: str | None = None,
    invoice: str | None = None,
    version: int | None = None,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Write off ``amount`` of the difference the payment left on ``invoice`` (default:
    the exception's) under a deduction ``reason`` (default: the remittance's reason)."""
    params = {"amount": str(amount), "reason": reason, "invoice": invoice}
    return run(
        store, actor, exception, _request("write-off", params, version, note), _plan_write_off,
        policy,
    )  # fmt: skip


# --- refund ---------------------------------------------------------------------------------


@planner("refund")
def _plan_refund(context: Context, params: Mapping[str, Any]) -> Plan:
    exc = context.exception
    funds = context.receivable()
    cur = funds.currency
    given = params.get("amount")
    amount = funds.available if given is None else money(str(given), cur, "--amount")
    if amount <= 0:
        raise ActionRefused(f"{exc.short}: nothing to refund (the payment is fully applied)")
    if amount > funds.available:
        raise ActionRefused(
            f"{exc.short}: a refund of {amount} {cur} is more than the {funds.available} {cur}"
            " the payment has unapplied or on account"
        )
    from_account, left = _split_rest(funds, amount)
    if left > 0:
        raise ActionRefused(
            f"{exc.short}: {left} {cur} would be left unapplied: refund all"
            f" {funds.available}, or put the rest on account first"
        )
    customer = funds.customer_id or exc.customer_id
    app = ManualApplication(
        funds.payment_id, None, customer, amount, cur, "refund",
        evidence={"by": context.actor.user_id, "action": "refund", "payer": funds.payer_name},
    )  # fmt: skip
    summary = f"refund of {amount} {cur} to {funds.payer_name or customer or 'the payer'} requested"
    return Plan(
        summary, "resolved", {"resolution": summary}, (app,), from_account, refund_total=amount
    )


def refund(
    store: Store,
    actor: Actor | str,
    exception: str,
    *,
    amount: str | Decimal | None = None,
    version: int | None = None,
    note: str = "",
    policy: Policy = DEFAULT_POLICY,
) -> ActionResult:
    """Request a refund of an over- or duplicate payment: ``amount`` (default: all the
    payment has unapplied or on account) becomes owed back to the payer."""
    params = {"amount": None if amount is None else str(amount)}
    return run(
        store, actor, exception, _request("refund", params, version, note), _plan_refund, policy
    )
