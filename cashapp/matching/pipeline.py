"""The match run: feed the engine set-based batches from the store, write decisions back.

Stages (DESIGN §6), each a set-based step over all unmatched payments at once:

1. **events** -- returns, chargebacks, refunds: find the original by ``related_ref``,
   reverse its applications (reversal rows, never deletes), reopen the invoices, mark it
   ``reversed``, queue ``ach_return`` / ``chargeback`` / ``failed_payment``. Works in any
   arrival order: a return whose original has not arrived yet is queued, and the original
   is marked ``reversed`` on arrival instead of being applied
   (:mod:`cashapp.matching.events`).
2. **settlements** -- platform payouts landing in the bank, tied to the payouts the
   platform reported (:mod:`cashapp.matching.settlements`); never applied to invoices.
3. **re-match** -- open exceptions that a master-data change since they were raised may
   explain (a customer or invoice imported, an alias learned) and that no person touched:
   their payments are reopened for stages 4 and 5, which build their evidence; those the
   change explains keep going (the old exception closed as ``rematched``), the others are
   put back as they were (:mod:`cashapp.matching.rematch`).
4. **references** -- invoice/PO references extracted from every remittance carrier, joined
   to the book in DuckDB (:mod:`cashapp.matching.bulk`).
5. **customers** -- payer identification (account fingerprint, customer id in remittance,
   exact normalized name, learned alias, invoices named) joined in DuckDB.
6. **decide** -- the certain applications, strangers and crowds set-based
   (:mod:`cashapp.matching.bulk`; ``[matching] set_based = false`` turns them off), then
   the pure engine for the rest, one payment at a time in canonical order.
7. **write** -- applications, exceptions, payment status, invoice open amounts and the
   audit trail, in one transaction (:mod:`cashapp.matching.write`).

Then the run learns payer accounts from what references proved
(:mod:`cashapp.matching.learning`). This module is the orchestration: the order of the
stages, the one transaction around them, and the loading and guarding of the engine's
input and output.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from cashapp.config import Config
from cashapp.domain import stable_key
from cashapp.matching.bulk import (
    BulkResult,
    NameSettings,
    build_customer_hits,
    build_reference_hits,
    drop_evidence,
    hits_for_engine,
    queue_crowds,
    queue_strangers,
    select_certain,
    select_crowds,
    select_strangers,
    start_reference_hits,
    write_certain,
)
from cashapp.matching.decisions import install_macros
from cashapp.matching.engine import (
    MAX_CANDIDATE_CUSTOMERS,
    Book,
    EngineSettings,
    customer_hits_by_reference,
    decide_by_rules,
    queued,
    strongest_customers,
)
from cashapp.matching.events import mark_returned_originals, process_events, process_won_disputes
from cashapp.matching.learning import learn_fingerprints
from cashapp.matching.model import (
    CustomerHit,
    Decision,
    OpenInvoice,
    PaymentToMatch,
    RaisedException,
    ReferenceHit,
)
from cashapp.matching.registry import PRIMITIVES
from cashapp.matching.rematch import drop_candidates, reopen_candidates, settle_candidates
from cashapp.matching.rules import Rule, load_rules
from cashapp.matching.settlements import reconcile_settlements
from cashapp.matching.summary import MatchSummary
from cashapp.matching.write import DEC, write_decisions
from cashapp.money import MAX_AMOUNT, MoneyError, quantize
from cashapp.store import Store, utcnow

__all__ = ["AMOUNT_OUT_OF_RANGE", "MatchSummary", "run_match", "settings_for"]


def settings_for(config: Config) -> EngineSettings:
    m = config.matching
    return EngineSettings(
        write_off_tolerance=m.write_off_tolerance,
        max_subset_candidates=m.max_subset_candidates,
        max_subset_size=m.max_subset_size,
        subset_time_limit_ms=m.subset_time_limit_ms,
    )


# --- stages 3 to 5: the engine's input, and its decisions guarded -----------------------


def _load_payments(store: Store) -> list[tuple[Any, ...]]:
    """The payments the engine decides: undecided, not set aside as strangers or crowds."""
    return store.fetchall(
        "SELECT payment_id, amount, currency, value_date, payer_name, payer_account,"
        " remittance, refs FROM payments"
        " WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_strangers)"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_crowds)"
        # the canonical order: the certain first (already written when set-based), then by
        # value date and id
        " ORDER BY payment_id IN (SELECT payment_id FROM m_certain) DESC, value_date,"
        "  payment_id"
    )


def _open_invoice(row: Sequence[Any]) -> OpenInvoice:
    number, customer, currency, amount, open_amount, *rest = row
    return OpenInvoice(
        number,
        customer,
        currency,
        quantize(amount, currency),
        quantize(open_amount, currency),
        *rest,
    )


def _count(
    summary: MatchSummary,
    decision: Decision,
    currency: str,
    decisions: list[Decision],
    currency_of: dict[str, str],
) -> None:
    """Keep a decision for the write and add it to the run's summary."""
    decisions.append(decision)
    currency_of[decision.payment_id] = currency
    summary.payments += 1
    setattr(summary, decision.status, getattr(summary, decision.status) + 1)
    for e in decision.exceptions:
        summary.exceptions[e.type] = summary.exceptions.get(e.type, 0) + 1
    applied = sum((a.amount for a in decision.allocations if a.kind == "payment"), Decimal(0))
    if applied:
        summary.amount_applied[currency] = (
            summary.amount_applied.get(currency, Decimal(0)) + applied
        )


