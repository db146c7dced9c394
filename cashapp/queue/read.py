"""Reading the exception queue: the rows a specialist works down, and one item in full.

Why a module of its own: the CLI today and the web workbench later show the same queue,
so what a row holds (payer, customer, value date, age, assignee, the top suggestion
naming its customer), how it is filtered and in which order live here once. The work is
one set-based query per page: filters and paging run in DuckDB, so a queue of 100,000
open items pages as fast as one of ten. Everything the bank wrote (payer name,
remittance, detail) comes out masked (:mod:`cashapp.masking`): account numbers appear
in remittance text more often than one would think.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Final

import duckdb

from cashapp.domain import ActionRefused
from cashapp.matching.model import EXCEPTION_STATUSES, EXCEPTION_TYPES
from cashapp.queue.ids import resolve_exception, short_id

#: Statuses a filter accepts: the stored ones, and ``all``.
STATUS_FILTERS: Final = (*EXCEPTION_STATUSES, "all")
MAX_PAGE: Final = 10_000


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What a person narrows the queue to; every field is optional but ``status``."""

    status: str = "open"
    type: str | None = None
    assignee: str | None = None
    customer: str | None = None  # a customer id, or part of the customer's name
    min_age: int | None = None  # days since the payment's value date
    max_age: int | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None
    search: str | None = None  # payer, remittance, invoice numbers (named or suggested)
    limit: int = 500
    offset: int = 0

    def check(self) -> None:
        """Refuse a filter that cannot mean anything (an unknown type is not an empty list)."""
        if self.status not in STATUS_FILTERS:
            raise ActionRefused(
                f"unknown --status {self.status!r}; valid: {', '.join(STATUS_FILTERS)}"
            )
        if self.type is not None and self.type not in EXCEPTION_TYPES:
            valid = ", ".join(EXCEPTION_TYPES)
            raise ActionRefused(f"unknown --type {self.type!r}; valid: {valid}")
        for name, value in (("--min-age", self.min_age), ("--max-age", self.max_age)):
            if value is not None and value < 0:
                raise ActionRefused(f"{name} {value} is negative; ages are days, 0 or more")
        if not 1 <= self.limit <= MAX_PAGE:
            raise ActionRefused(f"--limit {self.limit}: give 1 to {MAX_PAGE}")
        if self.offset < 0:
            raise ActionRefused(f"--offset {self.offset} is negative")
        low, high = self.min_amount, self.max_amount
        if low is not None and high is not None and low > high:
            raise ActionRefused(f"--min-amount {low} is above --max-amount {high}")


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One exception as the queue lists it."""

    short_id: str
    exception_id: str
    type: str
    status: str
    payer_name: str
    customer_id: str | None
    customer_name: str | None
    value_date: date | None
    age_days: int | None
    amount: Decimal
    currency: str
    assignee: str | None
    top_suggestion: str
    version: int
    payment_id: str | None
    invoice_number: str | None
    reason_code: str
    detail: str


#: The columns of :class:`QueueRow`, in order, as tables and files show them.
QUEUE_COLUMNS: Final = tuple(QueueRow.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class ExceptionView:
    """One exception in full: the item, its payment, what is applied, hints, history."""

    item: dict[str, Any]
    applications: list[dict[str, Any]] = field(default_factory=list)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


# The queue's rows, filtered in SQL. The customer is the exception's, else the one the
# payment was applied to; the top suggestion's customer is read from its first invoice.
_ROWS = """
WITH q AS (
  SELECT e.exception_id, e.type, e.status, e.amount, e.currency, e.assignee, e.version,
         e.opened_at, e.invoice_number, e.suggestions, e.payment_id,
         coalesce(e.customer_id, p.customer_id) AS customer_id,
         mask_text(coalesce(p.payer_name, '')) AS payer_name, p.value_date,
         date_diff('day', coalesce(p.value_date, CAST(e.opened_at AS DATE)), ?::DATE)
           AS age_days,
         mask_text(coalesce(p.remittance, '')) AS remittance,
         array_to_string(p.refs, ' ') AS refs,
         json_extract_string(e.suggestions, '$[0].invoices[0]') AS top_invoice,
         e.reason_code, mask_text(e.detail) AS detail
  FROM exceptions e LEFT JOIN payments p USING (payment_id)
)
SELECT q.exception_id, q.type, q.status, q.payer_name, q.customer_id, c.name,
       q.value_date, q.age_days, q.amount, q.currency, q.assignee, q.suggestions,
       tc.name AS top_customer, q.version, q.payment_id, q.invoice_number, q.reason_code,
       q.detail
