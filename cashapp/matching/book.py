"""What the engine decides against: the run's slice of the book, and its search bounds.

Why a module of its own: the rule primitives (:mod:`cashapp.matching.primitives`) and the
exception with its suggestions (:mod:`cashapp.matching.suggestions`) read the same
:class:`Book` -- the invoices the store found relevant, with open amounts that change as
the run allocates cash -- and are bounded by the same :class:`EngineSettings` and
candidate limits. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from cashapp.matching.model import CustomerHit, OpenInvoice, PaymentToMatch

ZERO = Decimal(0)
MAX_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class EngineSettings:
    write_off_tolerance: Decimal = Decimal("5.00")
    max_subset_candidates: int = 25
    max_subset_size: int = 5
    subset_time_limit_ms: int = 50


@dataclass(slots=True)
class Book:
    """The invoices relevant to this run, by number and by customer."""

    invoices: dict[str, OpenInvoice] = field(default_factory=dict)
    by_customer: dict[str, list[str]] = field(default_factory=dict)
    #: invoices by (currency, open amount when loaded): the suggestions for a payment from
    #: an unknown payer look here instead of scanning the book
    by_amount: dict[tuple[str, Decimal], list[str]] = field(default_factory=dict)

    #: customers whose ``by_customer`` list is in (due date, number) order: sorted once on
    #: first use instead of on every lookup (a run asks for a customer many times)
    _in_order: set[str] = field(default_factory=set)

    def add(self, invoice: OpenInvoice) -> None:
        if invoice.invoice_number in self.invoices:
            return
        self.invoices[invoice.invoice_number] = invoice
        self.by_customer.setdefault(invoice.customer_id, []).append(invoice.invoice_number)
        self._in_order.discard(invoice.customer_id)
        key = (invoice.currency, invoice.open_amount)
        self.by_amount.setdefault(key, []).append(invoice.invoice_number)

    def open_of_amount(self, currency: str, amount: Decimal) -> list[OpenInvoice]:
        """Invoices still open for exactly ``amount``, oldest due first."""
        found = (self.invoices[n] for n in self.by_amount.get((currency, amount), ()))
        return sorted(
            (i for i in found if i.open_amount == amount),
            key=lambda i: (i.due_date, i.invoice_number),
        )

    def open_for(self, customer_id: str, currency: str) -> list[OpenInvoice]:
        """The customer's invoices still open in ``currency``, oldest due first."""
        numbers = self.by_customer.get(customer_id)
        if not numbers:
            return []
        invoices = self.invoices
        if customer_id not in self._in_order:
            numbers.sort(key=lambda n: (invoices[n].due_date, n))
            self._in_order.add(customer_id)
        found = [invoices[n] for n in numbers]
        return [i for i in found if i.open_amount > 0 and i.currency == currency]


def referenced_invoices(
    payment: PaymentToMatch, book: Book, kinds: Sequence[str]
) -> list[OpenInvoice]:
    """Invoices named by the remittance through the allowed kinds, each once, in order."""
    out: list[OpenInvoice] = []
    seen: set[str] = set()
    for hit in payment.references:
        if hit.kind in kinds and hit.invoice_number not in seen:
            invoice = book.invoices.get(hit.invoice_number)
            if invoice is not None:
                seen.add(hit.invoice_number)
                out.append(invoice)
    return out


#: A payer name several customers share (``VERTEX STAFFING`` for the Inc and the LLC) is
#: still resolved when exactly one of them has an open invoice of the amount; beyond
#: this many candidates the name says too little.
MAX_CANDIDATE_CUSTOMERS = 5


def strongest_customers(hits: Iterable[CustomerHit], limit: int) -> list[CustomerHit]:
    """The best hit of each candidate customer, strongest first, at most ``limit``."""
    best: dict[str, CustomerHit] = {}
    for hit in hits:
        known = best.get(hit.customer_id)
        if known is None or hit.score > known.score:
            best[hit.customer_id] = hit
    return sorted(best.values(), key=lambda c: (-c.score, c.customer_id))[:limit]
