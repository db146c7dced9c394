"""Re-match: open exceptions that new master data may explain go back through the matcher.

Why a module of its own: a match run decides each payment once, so a payment queued
``unidentified`` on Monday stayed queued after Tuesday's import brought its customer and
invoice (issue 13: "adding the missing customer and invoice and re-running match decided
0 payments"). This stage gives such payments a second decision, on the same terms as the
first: the normal stages of the run, both paths, the same rules.

Which exceptions. Open and untouched by a person -- version 1, no notes, no assignee, no
audit row by anyone but the matcher -- of a type new master data can explain
(``unidentified``, ``unmatched``, ``ambiguous``, ``currency_mismatch``), whose payment
has nothing applied and no other open exception. And only when the change could explain
it: computed with the run's own evidence (``m_cust_hits``, ``m_ref_hits``), one of

* a customer the payer is identified as now was imported or changed after the
  exception was raised;
* an alias that identifies the payer now was learned after it (by a person, or by a
  run from a reference);
* an invoice the remittance names was imported after it;
* an invoice of a customer the payer is identified as was imported after it, open, in
  the payment's currency and not above the amount (so it can be the invoice paid, or
  part of a combination).

A change is looked at once: by the first run that starts after it (``runs.started_at``).
A change nothing points at (an unrelated customer, an invoice of another amount) leaves
the exception as it is, and the next run does not look at it again; a second run after a
re-match finds nothing newer than what the first one queued.

How. :func:`reopen_candidates` (before the evidence is built) marks the candidates'
payments undecided for the run, so every stage sees them; :func:`settle_candidates`
(after the evidence) keeps those the change explains -- their exception is closed
(``resolved``, resolution ``rematched``, audited with the reason, through
:func:`cashapp.matching.decisions.close_rematched`) -- and puts the others back exactly as
they were. The kept payments are then decided by the run like any other: applied, or
queued again with fresh suggestions under a new exception id. Nothing applied before is
touched, so nothing is doubled, and a payment has at most one open exception.

Worked example. Monday ``ACME TRADING`` pays 1,200.00, no remittance: ``unidentified``.
Tuesday the ERP export adds customer C77 ``Acme Trading Ltd`` and invoice INV-9001 for
1,200.00. Tuesday's ``match``: the payer is now identified by exact name as C77, a
customer imported after Monday's exception, so the exception is closed as ``rematched``
("customer C77 imported or changed") and ``cust-single`` applies the payment to INV-9001.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from cashapp.keys import is_ascii_sql, name_key_sql
from cashapp.matching.decisions import RematchRows, close_rematched
from cashapp.matching.rules import Rule
from cashapp.store import Store

#: The exception types new master data can explain. The others are about money already
#: applied (short, over, duplicate), events or settlements: a person's, or their own stage's.
REMATCH_TYPES: Final = ("unidentified", "unmatched", "ambiguous", "currency_mismatch")

#: The resolution of an exception a re-match closed.
REMATCHED: Final = "rematched"

_CANDIDATES = "m_rematch"
_EXPLAINED = "m_rematch_why"


#: Before any match run: every change is new.
_NEVER: Final = datetime(1970, 1, 1, tzinfo=UTC)


def _last_change(store: Store) -> datetime | None:
    """When master data last changed: a customer, an alias or a new invoice."""
    value = store.scalar(
        "SELECT greatest((SELECT max(updated_at) FROM customers),"
        " (SELECT max(created_at) FROM customer_aliases),"
        " (SELECT max(created_at) FROM invoices))"
    )
    return value if isinstance(value, datetime) else None


def _checked_from(store: Store) -> datetime:
    """Changes before the last match run started were looked at by that run already.

    An alias a run learns (at its own start time or later) is new to the next run; a
    ``--dry-run`` is not recorded, so it hands nothing on.
    """
    value = store.scalar("SELECT max(started_at) FROM runs WHERE kind = 'match'")
    return value if isinstance(value, datetime) else _NEVER


def reopen_candidates(store: Store) -> int:
    """Mark undecided, for this run, the payments of the exceptions a change may explain.

    Only exceptions raised before the last master-data change are looked at (a run with
    no change since costs one query). Returns how many payments were reopened;
    :func:`settle_candidates` must follow once the evidence is built.
    """
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {_CANDIDATES} (exception_id VARCHAR,"
        " payment_id VARCHAR, version INTEGER, opened_at TIMESTAMPTZ, matched_at TIMESTAMPTZ,"
        " since TIMESTAMPTZ,"
        " amount DECIMAL(18,4), currency VARCHAR, payer_name VARCHAR, payer_account VARCHAR)"
    )
    changed, since = _last_change(store), _checked_from(store)
    if changed is None or changed < since:
        return 0
    store.execute(
        f"INSERT INTO {_CANDIDATES}"
        " SELECT e.exception_id, e.payment_id, e.version, e.opened_at, p.matched_at,"
        # a change counts when newer than the exception and than the last run's look
        "  greatest(e.opened_at, ?::TIMESTAMPTZ), p.amount, p.currency, p.payer_name,"
        "  p.payer_account"
        " FROM exceptions e JOIN payments p USING (payment_id)"
        " WHERE e.status = 'open' AND e.opened_at < ?"
        "  AND e.type IN (SELECT unnest(?::VARCHAR[]))"
        # untouched: a person's note, assignment or action moves one of these on
        "  AND e.version = 1 AND coalesce(e.notes, '[]') IN ('[]', '')"
        "  AND coalesce(e.assignee, '') = ''"
        "  AND p.kind = 'payment' AND p.amount > 0 AND p.status = 'unapplied'"
        "  AND p.matched_at IS NOT NULL"
        "  AND NOT EXISTS (SELECT 1 FROM applications a"
        "   WHERE a.payment_id = e.payment_id AND a.status = 'active')"
        "  AND NOT EXISTS (SELECT 1 FROM exceptions o WHERE o.payment_id = e.payment_id"
        "   AND o.exception_id <> e.exception_id AND o.status IN ('open', 'in_review'))",
        [since, changed, list(REMATCH_TYPES)],
    )
    if not store.scalar(f"SELECT count(*) FROM {_CANDIDATES}"):
        return 0
    # anyone but the matcher and the rules who wrote about the exception has touched it
    store.execute(
        f"DELETE FROM {_CANDIDATES} WHERE exception_id IN (SELECT entity_id FROM audit_log"
        "  WHERE entity = 'exception'"
        f"   AND entity_id IN (SELECT exception_id FROM {_CANDIDATES})"
        "   AND NOT starts_with(actor, 'system:') AND NOT starts_with(actor, 'rule:'))"
    )
    store.execute(
        "UPDATE payments SET matched_at = NULL"
        f" WHERE payment_id IN (SELECT payment_id FROM {_CANDIDATES})"
    )
    return int(store.scalar(f"SELECT count(*) FROM {_CANDIDATES}"))


def _explained_sql() -> str:
    """The candidates a change explains, each with one reason (the first in this order);
    the one parameter is the largest tolerance of the rules (an invoice that much above the
    amount can still be the one paid)."""
    payer_key = name_key_sql("r.payer_name")
    return (
        f"CREATE OR REPLACE TEMP TABLE {_EXPLAINED} AS"
        f" WITH r AS (SELECT * FROM {_CANDIDATES}),"
        " why AS ("
        "  SELECT r.exception_id, 1 AS rank,"
        "   'customer ' || c.customer_id || ' imported or changed' AS reason"
        "  FROM r JOIN m_cust_hits h USING (payment_id)"
        "   JOIN customers c ON c.customer_id = h.customer_id"
        "  WHERE c.updated_at > r.opened_at AND c.updated_at >= r.since"
        "  UNION ALL"
        "  SELECT r.exception_id, 2, 'payer ' || a.kind || ' alias of ' || a.customer_id"
        "   || CASE WHEN starts_with(a.learned_from, 'exc_')"
        "      THEN ' learned from ' || a.learned_from || ' by ' || a.created_by"
        "      ELSE ' learned from ' || coalesce(nullif(a.learned_from, ''), 'import') END"
        "  FROM r JOIN m_cust_hits h USING (payment_id)"
        "   JOIN customer_aliases a ON a.customer_id = h.customer_id"
        "    AND ((h.method = 'account' AND a.kind = 'account' AND a.value = r.payer_account)"
        "     OR (h.method = 'alias' AND a.kind = 'name'"
        f"      AND (NOT {is_ascii_sql('r.payer_name')} OR a.value = {payer_key})))"
        "  WHERE a.created_at > r.opened_at AND a.created_at >= r.since"
        "  UNION ALL"
        "  SELECT r.exception_id, 3,"
        "   'invoice ' || i.invoice_number || ' named in the remittance imported'"
        "  FROM r JOIN m_ref_hits x USING (payment_id) JOIN invoices i USING (invoice_number)"
        "  WHERE i.created_at > r.opened_at AND i.created_at >= r.since"
        "  UNION ALL"
        "  SELECT r.exception_id, 4,"
        "   'invoice ' || i.invoice_number || ' of ' || i.customer_id || ' imported'"
        "  FROM r JOIN m_cust_hits h USING (payment_id)"
        "   JOIN invoices i ON i.customer_id = h.customer_id"
        "  WHERE i.created_at > r.opened_at AND i.created_at >= r.since AND i.open_amount > 0"
        "   AND i.currency = r.currency AND i.open_amount <= r.amount + ?::DECIMAL(18,4))"
        " SELECT r.exception_id, any_value(r.payment_id) AS payment_id,"
        "  any_value(r.version) AS version, arg_min(w.reason, (w.rank, w.reason)) AS reason"
        " FROM r JOIN why w USING (exception_id) GROUP BY r.exception_id"
    )


def settle_candidates(store: Store, rules: Sequence[Rule], now: datetime, actor: str) -> int:
    """Keep the reopened payments a change explains, put the rest back; see the module note.

    Runs once the run's evidence tables exist. Returns how many exceptions were closed
    (their payments are decided by the rest of the run).
    """
    slack = max((rule.tolerance for rule in rules), default=Decimal(0))
    store.execute(_explained_sql(), [slack])
    closed = close_rematched(store, RematchRows(_EXPLAINED), now, actor)
    # put back, exactly as they were, the payments whose exception is still open
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE m_rematch_back AS SELECT r.payment_id, r.matched_at"
        f" FROM {_CANDIDATES} r JOIN exceptions e USING (exception_id) WHERE e.status = 'open'"
    )
    store.execute(
        "UPDATE payments SET matched_at = b.matched_at FROM m_rematch_back b"
        " WHERE payments.payment_id = b.payment_id"
    )
    for table in ("m_cust_hits", "m_ref_hits"):
        store.execute(
            f"DELETE FROM {table} WHERE payment_id IN (SELECT payment_id FROM m_rematch_back)"
        )
    # the customer of the old decision is the new decision's to say
    store.execute(
        "UPDATE payments SET customer_id = NULL WHERE customer_id IS NOT NULL"
        f" AND payment_id IN (SELECT payment_id FROM {_EXPLAINED})"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_rematch_back)"
    )
    for table in ("m_rematch_back", _EXPLAINED, _CANDIDATES):
        store.execute(f"DROP TABLE {table}")
    return closed


def drop_candidates(store: Store) -> None:
    """Forget the candidates of a run that reopened none."""
    store.execute(f"DROP TABLE IF EXISTS {_CANDIDATES}")
