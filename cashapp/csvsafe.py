"""Spreadsheet-safe cells for every CSV (and XLSX) cashapp writes for people.

Why: a payer chooses its own name and remittance text, and a bank file carries them into
our exports. Opened in Excel or LibreOffice, a cell such as ``=HYPERLINK("http://x",
"invoice")`` or ``@SUM(A1)`` is a formula, run on the reader's machine (CSV injection).
The OWASP rule is to prefix a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return with a single quote, which spreadsheets show as text.

One deliberate exception: a cell that is exactly a plain decimal number (``-12.50``,
``+3``, ``1000``) is left alone. A negative amount is a number, not a formula, and ERP
importers that read our journal refuse ``'-12.50``. Nothing that is *only* digits, one
leading sign and one decimal point can be a formula, so this keeps the money columns
intact without opening a hole. Everything else that starts with a trigger character is
escaped, including ``-1e5`` and ``-2+3``.

XLSX: :func:`write_xlsx` writes every string cell with the text data type, so a leading
``=`` is never stored as a formula (openpyxl would otherwise turn ``"=1+1"`` into one).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any, Final

#: Characters a spreadsheet may read as the start of a formula (OWASP CSV injection).
FORMULA_TRIGGERS: Final = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def safe_cell(text: str) -> str:
    """``text`` as a spreadsheet shows it literally: ``=1+1`` -> ``'=1+1``; ``-12.50`` stays."""
    if text.startswith(FORMULA_TRIGGERS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def safe_row(cells: Iterable[object]) -> list[str]:
    """One row of cells as strings (``None`` -> empty), each made safe."""
    return ["" if cell is None else safe_cell(str(cell)) for cell in cells]


def write_csv(
    handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[object]], **options: Any
) -> None:
    """Write a header and rows with every cell escaped; ``options`` go to ``csv.writer``."""
    writer = csv.writer(handle, **{"lineterminator": "\n", **options})
    writer.writerow(safe_row(header))
    writer.writerows(safe_row(row) for row in rows)


def write_xlsx(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write one sheet whose string cells are all text: nothing a reader opens can run.

    Numbers (``int``, ``Decimal``) stay numbers (money shown with two decimals); every
    other value is stored as a string with the text data type, so ``=HYPERLINK(...)`` is
    shown, never evaluated. The header row is frozen.
    """
    from decimal import Decimal

    from openpyxl import Workbook

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None  # a new workbook always has its first sheet
    table: list[Sequence[object]] = [header, *rows]
    for r, row in enumerate(table, start=1):
        for c, value in enumerate(row, start=1):
            cell = sheet.cell(row=r, column=c)
            if isinstance(value, int | Decimal) and not isinstance(value, bool):
                cell.value = value
                if isinstance(value, Decimal) and r > 1:
                    cell.number_format = "#,##0.00"  # money as a number a sum can use
            else:
                cell.value = "" if value is None else str(value)
                cell.data_type = "s"
    sheet.freeze_panes = "A2"  # the header stays in view
    book.save(path)
