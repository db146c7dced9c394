"""A master-data file as cells: its header and the rows kept, each with its line number.

Every reader (the fast CSV splitter, the ``csv`` module for irregular CSV, openpyxl for
XLSX) ends in the same place: a header (names stripped) and rows of header width,
blank rows left out, each row numbered as the file's record number (the header is
line 1). From here the import is set-based and does not know which reader ran.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cashapp.masterdata.rules import ImportRefused
from connectors.csv_rows import repeated_column, repeated_column_reason


@dataclass(frozen=True, slots=True)
class Cells:
    """Rows read in Python: ``rows[i]`` is line ``lines[i]``, every row of header width."""

    header: list[str]
    lines: list[int]
    rows: list[list[str]]

    def table(self) -> Any:
        """The rows as an Arrow table: ``line_no`` and one text column ``c<i>`` per cell."""
        import pyarrow as pa

        columns = list(zip(*self.rows, strict=True)) if self.rows else []
        data: dict[str, Any] = {"line_no": pa.array(self.lines, pa.int64())}
        for index in range(len(self.header)):
            values = columns[index] if columns else ()
            data[f"c{index}"] = pa.array(values, pa.string())
        return pa.table(data)


def check_header(header: Sequence[str], path: Path) -> None:
    """Refuse a header naming a column twice: the row would keep only the last cell.

    With ``amount`` twice, the invoice total read would be whichever column came last, so
    the file is refused naming line 1 and the column (:mod:`connectors.csv_rows`).
    """
    positions = repeated_column(header)
    if positions is not None:
        raise ImportRefused(str(path), [f"line 1: {repeated_column_reason(header, positions)}"])


def is_blank(values: Sequence[str]) -> bool:
    """A row with nothing but whitespace is no row (spreadsheets leave such lines)."""
    return not any(v.strip() for v in values)
