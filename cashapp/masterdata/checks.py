"""Set-based validation of a staged file: every row accepted with its values, or refused.

The rules are :mod:`cashapp.masterdata.rules`, nowhere else. This module only decides,
per row, *who* applies them:

1. Cells that need judgement but repeat a lot (dates, currencies, terms) are read once
   per distinct text by the Python rule itself (``parse_date``, ``check_currency``,
   ``parse_terms``) into small lookup tables.
2. One query accepts the rows whose every cell is in a common shape (a known customer,
   an amount :func:`~cashapp.masterdata.shapes.amount_sql` reads, a date and terms the
   lookups accepted, a due date given or derivable) and computes their values.
3. Every other row -- a bad one, or a good one in a rarer shape (``$1,234.50``, a due
   date past what terms can derive) -- goes whole through :func:`invoice_row` or
   :func:`customer_row`, which gives its value or the exact reason it is refused.
4. Repeated identifiers among the accepted rows are refused naming the first one, and
   all problems are reported in line order, as the row-by-row loop reported them.

A lookup that fails for any reason only sends the row to step 3, where the same call
raises again for the row: a fault the loop would have raised is raised, not hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TypeVar

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, ImportProfile
from cashapp.masterdata.rules import (
    ROW_ERRORS,
    CustomerRow,
    ImportRefused,
    InvoiceRow,
    customer_row,
    decimal_mark,
    invoice_row,
    parse_date,
    repeat_problem,
)
from cashapp.masterdata.shapes import amount_sql
from cashapp.masterdata.staging import ROWS
from cashapp.money import check_currency, minor_units
from cashapp.store import Store
from cashapp.terms import parse_terms

#: The accepted rows with their values, for the writes.
PARSED = "md_parsed"
_DATES, _CURRENCIES, _TERMS, _LOOKUP = "md_dates", "md_currencies", "md_terms", "md_lookup"
#: Net days past which deriving a due date is left to Python (which overflows past 9999).
_MAX_NET_DAYS: Final = 3_000_000

Row = TypeVar("Row", CustomerRow, InvoiceRow)


def check_customers(store: Store, path: str, default_currency: str) -> int:
    """Fill :data:`PARSED` with the staged customers; refuse the file on any bad row."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {PARSED} (line_no BIGINT, customer_id VARCHAR,"
        " name VARCHAR, email VARCHAR, currency VARCHAR, terms VARCHAR)"
    )
    currency = "CASE WHEN r.currency = '' THEN ? ELSE r.currency END"
    _currencies(store, f"SELECT DISTINCT {currency} FROM {ROWS} r", [default_currency])
    _terms(store)
    store.execute(
        f"INSERT INTO {PARSED} SELECT r.line_no, r.customer_id, r.name, r.email, c.code, r.terms"
        f" FROM {ROWS} r JOIN {_CURRENCIES} c ON c.text = {currency}"
        f" LEFT JOIN {_TERMS} t ON t.text = r.terms"
        " WHERE r.customer_id <> '' AND r.name <> '' AND c.code IS NOT NULL"
        " AND (r.terms = '' OR t.valid)",
        [default_currency],
    )
    return _settle_the_rest(
        store,
        path,
        CUSTOMER_FIELDS,
        "customer_id",
        lambda row, _: customer_row(row, default_currency),
        _customer_table,
    )


def check_invoices(store: Store, path: str, profile: ImportProfile) -> int:
    """Fill :data:`PARSED` with the staged invoices; refuse the file on any bad row."""
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {PARSED} (line_no BIGINT, invoice_number VARCHAR,"
        " customer_id VARCHAR, invoice_date DATE, due_date DATE, amount DECIMAL(18,4),"
        " open_amount DECIMAL(18,4), currency VARCHAR, po_number VARCHAR, terms VARCHAR)"
    )
    _currencies(store, f"SELECT DISTINCT currency FROM {ROWS}", [])
    _terms(store)
    _dates(store, profile.date_format)
    mark = decimal_mark(profile)
    due = "CASE WHEN due_date <> '' THEN due_text_date ELSE invoice_day + net_days END"
    store.execute(
        f"INSERT INTO {PARSED} SELECT line_no, invoice_number, customer_id, invoice_day,"
        f" {due}, amount_value, CASE WHEN open_amount = '' THEN amount_value ELSE open_value END,"
        " code, po_number, terms FROM ("
        " SELECT r.*, c.code, t.valid AS terms_valid, t.net_days,"
        " d.value AS invoice_day, e.value AS due_text_date,"
        f" {amount_sql('r.amount', 'c.places', mark)} AS amount_value,"
        f" {amount_sql('r.open_amount', 'c.places', mark)} AS open_value"
        f" FROM {ROWS} r LEFT JOIN {_CURRENCIES} c ON c.text = r.currency"
        f" LEFT JOIN {_DATES} d ON d.text = r.invoice_date"
        f" LEFT JOIN {_DATES} e ON e.text = r.due_date"
        f" LEFT JOIN {_TERMS} t ON t.text = r.terms"
        " WHERE r.customer_id IN (SELECT customer_id FROM customers))"
        " WHERE invoice_number <> '' AND code IS NOT NULL AND amount_value > 0"
        " AND (open_amount = '' OR open_value <= amount_value)"
        " AND invoice_day IS NOT NULL AND (terms = '' OR terms_valid)"
        " AND (due_date <> '' OR (terms <> '' AND net_days IS NOT NULL"
        "      AND invoice_day + net_days <= DATE '9999-12-31'))"
        f" AND {due} >= invoice_day"
    )
    return _settle_the_rest(
        store,
        path,
        INVOICE_FIELDS,
        "invoice_number",
        lambda row, customers: invoice_row(row, customers, profile),
        _invoice_table,
    )


