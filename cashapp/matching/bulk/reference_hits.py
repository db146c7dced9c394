"""Reference evidence, set-based: ``m_ref_hits``, every invoice each undecided payment names.

Why a module of its own: the reference extractor is pure Python (its list and label logic
does not fit a regular expression), so it runs once per distinct remittance text, in
workers for large runs (:class:`~cashapp.matching.references.Extraction`), started before
the payers are identified and collected after; only the joins to the book run in DuckDB.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from cashapp.matching.references import Extraction
from cashapp.store import Store


@dataclass(slots=True)
class PendingReferences:
    """Remittance texts handed to the extractor, and which payments carry each."""

    payment_ids: list[list[str]]
    extraction: Extraction


def start_reference_hits(store: Store, patterns: tuple[str, ...] = ()) -> PendingReferences:
    """Start extracting references from the undecided payments' remittance texts.

    Only texts that can name a known invoice or PO are worth the Python extractor. Its
    keys are digit runs of 4+ (or hyphen-joined runs: those texts always go through), so
    a text none of whose runs is a key of the book cannot produce a hit. A team's own
    ``patterns`` may capture a part of a longer run, so with patterns every text goes
    through. The extraction runs in workers for large runs; :func:`build_reference_hits`
    collects it.
    """
    prefilter = (
        "SELECT payment_ids, text FROM texts WHERE regexp_matches(text, '\\d-\\d')"
        "  OR text IN (SELECT text FROM runs JOIN book_keys ON run = k)"
        if not patterns
        else "SELECT payment_ids, text FROM texts"
    )
    digits = "regexp_matches(text, '\\d{4}')" if not patterns else "text <> ''"
    rows = store.fetchall(
        "WITH texts AS (SELECT list(payment_id) AS payment_ids, text FROM ("
        "   SELECT payment_id, concat_ws(' ', remittance, array_to_string(refs, ' ')) AS text"
        "   FROM payments WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0)"
        f"  WHERE {digits} GROUP BY text),"
        " book_keys AS (SELECT ref_key AS k FROM invoices"
        "  UNION SELECT regexp_replace(po_number, '[^0-9]', '', 'g') FROM invoices"
        "   WHERE po_number <> ''),"
        " runs AS (SELECT text, unnest(regexp_extract_all(text, '\\d{4,}')) AS run"
        "  FROM texts WHERE NOT regexp_matches(text, '\\d-\\d'))"
        f" {prefilter} ORDER BY text"
    )
    texts = [r[1] for r in rows]
    return PendingReferences([r[0] for r in rows], Extraction(texts, patterns))


def build_reference_hits(store: Store, pending: PendingReferences) -> None:
    """``m_ref_hits``: every invoice each undecided payment's remittance points at.

    Tokens come from the extractor once per distinct text (its list and label logic
    does not fit a regular expression) and are joined to the book in DuckDB.
    """
    counts, token_kinds, token_keys, token_texts = pending.extraction.result()
    pids: list[str] = []
    kinds: list[str] = []
    keys: list[str] = []
    texts: list[str] = []
    at = 0
    for payment_ids, count in zip(pending.payment_ids, counts, strict=True):
        if count:
            for pid in payment_ids:
                pids += [pid] * count
                kinds += token_kinds[at : at + count]
                keys += token_keys[at : at + count]
                texts += token_texts[at : at + count]
        at += count
    tokens = pa.table({"payment_id": pids, "kind": kinds, "key": keys, "text": texts})
    store.con.register("ref_tokens", tokens)
    try:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE m_ref_hits AS"
            " SELECT payment_id, invoice_number, kind, text, paid,"
            "  row_number() OVER (PARTITION BY payment_id ORDER BY rank, invoice_number) AS rank"
            " FROM ("
            "  SELECT DISTINCT ON (payment_id, invoice_number) * FROM ("
            "   SELECT t.payment_id, i.invoice_number, t.kind, t.text, NULL::DECIMAL(18,4) AS paid,"
            "    CASE t.kind WHEN 'invoice' THEN 1 ELSE 3 END AS rank"
            "   FROM ref_tokens t JOIN invoices i ON i.ref_key = t.key"
            "   WHERE t.kind IN ('invoice', 'bare')"
            "   UNION ALL"
            "   SELECT t.payment_id, i.invoice_number, 'po', t.text, NULL, 2"
            "   FROM ref_tokens t JOIN invoices i"
            "    ON t.kind = 'po' AND i.po_number <> ''"
            "    AND t.key IN (regexp_replace(upper(i.po_number), '[^0-9A-Z]', '', 'g'),"
            "                  regexp_replace(i.po_number, '[^0-9]', '', 'g'))"
            "   UNION ALL"
            "   SELECT l.payment_id, i.invoice_number, 'structured',"
            "    l.qualifier || ' ' || l.reference, l.paid, 0"
            "   FROM remittance_lines l JOIN payments p USING (payment_id) JOIN invoices i"
            "    ON i.ref_key = regexp_replace(upper(l.reference), '[^0-9]', '', 'g')"
            "    OR i.invoice_number = l.reference"
            "   WHERE p.matched_at IS NULL"
            "  ) ORDER BY payment_id, invoice_number, rank, text"
            " )"
        )
    finally:
        store.release("ref_tokens")
