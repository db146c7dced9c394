"""``cashapp exceptions list|show``: the review queue, as the cash-app specialist reads it.

Why a module of its own: the queue is read through the masked columns only (details
quote the bank's text), and ``show`` explains each application of the payment in one
line of evidence.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from cashapp.cli.output import OutputFormat, cell, out, print_rows
from cashapp.cli.state import fail, reader
from cashapp.masking import mask_text
from cashapp.matching.model import EXCEPTION_STATUSES, EXCEPTION_TYPES

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
    with reader() as con:
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


def exceptions_show(exception_id: str) -> None:
    """Everything about one exception: the payment, suggestions with evidence, notes."""
    with reader() as con:
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
        out.print(f"[bold]{key:>15}[/] {cell(data.get(key))}", highlight=False)
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