FROM q
LEFT JOIN customers c ON c.customer_id = q.customer_id
LEFT JOIN invoices ti ON ti.invoice_number = q.top_invoice
LEFT JOIN customers tc ON tc.customer_id = ti.customer_id
WHERE (? = 'all' OR q.status = ?)
  AND (? IS NULL OR q.type = ?)
  AND (? IS NULL OR q.assignee = ?)
  AND (? IS NULL OR q.customer_id = ? OR c.name ILIKE '%' || ? || '%')
  AND (? IS NULL OR q.age_days >= ?)
  AND (? IS NULL OR q.age_days <= ?)
  AND (? IS NULL OR q.amount >= ?)
  AND (? IS NULL OR q.amount <= ?)
  AND (? IS NULL OR concat_ws(' ', q.payer_name, q.remittance, q.refs, q.invoice_number,
                              q.suggestions) ILIKE '%' || ? || '%')
ORDER BY coalesce(q.value_date, CAST(q.opened_at AS DATE)), q.opened_at, q.exception_id
LIMIT ? OFFSET ?
"""


def _params(f: QueueFilter, today: date) -> list[Any]:
    return [
        today,
        f.status, f.status,
        f.type, f.type,
        f.assignee, f.assignee,
        f.customer, f.customer, f.customer,
        f.min_age, f.min_age,
        f.max_age, f.max_age,
        f.min_amount, f.min_amount,
        f.max_amount, f.max_amount,
        f.search, f.search,
        f.limit, f.offset,
    ]  # fmt: skip


def top_suggestion(suggestions: str, customer_name: str | None) -> str:
    """The first suggestion in one line: its invoices, the customer, score and evidence."""
    ranked = json.loads(suggestions)
    if not ranked:
        return ""
    s = ranked[0]
    who = f" {customer_name}" if customer_name else ""
    return f"{'+'.join(s['invoices'])}{who} ({s['score']}: {s['evidence']})"


def list_exceptions(
    con: duckdb.DuckDBPyConnection, filters: QueueFilter, *, today: date
) -> list[QueueRow]:
    """The page of the queue ``filters`` selects, oldest value date first."""
    filters.check()
    rows = con.execute(_ROWS, _params(filters, today)).fetchall()
    return [_queue_row(row) for row in rows]


def _queue_row(row: tuple[Any, ...]) -> QueueRow:
    exc, type_, status, payer, customer, customer_name, value_date, age, *rest = row
    amount, currency, assignee, suggestions, top_customer, version, *more = rest
    payment, invoice, reason, detail = more
    return QueueRow(
        short_id(exc), exc, type_, status, payer, customer, customer_name, value_date,
        None if age is None else int(age), amount, currency, assignee,
        top_suggestion(suggestions, top_customer), int(version), payment, invoice, reason,
        detail,
    )  # fmt: skip


def _dicts(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def show_exception(con: duckdb.DuckDBPyConnection, token: str) -> ExceptionView:
    """Everything about one exception: its payment, the payment's active applications,
    the ranked suggestions naming their customers, the notes and the audit history."""
    exc = resolve_exception(con, token)
    found = _dicts(
        con.execute(
            "SELECT e.exception_id, e.type, e.status, e.amount, e.currency,"
            " mask_text(e.detail) AS detail, e.reason_code, e.payment_id, p.source,"
            " p.source_ref, p.value_date, mask_text(p.payer_name) AS payer_name,"
            " mask_text(p.remittance) AS remittance, e.invoice_number,"
            " coalesce(e.customer_id, p.customer_id) AS customer_id, c.name AS customer_name,"
            " e.assignee, e.opened_at, e.resolved_at, e.resolution, e.version,"
            " e.suggestions, e.notes"
            " FROM exceptions e LEFT JOIN payments p USING (payment_id)"
            " LEFT JOIN customers c ON c.customer_id = coalesce(e.customer_id, p.customer_id)"
            " WHERE e.exception_id = ?",
            [exc],
        )
    )
    item = found[0]
    item["short_id"] = short_id(exc)
    suggestions = json.loads(item.pop("suggestions"))
    notes = json.loads(item.pop("notes"))
    invoices = sorted({n for s in suggestions for n in s["invoices"]})
    owner = dict(
        con.execute(
            "SELECT i.invoice_number, coalesce(c.name, i.customer_id) FROM invoices i"
            " LEFT JOIN customers c USING (customer_id)"
            " WHERE list_contains(?::VARCHAR[], i.invoice_number)",
            [invoices],
        ).fetchall()
    )
    for rank, s in enumerate(suggestions, start=1):
        s["rank"] = rank
        s["customers"] = sorted({owner[n] for n in s["invoices"] if n in owner})
    applications = _dicts(
        con.execute(
            "SELECT application_id, invoice_number, amount, kind, method, rule, confidence,"
            " evidence, created_by, created_at FROM applications"
            " WHERE payment_id = ? AND status = 'active' ORDER BY created_at, application_id",
            [item["payment_id"]],
        )
    )
    history = _dicts(
        con.execute(
            "SELECT occurred_at, actor, action, mask_label(detail) AS detail FROM audit_log"
            " WHERE entity = 'exception' AND entity_id = ? ORDER BY audit_id",
            [exc],
        )
    )
    return ExceptionView(item, applications, suggestions, notes, history)
