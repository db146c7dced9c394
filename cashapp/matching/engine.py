"""The decision engine: one payment, the relevant slice of the book, the rules -> a decision.

Design note. Precision beats recall: a wrong application costs an AR team far more than a
queued one (the customer is dunned for an invoice they paid, and unwinding it takes two
people). So a rule only applies cash when exactly one explanation fits; when two do, the
payment goes to the queue as ``ambiguous`` with both as suggestions.

The engine is pure: it sees a :class:`Book` (the invoices the store found relevant, with
open amounts that change as the run allocates cash) and returns :class:`Decision` values.
Payments are decided one at a time in a canonical order chosen by the caller, so the same
input gives the same result whatever order the files arrived in.

Worked example. Payment 1,960.00 from "ACME CORP", remittance "INV 1001 / 1002"; invoices
1001 (1,000.00 open, 2/10 NET30, dated 3 days ago) and 1002 (1,000.00 open, same). Rule
``ref-exact`` fails (2,000.00 != 1,960.00); ``ref-discount`` finds 2 % = 20.00 on each, so
each invoice gets a 980.00 payment application and a 20.00 discount application, and the
payment is ``applied``.

The parts: :mod:`~cashapp.matching.book` (the book slice and settings),
:mod:`~cashapp.matching.primitives` (one function per rule primitive, listed with
its parameters in :mod:`~cashapp.matching.registry`),
:mod:`~cashapp.matching.suggestions` (the exception and its suggestions when no rule
fits); this module is :func:`decide` over them, and the engine's public names.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from cashapp.matching.book import (
    MAX_CANDIDATE_CUSTOMERS,
    MAX_SUGGESTIONS,
    Book,
    EngineSettings,
    strongest_customers,
)
from cashapp.matching.model import CustomerHit, Decision, PaymentToMatch, ReferenceHit
from cashapp.matching.primitives import identified
from cashapp.matching.registry import PRIMITIVES
from cashapp.matching.rules import Rule
from cashapp.matching.suggestions import amount_suggestions, exception_for, unidentified


def decide(
    payment: PaymentToMatch, book: Book, rules: Sequence[Rule], settings: EngineSettings
) -> Decision:
    """Apply the first rule that explains ``payment``; otherwise raise an exception."""
    decision = decide_by_rules(payment, book, rules, settings)
    return decision if decision is not None else queued(payment, book)


def decide_by_rules(
    payment: PaymentToMatch, book: Book, rules: Sequence[Rule], settings: EngineSettings
) -> Decision | None:
    """The first rule's decision that explains ``payment``, or None when no rule does."""
    for rule in rules:
        decision = PRIMITIVES[rule.primitive].function(payment, rule, book, settings)
        if decision is not None:
            return decision
    return None


def queued(payment: PaymentToMatch, book: Book) -> Decision:
    """The decision for a payment no rule explains: the exception and its suggestions.

    A match run calls this once every payment has been decided, against the book as the
    run leaves it: a person works the queue after the run, so a suggestion must not name
    an invoice a later payment of the same run closed -- and the set-based queueing of
    strangers and crowds, which runs after the engine, reads the same book.
    """
    exception = exception_for(payment, book)
    customer = identified(
        payment, ("account", "customer_id", "exact_name", "truncated_name", "alias", "reference")
    )
    return Decision(payment.payment_id, "unapplied", customer, (), (exception,))


def customer_hits_by_reference(payment: PaymentToMatch, book: Book) -> tuple[CustomerHit, ...]:
    """Customers implied by the invoices the remittance names (third-party payers)."""
    ids = {
        book.invoices[h.invoice_number].customer_id
        for h in payment.references
        if h.invoice_number in book.invoices and h.kind != "bare"
    }
    return tuple(CustomerHit(c, "reference", Decimal("0.9")) for c in sorted(ids))


__all__ = [
    "MAX_CANDIDATE_CUSTOMERS",
    "MAX_SUGGESTIONS",
    "PRIMITIVES",
    "Book",
    "EngineSettings",
    "ReferenceHit",
    "amount_suggestions",
    "customer_hits_by_reference",
    "decide",
    "decide_by_rules",
    "queued",
    "strongest_customers",
    "unidentified",
]
