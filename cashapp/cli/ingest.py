"""``cashapp ingest`` and ``cashapp match``: files in, payments applied or queued.

Why together: they are the two steps of a day's cash application, and ``demo`` prints
their outcomes with the same functions (:func:`print_outcomes`, :func:`print_match`).
Exit 2 when a file was refused; ``--strict`` makes warnings exit 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cashapp.cli.output import OutputFormat, err, out, print_rows, warn, warning_text
from cashapp.cli.state import (
    EXIT_PROBLEMS,
    EXIT_REFUSED,
    IngestOutputOption,
    fail,
    state,
    writer,
)
from cashapp.ingest import FileOutcome, UnknownFormat, ingest_paths
from cashapp.matching.pipeline import MatchSummary, run_match
from cashapp.store import starts_new_book

INGEST_COLUMNS = ("file", "format", "status", "records", "new", "known", "detail", "warnings")


def print_outcomes(outcomes: Sequence[FileOutcome], fmt: OutputFormat = OutputFormat.table) -> None:
    """One row per file in ``fmt``; then, on stderr, every refusal and every warning.

    Machine output carries each file's warnings in full (a list in JSON, a JSON list in
    the CSV column); the table shows the first three, and stderr always has them all.
    """
    if fmt is OutputFormat.table:
        _outcome_table(outcomes)
    else:
        rows = [
            (
                o.path,
                o.connector,
                o.status,
                o.records,
                o.new,
                o.known,
                o.reason,
                [warning_text(w) for w in o.warnings],
            )
            for o in outcomes
        ]
        print_rows(INGEST_COLUMNS, rows, fmt)
    for o in outcomes:
        for warning in o.warnings:
            warn(o.path, warning_text(warning))
        if o.status == "refused":
            err.print(f"[bold red]refused:[/] {escape(f'{o.path}: {o.reason}')}", highlight=False)


def _outcome_table(outcomes: Sequence[FileOutcome]) -> None:
    table = Table(title="ingest")
    for column in INGEST_COLUMNS[:-1]:
        table.add_column(column, overflow="fold")
    for o in outcomes:
        detail = o.reason if o.status == "refused" else "; ".join(str(w) for w in o.warnings[:3])
        if len(o.warnings) > 3:
            detail += f" (+{len(o.warnings) - 3} more warnings)"
        status = {
            "new": "[green]accepted[/]",
            "known": "already known",
            "refused": "[red]refused[/]",
        }
        table.add_row(
            escape(o.path),
            o.connector,
            status[o.status],
            str(o.records),
            str(o.new),
            str(o.known),
            escape(detail),
        )
    out.print(table)


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (.gz is read transparently).")
    ],
    format: Annotated[
        str | None, typer.Option("--format", help="Force a connector, e.g. bai2.")
    ] = None,
    output: IngestOutputOption = OutputFormat.table,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 when an accepted file had warnings.")
    ] = False,
) -> None:
    """Ingest bank and platform files: one transaction per file, duplicates skipped.

    Exits 2 when a file was refused; with ``--strict``, 1 when every file was accepted
    but one of them had warnings (a scheduled job then stops for a person to look).
    """
    path = state.config().database_path
    new_book = starts_new_book(path)
    if new_book:
        warn(path, "no database here yet: created a new, empty one (see `cashapp init`)")
    with writer(create=new_book) as store:
        try:
            outcomes = ingest_paths(store, paths, state.config(), fmt=format)
        except UnknownFormat as exc:
            fail(str(exc))
    if not outcomes:
        fail("no files found")
    print_outcomes(outcomes, output)
    if any(o.status == "refused" for o in outcomes):
        raise typer.Exit(EXIT_REFUSED)
    if strict and any(o.warnings for o in outcomes):
        raise typer.Exit(EXIT_PROBLEMS)


def print_match(summary: MatchSummary) -> None:
    verb = "would decide" if summary.dry_run else "decided"
    out.print(
        f"match {summary.run_id}: {verb} {summary.payments} payments -> {summary.applied} applied, "
        f"{summary.partially_applied} partially applied, {summary.unapplied} unapplied; "
        f"{summary.events} returns/chargebacks; {summary.reconciled} payouts reconciled;"
        f" {summary.ignored} not receivables",
        highlight=False,
    )
    if summary.rematched:
        out.print(
            f"  re-decided {summary.rematched} queued payments that new master data may"
            " explain (their exceptions closed as rematched)",
            highlight=False,
        )
    for currency, amount in sorted(summary.amount_applied.items()):
        out.print(f"  applied {amount:,} {currency}", highlight=False)
    if summary.exceptions:
        text = ", ".join(f"{k} {v}" for k, v in sorted(summary.exceptions.items()))
        out.print(f"  exceptions raised: {text}", highlight=False)


def match(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and report, write nothing.")
    ] = False,
) -> None:
    """Apply payments to invoices; everything else goes to the exception queue."""
    with writer() as store:
        summary = run_match(store, state.config(), dry_run=dry_run)
    print_match(summary)
