"""Invoice references in remittance text, in the shapes people really write them.

Customers write invoice ``INV-104523`` as ``INV-104523``, ``INV104523``, ``INV 104523``,
``inv-104523``, ``#104523``, ``Invoice 104523``, ``Inv. No. 104523`` or a bare
``104523``, several per line (``INV 1001, 1002 & 1003``). Both sides are reduced to a
*reference key*: the invoice number's significant digit run (``104523``), or for a number
without digits its upper-case letters. A token only becomes a candidate when the key
exists as an open or paid invoice in the book and is then confirmed by amount or
customer, so a bare number that happens to be a date or an amount costs nothing.

What is never an invoice reference: numbers labelled as PO / order (they resolve through
the invoice's ``po_number`` instead), dates (``2026-11-23``, ``11/23/2026``), amounts
(``1,234.56``), and digit runs shorter than :data:`MIN_DIGITS`.

Worked example::

    >>> [(r.kind, r.key) for r in extract_references("PMT INV 1001, 1002 PO 5566 11/02/2026")]
    [('invoice', '1001'), ('invoice', '1002'), ('po', '5566')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

MIN_DIGITS = 4

RefKind = Literal["invoice", "po", "bare"]

# Dates and amounts are blanked out before looking for numbers.
_DATES = re.compile(r"\b(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b")
_AMOUNTS = re.compile(r"(?<![\w.])[$€£]?\d{1,3}(?:,\d{3})+(?:\.\d{2})?\b|\b\d+\.\d{2}\b")
_LABEL = (
    r"(?P<label>INVOICES?|INVS?|IN|NO|NR|NUM|NUMBER|REF|RE|BILL"
    r"|PO|P\s?O|PURCHASE\s+ORDER|ORDER|ORD)"
)
_TOKEN = re.compile(
    rf"(?:\b{_LABEL}\b\.?\s*(?:NO\.?|NR\.?|#|:|-)?\s*|(?P<hash>#)\s*)?"
    r"(?P<prefix>[A-Z]{1,4}[-/]?)?(?P<number>\d[\d-]*\d|\d)"
)
_PO_LABELS = {"PO", "P O", "PURCHASE ORDER", "ORDER", "ORD"}
_INVOICE_LABELS = {"INVOICE", "INVOICES", "INV", "INVS", "IN", "BILL"}


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference found in remittance: what it is labelled as, and its key."""

    kind: RefKind
    key: str
    text: str


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


def extract_references(text: str) -> list[Reference]:
    """All invoice/PO candidates in ``text``, in order, without repeats."""
    upper = _AMOUNTS.sub(" ", _DATES.sub(" ", text.upper()))
    out: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    carry: RefKind | None = None  # "INV 1001, 1002": the label carries over a list
    last_end = 0
    for match in _TOKEN.finditer(upper):
        number = match["number"].replace("-", "")
        if len(number) < MIN_DIGITS:
            carry = None
            continue
        label = " ".join((match["label"] or "").split())
        between = upper[last_end : match.start()]
        if label:
            kind: RefKind = "po" if label in _PO_LABELS else "invoice"
            if label not in _PO_LABELS | _INVOICE_LABELS:
                kind = "bare"
            carry = kind
        elif match["hash"] or (match["prefix"] or "").rstrip("-/") in {"INV", "IN", "I"}:
            kind = "invoice"
            carry = kind
        elif carry is not None and re.fullmatch(r"[\s,;&/+]*(?:AND)?[\s,;&/+]*", between):
            kind = carry
        else:
            kind = "bare"
            carry = None
        last_end = match.end()
        key = (kind, number)
        if key not in seen:
            seen.add(key)
            out.append(Reference(kind, number, match.group(0).strip()))
    return out


Token = tuple[str, str, str]  # (kind, key, text) of a Reference, cheap to pickle


def extract_tokens(texts: list[str]) -> list[list[Token]]:
    """:func:`extract_references` over many texts, as plain tuples (a worker's unit)."""
    return [[(r.kind, r.key, r.text) for r in extract_references(t)] for t in texts]


#: Below this many texts a process pool costs more than it saves (spawn ~0.3 s).
PARALLEL_MIN_TEXTS = 100_000


def extract_tokens_parallel(texts: list[str], workers: int | None = None) -> list[list[Token]]:
    """:func:`extract_tokens` on all cores for large inputs; same result, same order.

    The extractor is pure Python (~7 us per typical remittance), so a million texts take
    seconds on one core; spawned worker processes (never forked: the caller holds a
    DuckDB connection) split the list in order-preserving chunks.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    count = workers or min(os.cpu_count() or 1, 4)
    if count < 2 or len(texts) < PARALLEL_MIN_TEXTS:
        return extract_tokens(texts)
    size = -(-len(texts) // (count * 4))
    chunks = [texts[i : i + size] for i in range(0, len(texts), size)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=count, mp_context=context) as pool:
        return [tokens for part in pool.map(extract_tokens, chunks) for tokens in part]
