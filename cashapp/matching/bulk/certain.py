"""The certain applications, set-based: what the engine would decide anyway, written in bulk.

Why a module of its own: most payments of a large run are easy -- one open invoice named
for exactly the amount, or a known payer's one open invoice of the amount -- and writing
those as a few statements instead of one decision at a time is most of a run's speed. It
takes only the payments that no other payment of the run competes for (see
:mod:`cashapp.matching.bulk`) and hands them to the one writer
(:mod:`cashapp.matching.decisions`), with the evidence the engine would give them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from cashapp.matching.book import MAX_CANDIDATE_CUSTOMERS
from cashapp.matching.decisions import ApplicationRows, write_applications
from cashapp.matching.registry import bulk_rule
from cashapp.matching.rules import Rule
from cashapp.money import quantize
from cashapp.store import Store


@dataclass(frozen=True, slots=True)
class BulkResult:
    applied: int
    amount_applied: dict[str, Decimal]


def select_certain(store: Store, rules: Sequence[Rule]) -> None:
    """Select (table ``m_certain``) the payments whose application is certain.

    Certain: one explanation, which no other undecided payment competes for. Both paths
    decide these first -- the set-based one by :func:`write_certain`, the engine alone
    (``set_based = false``) by putting them first in its canonical order -- so a payment
    decided after them sees the same book whichever path runs (a payer's other open
    invoices of the amount, say). They are the payments a person would settle first, too.
    """
    # the registry says which rules' certain payments may be taken here, and which rules
    # ordered before them could decide those payments first (then the engine decides)
    reference_rule = bulk_rule(rules, "reference")
    customer_rule = bulk_rule(rules, "customer")
    if reference_rule is None and customer_rule is None:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE m_certain (payment_id VARCHAR, amount DECIMAL(18,4),"
            " currency VARCHAR, invoice_number VARCHAR, customer_id VARCHAR, rule VARCHAR,"
            " confidence DECIMAL(5,4), via VARCHAR)"
        )
        return
    parts = []
    params: list[Any] = []
    if reference_rule is not None:
        parts.append(
            "SELECT p.payment_id, p.amount, p.currency, i.invoice_number, i.customer_id,"
            "  ? AS rule, ?::DECIMAL(5,4) AS confidence, 'reference' AS via"
            " FROM todo p"
            " JOIN (SELECT h.payment_id, any_value(h.invoice_number) AS invoice_number"
            "       FROM m_ref_hits h JOIN invoices i USING (invoice_number)"
            "       WHERE h.kind IN (SELECT unnest(?::VARCHAR[])) AND i.open_amount > 0"
            "       GROUP BY h.payment_id HAVING count(*) = 1) r USING (payment_id)"
            " JOIN invoices i ON i.invoice_number = r.invoice_number"
            " WHERE i.currency = p.currency AND i.open_amount = p.amount"
        )
        params += [reference_rule.id, reference_rule.confidence, list(reference_rule.references)]
    if customer_rule is not None:
        parts.append(
            "SELECT p.payment_id, p.amount, p.currency, i.invoice_number, i.customer_id,"
            # named: when no reference rule is taken, this part names the columns
            "  ? AS rule, ?::DECIMAL(5,4) AS confidence, 'customer' AS via"
            " FROM todo p"
            " JOIN (SELECT DISTINCT payment_id, customer_id FROM m_cust_hits"
            "       WHERE method IN (SELECT unnest(?::VARCHAR[]))"
            "         AND payment_id IN (SELECT payment_id FROM m_cust_hits GROUP BY payment_id"
            "           HAVING count(DISTINCT customer_id) <= ?)) c"
            "   USING (payment_id)"
            " JOIN invoices i ON i.customer_id = c.customer_id AND i.currency = p.currency"
            "  AND i.open_amount > 0 AND abs(i.open_amount - p.amount) <= ?"
            " WHERE p.payment_id NOT IN (SELECT payment_id FROM m_ref_hits)"
            " QUALIFY count(*) OVER (PARTITION BY p.payment_id) = 1"
        )
        params += [
            customer_rule.id,
            customer_rule.confidence,
            list(customer_rule.identify),
            MAX_CANDIDATE_CUSTOMERS,
            customer_rule.tolerance,
        ]
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_certain AS"
        " WITH todo AS (SELECT payment_id, amount, currency FROM payments"
        "   WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0),"
        f" claims AS ({' UNION ALL '.join(parts)}),"
        # an invoice any other undecided payment names or claims is contested: engine's
        " contested AS (SELECT invoice_number FROM ("
        "   SELECT payment_id, invoice_number FROM claims"
        "   UNION SELECT payment_id, invoice_number FROM m_ref_hits)"  # UNION: pairs once
        "  GROUP BY invoice_number HAVING count(*) > 1)"
        " SELECT * FROM claims"
        " WHERE invoice_number NOT IN (SELECT invoice_number FROM contested)",
        params,
    )


def write_certain(store: Store, rules: Sequence[Rule], run_id: str, now: Any) -> BulkResult:
    """Write the applications of the payments :func:`select_certain` chose, as the engine
    would make them; see the module note."""
    customer_rule = bulk_rule(rules, "customer")
    identify = customer_rule.identify if customer_rule is not None else ()
    _write_certain(store, identify, run_id, now)
    totals = store.fetchall("SELECT currency, sum(amount), count(*) FROM m_certain GROUP BY 1")
    return BulkResult(
        sum(int(n) for _, _, n in totals),
        # a run's total is reported, never stored: it may pass DECIMAL(18,4) (issue 10)
        {str(c): quantize(Decimal(a), str(c), exact=False, bounded=False) for c, a, _ in totals},
    )


_REF_T = "STRUCT(invoice VARCHAR, kind VARCHAR, text VARCHAR)[]"
_CUST_T = "STRUCT(customer_id VARCHAR, method VARCHAR, detail VARCHAR)[]"

# The engine's evidence (primitives._evidence, and a customer rule's notes) as the
# writer's ``cashapp_evidence`` macro renders it. m_ref_hits holds one row per (payment,
# invoice): the reference evidence is that row. The customer evidence is the payment's
# hits in the engine's order (score, customer, method) or, when it has none, the customers
# of the invoices it names (customer_hits_by_reference). Customer hits are mostly one per
# payment: those need no sorted list aggregation, the expensive part at a million.
_EVIDENCE_INPUTS = f"""
WITH hits AS (SELECT c.* FROM m_cust_hits c SEMI JOIN m_certain USING (payment_id)),
implied AS (
  SELECT h.payment_id,
         list({{'customer_id': h.customer_id, 'method': 'reference', 'detail': ''}}
              ORDER BY h.customer_id) AS custs
  FROM (SELECT DISTINCT h.payment_id, i.customer_id FROM m_ref_hits h
        JOIN invoices i USING (invoice_number)
        WHERE h.kind <> 'bare' AND h.payment_id IN (SELECT payment_id FROM m_certain)
          AND h.payment_id NOT IN (SELECT payment_id FROM hits)) h
  GROUP BY h.payment_id),
