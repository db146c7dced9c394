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

The daily file is two million invoices, so the import is set-based (issue 12): the file
is staged in DuckDB (:mod:`.staging`, read by :mod:`.csvfile` or :mod:`.workbook`),
validated there (:mod:`.checks`) against the one definition of a valid row
(:mod:`.rules`), and written with one INSERT and one UPDATE (:mod:`.writes`). What a
person sees -- refusals line by line, warnings, counts -- is what the row-by-row
import produced; ``tests/test_masterdata_bulk.py`` holds the two equal.
"""

from __future__ import annotations

from pathlib import Path

from cashapp.config import CUSTOMER_FIELDS, INVOICE_FIELDS, Config
from cashapp.masterdata.checks import check_customers, check_invoices
from cashapp.masterdata.rules import ImportRefused, ImportSummary, Kind
from cashapp.masterdata.staging import stage_rows
from cashapp.masterdata.writes import compare_invoices, write_customers, write_invoices
from cashapp.store import Store, utcnow

__all__ = ["ImportRefused", "ImportSummary", "Kind", "import_customers", "import_invoices"]

#: Every temporary table an import creates; none outlives it.
_TEMPORARY = (
    "md_rows",
    "md_parsed",
    "md_known",
    "md_dates",
    "md_currencies",
    "md_terms",
    "md_keys",
)


def import_customers(store: Store, path: Path, config: Config, actor: str = "cli") -> ImportSummary:
    try:
        stage_rows(store, path, "customers", CUSTOMER_FIELDS, config.customer_columns)
        rows = check_customers(store, str(path), config.default_currency)
        now = utcnow()
        with store.transaction():
            inserted, updated = write_customers(store, now)
            if inserted or updated:
                store.audit(
                    actor,
                    "import",
                    "customers",
                    path.name,
                    {"inserted": inserted, "updated": updated},
                )
    finally:
        _drop_temporary(store)
    return ImportSummary("customers", str(path), rows, inserted, updated, rows - inserted - updated)


def import_invoices(store: Store, path: Path, config: Config, actor: str = "cli") -> ImportSummary:
    try:
        stage_rows(store, path, "invoices", INVOICE_FIELDS, config.invoice_columns)
        rows = check_invoices(store, str(path), config.invoice_import)
        now = utcnow()
        with store.transaction():
            warnings = compare_invoices(store)
            inserted, updated = write_invoices(store, now)
            if inserted or updated:
                store.audit(
                    actor,
                    "import",
                    "invoices",
                    path.name,
                    {"inserted": inserted, "updated": updated},
                )
    finally:
        _drop_temporary(store)
    return ImportSummary(
        "invoices",
        str(path),
        rows,
        inserted,
        updated,
        rows - inserted - updated,
        tuple(warnings),
    )


def _drop_temporary(store: Store) -> None:
    for name in _TEMPORARY:
        store.execute(f"DROP TABLE IF EXISTS temp.{name}")
