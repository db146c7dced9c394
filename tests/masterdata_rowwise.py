"""The row-by-row import as it was before issue 12: the oracle of the set-based one.

Every row read by ``csv.reader`` (or openpyxl), mapped into a dict, validated by the
rules of :mod:`cashapp.masterdata.rules` one row at a time, repeats found with a dict,
and each changed row written with its own UPDATE. ``tests/test_masterdata_bulk.py``
imports the same files both ways and requires the same stored rows, summaries,
warnings, audit rows and refusals. Kept as it was (only the rules are imported, so the
two paths share the definition of a valid row and differ in everything else).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config
from cashapp.keys import invoice_ref_key, name_key
from cashapp.masterdata.cells import check_header
from cashapp.masterdata.rules import (
    REQUIRED,
    ROW_ERRORS,
    CustomerRow,
    ImportRefused,
    ImportSummary,
    InvoiceRow,
    Kind,
    customer_row,
    invoice_row,
)
from cashapp.masterdata.workbook import read_xlsx
from cashapp.store import Store, utcnow


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, header -> text) from CSV or XLSX; header is line 1."""
    if not path.is_file():
        raise ImportRefused(str(path), ["file not found"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        cells = read_xlsx(path)
        return [
            (n, dict(zip(cells.header, row, strict=True)))
            for n, row in zip(cells.lines, cells.rows, strict=True)
        ]
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    if not text.strip():
        raise ImportRefused(str(path), ["file is empty"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportRefused(str(path), [f"line {reader.line_num}: not valid CSV: {exc}"]) from exc
    header = [h.strip() for h in rows[0]]
    check_header(header, path)
    out = []
    problems = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            problems.append(f"line {number}: {len(values)} fields, the header has {len(header)}")
            continue
        out.append((number, dict(zip(header, values, strict=True))))
    if problems:
        raise ImportRefused(str(path), problems)
    return out


def mapped(
    rows: list[tuple[int, dict[str, str]]],
    fields: tuple[str, ...],
    mapping: Mapping[str, str],
    kind: Kind,
    path: str,
) -> list[tuple[int, dict[str, str]]]:
    """Rename file headers to our field names; refuse if a required column is missing."""
    header_for = {f: mapping.get(f, f) for f in fields}
    present = set(rows[0][1]) if rows else set()
    missing = [f"{header_for[f]!r}" for f in REQUIRED[kind] if header_for[f] not in present]
    if rows and missing:
        raise ImportRefused(path, [f"line 1: missing required column(s) {', '.join(missing)}"])
    return [(n, {f: row.get(h, "").strip() for f, h in header_for.items()}) for n, row in rows]


Row = TypeVar("Row", CustomerRow, InvoiceRow)


def validated(
    rows: list[tuple[int, dict[str, str]]],
    parse: Callable[[dict[str, str]], Row],
    key: str,
    path: str,
) -> list[Row]:
    """Parse every row; collect each bad or repeated line, and refuse the file if any."""
    parsed: list[Row] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        try:
            item = parse(row)
        except ROW_ERRORS as exc:
            problems.append(f"line {number}: {exc}")
            continue
        ident = getattr(item, key)
        if ident in seen:
            problems.append(f"line {number}: {key} {ident!r} repeats line {seen[ident]}")
            continue
        seen[ident] = number
        parsed.append(item)
    if problems:
        raise ImportRefused(path, problems)
    return parsed


def import_customers(store: Store, path: Path, config: Config, actor: str = "cli") -> ImportSummary:
    rows = mapped(read_rows(path), CUSTOMER_FIELDS, config.customer_columns, "customers", str(path))
    parsed = validated(
        rows, lambda row: customer_row(row, config.default_currency), "customer_id", str(path)
    )
    existing = {
        r[0]: r[1:]
        for r in store.fetchall("SELECT customer_id, name, email, currency, terms FROM customers")
    }
    now = utcnow()
    inserted = updated = 0
    with store.transaction():
        for c in parsed:
            values = (c.name, c.email, c.currency, c.terms)
            if c.customer_id not in existing:
                store.execute(
                    "INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [c.customer_id, *values, name_key(c.name), now, now],
                )
                inserted += 1
            elif tuple(existing[c.customer_id]) != values:
                store.execute(
                    "UPDATE customers SET name = ?, email = ?, currency = ?, terms = ?,"
                    " name_key = ?, updated_at = ? WHERE customer_id = ?",
                    [*values, name_key(c.name), now, c.customer_id],
                )
                updated += 1
        if inserted or updated:
            store.audit(
                actor, "import", "customers", path.name, {"inserted": inserted, "updated": updated}
            )
    return ImportSummary(
        "customers", str(path), len(parsed), inserted, updated, len(parsed) - inserted - updated
    )


def import_invoices(store: Store, path: Path, config: Config, actor: str = "cli") -> ImportSummary:
    rows = mapped(read_rows(path), INVOICE_FIELDS, config.invoice_columns, "invoices", str(path))
    customers = dict(store.fetchall("SELECT customer_id, currency FROM customers"))
    parsed = validated(
        rows,
        lambda row: invoice_row(row, customers, config.invoice_import),
        "invoice_number",
        str(path),
    )
    existing: dict[str, tuple[Any, ...]] = {
        r[0]: r[1:]
        for r in store.fetchall(
            "SELECT invoice_number, customer_id, invoice_date, due_date, amount, currency,"
            " po_number, terms, amount - settled_outside, open_amount FROM invoices"
        )
    }
    now = utcnow()
    inserted = updated = 0
    warnings: list[str] = []
    new_rows = [i for i in parsed if i.invoice_number not in existing]
    with store.transaction():
        if new_rows:
            _insert_invoices(store, new_rows, now)
            inserted = len(new_rows)
        for inv in parsed:
            old = existing.get(inv.invoice_number)
            if old is None:
                continue
            master = (inv.customer_id, inv.invoice_date, inv.due_date, inv.po_number, inv.terms)
            if (old[0], old[1], old[2], old[5], old[6]) != master:
                store.execute(
                    "UPDATE invoices SET customer_id = ?, invoice_date = ?, due_date = ?,"
                    " po_number = ?, terms = ?, updated_at = ? WHERE invoice_number = ?",
                    [*master, now, inv.invoice_number],
                )
                updated += 1
            if old[3] != inv.amount or old[4] != inv.currency:
                warnings.append(
                    f"{inv.invoice_number}: amount/currency changed in the ERP "
                    f"({old[3]} {old[4]} -> {inv.amount} {inv.currency}); cashapp kept its own"
                )
        if inserted or updated:
            store.audit(
                actor, "import", "invoices", path.name, {"inserted": inserted, "updated": updated}
            )
    return ImportSummary(
        "invoices",
        str(path),
        len(parsed),
        inserted,
        updated,
        len(parsed) - inserted - updated,
        tuple(warnings),
    )


def _insert_invoices(store: Store, rows: list[InvoiceRow], now: datetime) -> None:
    import pyarrow as pa

    dec = pa.decimal128(18, 4)
    table = pa.table(
        {
            "invoice_number": [r.invoice_number for r in rows],
            "ref_key": [invoice_ref_key(r.invoice_number) for r in rows],
            "customer_id": [r.customer_id for r in rows],
            "invoice_date": pa.array([r.invoice_date for r in rows], pa.date32()),
            "due_date": pa.array([r.due_date for r in rows], pa.date32()),
            "amount": pa.array([r.amount for r in rows], dec),
            "settled_outside": pa.array([r.amount - r.open_amount for r in rows], dec),
            "open_amount": pa.array([r.open_amount for r in rows], dec),
            "currency": [r.currency for r in rows],
            "po_number": [r.po_number for r in rows],
            "terms": [r.terms for r in rows],
            "created_at": pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
            "updated_at": pa.array([now] * len(rows), pa.timestamp("us", tz="UTC")),
        }
    )
    store.con.register("invoices_arrow", table)
    try:
        store.execute("INSERT INTO invoices BY NAME SELECT * FROM invoices_arrow")
    finally:
        store.release("invoices_arrow")