custs AS (
  SELECT payment_id, custs FROM (
    SELECT payment_id, count(*) AS n,
           [any_value({{'customer_id': customer_id, 'method': method, 'detail': detail}})]
             AS custs
    FROM hits GROUP BY payment_id) WHERE n = 1
  UNION ALL
  SELECT payment_id,
         list({{'customer_id': customer_id, 'method': method, 'detail': detail}}
              ORDER BY score DESC, customer_id, method)
  FROM hits WHERE payment_id IN (SELECT payment_id FROM hits
                                 GROUP BY payment_id HAVING count(*) > 1)
  GROUP BY payment_id
  UNION ALL SELECT * FROM implied),
candidates AS (
  SELECT payment_id, list(DISTINCT customer_id ORDER BY customer_id) AS candidates
  FROM hits WHERE method IN (SELECT unnest(?::VARCHAR[])) GROUP BY payment_id)
SELECT m.payment_id, 0 AS seq, m.invoice_number, m.customer_id, m.amount, m.currency,
       'payment' AS kind, m.rule, m.confidence,
       cashapp_evidence(
         CASE WHEN m.via = 'reference'
              THEN [{{'invoice': r.invoice_number, 'kind': r.kind, 'text': r.text}}]
              ELSE []::{_REF_T} END,
         coalesce(c.custs, []::{_CUST_T}),
         CASE WHEN m.via = 'reference' THEN NULL
              WHEN len(k.candidates) > 1
              THEN 'only this candidate has an open invoice of the amount'
              ELSE 'equals the open amount' END,
         CASE WHEN m.via = 'customer' AND len(k.candidates) > 1 THEN k.candidates END
       ) AS evidence
FROM m_certain m
LEFT JOIN m_ref_hits r USING (payment_id, invoice_number)
LEFT JOIN custs c USING (payment_id)
LEFT JOIN candidates k USING (payment_id)
"""


def _write_certain(store: Store, identify: Sequence[str], run_id: str, now: Any) -> None:
    """Applications (through the one writer), invoice open amounts and payment status."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE m_certain_rows AS {_EVIDENCE_INPUTS}", [list(identify)]
    )
    write_applications(store, ApplicationRows("m_certain_rows"), run_id, now)
    store.execute("DROP TABLE m_certain_rows")
    store.execute(
        "UPDATE invoices SET open_amount = invoices.open_amount - m.amount, updated_at = ?"
        " FROM m_certain m WHERE invoices.invoice_number = m.invoice_number",
        [now],
    )
    # customer_id stays on the application: rewriting a varying string column of the wide
    # payments table costs ~100 us a row in DuckDB 1.x/2.0 (measured: 9 s for 86k rows),
    # constant columns cost nothing. v_payments reads the customer from the application.
    store.execute(
        "UPDATE payments SET status = 'applied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_certain)",
        [now, run_id],
    )
