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
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import combinations

from cashapp.matching.model import (
    Allocation,
    CustomerHit,
    Decision,
    OpenInvoice,
    PaymentToMatch,
    RaisedException,
    ReferenceHit,
    Suggestion,
)
from cashapp.matching.rules import Rule
from cashapp.money import quantize
from cashapp.terms import TermsError, parse_terms

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


# --- helpers ---------------------------------------------------------------------------


def _referenced(payment: PaymentToMatch, book: Book, kinds: Sequence[str]) -> list[OpenInvoice]:
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


def _identified(payment: PaymentToMatch, methods: Sequence[str]) -> str | None:
    """The one customer the allowed identification methods agree on, else None."""
    ids = {hit.customer_id for hit in payment.customers if hit.method in methods}
    return ids.pop() if len(ids) == 1 else None


def _evidence(payment: PaymentToMatch, invoices: Iterable[OpenInvoice]) -> dict[str, object]:
    numbers = {i.invoice_number for i in invoices}
    return {
        "references": [
            {"invoice": h.invoice_number, "kind": h.kind, "text": h.text}
            for h in payment.references
            if h.invoice_number in numbers
        ],
        "customer": [
            {"customer_id": c.customer_id, "method": c.method, "detail": c.detail}
            for c in payment.customers
        ],
    }


def _apply(
    invoices: Sequence[OpenInvoice],
    amounts: Sequence[Decimal],
    kind: str,
    rule: Rule,
    evidence: dict[str, object],
) -> list[Allocation]:
    out = []
    for invoice, amount in zip(invoices, amounts, strict=True):
        if amount <= 0:
            continue
        invoice.open_amount -= amount
        out.append(
            Allocation(
                invoice.invoice_number,
                invoice.customer_id,
                amount,
                kind,
                rule.id,
                rule.confidence,
                evidence,
            )
        )
    return out


def _customer_of(invoices: Sequence[OpenInvoice]) -> str | None:
    customers = {i.customer_id for i in invoices}
    return customers.pop() if len(customers) == 1 else None


def _applied_decision(
    payment: PaymentToMatch,
    allocations: list[Allocation],
    exceptions: Sequence[RaisedException] = (),
) -> Decision:
    paid = sum((a.amount for a in allocations if a.kind in ("payment", "unapplied")), ZERO)
    status = "applied" if paid == payment.amount else "partially_applied" if paid else "unapplied"
    customer = _customer_of_allocs(allocations)
    return Decision(payment.payment_id, status, customer, tuple(allocations), tuple(exceptions))


def _customer_of_allocs(allocations: Sequence[Allocation]) -> str | None:
    ids = {a.customer_id for a in allocations if a.customer_id}
    return ids.pop() if len(ids) == 1 else None


# --- reference primitives --------------------------------------------------------------


def _ref_exact(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in _referenced(p, book, rule.references) if i.open_amount > 0]
    if not invoices or any(i.currency != p.currency for i in invoices):
        return None
    total = sum((i.open_amount for i in invoices), ZERO)
    if abs(total - p.amount) > rule.tolerance:
        # Several invoices named but only some paid: a unique exact subset of them.
        subset = _unique_subset(invoices, p.amount, rule.tolerance, s)
        if subset is None:
            return None
        invoices = list(subset)
        total = sum((i.open_amount for i in invoices), ZERO)
    amounts = [i.open_amount for i in invoices]
    amounts[-1] += p.amount - total  # a difference within tolerance lands on the last
    return _applied_decision(p, _apply(invoices, amounts, "payment", rule, _evidence(p, invoices)))


def _discounts(p: PaymentToMatch, invoices: Sequence[OpenInvoice]) -> list[Decimal] | None:
    out = []
    for invoice in invoices:
        try:
            terms = parse_terms(invoice.terms)
        except TermsError:
            return None
        if terms is None:
            return None
        out.append(
            terms.discount_for(
                invoice.open_amount, invoice.currency, invoice.invoice_date, p.value_date
            )
        )
    return out


def _ref_discount(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in _referenced(p, book, rule.references) if i.open_amount > 0]
    if not invoices or any(i.currency != p.currency for i in invoices):
        return None
    discounts = _discounts(p, invoices)
    if discounts is None or not any(discounts):
        return None
    net = sum((i.open_amount - d for i, d in zip(invoices, discounts, strict=True)), ZERO)
    if abs(net - p.amount) > rule.tolerance:
        return None
    paid = [i.open_amount - d for i, d in zip(invoices, discounts, strict=True)]
    paid[-1] += p.amount - net
    discounts[-1] -= p.amount - net
    evidence = {**_evidence(p, invoices), "discount": [str(d) for d in discounts]}
    allocs = _apply(invoices, paid, "payment", rule, evidence)
    allocs += _apply(invoices, discounts, "discount", rule, evidence)
    return _applied_decision(p, allocs)


