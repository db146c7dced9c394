"""Master data: customers and open invoices from the ERP, as CSV or XLSX.

A file is validated in full before anything is written; any bad row refuses the whole
file with every bad line named (a half-imported invoice list would make the matcher
apply cash against a book that is not the ERP's). Re-importing the same file changes
nothing: rows equal to what is stored are left alone, and an invoice cashapp has already
applied cash to keeps cashapp's open amount (the ERP's figure is reported, not taken),
so a re-import never discards cashapp's own applications.

Default columns -- customers: ``customer_id,name,email,currency,terms``; invoices:
``invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,po_number,terms``.
Other headers are mapped in config (``[import.invoices.columns] amount = "Total"``).
A header naming a column twice is refused: which cell holds the value would be a guess.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TypeVar

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config, ImportProfile
from cashapp.keys import invoice_ref_key, name_key
from cashapp.money import DecimalMark, MoneyError, check_currency, parse_amount
from cashapp.store import Store, utcnow
from cashapp.terms import TermsError, parse_terms
from connectors.csv_rows import repeated_column, repeated_column_reason

Kind = Literal["customers", "invoices"]
REQUIRED: Mapping[Kind, tuple[str, ...]] = {
    "customers": ("customer_id", "name"),
    "invoices": ("invoice_number", "customer_id", "invoice_date", "amount", "currency"),
}
MAX_ERRORS_SHOWN = 50


class ImportRefused(ValueError):
    """The file was refused whole; ``problems`` lists each bad line and why."""

    def __init__(self, path: str, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = list(problems)
        shown = self.problems[:MAX_ERRORS_SHOWN]
        more = len(self.problems) - len(shown)
        text = "\n  ".join(shown) + (f"\n  ... and {more} more" if more > 0 else "")
        super().__init__(f"{path}: refused, nothing imported:\n  {text}")


@dataclass(frozen=True, slots=True)
class ImportSummary:
    kind: Kind
    path: str
    rows: int
    inserted: int
    updated: int
    unchanged: int
    warnings: tuple[str, ...] = field(default_factory=tuple)


# --- reading ---------------------------------------------------------------------------


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """Rows as (line number, header -> text) from CSV or XLSX; header is line 1."""
    if not path.is_file():
        raise ImportRefused(str(path), ["file not found"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
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
    _check_header(header, path)
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


def _check_header(header: list[str], path: Path) -> None:
    """Refuse a header naming a column twice: the row would keep only the last cell.

    With ``amount`` twice, the invoice total read would be whichever column came last, so
    the file is refused naming line 1 and the column (:mod:`connectors.csv_rows`).
    """
    positions = repeated_column(header)
    if positions is not None:
        raise ImportRefused(str(path), [f"line 1: {repeated_column_reason(header, positions)}"])


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as binary floats; repr gives the shortest exact decimal
        # text of what the cell shows, which is then parsed (and checked) as money.
        return repr(value)
    return str(value)


#: How far into each workbook part a DTD could hide: XML allows it only in the prolog,
#: before the root element, and Excel's prolog is one line.
_PROLOG_BYTES = 4096


def _refuse_dtds(path: Path) -> None:
    """Refuse a workbook any of whose XML parts declares a DTD (``<!DOCTYPE``).

    Excel never writes one. A declared entity is an expansion bomb or a probe for local
    files, so the file is refused whole, naming the part, before openpyxl parses anything
    (defusedxml, a dependency, refuses entities in what openpyxl parses with it; this
    check covers every part and gives the person a clear reason).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as handle:
                    head = handle.read(_PROLOG_BYTES)
                if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a UTF-16 part
                    head = head.decode("utf-16", errors="ignore").encode("utf-8")
                if b"<!DOCTYPE" in head:
                    raise ImportRefused(
                        str(path),
                        [
                            f"{member.filename}: declares a DTD (<!DOCTYPE>/<!ENTITY>),"
                            " which no spreadsheet writes"
                        ],
                    )
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(str(path), [f"not a readable XLSX workbook: {exc}"]) from None


