"""Customers, open invoices and the ERP's master files of a synthetic book.

Every book has the same two ERP exports -- customers and invoices in the importer's
default columns (:data:`cashapp.config.CUSTOMER_FIELDS`, :data:`~cashapp.config.INVOICE_FIELDS`)
-- and invoice numbers ``INV-<digits>`` that remitters write in a handful of shapes
(:data:`REFERENCE_SHAPES`). The records are mutable on purpose: a generator settles,
re-dates and reserves invoices while it writes its cases. Money is Decimal, built from
whole cents (:func:`from_cents`), so no amount carries a float's error.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Final, Generic, TypeVar

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS
from cashapp.csvsafe import write_csv

#: The shapes people write one invoice reference in (``{n}``: the number's digits); the
#: first six carry a prefix, the last is the bare number.
REFERENCE_SHAPES: Final = ("INV-{n}", "INV{n}", "INV {n}", "inv-{n}", "#{n}", "Invoice {n}", "{n}")
#: ... the six with a prefix (a bare number is ambiguous on a large ledger).
PREFIXED_SHAPES: Final = REFERENCE_SHAPES[:6]


@dataclass(slots=True, eq=False)
class Customer:
    """A customer of the ERP; ``ach_id`` and ``odfi`` say how its bank's ACH credits look
    (the company id on them, the first 8 digits of its bank's routing: its traces)."""

    customer_id: str
    name: str
    terms: str
    email: str = ""
    ach_id: str = ""
    odfi: str = ""


CustomerT = TypeVar("CustomerT", bound=Customer)


@dataclass(slots=True, eq=False)
class Invoice(Generic[CustomerT]):
    """An invoice of the ERP; ``reserved`` once a payment of the book settles or names it."""

    number: str
    customer: CustomerT
    invoice_date: date
    amount: Decimal
    open_amount: Decimal
    po_number: str = ""
    blank_due_date: bool = False  # let the importer derive it from the terms
    reserved: bool = False

    @property
    def key(self) -> str:
        """The digits a remittance names the invoice by."""
        return self.number.split("-")[1]

    @property
    def due_date(self) -> date:
        return self.invoice_date + timedelta(days=net_days(self.customer.terms))


class InvoiceNumbers:
    """Invoice numbers in the ERP's order, with the small random gaps of a real ledger
    (voided and credit-memo numbers in between)."""

    def __init__(self, last: int, max_gap: int) -> None:
        self.last = last
        self.max_gap = max_gap

    def next(self, rng: Random) -> str:
        self.last += rng.randint(1, self.max_gap)
        return invoice_number(self.last)


def invoice_number(digits: int) -> str:
    return f"INV-{digits}"


def cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def from_cents(whole_cents: int) -> Decimal:
    return Decimal(whole_cents).scaleb(-2)


def random_amount(rng: Random, low: int, high: int) -> Decimal:
    """An amount with cents between ``low`` and ``high`` (whole currency units)."""
    return from_cents(rng.randint(low * 100, high * 100))


def net_days(terms: str) -> int:
    """The days to pay of ``NET30`` or ``2/10 NET30``."""
    return int(terms.rsplit("NET", 1)[1])


def business_day(day: date) -> date:
    """The day, moved back to Friday when it falls on a weekend (invoices are dated so)."""
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    return business_day(day - timedelta(days=1))


def write_customers(
    path: Path, customers: Iterable[Customer], *, lineterminator: str = "\n"
) -> Path:
    """The ERP's customer list (every customer in USD), cells spreadsheet-safe."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        write_csv(
            handle,
            CUSTOMER_FIELDS,
            ([c.customer_id, c.name, c.email, "USD", c.terms] for c in customers),
            lineterminator=lineterminator,
        )
    return path


def write_invoices(
    path: Path,
    invoices: Iterable[Invoice[CustomerT]],
    *,
    columns: Sequence[str] = INVOICE_FIELDS,
    lineterminator: str = "\n",
) -> Path:
    """The ERP's invoice list in ``columns`` (a subset of the importer's defaults)."""

    def row(i: Invoice[CustomerT]) -> list[str]:
        cells = {
            "invoice_number": i.number,
            "customer_id": i.customer.customer_id,
            "invoice_date": i.invoice_date.isoformat(),
            "due_date": "" if i.blank_due_date else i.due_date.isoformat(),
            "amount": f"{i.amount:.2f}",
            "open_amount": f"{i.open_amount:.2f}",
            "currency": "USD",
            "po_number": i.po_number,
            "terms": i.customer.terms,
        }
        return [cells[column] for column in columns]

    with path.open("w", newline="", encoding="utf-8") as handle:
        write_csv(handle, columns, (row(i) for i in invoices), lineterminator=lineterminator)
    return path
