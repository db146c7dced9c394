"""Cases decided by the amount against what is open: early-payment discounts (in and out
of their window), short pays written off or queued, a short line of a structured
remittance, over payments, and invoices paid a second time."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import combinations

from cashapp.bench.quality.book import Book, BookInvoice, in_full
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.catalogue import (
    EARLY_DISCOUNT_TEXTS,
    RESENT_TAILS,
    ROTATIONS,
    SHORT_TEXTS,
    WRITEOFF_TAILS,
)
from cashapp.bench.quality.labels import DAY1, BenchError
from cashapp.bench.synthetic.ledger import business_day, cents, from_cents
from cashapp.domain import RemittanceLine


@case("ctx_820_line_deduction")
def ctx_820_line_deduction(book: Book) -> None:
    """Structured remittance where one line is short paid (damaged goods, pricing)."""
    options = ROTATIONS["ctx_820_line_deduction"]
    for turn in range(book.per_case):
        group = book.several(book.rng.randint(2, 3), lambda i: i.open_amount >= 400)
        short_line = book.rng.randrange(len(group))
        for _ in range(20):
            low = cents(book.tolerance) + 100
            deduction = from_cents(
                book.rng.randint(low, max(low, cents(group[short_line].open_amount) // 4))
            )
            paid = [
                i.open_amount - (deduction if n == short_line else 0) for n, i in enumerate(group)
            ]
            amount = sum(paid, Decimal(0))
            sums = {
                sum((i.open_amount for i in combo), Decimal(0))
                for size in range(1, len(group) + 1)
                for combo in combinations(group, size)
            }
            if amount not in sums:  # no subset of the named invoices explains it
                break
        else:
            raise BenchError("could not draw a line deduction")
        customer = group[0].customer
        customer.partial = True
        book.receive(
            "ctx_820_line_deduction",
            options[turn % len(options)],
            customer.name,
            amount,
            lines=[
                RemittanceLine(i.number, "IV", p, i.amount)
                for i, p in zip(group, paid, strict=True)
            ],
            customer=customer,
            applicable=True,
            apps=[(i.number, p, "payment") for i, p in zip(group, paid, strict=True)],
            exceptions=["short_payment"],
            names=group,
            note=f"{group[short_line].number} short by {deduction} per its RMR line",
        )


def _discount_invoice(book: Book, *, min_amount: int, age: tuple[int, int]) -> BookInvoice:
    """A 2/10 NET30 invoice re-dated ``age`` days back, amount a multiple of 0.50."""
    invoice = book.take(
        lambda i: (
            i.customer.terms.startswith("2/10")
            and i.open_amount == i.amount
            and i.amount >= min_amount
        )
    )
    whole = cents(invoice.amount)
    whole += (50 - whole % 50) % 50  # so 2 % of it is a whole number of cents
    invoice.amount = invoice.open_amount = from_cents(whole)
    invoice.invoice_date = business_day(DAY1 - timedelta(days=book.rng.randint(*age)))
    return invoice


@case("early_payment_discount")
def early_payment_discount(book: Book) -> None:
    """2 % taken inside the 10 days: the invoice closes with a discount application."""
    options = ROTATIONS["early_payment_discount"]
    for turn in range(book.per_case):
        invoice = _discount_invoice(book, min_amount=100, age=(2, 8))
        discount = from_cents(cents(invoice.amount) // 50)
        paid = invoice.amount - discount
        fmt = options[turn % len(options)]
        lines: list[RemittanceLine] = []
        text = ""
        if fmt in ("nacha-ctx", "camt053"):
            lines = [RemittanceLine(invoice.number, "IV", paid, invoice.amount, discount)]
        else:
            text = book.rng.choice(EARLY_DISCOUNT_TEXTS).format(n=invoice.key)
        customer = invoice.customer
        book.receive(
            "early_payment_discount",
            fmt,
            customer.name,
            paid,
            text=text,
            lines=lines,
            customer=customer,
            applicable=True,
            apps=[(invoice.number, paid, "payment"), (invoice.number, discount, "discount")],
            names=[invoice],
        )


@case("late_discount_taken")
def late_discount_taken(book: Book) -> None:
    """2 % taken after the 10 days: not a discount any more, a short payment."""
    options = ROTATIONS["late_discount_taken"]
    floor = max(1000, int(book.tolerance * 50) + 100)
    for turn in range(max(1, book.per_case // 2)):
        invoice = _discount_invoice(book, min_amount=floor, age=(16, 40))
        discount = from_cents(cents(invoice.amount) // 50)
        paid = invoice.amount - discount
        text = f"INV-{invoice.key} LESS 2PCT DISC"
        customer = invoice.customer
        customer.partial = True
        book.receive(
            "late_discount_taken",
            book.carries(options, turn, customer.name, text),
            customer.name,
            paid,
            text=text,
            customer=customer,
            applicable=True,
            apps=[(invoice.number, paid, "payment")],
            exceptions=["short_payment"],
            names=[invoice],
            note=f"invoice dated {invoice.invoice_date}, discount window closed",
        )


def _net_invoice(book: Book, minimum: Decimal) -> BookInvoice:
    return book.take(lambda i: not i.customer.terms.startswith("2/") and i.open_amount >= minimum)


@case("short_pay_writeoff")
def short_pay_writeoff(book: Book) -> None:
    """Short by no more than the write-off tolerance: applied, the rest written off."""
    if book.tolerance <= 0:
        book.skipped.append(("short_pay_writeoff", "skipped: write_off_tolerance is 0"))
        return
    options = ROTATIONS["short_pay_writeoff"]
    for turn in range(book.per_case):
        invoice = _net_invoice(book, Decimal(100))
        short = from_cents(book.rng.randint(1, cents(book.tolerance)))
        paid = invoice.open_amount - short
        text = f"INV-{invoice.key}" + book.rng.choice(WRITEOFF_TAILS)
        name = invoice.customer.name
        book.receive(
            "short_pay_writeoff",
            book.carries(options, turn, name, text),
            name,
            paid,
            text=text,
            customer=invoice.customer,
            applicable=True,
            apps=[(invoice.number, paid, "payment"), (invoice.number, short, "writeoff")],
            names=[invoice],
        )


@case("short_payment")
def short_payment(book: Book) -> None:
    """Short by more than the tolerance: applied, the rest open, a short_payment queued."""
    options = ROTATIONS["short_payment"]
    for turn in range(book.per_case):
        invoice = _net_invoice(book, Decimal(400))
        low = cents(book.tolerance) + 1
        short = from_cents(book.rng.randint(low, max(low, cents(invoice.open_amount) * 2 // 5)))
        paid = invoice.open_amount - short
        text = book.rng.choice(SHORT_TEXTS).format(n=invoice.key)
        customer = invoice.customer
        customer.partial = True
        book.receive(
            "short_payment",
            book.carries(options, turn, customer.name, text),
            customer.name,
            paid,
            text=text,
            customer=customer,
            applicable=True,
            apps=[(invoice.number, paid, "payment")],
            exceptions=["short_payment"],
            names=[invoice],
        )


@case("over_payment")
def over_payment(book: Book) -> None:
    """More than is open: the invoice closes, the rest stays on account."""
    options = ROTATIONS["over_payment"]
    for turn in range(book.per_case):
        invoice = _net_invoice(book, Decimal(100))
        over = from_cents(book.rng.randint(1000, 75000))
        text = f"INV-{invoice.key}"
        name = invoice.customer.name
        book.receive(
            "over_payment",
            book.carries(options, turn, name, text),
            name,
            invoice.open_amount + over,
            text=text,
            customer=invoice.customer,
            applicable=True,
            apps=[*in_full(invoice), (None, over, "unapplied")],
            exceptions=["over_payment"],
            names=[invoice],
        )


@case("duplicate_payment")
def duplicate_payment(book: Book) -> None:
    """An invoice paid again: closed in the ERP already, or paid yesterday and re-sent."""
    options = ROTATIONS["duplicate_payment"]
    for turn in range(book.per_case):
        if turn % 2 == 0:
            paid = [i for i in book.invoices if i.open_amount == 0 and not i.reserved]
            if not paid:
                raise BenchError("the book has no invoice paid in the ERP")
            invoice = book.rng.choice(paid)
            invoice.reserved = True
            text = f"INV-{invoice.key}"
            name = invoice.customer.name
            book.receive(
                "duplicate_payment",
                book.carries(options, turn, name, text),
                name,
                invoice.amount,
                text=text,
                customer=invoice.customer,
                applicable=False,
                exceptions=["duplicate_payment"],
                names=[invoice],
                note="invoice closed in the ERP before cashapp",
            )
            continue
        invoice = book.take()
        text = f"INV-{invoice.key} " + book.rng.choice(RESENT_TAILS)
        name = invoice.customer.name
        fmt = book.carries(ROTATIONS["duplicate_resent"], turn, name, text)
        first = book.receive(
            "ref_exact_single",
            fmt,
            name,
            invoice.open_amount,
            text=text,
            customer=invoice.customer,
            applicable=True,
            apps=in_full(invoice),
            names=[invoice],
            note="paid again on day 2",
        )
        book.receive(
            "duplicate_payment",
            fmt,
            name,
            invoice.open_amount,
            text=text,
            day=2,
            customer=invoice.customer,
            applicable=False,
            exceptions=["duplicate_payment"],
            names=[invoice],
            note=f"re-sent: same remittance as {first.ref} of day 1",
        )
