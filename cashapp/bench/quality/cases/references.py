"""Cases where the remittance names what is paid: invoice numbers in the shapes people
write them, structured remittance (CTX 820, camt), a purchase order, a customer number,
a mistyped number, and a number naming an invoice in another currency."""

from __future__ import annotations

from decimal import Decimal

from cashapp.bench.quality.book import Book, in_full
from cashapp.bench.quality.carriers import join_keys
from cashapp.bench.quality.cases import case
from cashapp.bench.quality.catalogue import (
    CUSTOMER_ID_TEXTS,
    LEADS,
    PO_TEXTS,
    PROCESSORS,
    ROTATIONS,
    TYPO_TEXTS,
)
from cashapp.bench.quality.labels import BenchError
from cashapp.bench.synthetic.ledger import REFERENCE_SHAPES
from cashapp.domain import RemittanceLine


@case("ref_exact_single")
def ref_exact_single(book: Book) -> None:
    """One invoice named in each of the shapes people write, paid exactly."""
    options = ROTATIONS["ref_exact_single"]
    for turn in range(max(book.per_case, len(REFERENCE_SHAPES))):
        invoice = book.take()
        shape = REFERENCE_SHAPES[turn % len(REFERENCE_SHAPES)]
        text = book.rng.choice(LEADS) + shape.format(n=invoice.key)
        name = invoice.customer.name
        book.receive(
            "ref_exact_single",
            book.carries(options, turn, name, text),
            name,
            invoice.open_amount,
            text=text,
            customer=invoice.customer,
            applicable=True,
            apps=in_full(invoice),
            names=[invoice],
        )


@case("ref_multi_invoice")
def ref_multi_invoice(book: Book) -> None:
    """Several invoices of one customer named in one remittance, paid together."""
    options = ROTATIONS["ref_multi_invoice"]
    for turn in range(book.per_case):
        group = book.several(book.rng.randint(2, 3), lambda _: True)
        text = join_keys([i.key for i in group], turn % 6)
        name = group[0].customer.name
        book.receive(
            "ref_multi_invoice",
            book.carries(options, turn, name, text),
            name,
            sum((i.open_amount for i in group), Decimal(0)),
            text=text,
            customer=group[0].customer,
            applicable=True,
            apps=in_full(*group),
            names=group,
        )


@case("ctx_820_remittance")
def ctx_820_remittance(book: Book) -> None:
    """Structured remittance (CTX 820 RMR lines, camt RfrdDocInf) paying each in full."""
    options = ROTATIONS["ctx_820_remittance"]
    for turn in range(book.per_case):
        group = book.several(book.rng.randint(2, 4), lambda _: True)
        customer = group[0].customer
        book.receive(
            "ctx_820_remittance",
            options[turn % len(options)],
            customer.name,
            sum((i.open_amount for i in group), Decimal(0)),
            lines=[RemittanceLine(i.number, "IV", i.open_amount, i.amount) for i in group],
            customer=customer,
            applicable=True,
            apps=in_full(*group),
            names=group,
        )


@case("po_reference")
def po_reference(book: Book) -> None:
    """Only the customer's purchase order number in the remittance."""
    options = ROTATIONS["po_reference"]
    for turn in range(book.per_case):
        invoice = book.take(lambda i: bool(i.po_number))
        digits = invoice.po_number.removeprefix("PO-")
        text = book.rng.choice(PO_TEXTS).format(po=digits, raw=invoice.po_number)
        customer = invoice.customer
        if turn % 2:
            name = book.rng.choice(PROCESSORS)
            fmt = book.carries(options, turn, name, text)
            note = f"paid through a payables processor; ERP PO {invoice.po_number}"
        else:
            name = customer.name
            fmt = book.named(options, turn, customer, text)
            note = f"ERP PO {invoice.po_number}"
        book.receive(
            "po_reference",
            fmt,
            name,
            invoice.open_amount,
            text=text,
            customer=customer,
            applicable=True,
            apps=in_full(invoice),
            names=[invoice],
            note=note,
        )


def _typo(book: Book, key: str) -> str:
    """A mistyped invoice number that is no invoice of the book."""
    taken = {i.key for i in book.invoices}
    digits = list(key)
    candidates = []
    for k in range(len(digits) - 1):
        if digits[k] != digits[k + 1]:
            swapped = [*digits[:k], digits[k + 1], digits[k], *digits[k + 2 :]]
            candidates.append("".join(swapped))
    candidates += [key[:k] + key[k + 1 :] for k in range(2, len(key))]
    candidates = [
        c for c in candidates if c not in taken and (len(c) < 6 or int(c) < book.pool_top)
    ]
    if not candidates:
        raise BenchError(f"no typo of {key} avoids every invoice number")
    return book.rng.choice(sorted(set(candidates)))


@case("ref_typo_fallback")
def ref_typo_fallback(book: Book) -> None:
    """The number is mistyped (no such invoice): payer name and amount still decide."""
    options = ROTATIONS["ref_typo_fallback"]
    for turn in range(book.per_case):
        invoice = book.amount_invoice(book.regular)
        typo = _typo(book, invoice.key)
        text = book.rng.choice(TYPO_TEXTS).format(n=typo)
        customer = invoice.customer
        book.receive(
            "ref_typo_fallback",
            book.named(options, turn, customer, text),
            customer.name,
            invoice.open_amount,
            text=text,
            customer=customer,
            applicable=True,
            apps=in_full(invoice),
            note=f"remittance says {typo}, meant {invoice.key}",
        )


@case("customer_id_in_remittance")
def customer_id_in_remittance(book: Book) -> None:
    """Paid through a processor; only our customer number says who."""
    options = ROTATIONS["customer_id_in_remittance"]
    for turn in range(book.per_case):
        invoice = book.amount_invoice(book.regular)
        customer = invoice.customer
        text = book.rng.choice(CUSTOMER_ID_TEXTS).format(c=customer.customer_id)
        name = book.rng.choice(PROCESSORS)
        book.receive(
            "customer_id_in_remittance",
            book.carries(options, turn, name, text),
            name,
            invoice.open_amount,
            text=text,
            customer=customer,
            applicable=True,
            apps=in_full(invoice),
            note=f"paid through {name}",
        )


@case("currency_mismatch")
def currency_mismatch(book: Book) -> None:
    """A USD invoice named by a EUR payment of the same figure: never applied."""
    options = ROTATIONS["currency_mismatch"]
    for turn in range(max(1, book.per_case // 2)):
        invoice = book.take()
        text = f"INV-{invoice.key}"
        name = invoice.customer.name
        book.receive(
            "currency_mismatch",
            book.carries(options, turn, name, text),
            name,
            invoice.open_amount,
            text=text,
            currency="EUR",
            customer=invoice.customer,
            applicable=False,
            exceptions=["currency_mismatch"],
            names=[invoice],
            note="EUR payment naming a USD invoice",
        )
