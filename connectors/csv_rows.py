"""Row width of a CSV export: every row has the header's columns, or the file is refused.

Design note. ``csv.DictReader`` fills the columns a short row lacks with ``None`` and files
extra cells under the key ``None``; both read as blanks further on. Issue 10 found the cost:
a Stripe report whose last row lost its trailing columns stored its payout as ``other``
-12,403.10 instead of a -12,403.12 settlement, and the intact re-send then found the row
"known" and could never repair it. A row with fewer cells than the header, or with
non-empty cells past it (an unquoted delimiter shifts every amount after it), is damage:
the file is refused whole, naming the line and the first missing column. Empty cells past
the header (a trailing delimiter) lose nothing and are allowed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cashapp.domain import FileRefused


def repeated_column(names: Sequence[str]) -> tuple[int, int] | None:
    """The 0-based positions of the first non-blank name that occurs twice, or None.

    ``names`` are the header cells as the reader compares them (already stripped,
    lower-cased or mapped), so the caller decides what counts as the same column.
    """
    first: dict[str, int] = {}
    for index, name in enumerate(names):
        if not name:
            continue
        earlier = first.setdefault(name, index)
        if earlier != index:
            return earlier, index
    return None


def repeated_column_reason(header: Sequence[str], positions: tuple[int, int]) -> str:
    """Why a header with a repeated column is refused, naming it as the file writes it."""
    a, b = positions
    one, other = header[a].strip(), header[b].strip()
    if one == other:
        named = f"column {one!r} twice"
    else:  # the same column by another spelling or through the configured mapping
        named = f"the same column twice, as {one!r} and {other!r}"
    return (
        f"the header names {named} (columns {a + 1} and {b + 1}); which one holds the "
        "value is ambiguous"
    )


def check_header(header: Sequence[str], names: Sequence[str], where: str) -> None:
    """Refuse a header that names one column twice; ``names`` as the reader compares them."""
    positions = repeated_column(names)
    if positions is not None:
        raise FileRefused(repeated_column_reason(header, positions), where)


def check_row_width(raw: Mapping[str | None, object], header_width: int, where: str) -> None:
    """Refuse a ``DictReader`` row that lacks columns or carries cells past the header."""
    missing = [name for name, value in raw.items() if value is None and name is not None]
    if missing:
        present = header_width - len(missing)
        raise FileRefused(
            f"the row has {present} of the header's {header_width} columns; column "
            f"{missing[0]!r} and after are missing (a cut or damaged row)",
            where,
        )
    extra = raw.get(None)
    if isinstance(extra, list) and any(str(cell).strip() for cell in extra):
        raise FileRefused(
            f"the row has {header_width + len(extra)} cells; the header has {header_width}"
            " (an unquoted delimiter inside a value?)",
            where,
        )
