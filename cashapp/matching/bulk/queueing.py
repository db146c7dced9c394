"""The payments no rule can apply, queued set-based: strangers and crowds.

Why a module of its own: a payment that names no invoice from a payer nobody knows
(``unidentified``), or from a payer name more than five customers share (``ambiguous``),
goes to the queue whatever the rules say. Deciding them one by one was seconds of a large
run; here each kind is one statement that builds the exception the engine would raise,
with the same detail and suggestions, handed to the one writer
(:mod:`cashapp.matching.decisions`), which gives it its id and audit row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cashapp.matching.book import MAX_CANDIDATE_CUSTOMERS, MAX_SUGGESTIONS
from cashapp.matching.decisions import ExceptionRows, write_exceptions
from cashapp.matching.registry import PRIMITIVES
from cashapp.matching.rules import Rule
from cashapp.money import sql_amount_text
from cashapp.store import Store

_UNIDENTIFIED_DETAIL = (
    "CASE WHEN s.payer_name = '' THEN 'payer without a name'"
    " ELSE concat('payer ', chr(39), s.payer_name, chr(39)) END"
    " || ' is not a known customer and no invoice is named'"
)


def select_strangers(store: Store) -> None:
    """Set aside (table ``m_strangers``) every undecided payment nothing points at.

    No invoice named and no customer identified: no rule can apply it, so the engine
    need not load it; :func:`queue_strangers` queues it once the engine has decided the
    rest. Payer names with a quote or a backslash are left to the engine, whose detail
    quotes names the Python way.
    """
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_strangers AS"
        " SELECT payment_id, amount, currency, payer_name FROM payments p"
        " WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "  AND NOT contains(payer_name, chr(39)) AND NOT contains(payer_name, chr(92))"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_ref_hits)"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_cust_hits)"
    )


def queue_strangers(store: Store, run_id: str, now: Any) -> int:
    """Queue the payments :func:`select_strangers` set aside as ``unidentified``.

    This is what :func:`engine.queued` decides for them, written in bulk with the same
    exception id, detail and suggestions (the invoices open for exactly the amount: of
    the ten due first, the five lowest numbers, each a 0.40 hint). Called after the
    engine's decisions are written, so the hints read the book as the run leaves it, as
    the engine's own do. Returns how many were queued.
    """
    amount = sql_amount_text("i.open_amount", "i.currency")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_stranger_rows AS"
        " SELECT s.payment_id, NULL::VARCHAR AS invoice_number, NULL::VARCHAR AS customer_id,"
        "  'unidentified' AS type, s.amount, s.currency, '' AS reason_code,"
        f"  {_UNIDENTIFIED_DETAIL} AS detail,"
        "  coalesce(g.suggestions, '[]') AS suggestions"
        " FROM m_strangers s LEFT JOIN ("
        "  SELECT payment_id, cashapp_suggestions(list({'invoices': [invoice_number],"
        "    'amount': amount_text, 'score': '0.40',"
        "    'evidence': 'open amount equals payment (customer ' || customer_id || ')'}"
        "    ORDER BY invoice_number)) AS suggestions"
        "  FROM (SELECT * FROM (SELECT s.payment_id, i.invoice_number, i.customer_id,"
        f"     {amount} AS amount_text, i.due_date"
        "    FROM m_strangers s JOIN invoices i"
        "     ON i.currency = s.currency AND i.open_amount = s.amount"
        "    QUALIFY row_number() OVER (PARTITION BY s.payment_id"
        "      ORDER BY i.due_date, i.invoice_number) <= 10)"
        "   QUALIFY row_number() OVER (PARTITION BY payment_id"
        "     ORDER BY invoice_number) <= 5)"
        "  GROUP BY payment_id"
        " ) g USING (payment_id)"
    )
    write_exceptions(store, ExceptionRows("m_stranger_rows"), run_id, now)
    store.execute("DROP TABLE m_stranger_rows")
    store.execute(
        "UPDATE payments SET status = 'unapplied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_strangers)",
        [now, run_id],
    )
    return int(store.scalar("SELECT count(*) FROM m_strangers"))


#: A "nearest open amount" hint's score in hundredths, as the engine's
#: ``quantize(0.5 * (1 - min(|open - paid| / max(paid, 1), 1)))`` rounds it (half even),
#: in exact integers of ten-thousandths: N = 50 (A - min(D, A)), score = N / A rounded.
_NEAREST_HUNDREDTHS = (
    "(N // A + CASE WHEN 2 * (N % A) > A THEN 1 WHEN 2 * (N % A) = A THEN (N // A) % 2 ELSE 0 END)"
)


def select_crowds(store: Store, rules: Sequence[Rule]) -> None:
    """Set aside (table ``m_crowds``) every payment whose payer name fits a crowd.

    A payment that names no invoice and whose payer more than
    :data:`~cashapp.matching.engine.MAX_CANDIDATE_CUSTOMERS` customers could be (a name
    many customers share) can be applied by no rule: the registry's ``crowd`` fact says so
    per primitive -- the reference rules need a reference, ``customer_single_invoice``
    refuses a crowd, and ``customer_combination`` needs exactly one customer among the
    methods it accepts (checked here per rule). The engine would
    raise ``ambiguous`` with the hints of its ``_suggest``: for each of the five strongest
    candidates, its open invoices of exactly the amount (0.75) and its three nearest open
    amounts (0.5 x closeness), the best five overall: :func:`queue_crowds` writes that
    decision once the engine has decided the rest. With a rule whose primitive does not
    say what it does with a crowd, none is set aside (the engine decides them all).
    """
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowds (payment_id VARCHAR, amount DECIMAL(18,4),"
        " currency VARCHAR, candidates VARCHAR)"
    )
    crowd = {rule.id: PRIMITIVES[rule.primitive].crowd for rule in rules}
    if None in crowd.values():  # a primitive that does not say what it does with a crowd
        return
    one_customer_rules = "".join(
        " AND count(DISTINCT customer_id) FILTER (WHERE method IN ("
        + ", ".join(f"'{method}'" for method in rule.identify)
        + ")) <> 1"
        for rule in rules
        if crowd[rule.id] == "needs_one_customer"
    )
    store.execute(
        "INSERT INTO m_crowds SELECT * FROM ("
        # the undecided first: most payments with customer evidence are applied already
        " WITH todo AS (SELECT payment_id, amount, currency FROM payments"
        "  WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "   AND payment_id NOT IN (SELECT payment_id FROM m_ref_hits))"
        " SELECT t.payment_id, t.amount, t.currency, c.candidates FROM todo t JOIN ("
        "  SELECT payment_id, string_agg(DISTINCT customer_id, ', ' ORDER BY customer_id)"
        "   AS candidates FROM m_cust_hits SEMI JOIN todo USING (payment_id)"
        "  GROUP BY payment_id"
        f"  HAVING count(DISTINCT customer_id) > {MAX_CANDIDATE_CUSTOMERS}{one_customer_rules}"
        " ) c USING (payment_id))"
    )


def queue_crowds(store: Store, run_id: str, now: Any) -> int:
    """Queue the payments :func:`select_crowds` set aside as ``ambiguous``, with the
    engine's hints read from the book as the run leaves it. Returns how many."""
    amount = sql_amount_text("open_amount", "currency")  # for the five kept, not every row
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowd_hints AS"
        # each candidate's best hit (of equal scores the engine keeps the first, which the
        # evidence order puts at the smallest method), then the five strongest candidates
        " WITH best AS (SELECT h.payment_id, h.customer_id, h.method, h.score"
        "   FROM m_cust_hits h SEMI JOIN m_crowds USING (payment_id)"
        "   QUALIFY row_number() OVER (PARTITION BY h.payment_id, h.customer_id"
        "     ORDER BY h.score DESC, h.method) = 1),"
        " strongest AS (SELECT * FROM best QUALIFY row_number() OVER ("
        "   PARTITION BY payment_id ORDER BY score DESC, customer_id)"
        f"   <= {MAX_CANDIDATE_CUSTOMERS}),"
        " open AS (SELECT s.payment_id, s.customer_id, s.method, i.invoice_number, i.due_date,"
        "   i.open_amount, i.currency, i.open_amount = c.amount AS exact,"
        "   abs(i.open_amount - c.amount) AS diff,"
        "   CAST(greatest(c.amount, 1) * 10000 AS HUGEINT) AS A,"
        "   50 * (A - least(CAST(diff * 10000 AS HUGEINT), A)) AS N"
        "   FROM strongest s JOIN m_crowds c USING (payment_id)"
        "   JOIN invoices i ON i.customer_id = s.customer_id AND i.currency = c.currency"
        "    AND i.open_amount > 0),"
        " hints AS ("
        "  SELECT payment_id, invoice_number, open_amount, currency, 75 AS score,"
        "   'payer identified by ' || method || '; open amount equals payment' AS evidence"
        "  FROM open WHERE exact"
        "  UNION ALL"
        f"  SELECT payment_id, invoice_number, open_amount, currency, {_NEAREST_HUNDREDTHS},"
        "   'payer identified by ' || method || '; nearest open amount'"
        "  FROM open QUALIFY row_number() OVER (PARTITION BY payment_id, customer_id"
        "   ORDER BY diff, due_date, invoice_number) <= 3),"
        # one hint per invoice (its best), the best five per payment
        " ranked AS (SELECT * FROM (SELECT * FROM hints QUALIFY row_number() OVER ("
        "   PARTITION BY payment_id, invoice_number ORDER BY score DESC) = 1)"
        f"  QUALIFY row_number() OVER (PARTITION BY payment_id"
        f"   ORDER BY score DESC, invoice_number) <= {MAX_SUGGESTIONS})"
        " SELECT payment_id, cashapp_suggestions(list({'invoices': [invoice_number],"
        f"   'amount': {amount},"
        "   'score': '0.' || lpad(score::VARCHAR, 2, '0'), 'evidence': evidence}"
        "  ORDER BY score DESC, invoice_number)) AS suggestions"
        " FROM ranked GROUP BY payment_id"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowd_rows AS"
        " SELECT c.payment_id, NULL::VARCHAR AS invoice_number, NULL::VARCHAR AS customer_id,"
        "  'ambiguous' AS type, c.amount, c.currency, '' AS reason_code,"
        "  'payer could be any of ' || c.candidates AS detail,"
        "  coalesce(h.suggestions, '[]') AS suggestions"
        " FROM m_crowds c LEFT JOIN m_crowd_hints h USING (payment_id)"
    )
    write_exceptions(store, ExceptionRows("m_crowd_rows"), run_id, now)
    store.execute("DROP TABLE m_crowd_rows")
    store.execute(
        "UPDATE payments SET status = 'unapplied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_crowds)",
        [now, run_id],
    )
    queued = int(store.scalar("SELECT count(*) FROM m_crowds"))
    store.execute("DROP TABLE m_crowd_hints")
    store.execute("DROP TABLE m_crowds")
    return queued
