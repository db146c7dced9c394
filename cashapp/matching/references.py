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

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from cashapp.keys import invoice_ref_key

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


@functools.lru_cache(maxsize=64)
def compile_patterns(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    """A team's ``[matching] reference_patterns``, compiled once per process."""
    return tuple(re.compile(p, re.IGNORECASE) for p in patterns)


def extract_references(text: str, patterns: tuple[str, ...] = ()) -> list[Reference]:  # noqa: C901 - one branch per reference shape, in precedence order
    """All invoice/PO candidates in ``text``, in order, without repeats.

    ``patterns`` are the team's own shapes (one capture group: the invoice number); what
    they capture counts as an invoice reference and comes first.
    """
    out: list[Reference] = []
    seen: set[tuple[str, str]] = set()
    for pattern in compile_patterns(patterns):
        for found in pattern.finditer(text):
            own_key = invoice_ref_key(found.group(1) or "")
            if own_key and ("invoice", own_key) not in seen:
                seen.add(("invoice", own_key))
                out.append(Reference("invoice", own_key, found.group(0).strip()))
    upper = _AMOUNTS.sub(" ", _DATES.sub(" ", text.upper()))
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


Flat = tuple[list[int], list[str], list[str], list[str]]  # counts, kinds, keys, texts


def extract_flat(texts: list[str], patterns: tuple[str, ...] = ()) -> Flat:
    """:func:`extract_references` over many texts as four flat lists (cheap to pickle):
    how many references each text has, then every reference's kind, key and text."""
    counts: list[int] = []
    kinds: list[str] = []
    keys: list[str] = []
    found: list[str] = []
    for text in texts:
        refs = extract_references(text, patterns)
        counts.append(len(refs))
        for ref in refs:
            kinds.append(ref.kind)
            keys.append(ref.key)
            found.append(ref.text)
    return counts, kinds, keys, found


#: Below this many texts a worker process costs more than it saves (spawn ~0.3 s).
PARALLEL_MIN_TEXTS = 50_000


class Extraction:
    """References of many texts, extracted in a worker process while the caller works on.

    The extractor is pure Python (~7 us per typical remittance): for a million payments
    that is seconds the match run can overlap with its own next stage (identifying the
    payers) on a second core (:mod:`cashapp.workers`).
    Small inputs are extracted in-process, at once.
    """

    def __init__(self, texts: list[str], patterns: tuple[str, ...] = ()) -> None:
        from cashapp.workers import available_cpus, worker_context

        self._futures: list[Any] = []
        self._pool: Any = None
        self._done: Flat | None = None
        # one worker per core even though the caller works on meanwhile: measured on 2
        # cores, 2 workers beat 1 by ~4 s on a million payments (the caller's stage is
        # partly DuckDB waiting, and the extraction is the longer of the two)
        workers = available_cpus()
        if len(texts) < PARALLEL_MIN_TEXTS or workers < 2:
            self._done = extract_flat(texts, patterns)
            return
        from concurrent.futures import ProcessPoolExecutor

        self._pool = ProcessPoolExecutor(max_workers=workers, mp_context=worker_context())
        size = -(-len(texts) // (workers * 4))
        self._futures = [
            self._pool.submit(extract_flat, texts[i : i + size], patterns)
            for i in range(0, len(texts), size)
        ]

    def close(self) -> None:
        """Stop the workers without waiting: the caller failed and will not collect."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    def result(self) -> Flat:
        """Wait for the workers; the lists cover the texts in the order given."""
        if self._done is not None:
            return self._done
        counts: list[int] = []
        kinds: list[str] = []
        keys: list[str] = []
        found: list[str] = []
        try:
            for future in self._futures:
                part = future.result()
                counts += part[0]
                kinds += part[1]
                keys += part[2]
                found += part[3]
        finally:
            self._pool.shutdown(cancel_futures=True)
        self._done = (counts, kinds, keys, found)
        return self._done
