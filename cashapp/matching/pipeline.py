"""The match run: feed the engine set-based batches from the store, write decisions back.

Stages (DESIGN §6), each a set-based step over all unmatched payments at once:

1. **events** -- returns, chargebacks, refunds: find the original by ``related_ref``,
   reverse its applications (reversal rows, never deletes), reopen the invoices, mark it
   ``reversed``, queue ``ach_return`` / ``chargeback`` / ``failed_payment``. Works in any
   arrival order: a return whose original has not arrived yet is queued, and the original
   is marked ``reversed`` on arrival instead of being applied.
2. **settlements** -- platform payouts landing in the bank, tied to the payouts the
   platform reported (:mod:`cashapp.matching.settlements`); never applied to invoices.
3. **references** -- invoice/PO references extracted from every remittance carrier, joined
   to the book in DuckDB.
4. **customers** -- payer identification (account fingerprint, customer id in remittance,
   exact normalized name, learned alias, invoices named) joined in DuckDB.
5. **decide** -- the pure engine, one payment at a time in canonical order.
6. **write** -- applications, exceptions, payment status, invoice open amounts and the
   audit trail, in one transaction.
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pyarrow as pa

from cashapp.config import Config
from cashapp.domain import stable_key
from cashapp.matching.bulk import (
    NameSettings,
    apply_certain,
    build_customer_hits,
    build_reference_hits,
    drop_evidence,
    hits_for_engine,
    queue_crowds,
    queue_strangers,
    start_reference_hits,
)
from cashapp.matching.engine import (
    MAX_CANDIDATE_CUSTOMERS,
    Book,
    EngineSettings,
    customer_hits_by_reference,
    decide,
    strongest_customers,
)
from cashapp.matching.model import (
    CustomerHit,
    Decision,
    OpenInvoice,
    PaymentToMatch,
    RaisedException,
    ReferenceHit,
)
from cashapp.matching.rules import Rule, load_rules
from cashapp.matching.settlements import reconcile_settlements
from cashapp.money import MAX_AMOUNT, MoneyError, quantize
from cashapp.store import Store, utcnow

DEC = pa.decimal128(18, 4)
TS = pa.timestamp("us", tz="UTC")
EVENT_KINDS = ("return", "chargeback", "refund")


@dataclass(slots=True)
class MatchSummary:
    run_id: str
    payments: int = 0
    applied: int = 0
    partially_applied: int = 0
    unapplied: int = 0
    events: int = 0
    ignored: int = 0
    reconciled: int = 0  # platform payouts tied to their bank deposits
    exceptions: dict[str, int] = field(default_factory=dict)
    amount_applied: dict[str, Decimal] = field(default_factory=dict)
    dry_run: bool = False
    #: wall seconds per stage, for `cashapp bench speed` and for anyone asking why a run is slow
    timings: dict[str, float] = field(default_factory=dict)

    def lap(self, stage: str, started: float) -> float:
        now = time.perf_counter()
        self.timings[stage] = round(self.timings.get(stage, 0.0) + now - started, 3)
        return now

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "payments": self.payments,
            "applied": self.applied,
            "partially_applied": self.partially_applied,
            "unapplied": self.unapplied,
            "events": self.events,
            "ignored": self.ignored,
            "reconciled": self.reconciled,
            "exceptions": self.exceptions,
            "amount_applied": {k: str(v) for k, v in self.amount_applied.items()},
            "dry_run": self.dry_run,
        }


def settings_for(config: Config) -> EngineSettings:
    m = config.matching
    return EngineSettings(
        write_off_tolerance=m.write_off_tolerance,
        max_subset_candidates=m.max_subset_candidates,
        max_subset_size=m.max_subset_size,
        subset_time_limit_ms=m.subset_time_limit_ms,
    )


def _exception_type_for_event(source: str, kind: str) -> str:
    if kind == "chargeback" or (source == "stripe" and kind == "refund"):
        return "chargeback"  # a card refund takes the money back like a dispute does
    if source in ("nacha", "bai2"):
        return "ach_return"
    return "failed_payment"


# --- stage 1: events --------------------------------------------------------------------


def _reverse_applications(store: Store, payment_id: str, now: Any, actor: str, run_id: str) -> int:
    """Reverse every active application of ``payment_id``; returns how many."""
    rows = store.fetchall(
        "SELECT application_id, invoice_number, customer_id, amount, currency, kind"
        " FROM applications WHERE payment_id = ? AND status = 'active'",
        [payment_id],
    )
    for app_id, invoice, customer, amount, currency, kind in rows:
        reversal_id = "app_" + stable_key("reversal", app_id)[:20]
        store.execute(
            "INSERT INTO applications (application_id, payment_id, invoice_number, customer_id,"
            " amount, currency, kind, method, rule, confidence, evidence, status, reverses,"
            " created_at, created_by, run_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'auto', 'event-reversal', 1, ?, 'reversed', ?, ?, ?, ?)",
            [
                reversal_id,
                payment_id,
                invoice,
                customer,
                -amount,
                currency,
                kind,
                json.dumps({"reverses": app_id}),
                app_id,
                now,
                actor,
                run_id,
            ],
        )
        store.execute(
            "UPDATE applications SET status = 'reversed', reversed_by = ? WHERE application_id = ?",
            [reversal_id, app_id],
        )
        if invoice is not None and kind in ("payment", "discount", "writeoff"):
            store.execute(
                "UPDATE invoices SET open_amount = open_amount + ?, updated_at = ?"
                " WHERE invoice_number = ?",
                [amount, now, invoice],
            )
        store.audit(actor, "reverse", "application", app_id, {"reversal": reversal_id})
    return len(rows)


def _process_events(store: Store, run_id: str, actor: str, summary: MatchSummary) -> None:
    now = utcnow()
    events = store.fetchall(
        "SELECT e.payment_id, e.source, e.kind, e.related_ref, e.reason_code, e.amount,"
        "  e.currency, o.payment_id, o.customer_id"
        " FROM payments e LEFT JOIN v_payments o"
        "   ON o.source_ref = e.related_ref AND e.related_ref <> '' AND o.kind = 'payment'"
        "  AND o.source = e.source"
        " WHERE e.matched_at IS NULL AND e.kind IN ('return', 'chargeback', 'refund')"
        " ORDER BY e.value_date, e.payment_id"
    )
    for pid, source, kind, related, reason, amount, currency, original, customer in events:
        etype = _exception_type_for_event(source, kind)
        if original is not None:
            reversed_count = _reverse_applications(store, original, now, actor, run_id)
            store.execute(
                "UPDATE payments SET status = 'reversed', matched_at = coalesce(matched_at, ?),"
                " match_run_id = coalesce(match_run_id, ?) WHERE payment_id = ?",
                [now, run_id, original],
            )
            detail = (
                f"{kind} {reason or ''} of {related}: {reversed_count} application(s) reversed,"
                " invoices reopened"
                if reversed_count
                else f"{kind} {reason or ''} of {related}: arrived before the original was"
                " applied; the original is marked reversed and was not applied"
            )
            status = "reconciled"
        else:
            detail = f"{kind} {reason or ''}: original {related or '(no reference)'} not found yet"
            status = "unapplied"
        invoices = (
            store.fetchall(
                "SELECT DISTINCT invoice_number FROM applications WHERE payment_id = ?"
                " AND invoice_number IS NOT NULL ORDER BY 1",
                [original],
            )
            if original
            else []
        )
        exception_id = "exc_" + stable_key(pid, etype)[:20]
        store.execute(
            "INSERT INTO exceptions (exception_id, payment_id, invoice_number, customer_id, type,"
            " status, amount, currency, reason_code, detail, suggestions, opened_at, run_id)"
            " VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, '[]', ?, ?) ON CONFLICT DO NOTHING",
            [
                exception_id,
                pid,
                invoices[0][0] if invoices else None,
                customer,
                etype,
                abs(amount),
                currency,
                reason,
                " ".join(detail.split()),
                now,
                run_id,
            ],
        )
        store.execute(
            "UPDATE payments SET status = ?, customer_id = ?, matched_at = ?, match_run_id = ?"
            " WHERE payment_id = ?",
            [status, customer, now, run_id, pid],
        )
        store.audit(actor, "raise", "exception", exception_id, {"type": etype, "payment": pid})
        summary.events += 1
        summary.exceptions[etype] = summary.exceptions.get(etype, 0) + 1


def _mark_returned_originals(store: Store, run_id: str) -> None:
    """Originals whose return arrived earlier are reversed on arrival, never applied.

    A charge whose dispute was won (a ``dispute_reversal`` relates to it) is money kept:
    it is left to be applied like any payment.
    """
    store.execute(
        "UPDATE payments SET status = 'reversed', matched_at = ?, match_run_id = ?"
        " WHERE matched_at IS NULL AND kind = 'payment' AND source_ref <> ''"
        " AND (source, source_ref) IN (SELECT source, related_ref FROM payments"
        "   WHERE kind IN ('return', 'chargeback', 'refund') AND related_ref <> '')"
        " AND (source, source_ref) NOT IN (SELECT source, related_ref FROM payments"
        "   WHERE kind = 'dispute_reversal' AND related_ref <> '')",
        [utcnow(), run_id],
    )


def _process_won_disputes(store: Store, run_id: str, actor: str, summary: MatchSummary) -> None:
    """A won dispute gives the charge back: reopen it so this run applies it again.

    The charge's earlier applications stay as they are (reversed, with their reversal
    rows); the charge becomes undecided, the stages after the events decide it afresh,
    and the chargeback exception is resolved. Runs after every other event, so a dispute
    and its reversal in one batch end with the charge applied.
    """
    now = utcnow()
    won = store.fetchall(
        "SELECT w.payment_id, o.payment_id FROM payments w JOIN payments o"
        "  ON o.source = w.source AND o.source_ref = w.related_ref AND o.kind = 'payment'"
        " WHERE w.matched_at IS NULL AND w.kind = 'dispute_reversal' AND w.related_ref <> ''"
        " ORDER BY w.value_date, w.payment_id"
    )
    for reversal, original in won:
        store.execute(
            "UPDATE payments SET status = 'unapplied', matched_at = NULL, match_run_id = NULL"
            " WHERE payment_id = ? AND status = 'reversed'",
            [original],
        )
        store.execute(
            "UPDATE payments SET status = 'reconciled', matched_at = ?, match_run_id = ?"
            " WHERE payment_id = ?",
            [now, run_id, reversal],
        )
        store.execute(
            "UPDATE exceptions SET status = 'resolved', resolved_at = ?,"
            " resolution = 'dispute won: the charge is applied again'"
            " WHERE status IN ('open', 'in_review') AND type = 'chargeback' AND payment_id IN"
            " (SELECT d.payment_id FROM payments d JOIN payments o"
            "   ON o.source = d.source AND o.source_ref = d.related_ref"
            "  WHERE o.payment_id = ? AND d.kind = 'chargeback')",
            [now, original],
        )
        store.audit(actor, "reopen", "payment", original, {"dispute_reversal": reversal})
        summary.events += 1


# --- stages 3 and 4: references and customers ------------------------------------------


def _load_payments(store: Store) -> list[tuple[Any, ...]]:
    """The payments the engine decides: undecided, not already known to be strangers."""
    return store.fetchall(
        "SELECT payment_id, amount, currency, value_date, payer_name, payer_account,"
        " remittance, refs FROM payments"
        " WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_strangers)"
        " ORDER BY value_date, payment_id"
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


#: The reason code of a payment whose arithmetic leaves what the book can hold.
AMOUNT_OUT_OF_RANGE = "amount_out_of_range"


def _decide_guarded(
    payment: PaymentToMatch, book: Book, rules: Sequence[Rule], settings: EngineSettings
) -> Decision:
    """The engine's decision, unless its arithmetic fails or cannot be stored.

    Why: a decision is written in one batch with every other payment's, so one amount past
    ``DECIMAL(18,4)`` (a shortfall against two invoices of 99 trillion, say) used to end
    the run with ``internal error`` at this and every later ``match`` (issue 10, finding
    6). Such a payment is queued instead -- an ``unmatched`` exception with reason
    ``amount_out_of_range`` and the failing figure -- and the rest of the run is decided.
    The check is two comparisons per amount of the decision, nothing per invoice.
    """
    try:
        decision = decide(payment, book, rules, settings)
    except (MoneyError, ArithmeticError) as exc:
        return _out_of_range(payment, str(exc))
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


# --- stage 6: write ----------------------------------------------------------------------


def _earlier_applications(store: Store, payment_ids: Sequence[str]) -> dict[str, int]:
    """How many application rows (reversals included) each payment already has."""
    if not payment_ids:
        return {}
    store.con.register("decided_ids", pa.table({"payment_id": pa.array(payment_ids, pa.string())}))
    try:
        rows = store.fetchall(
            "SELECT payment_id, count(*) FROM applications"
            " WHERE payment_id IN (SELECT payment_id FROM decided_ids) GROUP BY payment_id"
        )
    finally:
        store.release("decided_ids")
    return {str(pid): int(n) for pid, n in rows}


def _write_decisions(
    store: Store, decisions: Sequence[Decision], currency_of: dict[str, str], run_id: str
) -> None:
    now = utcnow()
    apps: dict[str, list[Any]] = defaultdict(list)
    excs: dict[str, list[Any]] = defaultdict(list)
    generation = _earlier_applications(store, [d.payment_id for d in decisions if d.allocations])
    for d in decisions:
        currency = currency_of[d.payment_id]
        earlier = generation.get(d.payment_id, 0)
        for n, a in enumerate(d.allocations):
            # a payment applied again (a won dispute) keeps its earlier rows: new ids
            key = (d.payment_id, n, a.invoice_number, a.kind, *((earlier,) if earlier else ()))
            apps["application_id"].append("app_" + stable_key(*key)[:20])
            apps["payment_id"].append(d.payment_id)
            apps["invoice_number"].append(a.invoice_number)
            apps["customer_id"].append(a.customer_id)
            apps["amount"].append(a.amount)
            apps["currency"].append(currency)
            apps["kind"].append(a.kind)
            apps["rule"].append(a.rule)
            apps["confidence"].append(a.confidence)
            apps["evidence"].append(json.dumps(a.evidence, default=str))
        for e in d.exceptions:
            excs["exception_id"].append(
                "exc_" + stable_key(d.payment_id, e.type, e.invoice_number)[:20]
            )
            excs["payment_id"].append(d.payment_id)
            excs["invoice_number"].append(e.invoice_number)
            excs["customer_id"].append(e.customer_id or d.customer_id)
            excs["type"].append(e.type)
            excs["amount"].append(e.amount)
            excs["currency"].append(currency)
            excs["reason_code"].append(e.reason_code)
            excs["detail"].append(e.detail)
            excs["suggestions"].append(json.dumps([s.as_json() for s in e.suggestions]))
    app_table = pa.table(
        {
            "application_id": pa.array(apps["application_id"], pa.string()),
            "payment_id": pa.array(apps["payment_id"], pa.string()),
            "invoice_number": pa.array(apps["invoice_number"], pa.string()),
            "customer_id": pa.array(apps["customer_id"], pa.string()),
            "amount": pa.array(apps["amount"], DEC),
            "currency": pa.array(apps["currency"], pa.string()),
            "kind": pa.array(apps["kind"], pa.string()),
            "rule": pa.array(apps["rule"], pa.string()),
            "confidence": pa.array(apps["confidence"], pa.decimal128(5, 4)),
            "evidence": pa.array(apps["evidence"], pa.string()),
        }
    )
    exc_table = pa.table(
        {
            "exception_id": pa.array(excs["exception_id"], pa.string()),
            "payment_id": pa.array(excs["payment_id"], pa.string()),
            "invoice_number": pa.array(excs["invoice_number"], pa.string()),
            "customer_id": pa.array(excs["customer_id"], pa.string()),
            "type": pa.array(excs["type"], pa.string()),
            "amount": pa.array(excs["amount"], DEC),
            "currency": pa.array(excs["currency"], pa.string()),
            "reason_code": pa.array(excs["reason_code"], pa.string()),
            "detail": pa.array(excs["detail"], pa.string()),
            "suggestions": pa.array(excs["suggestions"], pa.string()),
        }
    )
    status_table = pa.table(
        {
            "payment_id": pa.array([d.payment_id for d in decisions], pa.string()),
            "status": pa.array([d.status for d in decisions], pa.string()),
            "customer_id": pa.array([d.customer_id for d in decisions], pa.string()),
        }
    )
    con = store.con
    con.register("new_apps", app_table)
    con.register("new_excs", exc_table)
    con.register("new_status", status_table)
    try:
        store.execute(
            "INSERT INTO applications BY NAME SELECT *, 'auto' AS method,"
            " 'active' AS status, ?::TIMESTAMPTZ AS created_at,"
            " 'system:matcher' AS created_by, ? AS run_id FROM new_apps",
            [now, run_id],
        )
        store.execute(
            "INSERT INTO exceptions BY NAME SELECT *, 'open' AS status,"
            " ?::TIMESTAMPTZ AS opened_at, ? AS run_id FROM new_excs",
            [now, run_id],
        )
        store.execute(
            "UPDATE invoices SET open_amount = invoices.open_amount - d.total, updated_at = ?"
            " FROM (SELECT invoice_number, sum(amount) AS total FROM new_apps"
            "       WHERE invoice_number IS NOT NULL GROUP BY invoice_number) d"
            " WHERE invoices.invoice_number = d.invoice_number",
            [now],
        )
        store.execute(
            "UPDATE payments SET status = s.status, customer_id = s.customer_id,"
            " matched_at = ?, match_run_id = ? FROM new_status s"
            " WHERE payments.payment_id = s.payment_id",
            [now, run_id],
        )
        store.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " SELECT ?, 'rule:' || rule, 'apply', 'application', application_id,"
            "  json_object('payment', payment_id, 'invoice', invoice_number,"
            "              'amount', amount::VARCHAR, 'kind', kind)"
            " FROM new_apps",
            [now],
        )
        store.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " SELECT ?, 'system:matcher', 'raise', 'exception', exception_id,"
            "  json_object('payment', payment_id, 'type', type, 'amount', amount::VARCHAR)"
            " FROM new_excs",
            [now],
        )
    finally:
        store.release("new_apps", "new_excs", "new_status")


def _learn_fingerprints(
    store: Store, reference_rules: Sequence[str], run_id: str, now: Any
) -> None:
    """Remember which customer pays from which originator, as proven by references.

    A payment applied because its remittance named the invoices shows that its payer
    account belongs to (or pays for) that customer; the next payment from the same
    account without a reference is then identified by it. Only unmasked identifiers are
    learned (a NACHA originator ``ach:<company id>``): a masked ``****6789`` is shared by
    too many payers to identify anyone. Nothing is learned when the payer's name points
    at another customer (a parent paying for a subsidiary); an account that still turns
    out to pay for several customers maps to all of them and so identifies none.
    """
    if not reference_rules:
        return
    store.con.register(
        "reference_rules", pa.table({"rule": pa.array(list(reference_rules), pa.string())})
    )
    try:
        store.execute(
            "INSERT INTO customer_aliases"
            " (customer_id, kind, value, learned_from, created_at, created_by)"
            " SELECT a.customer_id, 'account', payer_account, min(payment_id), ?, 'rule:learned'"
            " FROM applications a JOIN payments p USING (payment_id)"
            " WHERE a.run_id = ? AND a.status = 'active'"
            "   AND a.kind = 'payment' AND a.customer_id IS NOT NULL"
            "   AND a.rule IN (SELECT rule FROM reference_rules)"
            "   AND p.payer_account <> '' AND NOT contains(p.payer_account, '*')"
            # a parent paying its subsidiary's invoice is not the subsidiary's account
            "   AND NOT EXISTS (SELECT 1 FROM m_cust_hits h WHERE h.payment_id = a.payment_id"
            "     AND h.method <> 'account' AND h.customer_id <> a.customer_id)"
            " GROUP BY a.customer_id, payer_account"
            " ON CONFLICT DO NOTHING",
            [now, run_id],
        )
        store.execute(
            "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
            " SELECT ?, 'rule:learned', 'learn', 'customer_alias', value,"
            "  json_object('customer', customer_id, 'kind', kind, 'from', learned_from)"
            " FROM customer_aliases WHERE created_at = ? AND created_by = 'rule:learned'",
            [now, now],
        )
    finally:
        store.release("reference_rules")


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
    run_id = "run_" + stable_key("match", utcnow().isoformat())[:16]
    summary = MatchSummary(run_id, dry_run=dry_run)
    settings = settings_for(config)
    store.execute("BEGIN TRANSACTION")
    try:
        t = time.perf_counter()
        _process_events(store, run_id, actor, summary)
        _process_won_disputes(store, run_id, actor, summary)
        _mark_returned_originals(store, run_id)
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
        certain = apply_certain(store, rules, run_id, now)
        t = summary.lap("certain (set-based)", t)
        summary.payments += certain.applied
        summary.applied += certain.applied
        for currency, amount in certain.amount_applied.items():
            summary.amount_applied[currency] = (
                summary.amount_applied.get(currency, Decimal(0)) + amount
            )
        decisions: list[Decision] = []
        currency_of: dict[str, str] = {}
        queued = queue_strangers(store, run_id, now)
        summary.payments += queued
        summary.unapplied += queued
        if queued:
            summary.exceptions["unidentified"] = summary.exceptions.get("unidentified", 0) + queued
        crowds = queue_crowds(store, rules, run_id, now)
        summary.payments += crowds
        summary.unapplied += crowds
        if crowds:
            summary.exceptions["ambiguous"] = summary.exceptions.get("ambiguous", 0) + crowds
        t = summary.lap("unidentified and crowds (set-based)", t)
        rows = _load_payments(store)
        ref_rows, customer_rows = hits_for_engine(store)
        refs = {pid: [ReferenceHit(*r) for r in hs] for pid, hs in ref_rows.items()}
        customers = {pid: [CustomerHit(*c) for c in hs] for pid, hs in customer_rows.items()}
        amounts = {(r[1], r[2]) for r in rows if not customers.get(r[0])}
        book = _load_book(store, refs, customers, amounts)
        t = summary.lap("load for engine", t)
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
            _count(
                summary, _decide_guarded(payment, book, rules, settings), currency, decisions,
                currency_of,
            )  # fmt: skip
        reference_rules = [r.id for r in rules if r.primitive.startswith("reference_")]
        t = summary.lap("engine", t)
        _write_decisions(store, decisions, currency_of, run_id)
        _learn_fingerprints(store, reference_rules, run_id, now)
        t = summary.lap("write", t)
        drop_evidence(store)
        store.execute(
            "INSERT INTO runs VALUES (?, 'match', ?, ?, ?, ?)",
            [run_id, utcnow(), utcnow(), actor, json.dumps(summary.as_json())],
        )
    except BaseException:
        store.execute("ROLLBACK")
        raise
    store.execute("ROLLBACK" if dry_run else "COMMIT")
    return summary