def _settle_the_rest(
    store: Store,
    path: str,
    fields: tuple[str, ...],
    key: str,
    parse: Callable[[Mapping[str, str], Mapping[str, str]], Row],
    table: Callable[[Sequence[tuple[int, Row]]], Any],
) -> int:
    """Rows the query did not accept, through the Python rule; then repeats; then refuse.

    ``parse`` gets the row and the stored customers (id -> currency) those rows name.
    """
    rest = store.fetchall(
        f"SELECT r.line_no, c.currency, {', '.join(f'r.{f}' for f in fields)}"
        f" FROM {ROWS} r ANTI JOIN {PARSED} p USING (line_no)"
        " LEFT JOIN customers c ON c.customer_id = r.customer_id ORDER BY r.line_no"
    )
    named = fields.index("customer_id")
    customers = {values[named]: known for _, known, *values in rest if known is not None}
    problems: list[tuple[int, str]] = []
    accepted: list[tuple[int, Row]] = []
    for number, _, *values in rest:
        try:
            accepted.append((number, parse(dict(zip(fields, values, strict=True)), customers)))
        except ROW_ERRORS as exc:
            problems.append((number, f"line {number}: {exc}"))
    if accepted:
        store.con.register(_LOOKUP, table(accepted))
        try:
            store.execute(f"INSERT INTO {PARSED} BY NAME SELECT * FROM {_LOOKUP}")
        finally:
            store.release(_LOOKUP)
    repeats = store.fetchall(
        f"SELECT p.line_no, p.{key}, f.first FROM {PARSED} p JOIN (SELECT {key},"
        f" min(line_no) AS first FROM {PARSED} GROUP BY {key} HAVING count(*) > 1) f"
        f" USING ({key}) WHERE p.line_no > f.first"
    )
    problems.extend((n, repeat_problem(n, key, ident, first)) for n, ident, first in repeats)
    if problems:
        raise ImportRefused(path, [text for _, text in sorted(problems)])
    return int(store.scalar(f"SELECT count(*) FROM {PARSED}"))


# --- lookups: the Python rule once per distinct text -------------------------------------


def _attempt(parse: Callable[[str], Any], text: str) -> Any:
    """``parse(text)``, or None if it raises anything (the row then goes to Python whole)."""
    try:
        return parse(text)
    except Exception:
        return None


def _lookup(store: Store, name: str, texts: list[str], columns: Mapping[str, Any]) -> None:
    import pyarrow as pa

    store.con.register(_LOOKUP, pa.table({"text": pa.array(texts, pa.string()), **columns}))
    try:
        store.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {_LOOKUP}")
    finally:
        store.release(_LOOKUP)


def _currencies(store: Store, texts_sql: str, params: Sequence[object]) -> None:
    import pyarrow as pa

    texts = [t for (t,) in store.fetchall(texts_sql, params)]
    codes = [_attempt(check_currency, t) for t in texts]
    places = [None if c is None else minor_units(c) for c in codes]
    _lookup(
        store,
        _CURRENCIES,
        texts,
        {"code": pa.array(codes, pa.string()), "places": pa.array(places, pa.int32())},
    )


def _terms(store: Store) -> None:
    import pyarrow as pa

    texts = [t for (t,) in store.fetchall(f"SELECT DISTINCT terms FROM {ROWS} WHERE terms <> ''")]
    valid: list[bool] = []
    net_days: list[int | None] = []
    for text in texts:
        try:
            terms = parse_terms(text)
        except Exception:
            valid.append(False)
            net_days.append(None)
            continue
        valid.append(True)
        derivable = terms is not None and terms.net_days <= _MAX_NET_DAYS
        net_days.append(terms.net_days if derivable and terms is not None else None)
    _lookup(
        store,
        _TERMS,
        texts,
        {"valid": pa.array(valid, pa.bool_()), "net_days": pa.array(net_days, pa.int32())},
    )


def _dates(store: Store, date_format: str) -> None:
    import pyarrow as pa

    texts = [
        t
        for (t,) in store.fetchall(
            f"SELECT invoice_date FROM {ROWS} WHERE invoice_date <> ''"
            f" UNION SELECT due_date FROM {ROWS} WHERE due_date <> ''"
        )
    ]
    values = [_attempt(lambda t: parse_date(t, date_format), t) for t in texts]
    _lookup(store, _DATES, texts, {"value": pa.array(values, pa.date32())})


# --- rows accepted in Python, as Arrow for the insert ------------------------------------


def _customer_table(rows: Sequence[tuple[int, CustomerRow]]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            "line_no": pa.array([n for n, _ in rows], pa.int64()),
            "customer_id": [r.customer_id for _, r in rows],
            "name": [r.name for _, r in rows],
            "email": [r.email for _, r in rows],
            "currency": [r.currency for _, r in rows],
            "terms": [r.terms for _, r in rows],
        }
    )


def _invoice_table(rows: Sequence[tuple[int, InvoiceRow]]) -> Any:
    import pyarrow as pa

    dec = pa.decimal128(18, 4)
    return pa.table(
        {
            "line_no": pa.array([n for n, _ in rows], pa.int64()),
            "invoice_number": [r.invoice_number for _, r in rows],
            "customer_id": [r.customer_id for _, r in rows],
            "invoice_date": pa.array([r.invoice_date for _, r in rows], pa.date32()),
            "due_date": pa.array([r.due_date for _, r in rows], pa.date32()),
            "amount": pa.array([r.amount for _, r in rows], dec),
            "open_amount": pa.array([r.open_amount for _, r in rows], dec),
            "currency": [r.currency for _, r in rows],
            "po_number": [r.po_number for _, r in rows],
            "terms": [r.terms for _, r in rows],
        }
    )
