"""Plastiq: customers' card payments of one invoice each, bundled into a payout a day
(in the receiver export or the Connect JSON), and a payout wired to us short.

A Plastiq payment names its invoice in its own column, only in the memo, or nowhere (the
payer's business name and the amount then decide). The bank line's originator is Plastiq:
the customer comes from the Plastiq rows only.
"""

from __future__ import annotations

from decimal import Decimal

from cashapp.bench.platforms import PLASTIQ_CARRIERS, CardHolder, PlastiqPayment
from cashapp.bench.quality.book import Book, in_full
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.cases.platform import deposit, moment, platform_invoice, token
from cashapp.bench.quality.catalogue import (
    BASE36,
    PLASTIQ_INVOICE_MEMOS,
    PLASTIQ_PLAIN_MEMOS,
    PLASTIQ_SIDE_MEMOS,
    PLASTIQ_WINDOWS,
    PLATFORM_INVOICED_BEFORE,
    ROTATIONS,
)
from cashapp.bench.quality.labels import DAYS
from cashapp.bench.quality.records import Payment, PlatformRecord
from cashapp.bench.synthetic.ledger import from_cents


def _payment_id(book: Book) -> str:
    """A Payment ID unique in the book: it is the payment's ``source_ref``."""
    while True:
        payment_id = f"PQ-{book.rng.randint(10**7, 10**8 - 1)}"
        if payment_id not in book.platform_ids:
            book.platform_ids.add(payment_id)
            return payment_id


def _payment(book: Book, day: int, turn: int, carrier: str, payout: str) -> None:
    """A customer's Plastiq payment of one invoice: the number in its own column, only
    in the memo, or nowhere (the payer business name and the amount then decide)."""
    shape = turn % 3
    if shape == 2:
        invoice = book.amount_invoice(
            book.regular, lambda i: i.invoice_date < PLATFORM_INVOICED_BEFORE
        )
    else:
        invoice = platform_invoice(book)
    number, memo = "", ""
    if shape == 0:
        number = book.rng.choice((invoice.number, invoice.key))
        memo = book.rng.choice(PLASTIQ_SIDE_MEMOS)
    elif shape == 1:
        memo = book.rng.choice(PLASTIQ_INVOICE_MEMOS).format(k=invoice.key)
    else:
        memo = book.rng.choice(PLASTIQ_PLAIN_MEMOS)
    customer = invoice.customer
    holder = CardHolder("", book.variant(customer), customer.email)
    start, end = PLASTIQ_WINDOWS[day]
    payment = PlastiqPayment(
        _payment_id(book),
        moment(book, start, end),
        holder,
        invoice.open_amount,
        number,
        memo,
        payout,
        DAYS[day],
        carrier,
    )
    book.plastiq[day].append(payment)
    book.expect(
        "platform_payout_plastiq",
        PlatformRecord(carrier, payment.payment_id, payment.amount, f"{number} {memo}"),
        applicable=True,
        apps=in_full(invoice),
        names=[invoice],
        note=f"{holder.name!r} pays {invoice.number} through Plastiq",
    )


def _payout(book: Book, day: int, count: int, carrier: str, first_turn: int) -> str:
    """``count`` payments bundled into one payout; returns its id (of fixed width, so no
    payout's id is part of another's)."""
    payout = f"PQO-{token(book, 10, BASE36)}"
    for turn in range(first_turn, first_turn + count):
        _payment(book, day, turn, carrier, payout)
    return payout


def _settlement(book: Book, case: str, day: int, payout: str, status: str) -> Decimal:
    """Label the settlement the connector derives from the payout's rows; its amount."""
    net = sum((p.amount for p in book.plastiq[day] if p.payout_id == payout), Decimal(0))
    carrier = next(p.carrier for p in book.plastiq[day] if p.payout_id == payout)
    book.expect(
        case,
        PlatformRecord(carrier, payout, net),
        applicable=False,
        kind="settlement",
        status=status,
        note=f"Plastiq payout {payout}",
    )
    return net


@case("plastiq_payouts")
def plastiq_payouts(book: Book) -> None:
    """One Plastiq payout a day, each in one carrier (the connector sums a payout from
    the rows of one file), the days alternating between the export and the JSON."""
    first = book.rng.randrange(2)
    for day in sorted(DAYS):
        count = book.per_case if day == 1 else max(1, book.per_case // 2)
        carrier = PLASTIQ_CARRIERS[(first + day) % 2]
        payout = _payout(book, day, count, carrier, 0)
        net = _settlement(book, "platform_payout_plastiq", day, payout, "reconciled")
        fmt = ROTATIONS["platform_deposit"][(first + day + 1) % 2]
        deposit(book, "platform_payout_plastiq", "plastiq", payout, net, day, fmt)


@case("plastiq_short_deposits")
def plastiq_short_deposits(book: Book) -> None:
    """A payout wired to us short by an intermediary bank's charge. The wire names the
    payout, so the deposit is tied to it, and the difference must reach the queue as a
    ``settlement_mismatch`` instead of vanishing inside a reconciled pair."""
    for turn in range(max(1, book.per_case // 3)):
        carrier = book.rng.choice(PLASTIQ_CARRIERS)
        payout = _payout(book, 1, 1 + turn % 2, carrier, turn)
        net = _settlement(book, "settlement_mismatch", 1, payout, "")
        short = from_cents(book.rng.randint(1000, 3500))
        wire = Payment(
            "bai2-wire",
            1,
            book.ref("bai2-wire", 1, ""),
            "PLASTIQ INC",
            net - short,
            text=f"PLASTIQ PAYOUT {payout}",
        )
        book.expect(
            "settlement_mismatch",
            wire,
            applicable=False,
            exceptions=["settlement_mismatch"],
            kind="settlement",
            note=f"payout {payout} of {net} arrived {short} short (intermediary bank fee)",
        )
