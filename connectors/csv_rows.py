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

from collections.abc import Mapping

from connectors.base import FileRefused


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
            f"the row has {header_width + len(extra)} cells but the header {header_width} "
            "columns (an unquoted delimiter inside a value?)",
            where,
        )
