"""Keys: the comparable forms of payer names and invoice numbers.

Master data and matching must agree exactly on how ``ACME CORP.`` and ``Acme
Corporation`` compare, and on which digits an invoice number is found by; a key computed
one way at import and another way at match time would silently stop matches. So the
keys live here, below both (master data stores them, matching looks them up), and the
SQL forms sit beside the Python ones they must equal (a property test holds them equal).

Name keys strip what does not identify the company (case, punctuation, legal suffixes, a
leading ``THE``) and canonicalise ``&`` to ``AND``: ``"The Acme Holdings, Inc."`` ->
``"ACME"``; ``"Smith & Jones LLC"`` -> ``"SMITH AND JONES"``. An invoice's reference key
is its longest digit run: ``INV-104523`` -> ``104523``.
"""

from __future__ import annotations

import re
import unicodedata

LEGAL_SUFFIXES = frozenset(
    {
        "INC", "INCORPORATED", "LLC", "LLP", "LP", "LTD", "LIMITED", "CORP", "CORPORATION",
        "CO", "COMPANY", "HOLDINGS", "HOLDING", "PLC", "GMBH", "AG", "SA", "SAS", "SARL",
        "BV", "NV", "PTY", "PC", "PLLC", "LLLP", "ULC",
    }
)  # fmt: skip

_NON_WORD = re.compile(r"[^A-Z0-9& ]+")
_SPACES = re.compile(r"\s+")


def _ascii(name: str) -> str:
    """Accents folded away (``Société`` -> ``Societe``); most names are ASCII already."""
    if name.isascii():
        return name
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def name_key(name: str) -> str:
    """The comparable form of a company or person name ("" for an empty name)."""
    text = _ascii(name).upper().replace("&", " AND ")
    text = _NON_WORD.sub(" ", text.replace(".", "").replace("'", ""))
    words = _SPACES.split(text.strip())
    if words and words[0] == "THE":
        words = words[1:]
    while len(words) > 1 and words[-1] in LEGAL_SUFFIXES:
        words.pop()
    return " ".join(w for w in words if w)


def full_name_key(name: str) -> str:
    """Like :func:`name_key` but keeping legal suffixes: the form a bank truncates.

    NACHA cuts company names at 16 or 22 characters, so ``HOOLI SUPPLY COR`` is a
    truncated ``Hooli Supply Corp``; only a prefix test on the unstripped form sees it.
    """
    text = _NON_WORD.sub(
        " ", _ascii(name).upper().replace("&", " AND ").replace(".", "").replace("'", "")
    )
    words = _SPACES.split(text.strip())
    if words and words[0] == "THE":
        words = words[1:]
    return " ".join(w for w in words if w)


def _cleaned_words_sql(column: str) -> str:
    """SQL for the words of an ASCII name as :func:`full_name_key` sees them, one space apart."""
    upper = f"replace(replace(replace(upper({column}), '&', ' AND '), '.', ''), chr(39), '')"
    spaced = f"regexp_replace({upper}, '[^A-Z0-9 ]+', ' ', 'g')"
    words = f"trim(regexp_replace({spaced}, ' +', ' ', 'g'))"
    return f"regexp_replace({words}, '^THE( |$)', '')"


def full_name_key_sql(column: str) -> str:
    """:func:`full_name_key` as a DuckDB expression, for ASCII text (see :func:`is_ascii_sql`).

    Keys of a whole table or of every distinct payer are computed in one vectorized query
    instead of a Python call each; a property test holds the two forms equal.
    """
    return _cleaned_words_sql(column)


def name_key_sql(column: str) -> str:
    """:func:`name_key` as a DuckDB expression, for ASCII text (see :func:`is_ascii_sql`).

    The trailing run of legal suffixes goes in one non-greedy match; the first word always
    stays, as in the Python loop (``INC LLC`` -> ``INC``).
    """
    suffixes = "|".join(sorted(LEGAL_SUFFIXES))
    return f"regexp_replace({_cleaned_words_sql(column)}, '^(.+?)(?: (?:{suffixes}))+$', '\\1')"


def is_ascii_sql(column: str) -> str:
    """True where the SQL key functions apply; other names go through the Python ones."""
    return f"(strlen({column}) = length({column}))"


def invoice_ref_key(invoice_number: str) -> str:
    """The key an invoice is found by: its longest digit run, else its letters.

    ``INV-104523`` -> ``104523``; ``2026-0042`` -> ``20260042`` (hyphenated numbers keep
    all their digits); ``ABC`` -> ``ABC``.
    """
    text = invoice_number.upper()
    runs = re.findall(r"\d[\d-]*\d|\d", text)
    if not runs:
        return re.sub(r"[^A-Z]", "", text)
    best: str = max(runs, key=lambda r: len(r.replace("-", "")))
    return best.replace("-", "")