def _count_queued(summary: MatchSummary, type_: str, queued: int) -> None:
    """Add ``queued`` payments queued in bulk as ``type_`` to the run's summary."""
    summary.payments += queued
    summary.unapplied += queued
    if queued:
        summary.exceptions[type_] = summary.exceptions.get(type_, 0) + queued


#: The reason code of a payment whose arithmetic leaves what the book can hold.
AMOUNT_OUT_OF_RANGE = "amount_out_of_range"


def _guarded(
    payment: PaymentToMatch, decide: Callable[[PaymentToMatch, Book], Decision | None], book: Book
) -> Decision | None:
    """The engine's decision (``decide``: by the rules, or queued), unless its arithmetic
    fails or cannot be stored.

    Why: a decision is written in one batch with every other payment's, so one amount past
    ``DECIMAL(18,4)`` (a shortfall against two invoices of 99 trillion, say) used to end
    the run with ``internal error`` at this and every later ``match`` (issue 10, finding
    6). Such a payment is queued instead -- an ``unmatched`` exception with reason
    ``amount_out_of_range`` and the failing figure -- and the rest of the run is decided.
    The check is two comparisons per amount of the decision, nothing per invoice.
    """
    try:
        decision = decide(payment, book)
    except (MoneyError, ArithmeticError) as exc:
        return _out_of_range(payment, str(exc))
    if decision is None:
        return None
    for allocation in decision.allocations:
        if abs(allocation.amount) > MAX_AMOUNT:
            return _out_of_range(payment, f"{allocation.amount} exceeds DECIMAL(18,4)")
    for raised in decision.exceptions:
        if abs(raised.amount) > MAX_AMOUNT:
            return _out_of_range(payment, f"{raised.amount} exceeds DECIMAL(18,4)")
    return decision


def _out_of_range(payment: PaymentToMatch, why: str) -> Decision:
    detail = (
        f"the match arithmetic for this payment is out of range ({why});"
        " nothing applied: decide it by hand"
    )
    raised = RaisedException("unmatched", payment.amount, detail, reason_code=AMOUNT_OUT_OF_RANGE)
    return Decision(payment.payment_id, "unapplied", None, exceptions=(raised,))