def _ref_writeoff(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in _referenced(p, book, rule.references) if i.open_amount > 0]
    if not invoices or any(i.currency != p.currency for i in invoices):
        return None
    short = sum((i.open_amount for i in invoices), ZERO) - p.amount
    if not ZERO < short <= s.write_off_tolerance:
        return None
    paid = [i.open_amount for i in invoices]
    paid[-1] -= short
    if paid[-1] <= 0:
        return None
    writeoffs = [ZERO] * (len(invoices) - 1) + [short]
    evidence = {**_evidence(p, invoices), "written_off": str(short)}
    allocs = _apply(invoices, paid, "payment", rule, evidence)
    allocs += _apply(invoices, writeoffs, "writeoff", rule, evidence)
    return _applied_decision(p, allocs)


def _ref_duplicate(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = _referenced(p, book, rule.references)
    if not invoices or any(i.open_amount > 0 for i in invoices):
        return None
    if any(i.currency != p.currency for i in invoices):
        return None
    numbers = ", ".join(i.invoice_number for i in invoices)
    exc = RaisedException(
        "duplicate_payment",
        p.amount,
        f"remittance names {numbers}, already paid in full",
        invoice_number=invoices[0].invoice_number,
        customer_id=_customer_of(invoices),
        suggestions=(
            Suggestion(
                tuple(i.invoice_number for i in invoices),
                p.amount,
                Decimal("0.9"),
                "named in remittance, already paid: refund or keep on account",
            ),
        ),
    )
    return Decision(p.payment_id, "unapplied", _customer_of(invoices), (), (exc,))


def _ref_over(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in _referenced(p, book, rule.references) if i.open_amount > 0]
    if not invoices or any(i.currency != p.currency for i in invoices):
        return None
    total = sum((i.open_amount for i in invoices), ZERO)
    if total >= p.amount:
        return None
    over = p.amount - total
    evidence = _evidence(p, invoices)
    allocs = _apply(invoices, [i.open_amount for i in invoices], "payment", rule, evidence)
    customer = _customer_of(invoices)
    allocs.append(Allocation(None, customer, over, "unapplied", rule.id, rule.confidence, evidence))
    exc = RaisedException(
        "over_payment",
        over,
        f"paid {p.amount} against {total} open; {over} left on account",
        invoice_number=invoices[0].invoice_number,
        customer_id=customer,
    )
    return _applied_decision(p, allocs, (exc,))


def _line_amounts(p: PaymentToMatch, invoices: Sequence[OpenInvoice]) -> list[Decimal] | None:
    """What the remittance says was paid on each invoice, if it says so for all of them.

    Structured remittance (X12 820 RMR04, camt RfrdDocAmt) carries the payer's own split;
    when those amounts add up to the payment, they -- not oldest-first -- decide which
    invoice is short (a deduction taken on one line is that line's short pay).
    """
    paid: dict[str, Decimal] = {}
    for hit in p.references:
        if hit.paid is not None and hit.invoice_number not in paid:
            paid[hit.invoice_number] = hit.paid
    amounts = [paid.get(i.invoice_number) for i in invoices]
    if any(a is None for a in amounts):
        return None
    known = [a for a in amounts if a is not None]
    if sum(known, ZERO) != p.amount or any(a < 0 for a in known):
        return None
    if any(a > i.open_amount for a, i in zip(known, invoices, strict=True)):
        return None
    return known


def _ref_short(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in _referenced(p, book, rule.references) if i.open_amount > 0]
    if not invoices or any(i.currency != p.currency for i in invoices):
        return None
    total = sum((i.open_amount for i in invoices), ZERO)
    if total <= p.amount:
        return None
    by_line = _line_amounts(p, invoices)
    if by_line is not None:
        paid = list(zip(invoices, by_line, strict=True))
    else:
        remaining = p.amount
        paid = []
        for invoice in sorted(invoices, key=lambda i: (i.due_date, i.invoice_number)):
            part = min(invoice.open_amount, remaining)
            paid.append((invoice, part))
            remaining -= part
    order = [i for i, _ in paid]
    evidence = _evidence(p, invoices)
    if by_line is not None:
        evidence = {**evidence, "split": "as the remittance lines say"}
    allocs = _apply(order, [a for _, a in paid], "payment", rule, evidence)
    short = total - p.amount
    still_open = next(i for i in order if i.open_amount > 0)
    exc = RaisedException(
        "short_payment",
        short,
        f"paid {p.amount} against {total} open on {', '.join(i.invoice_number for i in order)};"
        f" {short} still open",
        invoice_number=still_open.invoice_number,
        customer_id=_customer_of(invoices),
    )
    return _applied_decision(p, allocs, (exc,))


# --- customer + amount primitives ------------------------------------------------------


def _unique_subset(
    invoices: Sequence[OpenInvoice], target: Decimal, tolerance: Decimal, s: EngineSettings
) -> tuple[OpenInvoice, ...] | None:
    """The one combination of ``invoices`` adding up to ``target``; None if zero or several."""
    found = _subsets(invoices, target, tolerance, s, limit=2)
    return found[0] if len(found) == 1 else None


def _subsets(
    invoices: Sequence[OpenInvoice],
    target: Decimal,
    tolerance: Decimal,
    s: EngineSettings,
    limit: int,
) -> list[tuple[OpenInvoice, ...]]:
    """Bounded subset sum: at most ``max_subset_candidates`` invoices (oldest first), at
    most ``max_subset_size`` per combination, stops after ``limit`` hits or the time cap.
    Hitting the time cap reports what was found so far *plus* a sentinel duplicate so the
    caller treats the result as not unique (an unfinished search proves nothing)."""
    pool = [i for i in invoices if ZERO < i.open_amount <= target + tolerance]
    pool = pool[: s.max_subset_candidates]
    # Exact integer arithmetic in ten-thousandths (the store's scale): the same result as
    # Decimal sums, several times faster in the inner loop.
    units = [int(i.open_amount.scaleb(4)) for i in pool]
    goal, slack = int(target.scaleb(4)), int(tolerance.scaleb(4))
    deadline = time.monotonic() + s.subset_time_limit_ms / 1000
    found: list[tuple[OpenInvoice, ...]] = []
    for size in range(2, min(s.max_subset_size, len(pool)) + 1):
        for n, combo in enumerate(combinations(range(len(pool)), size)):
            if abs(sum(units[k] for k in combo) - goal) <= slack:
                found.append(tuple(pool[k] for k in combo))
                if len(found) >= limit:
                    return found
            if n % 2048 == 0 and time.monotonic() > deadline:
                return found + found[:1] if found else [(), ()]
    return found


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


def _candidates(p: PaymentToMatch, methods: Sequence[str]) -> list[str]:
    return sorted({hit.customer_id for hit in p.customers if hit.method in methods})


def _cust_single(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    candidates = _candidates(p, rule.identify)
    everyone = {hit.customer_id for hit in p.customers}
    if not candidates or len(everyone) > MAX_CANDIDATE_CUSTOMERS:
        return None
    exact = [
        i
        for customer in candidates
        for i in book.open_for(customer, p.currency)
        if abs(i.open_amount - p.amount) <= rule.tolerance
    ]
    if len(exact) != 1:
        return None
    evidence = {**_evidence(p, exact), "amount": "equals the open amount"}
    if len(candidates) > 1:
        evidence["candidates"] = candidates
        evidence["amount"] = "only this candidate has an open invoice of the amount"
    return _applied_decision(p, _apply(exact, [p.amount], "payment", rule, evidence))


def _cust_combination(
    p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings
) -> Decision | None:
    customer = _identified(p, rule.identify)
    if customer is None:
        return None
    open_invoices = book.open_for(customer, p.currency)
    if any(abs(i.open_amount - p.amount) <= rule.tolerance for i in open_invoices):
        return None  # a single-invoice explanation exists too: not unique
    combo = _unique_subset(open_invoices, p.amount, rule.tolerance, s)
    if combo is None:
        return None
    invoices = list(combo)
    evidence = {**_evidence(p, invoices), "combination": [i.invoice_number for i in invoices]}
    amounts = [i.open_amount for i in invoices]
    amounts[-1] += p.amount - sum(amounts, ZERO)
    return _applied_decision(p, _apply(invoices, amounts, "payment", rule, evidence))


PRIMITIVE_FUNCTIONS = {
    "reference_exact": _ref_exact,
    "reference_discount": _ref_discount,
    "reference_writeoff": _ref_writeoff,
    "reference_duplicate": _ref_duplicate,
    "reference_over": _ref_over,
    "reference_short": _ref_short,
    "customer_single_invoice": _cust_single,
    "customer_combination": _cust_combination,
}


# --- fallback: the exception and its suggestions ----------------------------------------


#: Suggestions are hints for a person, not decisions: a smaller combination search is
#: enough, and it keeps a queue of thousands of unexplained payments cheap.
_SUGGESTION_SEARCH = EngineSettings(
    max_subset_candidates=12, max_subset_size=3, subset_time_limit_ms=10
)


def _suggest(p: PaymentToMatch, book: Book, s: EngineSettings) -> list[Suggestion]:
    scored: dict[tuple[str, ...], Suggestion] = {}

    def add(sug: Suggestion) -> None:
        old = scored.get(sug.invoices)
        if old is None or old.score < sug.score:
            scored[sug.invoices] = sug

    referenced = _referenced(p, book, ("invoice", "po", "structured", "bare"))
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
            _subsets(open_invoices, p.amount, ZERO, _SUGGESTION_SEARCH, MAX_SUGGESTIONS)
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


def _exception_for(p: PaymentToMatch, book: Book, s: EngineSettings) -> RaisedException:
    suggestions = tuple(_suggest(p, book, s))
    referenced = _referenced(p, book, ("invoice", "po", "structured", "bare"))
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


def decide(
    payment: PaymentToMatch, book: Book, rules: Sequence[Rule], settings: EngineSettings
) -> Decision:
    """Apply the first rule that explains ``payment``; otherwise raise an exception."""
    for rule in rules:
        decision = PRIMITIVE_FUNCTIONS[rule.primitive](payment, rule, book, settings)
        if decision is not None:
            return decision
    exception = _exception_for(payment, book, settings)
    customer = _identified(
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


__all__ = ["Book", "EngineSettings", "ReferenceHit", "decide"]
