"""``cashapp report daily`` and ``cashapp export journal``: the AR lead's day, the ERP's file.

Why together: both are read by accounting after the day's matching; the daily report
exits 1 when a bank statement does not tie out, and the export never replaces a file
without ``--force``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, err, json_value, out, print_rows
from cashapp.cli.state import EXIT_PROBLEMS, fail, parse_day, reader, state, writer
from cashapp.reports import DailyReport, daily_report, latest_day


def print_daily_report(report: DailyReport, fmt: OutputFormat = OutputFormat.table) -> None:
    if fmt is OutputFormat.json:
        data = {
            "day": report.day.isoformat(),
            "breaks": report.breaks,
            **{
                s.title.replace(" ", "_").replace("-", "_"): [
                    {k: json_value(v) for k, v in r.items()} for r in s.records()
                ]
                for s in report.sections
            },
        }
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    out.print(f"[bold]daily report for {report.day.isoformat()}[/]", highlight=False)
    for section in report.sections:
        if section.rows:
            print_rows(section.columns, section.rows, fmt, title=section.title)
        else:
            out.print(f"{section.title}: none", highlight=False)
    if report.breaks:
        err.print(
            f"[bold red]{report.breaks} bank statement(s) do not tie out[/]; see bank tie-out",
            highlight=False,
        )


def report_daily(
    day: Annotated[
        str | None,
        typer.Option("--date", help="Business day YYYY-MM-DD (default: latest with data)."),
    ] = None,
    format: Annotated[OutputFormat, typer.Option("--format", help="table or json")] = (
        OutputFormat.table
    ),
) -> None:
    """The day's cash by source and currency, bank statement tie-out, open exceptions.

    Exits 1 when a statement does not tie out (opening + movements != closing) or does
    not start where the account's previous statement ended.
    """
    if format is OutputFormat.csv:
        fail("report daily has several sections; use --format table or json")
    with reader() as con:
        chosen = parse_day(day) if day else latest_day(con)
        if chosen is None:
            fail("nothing ingested yet: no day to report on", EXIT_PROBLEMS)
        report = daily_report(con, chosen)
    print_daily_report(report, format)
    if report.breaks:
        raise typer.Exit(EXIT_PROBLEMS)


def export_journal_file(
    target: Annotated[Path, typer.Option("--out", help="CSV file to write the new lines to.")],
    through: Annotated[
        str | None,
        typer.Option("--through", help="Post movements dated up to YYYY-MM-DD (default: all)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace --out if it already exists.")
    ] = False,
) -> None:
    """Post what cash application did to the journal, then export the lines not yet exported.

    Posting is idempotent and every entry balances per currency; each export stamps its
    entries with a batch id, so the next export carries only what is new. An existing
    --out file is never replaced without --force, and nothing new writes no file at all.
    """
    from cashapp.journal import (
        ExportRefused,
        JournalError,
        check_target,
        export_journal,
        post_journal,
    )

    until = parse_day(through, "--through") if through else None
    try:
        check_target(target, force=force)
    except ExportRefused as exc:
        fail(str(exc))
    with writer() as store:
        try:
            config = state.config()
            posted = post_journal(
                store, config.accounts, through=until, deductions=config.deductions
            )
        except JournalError as exc:
            fail(str(exc))
        try:
            exported = export_journal(store, target, force=force)
        except ExportRefused as exc:
            fail(f"{exc}; nothing was stamped as exported")
    if exported.path is None:
        out.print(
            f"posted {posted.entries:,} journal entries; nothing new to export"
            f" ({target} not written)",
            highlight=False,
        )
        return
    out.print(
        f"posted {posted.entries:,} journal entries; exported {exported.entries:,} entries"
        f" ({exported.lines:,} lines) to {exported.path} as batch {exported.batch}",
        highlight=False,
    )
