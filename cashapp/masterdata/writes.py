"""The writes of an accepted file: new rows inserted, changed rows updated, set-based.

What a re-import may change is the rule of the package docstring: customers take the
file's values; an invoice takes its master fields (customer, dates, PO, terms) but
keeps cashapp's amount, currency and open amount, and a changed ERP amount or currency
is reported as a warning, in file order. Rows equal to what is stored are left alone,
so importing the same file twice changes nothing and writes no audit row.

Each import compares the accepted rows (:data:`~cashapp.masterdata.checks.PARSED`) with
the stored ones once, into ``md_known``; then one INSERT ... SELECT (new rows, in file
order), one UPDATE ... FROM (changed rows) and the audit row commit together.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from cashapp.keys import invoice_ref_key, is_ascii_sql, name_key, name_key_sql
from cashapp.masterdata.checks import PARSED
from cashapp.masterdata.shapes import ref_key_is_sql, ref_key_sql
from cashapp.money import quantize
from cashapp.store import Store

KNOWN = "md_known"
_KEYS, _LOOKUP = "md_keys", "md_key_lookup"


def write_customers(store: Store, now: datetime) -> tuple[int, int]:
    """Insert new and update changed customers; return (inserted, updated)."""
    changed = " OR ".join(
        f"c.{col} IS DISTINCT FROM p.{col}" for col in ("name", "email", "currency", "terms")
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {KNOWN} AS SELECT p.line_no, ({changed}) AS changed"
        f" FROM {PARSED} p JOIN customers c USING (customer_id)"
    )
    names = [
        n
        for (n,) in store.fetchall(
            f"SELECT DISTINCT name FROM {PARSED} WHERE NOT {is_ascii_sql('name')}"
        )
    ]
    _keys(store, names, [name_key(n) for n in names])
    key = f"CASE WHEN {is_ascii_sql('p.name')} THEN {name_key_sql('p.name')} ELSE k.key END"
    keyed = f"{PARSED} p LEFT JOIN {_KEYS} k ON k.text = p.name"
    inserted, updated = _counts(store)
    if inserted:
        store.execute(
            "INSERT INTO customers (customer_id, name, email, currency, terms, name_key,"
            f" created_at, updated_at) SELECT p.customer_id, p.name, p.email, p.currency,"
            f" p.terms, {key}, ?, ? FROM {keyed}"
            f" WHERE p.line_no NOT IN (SELECT line_no FROM {KNOWN}) ORDER BY p.line_no",
            [now, now],
        )
    if updated:
        store.execute(
            "UPDATE customers SET name = u.name, email = u.email, currency = u.currency,"
            " terms = u.terms, name_key = u.name_key, updated_at = ?"
            f" FROM (SELECT p.*, {key} AS name_key FROM {keyed}"
            f" WHERE p.line_no IN (SELECT line_no FROM {KNOWN} WHERE changed)) u"
            " WHERE customers.customer_id = u.customer_id",
            [now],
        )
    return inserted, updated


def compare_invoices(store: Store) -> list[str]:
    """Compare the accepted invoices with the stored ones; the ERP-change warnings."""
    master = " OR ".join(
        f"i.{col} IS DISTINCT FROM p.{col}"
        for col in ("customer_id", "invoice_date", "due_date", "po_number", "terms")
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {KNOWN} AS SELECT p.line_no, ({master}) AS changed,"
        " i.amount AS old_amount, i.currency AS old_currency"
        f" FROM {PARSED} p JOIN invoices i USING (invoice_number)"
    )
    changes = store.fetchall(
        "SELECT p.invoice_number, k.old_amount, k.old_currency, p.amount, p.currency"
        f" FROM {KNOWN} k JOIN {PARSED} p USING (line_no)"
        " WHERE k.old_amount <> p.amount OR k.old_currency <> p.currency ORDER BY p.line_no"
    )
    return [
        f"{number}: amount/currency changed in the ERP ({old} {old_currency} ->"
        f" {_as_parsed(amount, currency)} {currency}); cashapp kept its own"
        for number, old, old_currency, amount, currency in changes
    ]


def _as_parsed(amount: Decimal, currency: str) -> Decimal:
    """The stored DECIMAL(18,4) as ``parse_amount`` wrote it: the currency's decimals."""
    return quantize(amount, currency)


def write_invoices(store: Store, now: datetime) -> tuple[int, int]:
    """Insert new and update changed invoices (after :func:`compare_invoices`)."""
    new = f"{PARSED} p WHERE p.line_no NOT IN (SELECT line_no FROM {KNOWN})"
    numbers = [
        n
        for (n,) in store.fetchall(
            f"SELECT p.invoice_number FROM {new} AND NOT {ref_key_is_sql('p.invoice_number')}"
        )
    ]
    _keys(store, numbers, [invoice_ref_key(n) for n in numbers])
    inserted, updated = _counts(store)
    if inserted:
        ref_key = (
            f"CASE WHEN {ref_key_is_sql('p.invoice_number')}"
            f" THEN {ref_key_sql('p.invoice_number')} ELSE k.key END"
        )
        store.execute(
            f"INSERT INTO invoices BY NAME SELECT p.invoice_number, {ref_key} AS ref_key,"
            " p.customer_id, p.invoice_date, p.due_date, p.amount,"
            " p.amount - p.open_amount AS settled_outside, p.open_amount, p.currency,"
            " p.po_number, p.terms, ?::TIMESTAMPTZ AS created_at, ?::TIMESTAMPTZ AS updated_at"
            f" FROM {PARSED} p LEFT JOIN {_KEYS} k ON k.text = p.invoice_number"
            f" WHERE p.line_no NOT IN (SELECT line_no FROM {KNOWN}) ORDER BY p.line_no",
            [now, now],
        )
    if updated:
        store.execute(
            "UPDATE invoices SET customer_id = u.customer_id, invoice_date = u.invoice_date,"
            " due_date = u.due_date, po_number = u.po_number, terms = u.terms, updated_at = ?"
            f" FROM (SELECT p.* FROM {PARSED} p"
            f" WHERE p.line_no IN (SELECT line_no FROM {KNOWN} WHERE changed)) u"
            " WHERE invoices.invoice_number = u.invoice_number",
            [now],
        )
    return inserted, updated


def _counts(store: Store) -> tuple[int, int]:
    row: Any = store.execute(
        f"SELECT (SELECT count(*) FROM {PARSED}) - count(*), count(*) FILTER (WHERE changed)"
        f" FROM {KNOWN}"
    ).fetchone()
    return int(row[0]), int(row[1])


def _keys(store: Store, texts: list[str], keys: list[str]) -> None:
    """A lookup of keys the SQL forms do not compute, from the Python key functions."""
    import pyarrow as pa

    table = pa.table({"text": pa.array(texts, pa.string()), "key": pa.array(keys, pa.string())})
    store.con.register(_LOOKUP, table)
    try:
        store.execute(f"CREATE OR REPLACE TEMP TABLE {_KEYS} AS SELECT * FROM {_LOOKUP}")
    finally:
        store.release(_LOOKUP)
