"""The fallback: the exception a payment no rule explains is queued with, and its hints.

Why a module of its own: a queued payment is worked by a person, and what they see first
is the exception's type (``currency_mismatch``, ``ambiguous``, ``unidentified``,
``unmatched``) and up to five ranked suggestions, each with a score and the evidence
behind it -- hints, never decisions. The set-based queueing of strangers and crowds
(:mod:`cashapp.matching.bulk.queueing`) writes exactly what this module would. Pure: no
I/O.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from decimal import Decimal

from cashapp.matching.book import (
    MAX_CANDIDATE_CUSTOMERS,
    MAX_SUGGESTIONS,
    ZERO,
    Book,
    EngineSettings,
    referenced_invoices,
    strongest_customers,
)
from cashapp.matching.model import (
    Decision,
    OpenInvoice,
    PaymentToMatch,
    RaisedException,
    Suggestion,
)
from cashapp.matching.primitives import subsets
from cashapp.money import quantize

# --- fallback: the exception and its suggestions ----------------------------------------


#: Suggestions are hints for a person, not decisions: a smaller combination search is
#: enough, and it keeps a queue of thousands of unexplained payments cheap.
_SUGGESTION_SEARCH = EngineSettings(
    max_subset_candidates=12, max_subset_size=3, subset_time_limit_ms=10
)


def _suggest(p: PaymentToMatch, book: Book) -> list[Suggestion]:  # noqa: C901 - one flat pass per kind of hint (named, same amount, combination, nearest)
    scored: dict[tuple[str, ...], Suggestion] = {}

    def add(sug: Suggestion) -> None:
        old = scored.get(sug.invoices)
        if old is None or old.score < sug.score:
            scored[sug.invoices] = sug

    referenced = referenced_invoices(p, book, ("invoice", "po", "structured", "bare"))
    for inv in referenced:
        if inv.currency == p.currency and inv.open_amount > 0:
            add(
                Suggestion(
                    (inv.invoice_number,),
                    inv.open_amount,
                    Decimal("0.80"),
                    f"named in remittance ({inv.open_amount} open)",
                )
            )
    customers = {c.customer_id: c for c in p.customers}
    # The strongest few candidates only; a combination is only worth showing when the
    # payer is known (across several possible payers it is noise, and costly).
    for hit in strongest_customers(p.customers, MAX_CANDIDATE_CUSTOMERS):
        customer_id = hit.customer_id
        open_invoices = book.open_for(customer_id, p.currency)
        for inv in open_invoices:
            if inv.open_amount == p.amount:
                add(
                    Suggestion(
                        (inv.invoice_number,),
                        inv.open_amount,
                        Decimal("0.75"),
                        f"payer identified by {hit.method}; open amount equals payment",
                    )
                )
        combos = (
            subsets(open_invoices, p.amount, ZERO, _SUGGESTION_SEARCH, MAX_SUGGESTIONS)
            if len(customers) == 1
            else []
        )
        for combo in combos:
            if combo:
                add(
                    Suggestion(
                        tuple(i.invoice_number for i in combo),
                        p.amount,
                        Decimal("0.65"),
                        f"payer identified by {hit.method}; combination adds up",
                    )
                )
        for inv in heapq.nsmallest(
            3, open_invoices, key=lambda i: (abs(i.open_amount - p.amount), i.due_date)
        ):
            closeness = Decimal(1) - min(
                abs(inv.open_amount - p.amount) / max(p.amount, Decimal(1)), Decimal(1)
            )
            add(
                Suggestion(
                    (inv.invoice_number,),
                    inv.open_amount,
                    quantize(Decimal("0.5") * closeness, "USD", exact=False),
                    f"payer identified by {hit.method}; nearest open amount",
                )
            )
    if not customers:
        for suggestion in amount_suggestions(book.open_of_amount(p.currency, p.amount)):
            add(suggestion)
    ranked = sorted(scored.values(), key=lambda x: (-x.score, x.invoices))
    return ranked[:MAX_SUGGESTIONS]


def amount_suggestions(same_amount: Sequence[OpenInvoice]) -> list[Suggestion]:
    """For a payer nobody knows: invoices open for exactly the amount (the oldest due
    first, at most twice the suggestions shown), each a weak 0.40 hint."""
    return [
        Suggestion(
            (inv.invoice_number,),
            inv.open_amount,
            Decimal("0.40"),
            f"open amount equals payment (customer {inv.customer_id})",
        )
        for inv in same_amount[: MAX_SUGGESTIONS * 2]
    ]


def unidentified(p: PaymentToMatch, same_amount: Sequence[OpenInvoice]) -> Decision:
    """The decision for a payment that names no invoice from a payer no method identifies.

    No rule can apply it (every primitive needs a reference or a customer), so this is
    what :func:`decide` returns for it; the set-based pipeline calls it directly with the
    invoices open for the amount (oldest due first) instead of building a book.
    """
    suggestions = sorted(amount_suggestions(same_amount), key=lambda x: (-x.score, x.invoices))
    exception = _unidentified(p, tuple(suggestions[:MAX_SUGGESTIONS]))
    return Decision(p.payment_id, "unapplied", None, (), (exception,))


def _unidentified(p: PaymentToMatch, suggestions: tuple[Suggestion, ...]) -> RaisedException:
    who = f"payer {p.payer_name!r}" if p.payer_name else "payer without a name"
    return RaisedException(
        "unidentified",
        p.amount,
        f"{who} is not a known customer and no invoice is named",
        suggestions=suggestions,
    )


def exception_for(p: PaymentToMatch, book: Book) -> RaisedException:
    suggestions = tuple(_suggest(p, book))
    referenced = referenced_invoices(p, book, ("invoice", "po", "structured", "bare"))
    wrong_currency = [i for i in referenced if i.currency != p.currency]
    customers = {c.customer_id for c in p.customers}
    if wrong_currency and len(wrong_currency) == len(referenced):
        inv = wrong_currency[0]
        return RaisedException(
            "currency_mismatch",
            p.amount,
            f"remittance names {inv.invoice_number} in {inv.currency}; payment is {p.currency}",
            invoice_number=inv.invoice_number,
            customer_id=inv.customer_id,
            suggestions=suggestions,
        )
    if len(customers) > 1:
        return RaisedException(
            "ambiguous",
            p.amount,
            f"payer could be any of {', '.join(sorted(customers))}",
            suggestions=suggestions,
        )
    exact_count = sum(1 for x in suggestions if x.score >= Decimal("0.65"))
    if exact_count > 1:
        return RaisedException(
            "ambiguous",
            p.amount,
            f"{exact_count} candidates explain the payment equally well; none applied",
            customer_id=next(iter(customers), None),
            suggestions=suggestions,
        )
    if not customers and not referenced:
        return _unidentified(p, suggestions)
    return RaisedException(
        "unmatched",
        p.amount,
        "no open invoice or combination explains the amount",
        customer_id=next(iter(customers), None),
        suggestions=suggestions,
    )
