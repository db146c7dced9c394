"""CSV master data, read as Python's ``csv`` module reads it, without a Python loop per row.

Why not ``csv.reader`` for every file: two million invoices took 14 s to split and
1.7 GB to hold as Python lists. Why not DuckDB's ``read_csv``: it skips blank lines and
numbers no records, so "line N" could not be named, and its quoting and whitespace
rules are its own. The definition stays ``csv.reader`` (excel dialect, records numbered
from the header as line 1, a quoted newline inside one record); this module recognises
the files where that reading is plain line splitting, and splits those in bulk:

* no NUL, and every ``\\r`` is part of a ``\\r\\n`` (so a record ends at each ``\\n``);
* no line longer than the ``csv`` field size limit (``csv`` refuses a longer field);
* no ``"`` at all (then a record is its line cut at every ``,``) -- or every non-empty
  line is a sequence of fields each either free of ``"`` and ``,`` or quoted whole
  (``"..."`` with ``""`` for a quote), with no quote left open at the end of a line.

Under these conditions ``csv.reader`` returns exactly those fields (an empty line is a
record of no fields), record number = line number; ``tests/test_masterdata_bulk.py``
holds the two readings equal on generated files. Any other file (a quoted newline, a
stray quote, old Mac line ends, invalid CSV) is read by ``csv.reader`` itself, as before.
Text is UTF-8 (an initial BOM dropped) or, failing that, Latin-1, as before.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cashapp.masterdata.cells import Cells, check_header, is_blank
from cashapp.masterdata.rules import ImportRefused

#: One field as ``csv`` reads it from a line where quoting is plain: free text or quoted whole.
QUOTED_FIELD: Final = '"(?:[^"]|"")*"'
PLAIN_FIELD: Final = '[^",]*'
_FIELD: Final = f"(?:{PLAIN_FIELD}|{QUOTED_FIELD})"
#: A line whose quoting ``csv`` reads the plain way (RE2 and Python ``re`` alike).
QUOTED_LINE: Final = f"^{_FIELD}(?:,{_FIELD})*$"
#: One field and its comma, in a line with a comma appended (``regexp_extract_all``).
FIELD_TOKEN: Final = f"({QUOTED_FIELD}|{PLAIN_FIELD}),"

_BOM: Final = b"\xef\xbb\xbf"
_BATCH_ROWS: Final = 122_880
#: ASCII characters ``str.isspace`` holds true, for an ASCII file's emptiness test.
_ASCII_SPACE: Final = bytes(c for c in range(128) if chr(c).isspace())


@dataclass(frozen=True, slots=True)
class Lines:
    """A CSV file whose records are its lines: the header, and the data lines as Arrow.

    ``table`` has ``line_no`` (2, 3, ...), ``line`` (the text without its line end) and
    ``plain`` (only printable ASCII and no space: no cell of the line has whitespace to
    strip); ``quoted`` says whether fields are to be unquoted (``"`` occurs in the file).
    """

    header: list[str]
    table: Any
    quoted: bool


def read_csv(path: Path) -> Lines | Cells:
    """The file's header and rows: as lines to split in bulk, or as cells from ``csv``."""
    raw = path.read_bytes()
    data, text = _utf8(raw)
    if not (text.strip() if text is not None else raw.strip(_ASCII_SPACE)):
        raise ImportRefused(str(path), ["file is empty"])
    lines = _plain_lines(data)
    if lines is None:
        return _csv_cells(text if text is not None else raw.decode("ascii"), path)
    first = lines[0].as_py()
    header = [h.strip() for h in next(csv.reader([first]), [])]
    check_header(header, path)
    return Lines(header, _numbered(lines.slice(1)), quoted=b'"' in data)


def _utf8(raw: bytes) -> tuple[bytes, str | None]:
    """The file as UTF-8 bytes, and its text where decoding was needed (``None`` if ASCII)."""
    if raw.isascii():
        return raw, None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        return text.encode("utf-8"), text
    return (raw[len(_BOM) :] if raw.startswith(_BOM) else raw), text


def _plain_lines(data: bytes) -> Any:
    """The lines of ``data`` as Arrow text if ``csv`` reads it line by line, else None."""
    returns = data.count(b"\r")
    if b"\x00" in data or returns != data.count(b"\r\n"):
        return None
    import pyarrow as pa
    import pyarrow.compute as pc

    whole = pa.LargeStringArray.from_buffers(
        1, pa.array([0, len(data)], pa.int64()).buffers()[1], pa.py_buffer(data)
    )
    if returns and returns == data.count(b"\n"):  # every line ends in \r\n
        lines = pc.split_pattern(whole, "\r\n").flatten()
    else:
        lines = pc.split_pattern(whole, "\n").flatten()
        if returns:  # each one is the start of a \r\n
            lines = pc.replace_substring(lines, "\r", "")
    longest = pc.max(pc.binary_length(lines)).as_py() or 0
    if longest > csv.field_size_limit():
        return None
    if b'"' in data:
        filled = pc.filter(lines, pc.not_equal(lines, ""))
        if pc.all(pc.match_substring_regex(filled, QUOTED_LINE)).as_py() is False:
            return None  # a stray or open quote: csv.reader decides what it means
    return lines


def _numbered(lines: Any) -> Any:
    import pyarrow as pa
    import pyarrow.compute as pc

    ones = pa.repeat(pa.scalar(1, pa.int64()), len(lines))
    numbers = pc.add(pc.cumulative_sum(ones), 1)
    table = pa.table({"line_no": numbers, "line": lines, "plain": without_whitespace(lines)})
    # batches of a DuckDB row group, so its threads share the scan (zero-copy slices)
    return pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), table.schema)


def without_whitespace(texts: Any) -> Any:
    """True for each Arrow text of printable ASCII without a space: nothing to strip."""
    import pyarrow.compute as pc

    return pc.and_(pc.ascii_is_printable(texts), pc.invert(pc.match_substring(texts, " ")))


def _csv_cells(text: str, path: Path) -> Cells:
    """Rows as ``csv.reader`` gives them: the reading for a file not split in bulk."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ImportRefused(str(path), [f"line {reader.line_num}: not valid CSV: {exc}"]) from exc
    header = [h.strip() for h in rows[0]]
    check_header(header, path)
    lines: list[int] = []
    kept: list[list[str]] = []
    problems = []
    for number, values in enumerate(rows[1:], start=2):
        if is_blank(values):
            continue
        if len(values) != len(header):
            problems.append(f"line {number}: {len(values)} fields, the header has {len(header)}")
            continue
        lines.append(number)
        kept.append(values)
    if problems:
        raise ImportRefused(str(path), problems)
    return Cells(header, lines, kept)
