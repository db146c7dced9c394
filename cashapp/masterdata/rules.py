"""The rules of one master-data row: what a valid customer or invoice row is, in Python.

This module is the single definition. :func:`customer_row` and :func:`invoice_row` take
one mapped, stripped row and return its stored values or raise with the reason a person
reads (``unknown customer 'C9' (import customers first)``). The set-based import
(:mod:`cashapp.masterdata.checks`) never restates these rules in SQL: it accepts in SQL
only rows whose every cell has a common, provably-equal shape, reads the cells that
need judgement (dates, currencies, terms) through the functions here once per distinct
text, and hands every other row to :func:`invoice_row` or :func:`customer_row` whole,
so a refused row's message and a messy row's value come from here.

Worked example (invoices, ``[import.invoices] decimal = "."``): ``INV-7,C1,2026-11-01,,
"1,250.50",,usd,,NET30`` gives amount and open amount 1250.50 USD due 2026-12-01 (NET30
from the invoice date); the same row with customer ``C9`` that was never imported is
``unknown customer 'C9' (import customers first)``, whatever else is wrong with it,
because that is the first rule it breaks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final, Literal

from cashapp.config import ImportProfile
from cashapp.money import DecimalMark, MoneyError, check_currency, parse_amount
from cashapp.terms import TermsError, parse_terms

Kind = Literal["customers", "invoices"]
REQUIRED: Mapping[Kind, tuple[str, ...]] = {
    "customers": ("customer_id", "name"),
    "invoices": ("invoice_number", "customer_id", "invoice_date", "amount", "currency"),
}
MAX_ERRORS_SHOWN = 50

#: What a bad row raises; anything else is a fault of ours and is not caught.
ROW_ERRORS: Final = (ValueError, MoneyError, TermsError)


class ImportRefused(ValueError):
    """The file was refused whole; ``problems`` lists each bad line and why."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        shown = self.problems[:MAX_ERRORS_SHOWN]
        more = len(self.problems) - len(shown)
        text = "\n  ".join(shown) + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(f"{path}: refused, nothing imported:\n  {text}")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    kind: Kind
    path: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


def parse_date(text: str, fmt: str = "", kind: Kind = "invoices") -> date:
    """An ISO date, or one in the profile's declared ``date_format``; never a guess.

    ``11/01/2026`` is 1 November to a US ERP and 11 January to a European one, so a
    non-ISO date is read only with ``[import.<kind>] date_format`` set (issue 10).
    """
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # ISO, the common case: fromisoformat is ~20x faster than strptime
            return date.fromisoformat(text)
        except ValueError:
            pass
    if fmt:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise ValueError(
                f"bad date {text!r} (expected YYYY-MM-DD or [import.{kind}] date_format {fmt!r})"
            ) from None
    raise ValueError(
        f"bad date {text!r}: only YYYY-MM-DD is read unless the export's format is declared"
        f' (set import.{kind}.date_format, e.g. "%d/%m/%Y" or "%m/%d/%Y")'
    )


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer_id: str
    name: str
    email: str
    currency: str
    terms: str


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    invoice_number: str
    customer_id: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    po_number: str
    terms: str


def customer_row(row: Mapping[str, str], default_currency: str) -> CustomerRow:
    if not row["customer_id"]:
        raise ValueError("customer_id is empty")
    if not row["name"]:
        raise ValueError("name is empty")
    currency = check_currency(row["currency"] or default_currency)
    if row["terms"]:
        parse_terms(row["terms"])
    return CustomerRow(row["customer_id"], row["name"], row["email"], currency, row["terms"])


def decimal_mark(profile: ImportProfile) -> DecimalMark:
    return "," if profile.decimal == "," else "."


def invoice_row(
    row: Mapping[str, str], customers: Mapping[str, str], profile: ImportProfile
) -> InvoiceRow:
    number = row["invoice_number"]
    if not number:
        raise ValueError("invoice_number is empty")
    if row["customer_id"] not in customers:
        raise ValueError(f"unknown customer {row['customer_id']!r} (import customers first)")
    currency = check_currency(row["currency"])
    mark = decimal_mark(profile)
    amount = parse_amount(row["amount"], currency, decimal=mark)
    open_amount = (
        parse_amount(row["open_amount"], currency, decimal=mark) if row["open_amount"] else amount
    )
    if amount <= 0:
        raise ValueError(f"amount {amount} must be positive (credit memos are not invoices)")
    if not Decimal(0) <= open_amount <= amount:
        raise ValueError(f"open_amount {open_amount} is outside 0..{amount}")
    invoice_date = parse_date(row["invoice_date"], profile.date_format)
    terms = parse_terms(row["terms"]) if row["terms"] else None
    if row["due_date"]:
        due_date = parse_date(row["due_date"], profile.date_format)
    elif terms is not None:
        due_date = terms.due_date(invoice_date)
    else:
        raise ValueError("due_date is empty and there are no terms to derive it from")
    if due_date < invoice_date:
        raise ValueError(f"due_date {due_date} is before invoice_date {invoice_date}")
    return InvoiceRow(
        number,
        row["customer_id"],
        invoice_date,
        due_date,
        amount,
        open_amount,
        currency,
        row["po_number"],
        row["terms"],
    )


def repeat_problem(number: int, key: str, ident: str, first: int) -> str:
    """The refusal of a row whose identifier an earlier valid row already used."""
    return f"line {number}: {key} {ident!r} repeats line {first}"
