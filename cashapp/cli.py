"""The ``cashapp`` command line. Thin: parse arguments, call a service, print, exit.

Exit codes are a contract for scripts and the scheduler: 0 everything fine, 1 the verb ran
but found problems (a file refused, exceptions left open), 2 refused input or usage (bad
config, bad file, bad SQL). Errors are one clear message on stderr, never a traceback.
"""

from __future__ import annotations

import io
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cashapp.config import Config, ConfigError, load_config
from cashapp.csvsafe import write_csv
from cashapp.domain import Issue
from cashapp.ingest import FileOutcome, UnknownFormat, ingest_paths
from cashapp.masking import mask_text
from cashapp.masterdata import ImportRefused, ImportSummary, import_customers, import_invoices
from cashapp.matching.model import EXCEPTION_STATUSES, EXCEPTION_TYPES
from cashapp.matching.pipeline import MatchSummary, run_match
from cashapp.matching.rules import RulesError
from cashapp.pull import PullOutcome, PullRefused, pull_plaid, pull_stripe
from cashapp.reports import DailyReport, daily_report, latest_day
from cashapp.store import Store, StoreError, open_reader, open_store, starts_new_book
from connectors import load_builtin

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="cashapp: payment reconciliation and cash application for AR teams.",
    pretty_exceptions_enable=False,
)
import_app = typer.Typer(no_args_is_help=True, help="Import master data from the ERP.")
exceptions_app = typer.Typer(no_args_is_help=True, help="The exception queue.")
report_app = typer.Typer(no_args_is_help=True, help="Reports for the AR lead and accounting.")
bench_app = typer.Typer(no_args_is_help=True, help="Matching quality and speed benchmarks.")
pull_app = typer.Typer(no_args_is_help=True, help="Fetch from payment platforms' APIs.")
export_app = typer.Typer(no_args_is_help=True, help="Files for the ERP.")
app.add_typer(import_app, name="import")
app.add_typer(exceptions_app, name="exceptions")
app.add_typer(report_app, name="report")
app.add_typer(bench_app, name="bench")
app.add_typer(pull_app, name="pull")
app.add_typer(export_app, name="export")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

EXIT_OK, EXIT_PROBLEMS, EXIT_REFUSED = 0, 1, 2


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class _State:
    config_path: str | None = None
    db_path: str | None = None
    _config: Config | None = None

    def config(self) -> Config:
        if self._config is None:
            load_builtin()  # connectors declare their [sources.*] tables before config reads them
            self._config = load_config(self.config_path, self.db_path)
        return self._config


state = _State()


def fail(message: str, code: int = EXIT_REFUSED) -> NoReturn:
    # the message is text, not markup: a key such as ``[ingest]`` must reach the user whole
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _store(*, create: bool = False) -> Store:
    """The database for writing; a missing file is refused (exit 2) except by ``init``."""
    return open_store(state.config().database_path, create=create)


@app.callback()
def main_options(
    config: Annotated[
        str | None,
        typer.Option("--config", help="Config TOML (default ./cashapp.toml if present)."),
    ] = None,
    db: Annotated[
        str | None, typer.Option("--db", help="DuckDB file (overrides [database] path).")
    ] = None,
) -> None:
    state.config_path = config
    state.db_path = db
    state._config = None


# --- output helpers ----------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _plain_decimal(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    return str(value)


def _plain_decimal(value: Decimal) -> str:
    """DECIMAL(18,4) without the storage zeros: 588.7900 -> 588.79, 12.3450 -> 12.345."""
    exponent = value.as_tuple().exponent
    if not isinstance(exponent, int) or exponent >= -2:
        return str(value)
    trimmed = value.normalize().as_tuple().exponent
    places = max(2, -trimmed) if isinstance(trimmed, int) else 2
    return f"{value:.{places}f}"


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain_decimal(value)  # money stays exact (a string) in JSON
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: OutputFormat, title: str = ""
) -> None:
    if fmt is OutputFormat.csv:
        # people open these in spreadsheets: cells that would run as formulas are escaped
        buffer = io.StringIO()
        write_csv(buffer, columns, ([_cell(v) for v in row] for row in rows))
        sys.stdout.write(buffer.getvalue())
        return
    if fmt is OutputFormat.json:
        data = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    table = Table(title=title or None, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(v) for v in row])
    out.print(table)


