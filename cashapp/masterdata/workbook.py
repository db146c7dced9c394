"""XLSX master data: the first sheet of a workbook as cells, through openpyxl.

A sheet holds at most 1,048,576 rows, so reading it in Python is bounded; what follows
the read (validation, writes) is the same set-based path as for CSV. Cell values become
the text a person sees: dates as ISO, numbers as the shortest exact decimal of the float
Excel stored (then parsed and checked as money like any amount text).
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

from cashapp.masterdata.cells import Cells, check_header, is_blank
from cashapp.masterdata.rules import ImportRefused


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        # Excel stores numbers as binary floats; repr gives the shortest exact decimal
        # text of what the cell shows, which is then parsed (and checked) as money.
        return repr(value)
    return str(value)


#: How far into each workbook part a DTD could hide: XML allows it only in the prolog,
#: before the root element, and Excel's prolog is one line.
_PROLOG_BYTES = 4096


def refuse_dtds(path: Path) -> None:
    """Refuse a workbook any of whose XML parts declares a DTD (``<!DOCTYPE``).

    Excel never writes one. A declared entity is an expansion bomb or a probe for local
    files, so the file is refused whole, naming the part, before openpyxl parses anything
    (defusedxml, a dependency, refuses entities in what openpyxl parses with it; this
    check covers every part and gives the person a clear reason).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                if not member.filename.endswith((".xml", ".rels", ".vml")):
                    continue
                with archive.open(member) as handle:
                    head = handle.read(_PROLOG_BYTES)
                if head[:2] in (b"\xff\xfe", b"\xfe\xff"):  # a UTF-16 part
                    head = head.decode("utf-16", errors="ignore").encode("utf-8")
                if b"<!DOCTYPE" in head:
                    raise ImportRefused(
                        str(path),
                        [
                            f"{member.filename}: declares a DTD (<!DOCTYPE>/<!ENTITY>),"
                            " which no spreadsheet writes"
                        ],
                    )
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRefused(str(path), [f"not a readable XLSX workbook: {exc}"]) from None


def read_xlsx(path: Path) -> Cells:
    from openpyxl import load_workbook

    refuse_dtds(path)
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportRefused(str(path), [f"not a readable XLSX workbook: {exc}"]) from exc
    try:
        return _sheet_cells(workbook, path)
    except ImportRefused:
        raise
    except Exception as exc:  # openpyxl parses the sheet lazily: its errors come from here
        raise ImportRefused(
            str(path), [f"not a readable XLSX workbook: {type(exc).__name__}: {exc}"]
        ) from exc
    finally:
        workbook.close()


def _sheet_cells(workbook: Any, path: Path) -> Cells:
    """The first sheet's rows, padded or cut to the header's width; blank rows left out."""
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [cell_text(h).strip() for h in next(rows)]
    except StopIteration:
        raise ImportRefused(str(path), ["workbook is empty"]) from None
    check_header(header, path)
    width = len(header)
    lines: list[int] = []
    kept: list[list[str]] = []
    for number, values in enumerate(rows, start=2):
        texts = [cell_text(v) for v in values]
        if not is_blank(texts):  # a cell past the header keeps the row, as a blank row
            lines.append(number)
            kept.append((texts + [""] * (width - len(texts)))[:width])
    return Cells(header, lines, kept)
