"""``cashapp import customers|invoices``: master data from the ERP, validated whole.

Why a module of its own: imports are the one way customers and invoices get in, and
their summary line (:func:`print_import`) is also what ``demo`` prints.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, out, print_rows, warn
from cashapp.cli.state import OutputOption, fail, state, writer
from cashapp.config import Config
from cashapp.masterdata import ImportRefused, ImportSummary, import_customers, import_invoices
from cashapp.store import Store

IMPORT_COLUMNS = ("kind", "file", "rows", "new", "updated", "unchanged", "warnings")


def print_import(summary: ImportSummary, fmt: OutputFormat = OutputFormat.table) -> None:
    if fmt is OutputFormat.table:
        out.print(
            f"{summary.kind}: {summary.rows} rows in {summary.path} -> {summary.inserted} new, "
            f"{summary.updated} updated, {summary.unchanged} unchanged",
            highlight=False,
        )
    else:
        row = (
            summary.kind,
            summary.path,
            summary.rows,
            summary.inserted,
            summary.updated,
            summary.unchanged,
            list(summary.warnings),
        )
        print_rows(IMPORT_COLUMNS, [row], fmt)
    for warning in summary.warnings:
        warn(summary.path, warning)


def _run_import(
    importer: Callable[[Store, Path, Config], ImportSummary], file: Path, fmt: OutputFormat
) -> None:
    with writer() as store:
        try:
            summary = importer(store, file, state.config())
        except ImportRefused as exc:
            fail(str(exc))
    print_import(summary, fmt)


def import_customers_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import or update customers (customer_id,name,email,currency,terms)."""
    _run_import(import_customers, file, output)


def import_invoices_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import or update open invoices."""
    _run_import(import_invoices, file, output)