# --- verbs -------------------------------------------------------------------------------


@app.command()
def init() -> None:
    """Create the database, or upgrade it to the current schema (safe to re-run)."""
    with _store(create=True) as store:
        version = store.schema_version()
    out.print(f"database {state.config().database_path} ready (schema version {version})")


def warning_text(issue: Issue) -> str:
    """A warning as machine output carries it: ``location: message`` (exact, unabridged)."""
    return f"{issue.location}: {issue.message}" if issue.location else issue.message


def warn(source: str | Path, text: str) -> None:
    """One stderr line per warning, naming the file: a job that logs only stderr sees it."""
    err.print(f"[yellow]warning:[/] {escape(f'{source}: {text}')}", highlight=False)


IMPORT_COLUMNS = ("kind", "file", "rows", "new", "updated", "unchanged", "warnings")


def _print_import(summary: ImportSummary, fmt: OutputFormat = OutputFormat.table) -> None:
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
    with _store() as store:
        try:
            summary = importer(store, file, state.config())
        except ImportRefused as exc:
            fail(str(exc))
    _print_import(summary, fmt)


OutputOption = Annotated[OutputFormat, typer.Option("--output", help="table, csv or json")]


@import_app.command("customers")
def import_customers_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import or update customers (customer_id,name,email,currency,terms)."""
    _run_import(import_customers, file, output)


@import_app.command("invoices")
def import_invoices_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX file.")],
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import or update open invoices."""
    _run_import(import_invoices, file, output)


INGEST_COLUMNS = ("file", "format", "status", "records", "new", "known", "detail", "warnings")


def _print_outcomes(
    outcomes: Sequence[FileOutcome], fmt: OutputFormat = OutputFormat.table
) -> None:
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


@app.command()
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders (.gz is read transparently).")
    ],
    format: Annotated[
        str | None, typer.Option("--format", help="Force a connector, e.g. bai2.")
    ] = None,
    output: OutputOption = OutputFormat.table,
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
    with _store(create=new_book) as store:
        try:
            outcomes = ingest_paths(store, paths, state.config(), fmt=format)
        except UnknownFormat as exc:
            fail(str(exc))
    if not outcomes:
        fail("no files found")
    _print_outcomes(outcomes, output)
    if any(o.status == "refused" for o in outcomes):
        raise typer.Exit(EXIT_REFUSED)
    if strict and any(o.warnings for o in outcomes):
        raise typer.Exit(EXIT_PROBLEMS)


def _print_match(summary: MatchSummary) -> None:
    verb = "would decide" if summary.dry_run else "decided"
    out.print(
        f"match {summary.run_id}: {verb} {summary.payments} payments -> {summary.applied} applied, "
        f"{summary.partially_applied} partially applied, {summary.unapplied} unapplied; "
        f"{summary.events} returns/chargebacks; {summary.reconciled} payouts reconciled;"
        f" {summary.ignored} not receivables",
        highlight=False,
    )
    for currency, amount in sorted(summary.amount_applied.items()):
        out.print(f"  applied {amount:,} {currency}", highlight=False)
    if summary.exceptions:
        text = ", ".join(f"{k} {v}" for k, v in sorted(summary.exceptions.items()))
        out.print(f"  exceptions raised: {text}", highlight=False)


@app.command()
def match(
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Decide and report, write nothing.")
    ] = False,
) -> None:
    """Apply payments to invoices; everything else goes to the exception queue."""
    with _store() as store:
        summary = run_match(store, state.config(), dry_run=dry_run)
    _print_match(summary)


EXCEPTION_COLUMNS = (
    "exception_id",
    "type",
    "status",
    "amount",
    "currency",
    "payment_id",
    "invoice_number",
    "reason_code",
    "detail",
    "top_suggestion",
)


