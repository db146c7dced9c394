"""What the platform cases share: object ids, moments inside a payout's window, invoices
raised before the card payments, and the payout's deposit as our bank shows it.

Platform money (:mod:`cashapp.bench.platforms` writes its files): customers pay by card
through Stripe and Plastiq; each bank day brings the payout that arrives that day as one
ACH credit from STRIPE or PLASTIQ INC, which must end ``reconciled`` to its payout and
never be applied to invoices.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from cashapp.bench.quality.book import Book, BookInvoice
from cashapp.bench.quality.catalogue import BASE36, BASE62, PLATFORM_ACH, PLATFORM_INVOICED_BEFORE
from cashapp.bench.quality.records import Payment


def token(book: Book, length: int, alphabet: str = BASE62) -> str:
    """A platform object id's random part, unique within the book."""
    while True:
        drawn = "".join(book.rng.choice(alphabet) for _ in range(length))
        if drawn not in book.platform_ids:
            book.platform_ids.add(drawn)
            return drawn


def moment(book: Book, start: datetime, end: datetime) -> datetime:
    """A time between ``start`` and ``end``, to the second."""
    return start + timedelta(seconds=book.rng.randint(0, int((end - start).total_seconds())))


def platform_invoice(book: Book) -> BookInvoice:
    """A free invoice raised before the card payments of the book were made."""
    return book.take(lambda i: i.invoice_date < PLATFORM_INVOICED_BEFORE)


def deposit(
    book: Book, case: str, platform: str, payout: str, amount: Decimal, day: int, fmt: str
) -> None:
    """The payout as the bank shows it: an ACH credit from the platform, labelled as a
    settlement that must end reconciled (tied to ``payout``) and never applied."""
    name, company_id, description, odfi = PLATFORM_ACH[platform]
    individual = f"ST-{token(book, 12, BASE36)}" if platform == "stripe" else payout
    text = f"IND ID:{individual} IND NAME:OUR COMPANY" if fmt == "bai2-ach" else ""
    credit = Payment(
        fmt,
        day,
        book.ref(fmt, day, odfi),
        name,
        amount,
        text=text,
        originator=company_id,
        individual_id=individual,
        description=description,
    )
    book.expect(
        case,
        credit,
        applicable=False,
        kind="settlement",
        status="reconciled",
        note=f"{platform} payout {payout} of {amount}",
    )
