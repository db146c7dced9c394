"""The common cell shapes the set-based import reads in SQL, each equal to its Python rule.

Every expression here is an accelerator for one Python function, valid on a stated set
of inputs and proven equal on it by a property test (``tests/test_masterdata_bulk.py``);
outside that set the expression says "not mine" (NULL or false) and the cell goes to the
Python function itself. Nothing here decides whether a row is valid.

* :func:`strip_sql` is ``str.strip()`` (every character ``str.isspace`` holds true).
* :func:`amount_sql` is :func:`cashapp.money.parse_amount` for plain or thousands-grouped
  digits with no more decimals than the currency has (``1234.5``, ``1,234.50``, and with
  ``decimal = ","`` ``1.234,50``), positive and within ``DECIMAL(18,4)``; anything else
  -- a sign, a symbol, a code, excess zeros -- is NULL.
* :func:`ref_key_sql` is :func:`cashapp.keys.invoice_ref_key` for ASCII numbers with at
  most one digit run (``INV-104523``, ``2026-0042``, ``ABC``).
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Final

from cashapp.keys import is_ascii_sql
from cashapp.money import DecimalMark


@cache
def whitespace() -> str:
    """Every character ``str.strip()`` removes, in code point order."""
    return "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())


@cache
def _whitespace_sql() -> str:
    return "(" + " || ".join(f"chr({ord(c)})" for c in whitespace()) + ")"


def strip_sql(expr: str) -> str:
    """``expr.strip()`` in DuckDB, for a column (``expr`` is evaluated up to five times).

    ``trim`` with the characters given counts code points, but costs a microsecond a
    cell; a cell that starts and ends in printable ASCII (no space) is returned as is.
    """
    printable = f"unicode({expr}) BETWEEN 33 AND 126 AND unicode({expr}[-1:]) BETWEEN 33 AND 126"
    return (
        f"CASE WHEN {expr} = '' OR ({printable}) THEN {expr}"
        f" ELSE trim({expr}, {_whitespace_sql()}) END"
    )


@cache
def _space_class() -> str:
    return "[" + "".join(f"\\x{{{ord(c):x}}}" for c in whitespace()) + "]"


@cache
def blank_quoted_line() -> str:
    """RE2: a line of fields that are all whitespace, quoted or not (a blank row)."""
    field = f'(?:{_space_class()}*|"{_space_class()}*")'
    return f"^{field}(?:,{field})*$"


def unquote_sql(token: str) -> str:
    """A field token of a plainly quoted line as ``csv`` reads it: ``"a""b"`` -> ``a"b``."""
    return (
        f"CASE WHEN starts_with({token}, '\"')"
        f" THEN replace(substr({token}, 2, length({token}) - 2), '\"\"', '\"')"
        f" ELSE {token} END"
    )


#: Digits and an optional fraction; the same with the digits grouped in threes.
_PLAIN: Final[dict[str, str]] = {".": r"[0-9]+(?:\.[0-9]+)?", ",": r"[0-9]+(?:,[0-9]+)?"}
_GROUPED: Final[dict[str, str]] = {
    ".": r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?",
    ",": r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?",
}


def amount_sql(text: str, places: str, mark: DecimalMark) -> str:
    """``parse_amount(text, currency, decimal=mark)`` as DECIMAL(18,4), or NULL.

    ``places`` is an SQL expression for the currency's minor units. A cast of at most
    four decimals into ``DECIMAL(18,4)`` is exact, and it fails (NULL) exactly where
    :data:`cashapp.money.MAX_AMOUNT` is passed, so no value is rounded or clipped.
    """
    group = "," if mark == "." else "."
    plain = text if mark == "." else f"replace({text}, ',', '.')"
    grouped = f"replace({text}, '{group}', '')"
    if mark == ",":
        grouped = f"replace({grouped}, ',', '.')"
    decimals = (
        f"CASE WHEN contains({text}, '{mark}') THEN length({text}) - strpos({text}, '{mark}')"
        " ELSE 0 END"
    )
    return (
        f"CASE WHEN {text} = '' OR {places} IS NULL OR {decimals} > {places} THEN NULL"
        f" WHEN regexp_full_match({text}, '{_PLAIN[mark]}') THEN TRY_CAST({plain} AS DECIMAL(18,4))"
        f" WHEN regexp_full_match({text}, '{_GROUPED[mark]}')"
        f" THEN TRY_CAST({grouped} AS DECIMAL(18,4)) END"
    )


#: At most one run of digits (and hyphens inside it): the shape :func:`ref_key_sql` reads.
_ONE_RUN: Final = "[^0-9]*(?:[0-9](?:[0-9-]*[0-9])?)?[^0-9]*"


def ref_key_is_sql(number: str) -> str:
    """True where :func:`ref_key_sql` applies: ASCII, at most one digit run."""
    return f"({is_ascii_sql(number)} AND regexp_full_match({number}, '{_ONE_RUN}'))"


def ref_key_sql(number: str) -> str:
    """``invoice_ref_key(number)`` where :func:`ref_key_is_sql` holds.

    One run of digits and inner hyphens is every digit of the number in order, so the
    key is the digits; with no digit it is the letters, upper-cased.
    """
    return (
        f"CASE WHEN regexp_full_match({number}, '[^0-9]*[0-9]+')"  # INV-104523, the most
        f" THEN regexp_extract({number}, '^[^0-9]*([0-9]+)$', 1)"
        f" WHEN regexp_matches({number}, '[0-9]') THEN regexp_replace({number}, '[^0-9]+', '', 'g')"
        f" ELSE regexp_replace(upper({number}), '[^A-Z]+', '', 'g') END"
    )
