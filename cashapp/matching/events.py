"""Stage 1 of a match run: returns, chargebacks, refunds and won disputes (DESIGN §6).

Why a module of its own: events are the one stage that undoes earlier runs. A return,
chargeback or card refund finds its original by ``related_ref``, reverses the original's
applications (reversal rows, never deletes), reopens the invoices, marks the original
``reversed`` and queues ``ach_return`` / ``chargeback`` / ``failed_payment``. It works in
any arrival order: a return whose original has not arrived yet is queued, and the original
is marked ``reversed`` on arrival instead of being applied. A won dispute
(``dispute_reversal``) gives the charge back: it is reopened for the same run to apply
again, and its chargeback exception is resolved.
"""

from __future__ import annotations

from typing import Any

from cashapp.matching.decisions import (
    resolve_won_chargebacks,
    write_event_exception,
    write_reversal,
)
from cashapp.matching.summary import MatchSummary
from cashapp.store import Store, utcnow

#: The payment kinds that take money back from an earlier payment.
EVENT_KINDS = ("return", "chargeback", "refund")


def _exception_type_for_event(source: str, kind: str) -> str:
    if kind == "chargeback" or (source == "stripe" and kind == "refund"):
        return "chargeback"  # a card refund takes the money back like a dispute does
    if source in ("nacha", "bai2"):
        return "ach_return"
    return "failed_payment"


def _reverse_applications(store: Store, payment_id: str, now: Any, actor: str, run_id: str) -> int:
    """Reverse every active application of ``payment_id``; returns how many."""
    rows = store.fetchall(
        "SELECT application_id, invoice_number, customer_id, amount, currency, kind,"
        " payment_id FROM applications WHERE payment_id = ? AND status = 'active'",
        [payment_id],
    )
    for row in rows:
        write_reversal(store, row, now, actor, run_id)
        invoice, amount, kind = row[1], row[3], row[5]
        if invoice is not None and kind in ("payment", "discount", "writeoff"):
            store.execute(
                "UPDATE invoices SET open_amount = open_amount + ?, updated_at = ?"
                " WHERE invoice_number = ?",
                [amount, now, invoice],
            )
    return len(rows)


def process_events(store: Store, run_id: str, actor: str, summary: MatchSummary) -> None:
    """Decide every undecided return, chargeback and refund; one exception each."""
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
        invoice = invoices[0][0] if invoices else None
        detail = " ".join(detail.split())
        write_event_exception(
            store, (pid, invoice, customer, etype, abs(amount), currency, reason, detail),
            now, actor, run_id,
        )  # fmt: skip
        store.execute(
            "UPDATE payments SET status = ?, customer_id = ?, matched_at = ?, match_run_id = ?"
            " WHERE payment_id = ?",
            [status, customer, now, run_id, pid],
        )
        summary.events += 1
        summary.exceptions[etype] = summary.exceptions.get(etype, 0) + 1


def mark_returned_originals(store: Store, run_id: str) -> None:
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


def process_won_disputes(store: Store, run_id: str, actor: str, summary: MatchSummary) -> None:
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
        resolve_won_chargebacks(store, original, now, actor)
        store.audit(actor, "reopen", "payment", original, {"dispute_reversal": reversal})
        summary.events += 1
