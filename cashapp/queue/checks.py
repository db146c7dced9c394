"""DESIGN §7 as checks that return problems: the book, the daily report and the journal.

Why a module of its own: an action that leaves the book inconsistent is worse than one
refused, so every action checks what it touched before it commits
(:func:`touched_breaks`), and the tests check the whole book, the day's report and the
ledger after any sequence of actions with the same functions (style point 12: invariant
checks return errors; they never fix anything).

The identities, per currency:

- **payment**: the cash applied, on account and refunded never exceeds ``|amount|``; a
  received payment whose cash is not all allocated has an open exception holding the
  rest (the report's ``in_exception``).
- **invoice**: ``0 <= open_amount <= amount`` and ``open_amount = amount -
  settled_outside - active applications``.
- **journal**: every entry balances per currency.
- **report daily** (:func:`daily_breaks`): a day's ``received = applied + unapplied +
  refunded + in_exception`` plus what is not the queue's (payments returned, ignored or
  not yet decided).
- **ledger** (:func:`ledger_breaks`, once everything is posted): accounts receivable is
  credited exactly by the active applications to invoices; refunds payable holds the
  active refunds; discounts and write-offs (each deduction's account) hold theirs; and
  unapplied cash holds what the report shows as unapplied and in exception, plus the
  returns and disputes whose originals are in the book (which net to zero when every
  original arrived). In short: cash received = AR relieved + unapplied cash + refunds
  payable + the money taken back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import duckdb

from cashapp.store import Store

Source = Store | duckdb.DuckDBPyConnection

#: A received payment that is ours to apply (the queue's money).
_RECEIVABLE = (
    "p.kind = 'payment' AND p.amount > 0 AND p.matched_at IS NOT NULL"
    " AND p.status NOT IN ('reversed', 'ignored')"
)


def _rows(source: Source, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    con = source.con if isinstance(source, Store) else source
    return con.execute(sql, list(params)).fetchall()


def _only(column: str, values: Sequence[str] | None) -> tuple[str, list[object]]:
    """A filter on ``column`` (None: every row)."""
    if values is None:
        return "true", []
    return f"list_contains(?::VARCHAR[], {column})", [list(values)]


def payment_breaks(source: Source, payments: Sequence[str] | None = None) -> list[str]:
    """Payments over-applied, or holding cash outside any open exception."""
    where, params = _only("p.payment_id", payments)
    rows = _rows(
        source,
        "WITH used AS (SELECT payment_id, sum(amount) AS used FROM applications"
        "  WHERE status = 'active' AND kind IN ('payment', 'unapplied', 'refund')"
        "  GROUP BY payment_id),"
        " held AS (SELECT DISTINCT payment_id FROM exceptions"
        "  WHERE status IN ('open', 'in_review') AND payment_id IS NOT NULL)"
        " SELECT p.payment_id, p.currency, abs(p.amount), coalesce(u.used, 0),"
        "  h.payment_id IS NOT NULL"
        " FROM payments p LEFT JOIN used u USING (payment_id) LEFT JOIN held h USING (payment_id)"
        f" WHERE {where} AND (coalesce(u.used, 0) > abs(p.amount)"
        f"  OR ({_RECEIVABLE} AND coalesce(u.used, 0) < p.amount AND h.payment_id IS NULL))"
        " ORDER BY 1",
        params,
    )
    found = []
    for payment, currency, amount, used, held in rows:
        if used > amount:
            found.append(f"payment {payment}: {used} {currency} allocated of {amount}")
        elif not held:
            found.append(
                f"payment {payment}: {amount - used} {currency} neither applied, on account,"
                " refunded nor in an open exception"
            )
    return found


def invoice_breaks(source: Source, invoices: Sequence[str] | None = None) -> list[str]:
    """Invoices whose open amount is out of range or disagrees with their applications."""
    where, params = _only("i.invoice_number", invoices)
    rows = _rows(
        source,
        "WITH relieved AS (SELECT invoice_number, sum(amount) AS s FROM applications"
        "  WHERE status = 'active' AND invoice_number IS NOT NULL GROUP BY invoice_number)"
        " SELECT i.invoice_number, i.currency, i.amount, i.open_amount,"
        "  i.amount - i.settled_outside - coalesce(r.s, 0)"
        " FROM invoices i LEFT JOIN relieved r USING (invoice_number)"
        f" WHERE {where} AND (i.open_amount < 0 OR i.open_amount > i.amount"
        "  OR i.open_amount <> i.amount - i.settled_outside - coalesce(r.s, 0))"
        " ORDER BY 1",
        params,
    )
    return [
        f"invoice {inv}: open {open_} {cur} of {amount}, applications leave {expected}"
        for inv, cur, amount, open_, expected in rows
    ]


def journal_breaks(source: Source) -> list[str]:
    """Journal entries that do not balance in a currency."""
    rows = _rows(
        source,
        "SELECT entry_id, currency, sum(debit) - sum(credit) FROM journal_lines"
        " GROUP BY entry_id, currency HAVING sum(debit) <> sum(credit) ORDER BY 1",
    )
    return [f"journal entry {e} is off by {d} {c}" for e, c, d in rows]


def book_breaks(source: Source) -> list[str]:
    """Every DESIGN §7 break of the whole book (payments, invoices, journal)."""
    return payment_breaks(source) + invoice_breaks(source) + journal_breaks(source)


def touched_breaks(store: Store, payments: Sequence[str], invoices: Sequence[str]) -> list[str]:
    """The breaks among the payments and invoices one action touched (cheap: by key)."""
    found = payment_breaks(store, payments) if payments else []
    return found + (invoice_breaks(store, invoices) if invoices else [])


def daily_breaks(source: Source, day: date | None = None) -> list[str]:
    """Rows of ``v_daily_totals`` (one day, or all) whose cash does not add up.

    ``received`` counts every positive payment of the day; what is not applied, on
    account, refunded or in exception must be a payment that is not the queue's: returned
    (``reversed``), ``ignored`` or not decided yet.
    """
    rows = _rows(
        source,
        "WITH outside AS (SELECT value_date AS day, source, currency, sum(amount) AS amount"
        "  FROM payments WHERE kind = 'payment' AND amount > 0"
        "   AND (matched_at IS NULL OR status IN ('reversed', 'ignored')) GROUP BY ALL)"
        " SELECT t.day, t.source, t.currency, t.received,"
        "  t.applied + t.unapplied + t.refunded + t.in_exception + coalesce(o.amount, 0)"
        " FROM v_daily_totals t LEFT JOIN outside o USING (day, source, currency)"
        " WHERE (CAST(? AS DATE) IS NULL OR t.day = CAST(? AS DATE))"
        "  AND t.received <> t.applied + t.unapplied + t.refunded + t.in_exception"
        "   + coalesce(o.amount, 0)"
        " ORDER BY 1, 2, 3",
        [day, day],
    )
    return [
        f"report daily {d} {src} {cur}: received {received}, but applied + unapplied +"
        f" refunded + in exception + returned/ignored/undecided = {explained}"
        for d, src, cur, received, explained in rows
    ]


def ledger_breaks(
    source: Source, accounts: Mapping[str, str], deductions: Mapping[str, str]
) -> list[str]:
    """Where the posted journal disagrees with the book (call after posting everything).

    See the module docstring for the identities. Per currency; an account used for
    several purposes (a deduction booked to the discounts account) is compared as one.
    """
    ledger: dict[tuple[str, str], Decimal] = {
        (str(a), str(c)): b
        for a, c, b in _rows(
            source,
            "SELECT account, currency, sum(debit) - sum(credit) FROM journal_lines GROUP BY ALL",
        )
    }
    book = _rows(
        source,
        "WITH apps AS (SELECT currency,"
        "   coalesce(sum(amount) FILTER (WHERE invoice_number IS NOT NULL"
        "    AND kind IN ('payment', 'discount', 'writeoff', 'fee')), 0) AS relieved,"
        "   coalesce(sum(amount) FILTER (WHERE kind = 'refund'), 0) AS refunded,"
        "   coalesce(sum(amount) FILTER (WHERE invoice_number IS NOT NULL"
        "    AND kind IN ('discount', 'writeoff')), 0) AS deducted"
        "  FROM applications WHERE status = 'active' GROUP BY currency),"
        " queue AS (SELECT currency, sum(unapplied + in_exception) AS held"
        "  FROM v_daily_totals GROUP BY currency),"
        " taken AS (SELECT currency,"
        "   coalesce(sum(amount) FILTER (WHERE kind = 'payment' AND amount > 0"
        "    AND status = 'reversed'), 0)"
        "   - coalesce(sum(abs(amount))"
        "      FILTER (WHERE kind IN ('return', 'chargeback', 'refund')), 0)"
        "   + coalesce(sum(amount) FILTER (WHERE kind = 'dispute_reversal'), 0) AS net"
        "  FROM payments WHERE matched_at IS NOT NULL GROUP BY currency)"
        " SELECT currency, coalesce(a.relieved, 0), coalesce(a.refunded, 0),"
        "  coalesce(a.deducted, 0), coalesce(q.held, 0), coalesce(t.net, 0)"
        " FROM apps a FULL JOIN queue q USING (currency) FULL JOIN taken t USING (currency)"
        " ORDER BY 1",
    )
    deduction_accounts = {accounts["discounts"], accounts["write_offs"], *deductions.values()}
    found: list[str] = []
    for currency, relieved, refunded, deducted, held, net in book:

        def balance(names: Iterable[str], cur: str = str(currency)) -> Decimal:
            return sum((ledger.get((n, cur), Decimal(0)) for n in set(names)), Decimal(0))

        checks = (
            ("accounts receivable", balance([accounts["accounts_receivable"]]), -relieved),
            ("refunds payable", balance([accounts["refunds_payable"]]), -refunded),
            ("discounts and write-offs", balance(deduction_accounts), deducted),
            ("unapplied cash", balance([accounts["unapplied_cash"]]), -(held + net)),
        )
        for name, posted, expected in checks:
            if posted != expected:
                found.append(
                    f"ledger {name} {currency}: journal {posted}, book {expected}"
                    f" (off by {posted - expected})"
                )
    return found
