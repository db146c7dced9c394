"""The rule primitives: each explains a payment one way, or declines (returns ``None``).

Why a module of its own: a rule in ``matching_rules/*.toml`` names one of these
(:data:`cashapp.matching.registry.PRIMITIVES` says which function, with which
parameters), and each applies cash only when exactly one explanation
fits -- the reference primitives (exact, discount within terms, write-off within
tolerance, duplicate, over, short) from the invoices the remittance names, the customer
primitives (one open invoice of the amount, or one combination by bounded subset sum)
from the payer identified. :func:`~cashapp.matching.engine.decide` tries them in the
rules' order. Pure: no I/O.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import combinations
from typing import TYPE_CHECKING

from cashapp.matching.book import (
    MAX_CANDIDATE_CUSTOMERS,
    ZERO,
    Book,
    EngineSettings,
    referenced_invoices,
)
from cashapp.matching.model import (
    Allocation,
    Decision,
    OpenInvoice,
    PaymentToMatch,
    RaisedException,
    Suggestion,
)
from cashapp.terms import TermsError, parse_terms

if TYPE_CHECKING:  # the registry imports this module, and the rules loader the registry
    from cashapp.matching.rules import Rule


def identified(payment: PaymentToMatch, methods: Sequence[str]) -> str | None:
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


def ref_exact(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in referenced_invoices(p, book, rule.references) if i.open_amount > 0]
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


def ref_discount(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:  # noqa: ARG001 - a rule primitive: the registry calls each with (p, rule, book, s)
    invoices = [i for i in referenced_invoices(p, book, rule.references) if i.open_amount > 0]
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


def ref_writeoff(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:
    invoices = [i for i in referenced_invoices(p, book, rule.references) if i.open_amount > 0]
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


def ref_duplicate(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:  # noqa: ARG001 - a rule primitive: the registry calls each with (p, rule, book, s)
    invoices = referenced_invoices(p, book, rule.references)
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


def ref_over(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:  # noqa: ARG001 - a rule primitive: the registry calls each with (p, rule, book, s)
    invoices = [i for i in referenced_invoices(p, book, rule.references) if i.open_amount > 0]
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


def ref_short(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:  # noqa: ARG001 - a rule primitive: the registry calls each with (p, rule, book, s)
    invoices = [i for i in referenced_invoices(p, book, rule.references) if i.open_amount > 0]
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
    found = subsets(invoices, target, tolerance, s, limit=2)
    return found[0] if len(found) == 1 else None


def subsets(
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


def _candidates(p: PaymentToMatch, methods: Sequence[str]) -> list[str]:
    return sorted({hit.customer_id for hit in p.customers if hit.method in methods})


def cust_single(p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings) -> Decision | None:  # noqa: ARG001 - a rule primitive: the registry calls each with (p, rule, book, s)
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


def cust_combination(
    p: PaymentToMatch, rule: Rule, book: Book, s: EngineSettings
) -> Decision | None:
    customer = identified(p, rule.identify)
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
