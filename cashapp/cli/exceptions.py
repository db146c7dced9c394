"""``cashapp exceptions list|show``: the review queue, as the cash-app specialist reads it.

Why a module of its own: the CLI only parses the filters and renders; which rows the
queue holds, in which order, masked how, is :mod:`cashapp.queue.read`, which the web
workbench renders too.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from cashapp.cli.output import OutputFormat, cell, json_value, out, print_rows
from cashapp.cli.state import fail, reader
from cashapp.csvsafe import write_xlsx
from cashapp.domain import ActionRefused
from cashapp.queue.read import QUEUE_COLUMNS, QueueFilter, list_exceptions, show_exception
from cashapp.store import utcnow


class ListFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


def _amount(option: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        fail(f"{option} {text!r} is not an amount; write it like 1234.56")


def exceptions_list(
    status: Annotated[
        str, typer.Option(help="open, in_review, resolved, dismissed or all")
    ] = "open",
    type: Annotated[str | None, typer.Option("--type", help="Only this exception type.")] = None,
    assignee: Annotated[str | None, typer.Option(help="Only those assigned to this user.")] = None,
    customer: Annotated[
        str | None, typer.Option(help="A customer id, or part of the customer's name.")
    ] = None,
    min_age: Annotated[int | None, typer.Option(help="At least this many days old.")] = None,
    max_age: Annotated[int | None, typer.Option(help="At most this many days old.")] = None,
    min_amount: Annotated[str | None, typer.Option(help="Amount at least.")] = None,
    max_amount: Annotated[str | None, typer.Option(help="Amount at most.")] = None,
    search: Annotated[
        str | None, typer.Option(help="Text in the payer, remittance or invoice numbers.")
    ] = None,
    limit: Annotated[int, typer.Option(help="Rows per page (1-10000).")] = 500,
    offset: Annotated[int, typer.Option(help="Rows to skip (the next page).")] = 0,
    format: Annotated[ListFormat, typer.Option("--format")] = ListFormat.table,
    out_path: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
) -> None:
    """List the exception queue, oldest value date first; every verb takes the short id."""
    filters = QueueFilter(
        status, type, assignee, customer, min_age, max_age,
        _amount("--min-amount", min_amount), _amount("--max-amount", max_amount),
        search, limit, offset,
    )  # fmt: skip
    if format is ListFormat.xlsx and out_path is None:
        fail("--format xlsx needs --out FILE.xlsx")
    try:
        with reader() as con:
            rows = list_exceptions(con, filters, today=utcnow().date())
    except ActionRefused as exc:
        fail(str(exc))
    values = [[getattr(r, c) for c in QUEUE_COLUMNS] for r in rows]
    if format is ListFormat.xlsx:
        assert out_path is not None
        write_xlsx(out_path, QUEUE_COLUMNS, values)
        out.print(f"{len(rows)} exceptions written to {out_path}", highlight=False)
        return
    shown = QUEUE_COLUMNS if format is not ListFormat.table else _TABLE_COLUMNS
    picked = [[v for c, v in zip(QUEUE_COLUMNS, row, strict=True) if c in shown] for row in values]
    if out_path is not None:
        _to_file(out_path, shown, picked, OutputFormat(format.value))
        return
    print_rows(shown, picked, OutputFormat(format.value), title=f"exceptions ({status})")


#: A person's table leaves out the full id (the short one is accepted everywhere).
_TABLE_COLUMNS = tuple(
    c for c in QUEUE_COLUMNS if c not in ("exception_id", "version", "payment_id", "detail")
)


def _to_file(
    path: Path, columns: tuple[str, ...], rows: list[list[Any]], fmt: OutputFormat
) -> None:
    stdout = sys.stdout
    try:
        with path.open("w", encoding="utf-8", newline="") as handle:
            sys.stdout = handle
            print_rows(columns, rows, fmt)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    finally:
        sys.stdout = stdout


def exceptions_show(
    exception_id: Annotated[str, typer.Argument(help="The exception (its short id will do).")],
    format: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.table,
) -> None:
    """Everything about one exception: the payment, suggestions with evidence, notes."""
    try:
        with reader() as con:
            view = show_exception(con, exception_id)
    except ActionRefused as exc:
        fail(str(exc))
    if format is OutputFormat.json:
        data = {
            **view.item,
            "applications": view.applications,
            "suggestions": view.suggestions,
            "notes": view.notes,
            "history": view.history,
        }
        sys.stdout.write(json.dumps(json_value(data), indent=2) + "\n")
        return
    for key, value in view.item.items():
        out.print(f"[bold]{key:>15}[/] {cell(value)}", highlight=False)
    if view.applications:
        print_rows(
            ("application", "invoice", "amount", "kind", "method", "rule", "evidence", "by"),
            [
                (a["application_id"], a["invoice_number"], a["amount"], a["kind"], a["method"],
                 a["rule"], _evidence_text(a["evidence"]), a["created_by"])
                for a in view.applications
            ],
            format,
            title="applications of this payment (active)",
        )  # fmt: skip
    if view.suggestions:
        print_rows(
            ("rank", "invoices", "customer", "amount", "score", "evidence"),
            [
                (s["rank"], "+".join(s["invoices"]), ", ".join(s["customers"]), s["amount"],
                 s["score"], s["evidence"])
                for s in view.suggestions
            ],
            format,
            title="suggestions",
        )  # fmt: skip
    if view.notes:
        print_rows(
            ("at", "by", "note"),
            [(n.get("at"), n.get("by"), n.get("text")) for n in view.notes],
            format,
            title="notes",
        )
    if view.history:
        print_rows(
            ("at", "by", "action", "detail"),
            [(h["occurred_at"], h["actor"], h["action"], h["detail"]) for h in view.history],
            format,
            title="history",
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
