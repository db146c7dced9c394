"""Our own collections and what comes back: ACH debits and camt direct debits applied on
day 1, some of them returned on day 2 (R01..R10, AC06), which must take the cash back."""

from __future__ import annotations

from dataclasses import replace

from cashapp.bench.quality.book import Book, BookInvoice, in_full
from cashapp.bench.quality.carriers import shown
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.catalogue import OUR_ODFI, RETURN_REASONS, RETURNS_ODFI, ROUTINGS
from cashapp.bench.quality.records import Payment


def _collection(book: Book, collection: Payment, invoice: BookInvoice, returned: bool) -> None:
    if returned:
        book.expect(
            "collection_returned",
            collection,
            applicable=False,
            names=[invoice],
            note="applied on day 1, must be reversed by its day-2 return",
        )
    else:
        book.expect(
            "own_debit_collection",
            collection,
            applicable=True,
            apps=in_full(invoice),
            names=[invoice],
        )


@case("own_collections_and_returns")
def own_collections_and_returns(book: Book) -> None:
    """Our ACH debits and direct debits; some come back on day 2 (R01.., AC06)."""
    for turn in range(2 * book.per_case):
        returned = turn % 2 == 1
        invoice = book.take()
        customer = invoice.customer
        routing = book.rng.choice(ROUTINGS)
        account = f"{book.rng.randint(10**7, 10**11)}"
        book.sequence += 1
        collection = Payment(
            "nacha-debit",
            1,
            f"{OUR_ODFI}{book.sequence:07d}",
            shown("nacha-debit", customer.name),
            invoice.open_amount,
            individual_id=invoice.number,
            routing=routing,
            account=account,
        )
        _collection(book, collection, invoice, returned)
        if returned:
            book.sequence += 1
            back = replace(
                collection,
                fmt="nacha-return",
                day=2,
                ref=f"{RETURNS_ODFI}{book.sequence:07d}",
                related=collection.ref,
                reason=RETURN_REASONS[(turn // 2) % len(RETURN_REASONS)],
            )
            book.expect(
                "ach_return",
                back,
                applicable=False,
                exceptions=["ach_return"],
                names=[invoice],
                note=f"{back.reason} return of {collection.ref}",
                kind="return",
            )
    for turn in range(book.per_case):
        returned = turn % 2 == 0
        invoice = book.take()
        customer = invoice.customer
        collection = book.payment(
            "camt053-dd",
            customer.name,
            invoice.open_amount,
            text=f"INV-{invoice.key}",
            customer=customer,
        )
        _collection(book, collection, invoice, returned)
        if returned:
            back = replace(collection, fmt="camt053-return", day=2, reason="AC06")
            book.expect(
                "camt_return_ac06",
                back,
                applicable=False,
                exceptions=["failed_payment"],
                names=[invoice],
                note=f"AC06 (account blocked) return of direct debit {collection.ref}",
                kind="return",
            )