def _load_book(
    store: Store,
    refs: dict[str, list[ReferenceHit]],
    customers: dict[str, list[CustomerHit]],
    amounts: set[tuple[Decimal, str]],
) -> Book:
    wanted_invoices = sorted({h.invoice_number for hs in refs.values() for h in hs})
    # the engine looks at a payment's strongest few candidate customers only (see
    # engine.MAX_CANDIDATE_CUSTOMERS): a name forty customers share loads five, not forty
    wanted_customers = sorted(
        {
            h.customer_id
            for hs in customers.values()
            for h in strongest_customers(hs, MAX_CANDIDATE_CUSTOMERS)
        }
    )
    store.con.register("want_inv", pa.table({"n": pa.array(wanted_invoices, pa.string())}))
    store.con.register("want_cust", pa.table({"c": pa.array(wanted_customers, pa.string())}))
    store.con.register(
        "want_amt",
        pa.table(
            {
                "a": pa.array([a for a, _ in amounts], DEC),
                "cur": pa.array([c for _, c in amounts], pa.string()),
            }
        ),
    )
    try:
        rows = store.fetchall(
            "SELECT invoice_number, customer_id, currency, amount, open_amount, invoice_date,"
            " due_date, terms, po_number FROM invoices"
            " WHERE invoice_number IN (SELECT n FROM want_inv)"
            "  OR (open_amount > 0 AND customer_id IN (SELECT c FROM want_cust))"
            "  OR (open_amount > 0 AND (open_amount, currency) IN (SELECT a, cur FROM want_amt))"
        )
    finally:
        store.release("want_inv", "want_cust", "want_amt")
    book = Book()
    for row in rows:
        book.add(_open_invoice(row))
    return book


def _payments_to_match(
    rows: Sequence[Sequence[Any]],
    refs: dict[str, list[ReferenceHit]],
    customers: dict[str, list[CustomerHit]],
    book: Book,
) -> list[PaymentToMatch]:
    """The engine's view of each loaded payment; a payer no method identified is taken to
    be the customer whose invoices the remittance names, where it names any."""
    payments = []
    for pid, stored_amount, currency, value_date, name, _acct, _rem, _refs in rows:
        amount = quantize(stored_amount, currency)
        payment = PaymentToMatch(
            pid,
            amount,
            currency,
            value_date,
            name or "",
            tuple(customers.get(pid, ())),
            tuple(refs.get(pid, ())),
        )
        if not payment.customers:
            implied = customer_hits_by_reference(payment, book)
            if implied:
                payment = PaymentToMatch(
                    pid, amount, currency, value_date, name or "", implied, payment.references
                )
        payments.append(payment)
    return payments