def _read_xlsx(path: Path) -> list[tuple[int, dict[str, str]]]:
    from openpyxl import load_workbook

    _refuse_dtds(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportRefused(str(path), [f"not a readable XLSX workbook: {exc}"]) from exc
    try:
        return _xlsx_rows(workbook, path)
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl parses the sheet lazily: its errors come from here
        raise ImportRefused(
            str(path), [f"not a readable XLSX workbook: {type(exc).__name__}: {exc}"]
        ) from exc
    finally:
        workbook.close()


def _xlsx_rows(workbook: Any, path: Path) -> list[tuple[int, dict[str, str]]]:
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [_cell_text(h).strip() for h in next(rows)]
    except StopIteration:
        raise ImportRefused(str(path), ["workbook is empty"]) from None
    _check_header(header, path)
    out = []
    for number, values in enumerate(rows, start=2):
        texts = [_cell_text(v) for v in values]
        if any(t.strip() for t in texts):
            padded = texts + [""] * (len(header) - len(texts))
            out.append((number, dict(zip(header, padded[: len(header)], strict=True))))
    return out


# --- validation ------------------------------------------------------------------------


def _mapped(
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


def _parse_date(text: str, fmt: str = "", kind: Kind = "invoices") -> date:
    """An ISO date, or one in the profile's declared ``date_format``; never a guess.

    ``11/01/2026`` is 1 November to a US ERP and 11 January to a European one, so a
    non-ISO date is read only with ``[import.<kind>] date_format`` set (issue 10).
    """
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:  # ISO, the common case: fromisoformat is ~20x faster than strptime
            return date.fromisoformat(text)
        except ValueError:
            pass
    if fmt:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            raise ValueError(
                f"bad date {text!r} (expected YYYY-MM-DD or [import.{kind}] date_format {fmt!r})"
            ) from None
    raise ValueError(
        f"bad date {text!r}: only YYYY-MM-DD is read unless the export's format is declared"
        f' (set import.{kind}.date_format, e.g. "%d/%m/%Y" or "%m/%d/%Y")'
    )


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer_id: str
    name: str
    email: str
    currency: str
    terms: str


@dataclass(frozen=True, slots=True)
class InvoiceRow:
    invoice_number: str
    customer_id: str
    invoice_date: date
    due_date: date
    amount: Decimal
    open_amount: Decimal
    currency: str
    po_number: str
    terms: str


def _customer(row: dict[str, str], default_currency: str) -> CustomerRow:
    if not row["customer_id"]:
        raise ValueError("customer_id is empty")
    if not row["name"]:
        raise ValueError("name is empty")
    currency = check_currency(row["currency"] or default_currency)
    if row["terms"]:
        parse_terms(row["terms"])
    return CustomerRow(row["customer_id"], row["name"], row["email"], currency, row["terms"])


def _invoice(
    row: dict[str, str], customers: Mapping[str, str], profile: ImportProfile
) -> InvoiceRow:
    number = row["invoice_number"]
    if not number:
        raise ValueError("invoice_number is empty")
    if row["customer_id"] not in customers:
        raise ValueError(f"unknown customer {row['customer_id']!r} (import customers first)")
    currency = check_currency(row["currency"])
    mark: DecimalMark = "," if profile.decimal == "," else "."
    amount = parse_amount(row["amount"], currency, decimal=mark)
    open_amount = (
        parse_amount(row["open_amount"], currency, decimal=mark) if row["open_amount"] else amount
    )
    if amount <= 0:
        raise ValueError(f"amount {amount} must be positive (credit memos are not invoices)")
    if not Decimal(0) <= open_amount <= amount:
        raise ValueError(f"open_amount {open_amount} is outside 0..{amount}")
    invoice_date = _parse_date(row["invoice_date"], profile.date_format)
    terms = parse_terms(row["terms"]) if row["terms"] else None
    if row["due_date"]:
        due_date = _parse_date(row["due_date"], profile.date_format)
    elif terms is not None:
        due_date = terms.due_date(invoice_date)
    else:
        raise ValueError("due_date is empty and there are no terms to derive it from")
    if due_date < invoice_date:
        raise ValueError(f"due_date {due_date} is before invoice_date {invoice_date}")
    return InvoiceRow(
        number,
        row["customer_id"],
        invoice_date,
        due_date,
        amount,
        open_amount,
        currency,
        row["po_number"],
        row["terms"],
    )


Row = TypeVar("Row", CustomerRow, InvoiceRow)


def _validated(
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
        except (ValueError, MoneyError, TermsError) as exc:
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


# --- writing ---------------------------------------------------------------------------


def import_customers(store: Store, path: Path, config: Config, actor: str = "cli") -> ImportSummary:
    rows = _mapped(
        read_rows(path), CUSTOMER_FIELDS, config.customer_columns, "customers", str(path)
    )
    parsed = _validated(
        rows, lambda row: _customer(row, config.default_currency), "customer_id", str(path)
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
    rows = _mapped(read_rows(path), INVOICE_FIELDS, config.invoice_columns, "invoices", str(path))
    customers = dict(store.fetchall("SELECT customer_id, currency FROM customers"))
    parsed = _validated(
        rows,
        lambda row: _invoice(row, customers, config.invoice_import),
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


def _insert_invoices(store: Store, rows: Sequence[InvoiceRow], now: datetime) -> None:
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
