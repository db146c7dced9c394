"""A master-data file staged in DuckDB: one row per kept record, our field names, stripped.

``md_rows(line_no, <field>...)`` is what ``_mapped`` used to build as a dict per row:
each field read from the header the config maps it to (``[import.invoices.columns]``),
``""`` where the file has no such column, surrounding whitespace stripped. The checks on
the file as a whole happen here, in the order a person has always seen them: the file
itself (missing, empty, not CSV, a column named twice), then rows whose width is not the
header's, then required columns the header lacks.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cashapp.masterdata.cells import Cells
from cashapp.masterdata.csvfile import FIELD_TOKEN, Lines, read_csv
from cashapp.masterdata.rules import REQUIRED, ImportRefused, Kind
from cashapp.masterdata.shapes import blank_quoted_line, strip_sql, unquote_sql
from cashapp.masterdata.workbook import read_xlsx
from cashapp.store import Store

_EMPTY_QUOTED = '(?:"")?(?:,(?:"")?)*'
#: The temporary tables of one import, dropped when it ends (refused or not).
ROWS = "md_rows"
_SOURCE = "md_source"


def read_file(path: Path) -> Lines | Cells:
    if not path.is_file():
        raise ImportRefused(str(path), ["file not found"])
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return read_xlsx(path)
    return read_csv(path)


def stage_rows(
    store: Store, path: Path, kind: Kind, fields: tuple[str, ...], mapping: Mapping[str, str]
) -> int:
    """Create :data:`ROWS` from the file; return its row count, or refuse the file."""
    source = read_file(path)
    position = {name: index for index, name in enumerate(source.header)}  # last one wins
    header_for = {f: mapping.get(f, f) for f in fields}
    store.con.register(_SOURCE, source.table if isinstance(source, Lines) else source.table())
    try:
        if isinstance(source, Lines):
            _stage_lines(store, path, source, header_for, position)
        else:
            store.execute(
                f"CREATE OR REPLACE TEMP TABLE {ROWS} AS"
                f" SELECT line_no, {_columns(header_for, position)} FROM {_SOURCE}"
            )
    finally:
        store.release(_SOURCE)
    count = int(store.scalar(f"SELECT count(*) FROM {ROWS}"))
    missing = [f"{header_for[f]!r}" for f in REQUIRED[kind] if header_for[f] not in position]
    if count and missing:
        raise ImportRefused(str(path), [f"line 1: missing required column(s) {', '.join(missing)}"])
    return count


def _columns(
    header_for: Mapping[str, str], position: Mapping[str, int], plain: str = "false"
) -> str:
    """Each field from its cell ``c<i>``, stripped unless ``plain``; ``''`` if not in the file."""

    def field(index: int) -> str:
        cell = f"c{index}"
        return f"CASE WHEN {plain} THEN {cell} ELSE {strip_sql(cell)} END"

    return ", ".join(
        f"{field(position[h])} AS {f}" if h in position else f"'' AS {f}"
        for f, h in header_for.items()
    )


#: A line with no cell but empty ones: commas only (and ``""`` where fields are quoted).
_EMPTY_CELLS = {
    False: "replace(line, ',', '') = ''",
    True: f"regexp_full_match(line, '{_EMPTY_QUOTED}')",
}


def _stage_lines(
    store: Store,
    path: Path,
    lines: Lines,
    header_for: Mapping[str, str],
    position: Mapping[str, int],
) -> None:
    """Split the lines into fields in one query; refuse rows not of the header's width.

    A ``plain`` line (see :class:`Lines`) has nothing to strip, so only the others pay
    for ``str.strip``; a line is blank (skipped, as ``csv`` rows of whitespace were) when
    every cell strips to nothing.
    """
    quoted, width = lines.quoted, len(lines.header)
    if quoted:
        split = f"regexp_extract_all(line || ',', '{FIELD_TOKEN}', 1)"
        spaced_blank = f"regexp_full_match(line, '{blank_quoted_line()}')"
    else:
        split = "string_split(line, ',')"
        first = "unicode(line) BETWEEN 33 AND 126 AND unicode(line) <> 44"  # not ' ', not ','
        cells_only = strip_sql("replace(line, ',', '')")
        spaced_blank = f"NOT ({first}) AND {cells_only} = ''"
    blank = f"CASE WHEN plain THEN {_EMPTY_CELLS[quoted]} ELSE {spaced_blank} END"
    used = sorted({position[h] for h in header_for.values() if h in position})
    cells = "".join(
        f", {unquote_sql(f'f[{i + 1}]') if quoted else f'f[{i + 1}]'} AS c{i}" for i in used
    )
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {ROWS} AS"
        f" SELECT line_no, width, {_columns(header_for, position, 'plain')}"
        f" FROM (SELECT line_no, plain, len(f) AS width{cells}"
        f" FROM (SELECT line_no, plain, {split} AS f FROM {_SOURCE} WHERE NOT ({blank})))"
    )
    ragged = store.fetchall(
        f"SELECT line_no, width FROM {ROWS} WHERE width <> ? ORDER BY line_no", [width]
    )
    if ragged:
        raise ImportRefused(
            str(path), [f"line {n}: {w} fields, the header has {width}" for n, w in ragged]
        )
