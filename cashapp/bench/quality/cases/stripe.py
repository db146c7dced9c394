"""Stripe: card charges applied to the invoices they name, refunds and disputes that take
the cash back (a won dispute applies it again), and one payout a day.

The balance transactions of a payout are split between the itemized report CSV and the
landing JSON of ``cashapp pull stripe`` (each transaction in one of them); a charge names
its invoice in the metadata, only in the description, or both. Refunds and lost disputes
reopen the invoice and queue a ``chargeback`` with the dispute's reason; a won dispute
closes its chargeback itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from cashapp.bench.platforms import (
    DISPUTE_FEE,
    STRIPE_CARRIERS,
    CardHolder,
    StripeCharge,
    StripeTransaction,
    card_fee,
    payout_net,
)
from cashapp.bench.quality.book import Book, BookCustomer, BookInvoice, in_full
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.cases.platform import deposit, moment, platform_invoice, token
from cashapp.bench.quality.catalogue import (
    CARD_DESCRIPTIONS,
    CARD_INVOICE_TEXTS,
    DISPUTE_REASONS,
    EVENT_CEILING,
    MIN_PAYOUT,
    PLATFORM_INVOICED_BEFORE,
    ROTATIONS,
    STRIPE_WINDOWS,
)
from cashapp.bench.quality.labels import DAYS, BenchError
from cashapp.bench.quality.records import PlatformRecord


def _holder(book: Book, customer: BookCustomer) -> CardHolder:
    """The customer as Stripe knows it: one ``cus_`` id, the name typed at checkout (a
    variant of ours that still points at it alone) and its AP mailbox."""
    holder = book.stripe_holders.get(customer.customer_id)
    if holder is None:
        holder = CardHolder(f"cus_{token(book, 14)}", book.variant(customer), customer.email)
        book.stripe_holders[customer.customer_id] = holder
    return holder


def _charge(book: Book, invoice: BookInvoice, day: int, turn: int) -> StripeTransaction:
    """A card charge of the invoice's open amount, naming it in the metadata or only in
    the description, carried by either Stripe carrier."""
    key, number = invoice.key, invoice.number
    shape = turn % 3
    if shape == 0:
        description, meta = f"Invoice {number}", number
    elif shape == 1:
        description = book.rng.choice(CARD_DESCRIPTIONS)
        meta = book.rng.choice((number, key))
    else:
        description, meta = book.rng.choice(CARD_INVOICE_TEXTS).format(k=key), ""
    charge = StripeCharge(
        f"ch_3{token(book, 23)}",
        invoice.open_amount,
        _holder(book, invoice.customer),
        description,
        meta,
    )
    start, end = STRIPE_WINDOWS[day]
    return StripeTransaction(
        f"txn_3{token(book, 23)}",
        moment(book, start, start + (end - start) * 3 / 5),
        "charge",
        charge.amount,
        card_fee(charge.amount),
        charge.charge_id,
        charge,
        "",
        book.rng.choice(STRIPE_CARRIERS),
    )


def _event(
    book: Book,
    charge: StripeTransaction,
    category: str,
    day: int,
    *,
    reason: str = "",
    dispute: StripeTransaction | None = None,
) -> StripeTransaction:
    """A refund, dispute or won dispute of ``charge``, made inside ``day``'s window.

    Stripe keeps the charge's fee on a refund, charges a dispute fee, and gives the
    disputed amount and that fee back when the dispute is won.
    """
    if charge.charge is None:
        raise BenchError("a Stripe event needs the charge it takes back")
    amount = charge.charge.amount
    start, end = STRIPE_WINDOWS[day]
    after = dispute.created if dispute else charge.created
    created = moment(book, max(start, after + timedelta(hours=1)), end - timedelta(hours=1))
    if category == "refund":
        gross, fee, source = -amount, Decimal("0.00"), f"re_3{token(book, 23)}"
    elif category == "dispute":
        gross, fee, source = -amount, DISPUTE_FEE, f"du_1{token(book, 23)}"
    elif dispute is not None:
        gross, fee, source = amount, -DISPUTE_FEE, dispute.source_id
    else:
        raise BenchError("a won dispute needs its dispute")
    return StripeTransaction(
        f"txn_3{token(book, 23)}",
        created,
        category,
        gross,
        fee,
        source,
        charge.charge,
        "",
        book.rng.choice(STRIPE_CARRIERS),
        reason,
    )


def _charge_record(txn: StripeTransaction) -> PlatformRecord:
    """A charge as labelled, with the remittance cashapp reads from it: description and
    metadata."""
    charge = txn.charge
    text = f"{charge.description} {charge.invoice_number}" if charge else ""
    return PlatformRecord(txn.carrier, txn.source_id, txn.gross, text)


def _event_record(txn: StripeTransaction) -> PlatformRecord:
    """A refund, dispute or won dispute as labelled: no remittance of its own."""
    return PlatformRecord(txn.carrier, txn.source_id, txn.gross)


def _applied_charge(book: Book, day: int, turn: int) -> None:
    invoice = platform_invoice(book)
    txn = _charge(book, invoice, day, turn)
    book.stripe[day].append(txn)
    book.expect(
        "platform_payout_stripe",
        _charge_record(txn),
        applicable=True,
        apps=in_full(invoice),
        names=[invoice],
        note=f"card charge, fee {txn.fee}, paid out on day {day}",
    )


def _event_invoice(book: Book) -> BookInvoice:
    return book.take(
        lambda i: i.invoice_date < PLATFORM_INVOICED_BEFORE and i.open_amount <= EVENT_CEILING
    )


@case("stripe_paid_out")
def stripe_paid_out(book: Book) -> None:
    """Card charges naming their invoice, each applied to it; day 1's payout carries
    the first ones, day 2's the rest."""
    extra = max(1, book.per_case // 2)
    for turn in range(book.per_case + extra):
        _applied_charge(book, 1 if turn < book.per_case else 2, turn)


@case("stripe_refunds")
def stripe_refunds(book: Book) -> None:
    """A charge applied on day 1 and refunded before the next payout: the refund takes
    the cash back, so the invoice is open again and the refund is queued like a
    chargeback for the AR team to follow up (credit memo or new payment)."""
    for turn in range(max(1, book.per_case // 2)):
        invoice = _event_invoice(book)
        charge = _charge(book, invoice, 1, turn)
        refund = _event(book, charge, "refund", 2)
        book.stripe[1].append(charge)
        book.stripe[2].append(refund)
        book.expect(
            "platform_refund_stripe",
            _charge_record(charge),
            applicable=False,
            names=[invoice],
            note=f"applied on day 1, refunded by {refund.source_id} on day 2",
        )
        book.expect(
            "platform_refund_stripe",
            _event_record(refund),
            applicable=False,
            kind="refund",
            exceptions=["chargeback"],
            note=f"refund of {charge.source_id}: {invoice.number} open again",
        )


@case("stripe_disputes")
def stripe_disputes(book: Book) -> None:
    """Disputed charges, three ways: lost after the charge was applied (day 2 reverses
    it), lost inside the charge's own payout (never applied), and won (disputed on day
    1, won on day 2: the charge ends applied and the chargeback closes itself)."""
    for turn in range(max(3, book.per_case)):
        shape = turn % 3
        invoice = _event_invoice(book)
        charge = _charge(book, invoice, 1, turn)
        reason = book.rng.choice(DISPUTE_REASONS)
        dispute = _event(book, charge, "dispute", 2 if shape == 0 else 1, reason=reason)
        book.stripe[1].append(charge)
        book.stripe[2 if shape == 0 else 1].append(dispute)
        won = shape == 2
        book.expect(
            "platform_dispute_stripe",
            _charge_record(charge),
            applicable=won,
            apps=in_full(invoice) if won else [],
            names=[invoice],
            note=(
                "applied on day 1, disputed and lost on day 2",
                "disputed before its payout: never applied",
                "disputed on day 1, won on day 2: applied again",
            )[shape],
        )
        book.expect(
            "platform_dispute_stripe",
            _event_record(dispute),
            applicable=False,
            kind="chargeback",
            exceptions=["chargeback"],
            resolved=["chargeback"] if won else [],
            reason=reason,
            note=f"{reason} dispute of {charge.source_id} for {invoice.number}",
        )
        if won:
            reversal = _event(book, charge, "dispute_reversal", 2, dispute=dispute)
            book.stripe[2].append(reversal)
            book.expect(
                "platform_dispute_stripe",
                _event_record(reversal),
                applicable=False,
                kind="dispute_reversal",
                note=f"dispute of {charge.source_id} won",
            )


@case("stripe_payouts")
def stripe_payouts(book: Book) -> None:
    """One automatic payout per day of what the day's transactions left on the balance
    (topped up with more charges should refunds and disputes outweigh them), reaching
    the bank as one ACH credit from STRIPE, tied to the payout by amount and date."""
    first = book.rng.randrange(2)
    for day in sorted(DAYS):
        turn = 0
        while payout_net(book.stripe[day]) < MIN_PAYOUT:
            _applied_charge(book, day, turn)
            turn += 1
        payout_id = f"po_1{token(book, 23)}"
        net = payout_net(book.stripe[day])
        payout = StripeTransaction(
            f"txn_1{token(book, 23)}",
            STRIPE_WINDOWS[day][1],
            "payout",
            -net,
            Decimal("0.00"),
            payout_id,
            None,
            payout_id,
            book.rng.choice(STRIPE_CARRIERS),
        )
        carried = [replace(t, payout_id=payout_id) for t in book.stripe[day]]
        book.stripe[day] = [*carried, payout]
        book.expect(
            "platform_payout_stripe",
            PlatformRecord(payout.carrier, payout_id, net),
            applicable=False,
            kind="settlement",
            status="reconciled",
            note=f"payout of {len(carried)} balance transactions",
        )
        fmt = ROTATIONS["platform_deposit"][(first + day) % 2]
        deposit(book, "platform_payout_stripe", "stripe", payout_id, net, day, fmt)