def _no_strangers(store: Store) -> None:
    """With ``set_based`` off the engine decides strangers and crowds too: none set aside."""
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_strangers (payment_id VARCHAR, amount DECIMAL(18,4),"
        " currency VARCHAR, payer_name VARCHAR)"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowds (payment_id VARCHAR, amount DECIMAL(18,4),"
        " currency VARCHAR, candidates VARCHAR)"
    )


def _decide_all(
    rows: Sequence[PaymentToMatch], book: Book, rules: Sequence[Rule], settings: EngineSettings
) -> list[Decision]:
    """The engine's decisions, in canonical order: the rules first, payment by payment,
    then the queued ones' exceptions and suggestions against the book the run leaves
    (:func:`~cashapp.matching.engine.queued` says why)."""

    def by_rules(payment: PaymentToMatch, book: Book) -> Decision | None:
        return decide_by_rules(payment, book, rules, settings)

    decided = [_guarded(payment, by_rules, book) for payment in rows]
    return [
        decision if decision is not None else _queued(payment, book)
        for payment, decision in zip(rows, decided, strict=True)
    ]


def _queued(payment: PaymentToMatch, book: Book) -> Decision:
    decision = _guarded(payment, queued, book)
    assert decision is not None  # queued always decides
    return decision


# --- the run -----------------------------------------------------------------------------


def run_match(
    store: Store,
    config: Config,
    *,
    dry_run: bool = False,
    actor: str = "system:matcher",
    rules: Sequence[Rule] | None = None,
) -> MatchSummary:
    """Match every payment not yet decided; safe to re-run (a second run changes nothing)."""
    rules = tuple(rules) if rules is not None else load_rules(config.matching.rules)
    started = utcnow()  # the re-match of the next run looks at changes from here on
    run_id = "run_" + stable_key("match", started.isoformat())[:16]
    summary = MatchSummary(run_id, dry_run=dry_run)
    settings = settings_for(config)
    store.execute("BEGIN TRANSACTION")
    try:
        install_macros(store)
        t = time.perf_counter()
        process_events(store, run_id, actor, summary)
        process_won_disputes(store, run_id, actor, summary)
        mark_returned_originals(store, run_id)
        ignored = store.execute(
            "UPDATE payments SET status = 'ignored', matched_at = ?, match_run_id = ?"
            " WHERE matched_at IS NULL AND NOT (kind = 'payment' AND amount > 0)"
            " AND kind NOT IN ('return', 'chargeback', 'refund', 'settlement',"
            "  'dispute_reversal')",
            [utcnow(), run_id],
        ).fetchone()
        summary.ignored = int(ignored[0]) if ignored else 0
        now = utcnow()
        t = summary.lap("events", t)
        settled = reconcile_settlements(store, run_id, now, config.matching.date_window_days)
        summary.reconciled = settled.reconciled
        if settled.mismatched:
            summary.exceptions["settlement_mismatch"] = (
                summary.exceptions.get("settlement_mismatch", 0) + settled.mismatched
            )
        t = summary.lap("settlements", t)
        # open exceptions new master data may explain: their payments undecided again
        reopened = reopen_candidates(store)
        # references are extracted in a worker while this process identifies the payers
        pending = start_reference_hits(store, config.matching.reference_patterns)
        try:
            build_customer_hits(
                store, NameSettings(config.matching.fuzzy_threshold, config.matching.fuzzy_margin)
            )
        except BaseException:
            pending.extraction.close()
            raise
        t = summary.lap("customers (references extracted meanwhile)", t)
        build_reference_hits(store, pending)
        t = summary.lap("references", t)
        if reopened:  # keep those a change explains, put the others back
            summary.rematched = settle_candidates(store, rules, now, actor)
        else:
            drop_candidates(store)
        t = summary.lap("re-match", t)
        set_based = config.matching.set_based
        select_certain(store, rules)  # both paths decide these first (select_certain: why)
        certain = write_certain(store, rules, run_id, now) if set_based else BulkResult(0, {})
        t = summary.lap("certain (set-based)", t)
        summary.payments += certain.applied
        summary.applied += certain.applied
        for currency, amount in certain.amount_applied.items():
            summary.amount_applied[currency] = (
                summary.amount_applied.get(currency, Decimal(0)) + amount
            )
        decisions: list[Decision] = []
        currency_of: dict[str, str] = {}
        if set_based:
            select_strangers(store)
            select_crowds(store, rules)
        else:
            _no_strangers(store)
        rows = _load_payments(store)
        ref_rows, customer_rows = hits_for_engine(store)
        refs = {pid: [ReferenceHit(*r) for r in hs] for pid, hs in ref_rows.items()}
        customers = {pid: [CustomerHit(*c) for c in hs] for pid, hs in customer_rows.items()}
        amounts = {(r[1], r[2]) for r in rows if not customers.get(r[0])}
        book = _load_book(store, refs, customers, amounts)
        t = summary.lap("load for engine", t)
        payments = _payments_to_match(rows, refs, customers, book)
        for payment, decision in zip(
            payments, _decide_all(payments, book, rules, settings), strict=True
        ):
            _count(summary, decision, payment.currency, decisions, currency_of)
        reference_rules = [r.id for r in rules if PRIMITIVES[r.primitive].proves_payer]
        t = summary.lap("engine", t)
        write_decisions(store, decisions, currency_of, run_id)
        t = summary.lap("write", t)
        if set_based:  # after the engine's writes: their hints read the book the run leaves
            _count_queued(summary, "unidentified", queue_strangers(store, run_id, now))
            _count_queued(summary, "ambiguous", queue_crowds(store, run_id, now))
            t = summary.lap("unidentified and crowds (set-based)", t)
        learn_fingerprints(store, reference_rules, run_id, now)
        t = summary.lap("learn", t)
        drop_evidence(store)
        store.execute(
            "INSERT INTO runs VALUES (?, 'match', ?, ?, ?, ?)",
            [run_id, started, utcnow(), actor, json.dumps(summary.as_json())],
        )
    except BaseException:
        store.execute("ROLLBACK")
        raise
    store.execute("ROLLBACK" if dry_run else "COMMIT")
    return summary