@exceptions_app.command("list")
def exceptions_list(
    status: Annotated[
        str, typer.Option(help="open, in_review, resolved, dismissed or all")
    ] = "open",
    type: Annotated[str | None, typer.Option("--type", help="Only this exception type.")] = None,
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """List the exception queue, oldest first."""
    if status != "all" and status not in EXCEPTION_STATUSES:
        fail(f"unknown --status {status!r}; valid: {', '.join((*EXCEPTION_STATUSES, 'all'))}")
    if type is not None and type not in EXCEPTION_TYPES:
        fail(f"unknown --type {type!r}; valid: {', '.join(EXCEPTION_TYPES)}")
    sql = (
        "SELECT exception_id, type, status, amount, currency, payment_id, invoice_number,"
        " reason_code, mask_text(detail), suggestions FROM exceptions"
        " WHERE (? = 'all' OR status = ?)"
        " AND (? IS NULL OR type = ?) ORDER BY opened_at, exception_id"
    )
    with _reader() as con:
        rows = con.execute(sql, [status, status, type, type]).fetchall()
    shaped = []
    for row in rows:
        suggestions = json.loads(row[-1])
        top = ""
        if suggestions:
            s = suggestions[0]
            top = f"{'+'.join(s['invoices'])} ({s['score']}: {s['evidence']})"
        shaped.append((*row[:-1], top))
    print_rows(EXCEPTION_COLUMNS, shaped, format, title=f"exceptions ({status})")


@exceptions_app.command("show")
def exceptions_show(exception_id: str) -> None:
    """Everything about one exception: the payment, suggestions with evidence, notes."""
    with _reader() as con:
        row = con.execute(
            "SELECT e.*, p.source, p.source_ref, p.payer_name, p.remittance, p.value_date"
            " FROM exceptions e LEFT JOIN payments p USING (payment_id) WHERE exception_id = ?",
            [exception_id],
        ).fetchone()
        names = [d[0] for d in con.description or []]
        applied = (
            con.execute(
                "SELECT invoice_number, amount, kind, rule, confidence, evidence"
                " FROM applications WHERE payment_id = ? AND status = 'active'"
                " ORDER BY created_at, application_id",
                [row[names.index("payment_id")]],
            ).fetchall()
            if row is not None
            else []
        )
    if row is None:
        fail(f"no exception {exception_id!r}")
    data = dict(zip(names, row, strict=True))
    for key in ("payer_name", "remittance", "detail"):
        data[key] = mask_text(str(data[key])) if data.get(key) is not None else None
    for key in (
        "exception_id",
        "type",
        "status",
        "amount",
        "currency",
        "detail",
        "reason_code",
        "payment_id",
        "source",
        "source_ref",
        "value_date",
        "payer_name",
        "remittance",
        "invoice_number",
        "customer_id",
        "assignee",
        "opened_at",
    ):
        out.print(f"[bold]{key:>15}[/] {_cell(data.get(key))}", highlight=False)
    if applied:
        print_rows(
            ("invoice", "amount", "kind", "rule", "confidence", "evidence"),
            [(*row[:5], _evidence_text(row[5])) for row in applied],
            OutputFormat.table,
            title="applications of this payment (active)",
        )
    suggestions = json.loads(data["suggestions"])
    if suggestions:
        print_rows(
            ("rank", "invoices", "amount", "score", "evidence"),
            [
                (n, "+".join(s["invoices"]), s["amount"], s["score"], s["evidence"])
                for n, s in enumerate(suggestions, start=1)
            ],
            OutputFormat.table,
            title="suggestions",
        )


def _evidence_text(evidence: str) -> str:
    """An application's evidence in one line: which reference, which name, which amount."""
    try:
        data = json.loads(evidence)
    except json.JSONDecodeError:
        return evidence
    parts = [f"named {r['text']!r} ({r['kind']})" for r in data.get("references", [])]
    parts += [f"payer by {c['method']}: {c['detail']}" for c in data.get("customer", [])[:2]]
    for key in ("amount", "combination", "discount", "written_off", "split", "candidates"):
        if key in data:
            parts.append(f"{key}: {data[key]}")
    return "; ".join(parts)


class _ReaderContext:
    def __enter__(self) -> duckdb.DuckDBPyConnection:
        self.con = open_reader(state.config().database_path)
        return self.con

    def __exit__(self, *exc: object) -> None:
        self.con.close()


def _reader() -> _ReaderContext:
    return _ReaderContext()


@app.command()
def query(
    sql: Annotated[
        str, typer.Argument(help="One read-only SQL statement, e.g. select * from v_payments")
    ],
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Run one read-only SQL query against the public views (v_*); writes are refused.

    Base tables are not reachable: the views are the contract, and they mask account
    numbers. A statement running past [query] timeout_seconds is stopped (exit 2).
    """
    from cashapp.sandbox import QueryRefused, run_query

    timeout = state.config().query_timeout_seconds
    with _reader() as con:
        try:
            result = run_query(con, sql, timeout_seconds=timeout)
        except QueryRefused as exc:
            fail(str(exc))
    print_rows(result.columns, result.rows, format)


PULL_COLUMNS = ("source", "fetched", "landing_file", "new", "known", "warnings")


def _print_pull(
    results: Sequence[PullOutcome], what: str, fmt: OutputFormat = OutputFormat.table
) -> None:
    """Each pull's line (or row), then its ingest's warnings on stderr naming the page file."""
    if fmt is not OutputFormat.table:
        rows = [
            (
                r.source,
                r.fetched,
                "" if r.landing_file is None else str(r.landing_file),
                0 if r.ingest is None else r.ingest.new,
                0 if r.ingest is None else r.ingest.known,
                [] if r.ingest is None else [warning_text(w) for w in r.ingest.warnings],
            )
            for r in results
        ]
        print_rows(PULL_COLUMNS, rows, fmt)
    for result in results:
        if fmt is OutputFormat.table and result.ingest is None:
            out.print(f"{result.source}: nothing new", highlight=False)
        elif fmt is OutputFormat.table and result.ingest is not None:
            out.print(
                f"{result.source}: {result.fetched} {what} -> {result.landing_file};"
                f" {result.ingest.new} new, {result.ingest.known} already known",
                highlight=False,
            )
        if result.ingest is not None:
            for warning in result.ingest.warnings:
                warn(result.landing_file or result.source, warning_text(warning))


@pull_app.command("stripe")
def pull_stripe_cmd(
    since: Annotated[
        str | None, typer.Option("--since", help="YYYY-MM-DD; default: where the last pull ended.")
    ] = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Stripe balance transactions (charges, fees, refunds, disputes, payouts) since the last pull.

    The pages are saved to [sources.stripe] landing first, then ingested like any file.
    The API key comes from the environment variable named by [sources.stripe] api_key_env.
    """
    day = _parse_day(since) if since else None
    with _store() as store:
        try:
            result = pull_stripe(store, state.config(), since=day)
        except PullRefused as exc:
            fail(str(exc))
    _print_pull([result], "balance transactions", output)


@pull_app.command("plaid")
def pull_plaid_cmd(output: OutputOption = OutputFormat.table) -> None:
    """Bank-feed transactions of every Plaid item in [sources.plaid.items] (/transactions/sync).

    Each item's sync runs from its stored cursor; the pages go to [sources.plaid] landing
    first, then through ingest. Credentials come from the environment only.
    """
    with _store() as store:
        try:
            results = pull_plaid(store, state.config())
        except PullRefused as exc:
            fail(str(exc))
    _print_pull(results, "transactions", output)


def _parse_day(text: str, option: str = "--date") -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{option} {text!r} is not a date; use YYYY-MM-DD")


def print_daily_report(report: DailyReport, fmt: OutputFormat = OutputFormat.table) -> None:
    if fmt is OutputFormat.json:
        data = {
            "day": report.day.isoformat(),
            "breaks": report.breaks,
            **{
                s.title.replace(" ", "_").replace("-", "_"): [
                    {k: _json_value(v) for k, v in r.items()} for r in s.records()
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


@report_app.command("daily")
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
    with _reader() as con:
        chosen = _parse_day(day) if day else latest_day(con)
        if chosen is None:
            fail("nothing ingested yet: no day to report on", EXIT_PROBLEMS)
        report = daily_report(con, chosen)
    print_daily_report(report, format)
    if report.breaks:
        raise typer.Exit(EXIT_PROBLEMS)


@export_app.command("journal")
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

    until = _parse_day(through, "--through") if through else None
    try:
        check_target(target, force=force)
    except ExportRefused as exc:
        fail(str(exc))
    with _store() as store:
        try:
            posted = post_journal(store, state.config().accounts, through=until)
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


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Generator seed (same seed, same book).")] = 7,
    folder: Annotated[Path, typer.Option(help="Where the sample files are written.")] = Path(
        "demo-data"
    ),
) -> None:
    """Build a realistic sample book, ingest its bank files, match, show the results."""
    from cashapp.demo import run_demo

    with _store() as store:
        result = run_demo(store, state.config(), folder, seed=seed)
    _print_import(result.customers)
    _print_import(result.invoices)
    _print_outcomes(result.outcomes)
    _print_match(result.match)
    with _reader() as con:
        print_daily_report(daily_report(con, result.business_day))
        open_rows = con.execute(
            "SELECT type, amount, currency, payment_id, invoice_number, mask_text(detail) AS detail"
            " FROM exceptions"
            " WHERE status = 'open' ORDER BY type, amount DESC"
        )
        cols = [d[0] for d in open_rows.description or []]
        print_rows(cols, open_rows.fetchall(), OutputFormat.table, title="open exceptions")


#: The targets of the matching issue; `bench quality` exits 1 when one is missed.
QUALITY_TARGETS = {"precision": 0.999, "auto_match_rate": 0.95}
FLAGS_THAT_MUST_NOT_BE_MISSED = ("short_payment", "over_payment", "ach_return", "chargeback")


@bench_app.command("quality")
def bench_quality(
    seeds: Annotated[int, typer.Option(help="Books to generate (seeds 1..N).")] = 20,
    per_case: Annotated[int, typer.Option(help="Payments per case and seed (1-6).")] = 6,
    workdir: Annotated[Path, typer.Option(help="Where books and databases go.")] = Path(
        "var/bench"
    ),
) -> None:
    """Labelled books in every bank format through ingest and match: precision, recall.

    Exits 1 if precision < 99.9 %, the auto-match rate < 95 % of the payments a careful
    person could apply, or any short/over payment, return or chargeback flag is missed.
    """
    from cashapp.bench.quality import combine, run_quality_bench

    if seeds < 1 or not 1 <= per_case <= 6:
        fail("--seeds must be >= 1 and --per-case 1..6")
    reports = [
        run_quality_bench(workdir, seed=seed, per_case=per_case) for seed in range(1, seeds + 1)
    ]
    report = combine(reports)
    out.print(report.render(), highlight=False, markup=False)
    missed = [
        f"{name} {getattr(report, name):.4f} < {target}"
        for name, target in QUALITY_TARGETS.items()
        if getattr(report, name) < target
    ]
    for flag in FLAGS_THAT_MUST_NOT_BE_MISSED:
        recall = report.recall(flag)
        if recall is not None and recall < 1:
            missed.append(f"{flag} recall {recall:.4f} < 1")
    if missed:
        err.print(f"[bold red]targets missed:[/] {'; '.join(missed)}", highlight=False)
        raise typer.Exit(EXIT_PROBLEMS)


@bench_app.command("speed")
def bench_speed(
    payments: Annotated[int, typer.Option(help="Incoming payments.")] = 100_000,
    invoices: Annotated[int, typer.Option(help="Open invoices (>= payments).")] = 200_000,
    customers: Annotated[int, typer.Option(help="Customers.")] = 20_000,
    seed: Annotated[int, typer.Option(help="Generator seed.")] = 1,
    workdir: Annotated[Path, typer.Option(help="Where files and the database go.")] = Path(
        "var/bench/speed"
    ),
) -> None:
    """Generate bank files for a large book, time ingest and match, report peak memory."""
    from cashapp.bench.speed import run_speed_bench

    try:
        report = run_speed_bench(
            workdir, payments=payments, invoices=invoices, customers=customers, seed=seed
        )
    except ValueError as exc:
        fail(str(exc))
    rows = [
        (
            s.stage,
            f"{s.seconds:.2f}",
            s.rows,
            f"{s.rows / s.seconds:,.0f}" if s.rows else "",
            f"{s.peak_rss_mb:,.0f}",
        )
        for s in report.stages
    ]
    total = report.ingest_and_match_seconds
    rows.append(
        (
            "ingest + match + checkpoint",
            f"{total:.2f}",
            payments,
            f"{payments / total:,.0f}",
            f"{report.peak_rss_mb:,.0f}",
        )
    )
    title = f"{payments:,} payments, {invoices:,} invoices, {customers:,} customers"
    print_rows(
        ("stage", "seconds", "rows", "rows/s", "peak RSS MB"), rows, OutputFormat.table, title
    )
    print_rows(
        ("match stage", "seconds"),
        list(report.match_stages.items()),
        OutputFormat.table,
        title=f"match: {report.applied:,} applied, {report.exceptions:,} exceptions",
    )


@bench_app.command("fuzz")
def bench_fuzz(
    parser: Annotated[
        list[str] | None, typer.Option(help="A parser to fuzz (repeatable); default all.")
    ] = None,
    executions: Annotated[int, typer.Option(help="Executions per parser.")] = 1_000_000,
    seconds: Annotated[int, typer.Option(help="Time limit per parser, seconds.")] = 3600,
    out: Annotated[Path, typer.Option(help="Where crashing inputs are written.")] = Path(
        "var/bench/fuzz"
    ),
    seed: Annotated[int, typer.Option(help="libFuzzer's random seed.")] = 1,
    jobs: Annotated[int, typer.Option(help="Parsers fuzzed at once (one core each).")] = 1,
) -> None:
    """Fuzz every parser with atheris: only a clean refusal or valid records may come out.

    Prints executions, distinct crashes, seconds and exec/s per parser; each crash's input
    and traceback go to ``--out``. Exits 1 on any crash.
    """
    from cashapp.bench.fuzz import PARSERS, run_fuzz

    chosen = tuple(parser or PARSERS)
    unknown = [p for p in chosen if p not in PARSERS]
    if unknown:
        fail(f"unknown parser {unknown[0]!r}; known: {', '.join(PARSERS)}")
    if executions < 1 or seconds < 1 or jobs < 1:
        fail("--executions, --seconds and --jobs must be at least 1")
    try:
        import atheris  # noqa: F401
    except ImportError:
        fail("bench fuzz needs atheris: pip install -e '.[dev]'")
    outcomes = run_fuzz(
        chosen, executions=executions, seconds=seconds, out=out, seed=seed, jobs=jobs
    )
    rows = [
        (o.parser, o.executions, len(o.crashes), f"{o.seconds:.1f}", f"{o.per_second:,.0f}")
        for o in outcomes
    ]
    print_rows(("parser", "executions", "crashes", "seconds", "exec/s"), rows, OutputFormat.table)
    crashes = [(o.parser, c) for o in outcomes for c in o.crashes]
    for name, crash in crashes:
        err.print(
            f"crash: {name}: {crash.kind} at {crash.where}: {crash.message} ({crash.input_file})",
            highlight=False,
            markup=False,
        )
    if crashes:
        raise typer.Exit(EXIT_PROBLEMS)


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: errors become one message and an exit code, never a traceback.

    Known refusals (config, rules, database) exit 2. Anything else is a bug in cashapp: it
    exits 1 with a one-line message; set ``CASHAPP_DEBUG=1`` to see the traceback.
    """
    try:
        app(args=list(argv) if argv is not None else None, standalone_mode=True)
    except (ConfigError, RulesError, StoreError) as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(EXIT_REFUSED)
    except Exception as exc:
        if os.environ.get("CASHAPP_DEBUG") == "1":
            raise
        err.print(
            f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {exc}')}"
            " (set CASHAPP_DEBUG=1 for the traceback)",
            highlight=False,
        )
        sys.exit(EXIT_PROBLEMS)


if __name__ == "__main__":
    main()
