"""How the CLI prints: a table for a person, CSV or JSON for a machine, stderr for warnings.

Why a module of its own: every command prints through these few functions, so table, CSV
and JSON mean the same for every verb -- money as exact decimal strings without the
storage zeros, CSV cells escaped against formula injection, and every warning on stderr
naming its file, for a job that logs only stderr.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cashapp.csvsafe import write_csv
from cashapp.domain import Issue

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def cell(value: Any) -> str:
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


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _plain_decimal(value)  # money stays exact (a string) in JSON
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: json_value(v) for k, v in value.items()}
    return value


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: OutputFormat, title: str = ""
) -> None:
    if fmt is OutputFormat.csv:
        # people open these in spreadsheets: cells that would run as formulas are escaped
        buffer = io.StringIO()
        write_csv(buffer, columns, ([cell(v) for v in row] for row in rows))
        sys.stdout.write(buffer.getvalue())
        return
    if fmt is OutputFormat.json:
        data = [{c: json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    if not out.is_terminal:
        _print_plain(columns, rows, title)
        return
    table = Table(title=title or None, show_lines=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*[cell(v) for v in row])
    out.print(table)


def _print_plain(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str) -> None:
    """A table for a pipe or a file: one line per row at full width, columns padded.

    Why: a terminal's table folds long cells to fit 80 columns, which a file, ``grep`` or
    ``wc -l`` reads as several rows. Line breaks inside a cell become spaces; the title,
    when there is one, is the first line.
    """
    if title:
        sys.stdout.write(title + "\n")
    table = [list(columns), *([" ".join(cell(v).split()) for v in row] for row in rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for r in table:
        line = "  ".join(text.ljust(width) for text, width in zip(r, widths, strict=True))
        sys.stdout.write(line.rstrip() + "\n")


def warning_text(issue: Issue) -> str:
    """A warning as machine output carries it: ``location: message`` (exact, unabridged)."""
    return f"{issue.location}: {issue.message}" if issue.location else issue.message


def warn(source: str | Path, text: str) -> None:
    """One stderr line per warning, naming the file: a job that logs only stderr sees it."""
    err.print(f"[yellow]warning:[/] {escape(f'{source}: {text}')}", highlight=False)
