"""``cashapp init`` and ``cashapp demo``: a database made ready, a sample book run through it.

Why together: both set a database up rather than work a day's cash; ``demo`` prints with
the same functions the real verbs use, so what it shows is what they show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from cashapp.cli.ingest import print_match, print_outcomes
from cashapp.cli.masterdata import print_import
from cashapp.cli.output import OutputFormat, out, print_rows
from cashapp.cli.report import print_daily_report
from cashapp.cli.state import reader, state, writer
from cashapp.reports import daily_report


def init() -> None:
    """Create the database, or upgrade it to the current schema (safe to re-run)."""
    with writer(create=True) as store:
        version = store.schema_version()
    out.print(f"database {state.config().database_path} ready (schema version {version})")


def demo(
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same book).")] = 7,
    folder: Annotated[Path, typer.Option(help="Where the sample files are written.")] = Path(
        "demo-data"
    ),
) -> None:
    """Build a realistic sample book, ingest its bank files, match, show the results."""
    from cashapp.demo import run_demo

    with writer() as store:
        result = run_demo(store, state.config(), folder, seed=seed)
    print_import(result.customers)
    print_import(result.invoices)
    print_outcomes(result.outcomes)
    print_match(result.match)
    with reader() as con:
        print_daily_report(daily_report(con, result.business_day))
        open_rows = con.execute(
            "SELECT type, amount, currency, payment_id, invoice_number, mask_text(detail) AS detail"
            " FROM exceptions"
            " WHERE status = 'open' ORDER BY type, amount DESC"
        )
        cols = [d[0] for d in open_rows.description or []]
        print_rows(cols, open_rows.fetchall(), OutputFormat.table, title="open exceptions")
