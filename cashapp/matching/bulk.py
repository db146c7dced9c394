"""The set-based half of a match run: evidence for every payment at once, and the certain
applications written in bulk.

Why this exists: a large AR team receives hundreds of thousands of payments a day, and most
of them are easy -- one invoice named, or a known payer paying exactly one open invoice.
Deciding those one by one in Python costs minutes; as joins in DuckDB it costs seconds.
The pure engine (:mod:`cashapp.matching.engine`) stays the reference for every decision;
this module only takes the payments whose decision the engine would make the same way and
that no other payment in the run competes for:

* **certain by reference** -- the first rule is ``reference_exact``; of the invoices the
  remittance names (kinds that rule accepts) exactly one is open, in the payment's currency,
  for exactly the amount paid;
* **certain by customer** -- the remittance names no invoice at all, the methods of the first
  customer rule (``customer_single_invoice``) identify one customer (or a few that share
  the payer's name), and exactly one open invoice of the amount belongs to them.

An invoice two payments of the run could claim is never taken here: both go to the engine,
which decides them in canonical order (so a second payment of the same invoice becomes a
``duplicate_payment``). Everything else -- short, over, discounts, combinations, strangers,
ambiguity -- is the engine's.

Evidence tables the stages leave behind for the engine (temporary, per connection):
``m_ref_hits(payment_id, invoice_number, kind, text, paid, rank)`` and
``m_cust_hits(payment_id, customer_id, method, score, detail)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from cashapp.keys import full_name_key, full_name_key_sql, is_ascii_sql, name_key, name_key_sql
from cashapp.matching.engine import MAX_CANDIDATE_CUSTOMERS, MAX_SUGGESTIONS
from cashapp.matching.names import MIN_TRUNCATED_LENGTH, FuzzyNameIndex
from cashapp.matching.references import Extraction
from cashapp.matching.rules import Rule
from cashapp.money import quantize, sql_amount_text
from cashapp.store import Store


@dataclass(frozen=True, slots=True)
class NameSettings:
    fuzzy_threshold: int
    fuzzy_margin: int


# --- evidence: references ------------------------------------------------------------------


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


# --- evidence: customers -------------------------------------------------------------------


def _keys_table(store: Store, source: str, id_column: str, name_column: str) -> None:
    """``m_keys_<...>``: name key and full name key of each row of ``source``.

    ASCII names (nearly all) are keyed by the vectorized SQL forms, the rest one by one in
    Python; the two agree (see :mod:`cashapp.matching.names`).
    """
    table = f"m_keys_{id_column}"
    store.execute(
        f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {id_column} AS id,"
        f" {name_key_sql(name_column)} AS key, {full_name_key_sql(name_column)} AS full_key"
        f" FROM ({source}) WHERE {is_ascii_sql(name_column)}"
    )
    others = store.fetchall(
        f"SELECT {id_column}, {name_column} FROM ({source}) WHERE NOT {is_ascii_sql(name_column)}"
    )
    if others:
        store.con.register(
            "keyed_in_python",
            pa.table(
                {
                    "id": pa.array([str(r[0]) for r in others], pa.string()),
                    "key": pa.array([name_key(str(r[1])) for r in others], pa.string()),
                    "full_key": pa.array([full_name_key(str(r[1])) for r in others], pa.string()),
                }
            ),
        )
        try:
            store.execute(f"INSERT INTO {table} SELECT * FROM keyed_in_python")
        finally:
            store.release("keyed_in_python")


def _name_hits(store: Store, settings: NameSettings) -> None:
    """``m_name_hits``: customers each distinct undecided payer name identifies.

    Strongest method first, each only where the stronger ones found no one: exact
    normalized name and learned name aliases; a truncated name (NACHA cuts at 16/22
    characters: the payer's full key is a prefix of at most a few customers' full keys);
    the fuzzy index last. The first three are joins over every distinct name at once; only
    the names still unknown after them are scored in Python.
    """
    _keys_table(
        store,
        "SELECT DISTINCT payer_name FROM payments WHERE matched_at IS NULL"
        " AND kind = 'payment' AND amount > 0 AND payer_name <> ''",
        "payer_name",
        "payer_name",
    )
    store.execute("DELETE FROM m_keys_payer_name WHERE key = ''")
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_name_hits AS"
        " SELECT k.id AS payer_name, c.customer_id, 'exact_name' AS method,"
        "  CASE WHEN count(*) OVER (PARTITION BY k.id) = 1 THEN 0.9 ELSE 0.5 END"
        "   ::DECIMAL(5,4) AS score, k.id AS detail"
        " FROM m_keys_payer_name k JOIN customers c ON c.name_key = k.key"
        " UNION ALL"
        " SELECT k.id, a.customer_id, 'alias', 0.85, k.id"
        " FROM m_keys_payer_name k JOIN customer_aliases a ON a.kind = 'name' AND a.value = k.key"
    )
    _keys_table(store, "SELECT customer_id, name FROM customers", "customer_id", "name")
    store.execute(
        "INSERT INTO m_name_hits"
        " WITH payers AS (SELECT id, full_key, length(full_key) AS size FROM m_keys_payer_name"
        f"   WHERE size >= {MIN_TRUNCATED_LENGTH}"
        "    AND id NOT IN (SELECT payer_name FROM m_name_hits)),"
        " sizes AS (SELECT DISTINCT size FROM payers),"
        # every customer's full key cut to each length a payer name has: a prefix test
        # becomes an equality join (a bank's cut name is a prefix of the customer's)
        " cut AS (SELECT c.id AS customer_id, s.size, left(c.full_key, s.size) AS prefix"
        "   FROM m_keys_customer_id c JOIN sizes s ON length(c.full_key) >= s.size),"
        " found AS (SELECT p.id, c.customer_id,"
        "   count(*) OVER (PARTITION BY p.id) AS n"
        "   FROM payers p JOIN cut c ON c.size = p.size AND c.prefix = p.full_key)"
        " SELECT id, customer_id, 'truncated_name',"
        "  CASE WHEN n = 1 THEN 0.85 ELSE 0.5 END, id"
        f" FROM found WHERE n <= {MAX_CANDIDATE_CUSTOMERS}"
    )
    unknown = store.fetchall(
        "SELECT id, key FROM m_keys_payer_name"
        " WHERE id NOT IN (SELECT payer_name FROM m_name_hits) ORDER BY id"
    )
    _fuzzy_hits(store, unknown, settings)
    store.execute("DROP TABLE m_keys_payer_name")
    store.execute("DROP TABLE m_keys_customer_id")


def _fuzzy_hits(store: Store, unknown: Sequence[tuple[str, str]], settings: NameSettings) -> None:
    """Add the fuzzy identifications of the payer names nothing else identified."""
    if not unknown:
        return
    keys = dict(store.fetchall("SELECT customer_id, name_key FROM customers ORDER BY 1"))
    fuzzy = FuzzyNameIndex(keys, threshold=settings.fuzzy_threshold, margin=settings.fuzzy_margin)
    found = [(name, fuzzy.lookup(key)) for name, key in unknown]
    hits = [(name, near) for name, near in found if near is not None]
    store.con.register(
        "fuzzy_hits",
        pa.table(
            {
                "payer_name": pa.array([name for name, _ in hits], pa.string()),
                "customer_id": pa.array([near.customer_id for _, near in hits], pa.string()),
                "score": pa.array([near.score for _, near in hits], pa.int32()),
                "runner_up": pa.array([near.runner_up for _, near in hits], pa.int32()),
            }
        ),
    )
    try:
        store.execute(
            "INSERT INTO m_name_hits"
            " SELECT f.payer_name, f.customer_id, 'fuzzy_name',"
            "  (f.score / 100)::DECIMAL(5,4),"
            "  f.payer_name || ' ~ ' || c.name || ' (similarity ' || f.score"
            "   || ', next best ' || f.runner_up || ')'"
            " FROM fuzzy_hits f JOIN customers c USING (customer_id)"
        )
    finally:
        store.release("fuzzy_hits")


def build_customer_hits(store: Store, settings: NameSettings) -> None:
    """``m_cust_hits``: who each undecided payment may be from, with method and score.

    Learned account fingerprints and customer ids written in the remittance are joins;
    names go through :func:`_name_hits` once per distinct name. A fuzzy guess is dropped
    for a payment that anything stronger already identified.
    """
    _name_hits(store, settings)
    try:
        store.execute(
            "CREATE OR REPLACE TEMP TABLE m_cust_hits AS"
            " WITH todo AS (SELECT payment_id, payer_name, payer_account,"
            "   concat_ws(' ', remittance, array_to_string(refs, ' ')) AS text FROM payments"
            "   WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0),"
            " hits AS ("
            "  SELECT t.payment_id, a.customer_id, 'account' AS method,"
            "   0.99::DECIMAL(5,4) AS score, t.payer_account AS detail"
            "  FROM todo t JOIN customer_aliases a"
            "   ON a.kind = 'account' AND a.value = t.payer_account AND t.payer_account <> ''"
            "  UNION ALL"
            "  SELECT DISTINCT w.payment_id, c.customer_id, 'customer_id', 0.95, w.token"
            "  FROM (SELECT payment_id,"
            "    trim(unnest(string_split_regex(upper(text), '\\s+')), '.,;:()#') AS token"
            "    FROM todo WHERE text <> '') w"
            "  JOIN customers c ON upper(c.customer_id) = w.token"
            "  UNION ALL"
            "  SELECT t.payment_id, n.customer_id, n.method, n.score, n.detail"
            "  FROM todo t JOIN m_name_hits n USING (payer_name))"
            " SELECT * FROM hits"
            " QUALIFY method <> 'fuzzy_name'"
            "  OR count(*) FILTER (WHERE method <> 'fuzzy_name')"
            "     OVER (PARTITION BY payment_id) = 0"
        )
    finally:
        store.execute("DROP TABLE IF EXISTS m_name_hits")


# --- the certain applications ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkResult:
    applied: int
    amount_applied: dict[str, Decimal]


def _customer_rule(rules: Sequence[Rule]) -> Rule | None:
    """The single-invoice customer rule, if no other rule can pre-empt it without references.

    Reference rules cannot fire for a payment that names no invoice, and
    ``customer_combination`` refuses when a single invoice fits; anything else before it
    (a team's own ordering) disables the bulk path for customers.
    """
    for rule in rules:
        if rule.primitive == "customer_single_invoice":
            return rule
        if not (
            rule.primitive.startswith("reference_") or rule.primitive == "customer_combination"
        ):
            return None
    return None


def apply_certain(store: Store, rules: Sequence[Rule], run_id: str, now: Any) -> BulkResult:
    """Write the applications the engine would make anyway, set-based; see the module note."""
    reference_rule = rules[0] if rules and rules[0].primitive == "reference_exact" else None
    customer_rule = _customer_rule(rules)
    if reference_rule is None and customer_rule is None:
        return BulkResult(0, {})
    parts = []
    params: list[Any] = []
    if reference_rule is not None:
        parts.append(
            "SELECT p.payment_id, p.amount, p.currency, i.invoice_number, i.customer_id,"
            "  ? AS rule, ?::DECIMAL(5,4) AS confidence, 'reference' AS via"
            " FROM todo p"
            " JOIN (SELECT h.payment_id, any_value(h.invoice_number) AS invoice_number"
            "       FROM m_ref_hits h JOIN invoices i USING (invoice_number)"
            "       WHERE h.kind IN (SELECT unnest(?::VARCHAR[])) AND i.open_amount > 0"
            "       GROUP BY h.payment_id HAVING count(*) = 1) r USING (payment_id)"
            " JOIN invoices i ON i.invoice_number = r.invoice_number"
            " WHERE i.currency = p.currency AND i.open_amount = p.amount"
        )
        params += [reference_rule.id, reference_rule.confidence, list(reference_rule.references)]
    if customer_rule is not None:
        parts.append(
            "SELECT p.payment_id, p.amount, p.currency, i.invoice_number, i.customer_id,"
            "  ?, ?::DECIMAL(5,4), 'customer'"
            " FROM todo p"
            " JOIN (SELECT DISTINCT payment_id, customer_id FROM m_cust_hits"
            "       WHERE method IN (SELECT unnest(?::VARCHAR[]))"
            "         AND payment_id IN (SELECT payment_id FROM m_cust_hits GROUP BY payment_id"
            "           HAVING count(DISTINCT customer_id) <= ?)) c"
            "   USING (payment_id)"
            " JOIN invoices i ON i.customer_id = c.customer_id AND i.currency = p.currency"
            "  AND i.open_amount > 0 AND abs(i.open_amount - p.amount) <= ?"
            " WHERE p.payment_id NOT IN (SELECT payment_id FROM m_ref_hits)"
            " QUALIFY count(*) OVER (PARTITION BY p.payment_id) = 1"
        )
        params += [
            customer_rule.id,
            customer_rule.confidence,
            list(customer_rule.identify),
            MAX_CANDIDATE_CUSTOMERS,
            customer_rule.tolerance,
        ]
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_certain AS"
        " WITH todo AS (SELECT payment_id, amount, currency FROM payments"
        "   WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0),"
        f" claims AS ({' UNION ALL '.join(parts)}),"
        # an invoice any other undecided payment names or claims is contested: engine's
        " contested AS (SELECT invoice_number FROM ("
        "   SELECT payment_id, invoice_number FROM claims"
        "   UNION SELECT payment_id, invoice_number FROM m_ref_hits)"  # UNION: pairs once
        "  GROUP BY invoice_number HAVING count(*) > 1)"
        " SELECT * FROM claims"
        " WHERE invoice_number NOT IN (SELECT invoice_number FROM contested)",
        params,
    )
    _write_certain(store, run_id, now)
    totals = store.fetchall("SELECT currency, sum(amount), count(*) FROM m_certain GROUP BY 1")
    return BulkResult(
        sum(int(n) for _, _, n in totals),
        # a run's total is reported, never stored: it may pass DECIMAL(18,4) (issue 10)
        {str(c): quantize(Decimal(a), str(c), exact=False, bounded=False) for c, a, _ in totals},
    )


_REF_T = "STRUCT(invoice VARCHAR, kind VARCHAR, text VARCHAR)[]"
_CUST_T = "STRUCT(customer_id VARCHAR, method VARCHAR, detail VARCHAR)[]"

# The engine's evidence shape ({"references": [...], "customer": [...]}), built from
# structs: to_json of a struct is vectorized, json_object per row is not.
_EVIDENCE_FIELDS = f"""
  'references': coalesce(r.refs, []::{_REF_T}),
  'customer': CASE WHEN m.via = 'reference' AND c.custs IS NULL
                   THEN [{{'customer_id': m.customer_id, 'method': 'reference',
                          'detail': ''}}]::{_CUST_T}
                   ELSE coalesce(c.custs, []::{_CUST_T}) END
"""

_EVIDENCE = f"""
CASE WHEN m.via = 'customer'
     THEN to_json({{{_EVIDENCE_FIELDS}, 'amount': 'equals the open amount'}})
     ELSE to_json({{{_EVIDENCE_FIELDS}}}) END::VARCHAR
"""

# m_ref_hits holds one row per (payment, invoice): the reference evidence is that row.
# Customer hits are mostly one per payment: those need no sorted list aggregation, which
# is the expensive part at a million payments.
_EVIDENCE_JOINS = """
LEFT JOIN (SELECT h.payment_id, h.invoice_number,
                  [{'invoice': h.invoice_number, 'kind': h.kind, 'text': h.text}] AS refs
           FROM m_ref_hits h JOIN m_certain USING (payment_id, invoice_number)) r
  USING (payment_id, invoice_number)
LEFT JOIN (SELECT payment_id, custs FROM (
             SELECT c.payment_id, count(*) AS n,
                    [any_value({'customer_id': c.customer_id, 'method': c.method,
                                'detail': c.detail})] AS custs
             FROM m_cust_hits c JOIN m_certain USING (payment_id) GROUP BY c.payment_id)
           WHERE n = 1
           UNION ALL
           SELECT c.payment_id,
                  list({'customer_id': c.customer_id, 'method': c.method, 'detail': c.detail}
                       ORDER BY c.score DESC, c.customer_id) AS custs
           FROM m_cust_hits c JOIN m_certain USING (payment_id)
           WHERE c.payment_id IN (SELECT payment_id FROM m_cust_hits
                                  GROUP BY payment_id HAVING count(*) > 1)
           GROUP BY c.payment_id) c USING (payment_id)
"""


def _write_certain(store: Store, run_id: str, now: Any) -> None:
    """Applications, invoice open amounts, payment status and audit rows for ``m_certain``."""
    # ids as the engine makes them: a payment applied again (a won dispute) adds the number
    # of its earlier application rows, so its old rows keep theirs
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_certain AS"
        " SELECT m.*, 'app_' || substr(sha256(CASE WHEN g.n IS NULL"
        "   THEN concat_ws(chr(31), m.payment_id, '0', m.invoice_number, 'payment')"
        "   ELSE concat_ws(chr(31), m.payment_id, '0', m.invoice_number, 'payment',"
        "    g.n::VARCHAR) END), 1, 20) AS application_id"
        " FROM m_certain m"
        " LEFT JOIN (SELECT payment_id, count(*) AS n FROM applications"
        "   WHERE payment_id IN (SELECT payment_id FROM m_certain) GROUP BY payment_id) g"
        "  USING (payment_id)"
    )
    store.execute(
        "INSERT INTO applications (application_id, payment_id, invoice_number, customer_id,"
        " amount, currency, kind, method, rule, confidence, evidence, status, created_at,"
        " created_by, run_id)"
        " SELECT m.application_id, m.payment_id, m.invoice_number, m.customer_id, m.amount,"
        "  m.currency, 'payment', 'auto', m.rule, m.confidence,"
        f"  {_EVIDENCE},"
        f"  'active', ?, 'system:matcher', ? FROM m_certain m {_EVIDENCE_JOINS}",
        [now, run_id],
    )
    store.execute(
        "UPDATE invoices SET open_amount = invoices.open_amount - m.amount, updated_at = ?"
        " FROM m_certain m WHERE invoices.invoice_number = m.invoice_number",
        [now],
    )
    # customer_id stays on the application: rewriting a varying string column of the wide
    # payments table costs ~100 us a row in DuckDB 1.x/2.0 (measured: 9 s for 86k rows),
    # constant columns cost nothing. v_payments reads the customer from the application.
    store.execute(
        "UPDATE payments SET status = 'applied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_certain)",
        [now, run_id],
    )
    # to_json of a struct is vectorized (json_object per row is not); the text is the same
    store.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
        " SELECT ?, 'rule:' || rule, 'apply', 'application', application_id,"
        "  to_json({'payment': payment_id, 'invoice': invoice_number,"
        "           'amount': amount::VARCHAR, 'kind': 'payment'})::VARCHAR"
        " FROM m_certain",
        [now],
    )


_UNIDENTIFIED_DETAIL = (
    "CASE WHEN s.payer_name = '' THEN 'payer without a name'"
    " ELSE concat('payer ', chr(39), s.payer_name, chr(39)) END"
    " || ' is not a known customer and no invoice is named'"
)


def queue_strangers(store: Store, run_id: str, now: Any) -> int:
    """Queue every undecided payment nothing points at as ``unidentified``, set-based.

    No invoice named and no customer identified: no rule can apply it, so this is what
    :func:`engine.unidentified` decides, written in bulk with the same exception id,
    detail and suggestions (the invoices open for exactly the amount: of the ten due
    first, the five lowest numbers, each a 0.40 hint). Payer names with a quote or a
    backslash are left to the engine, whose detail quotes names the Python way.
    Returns how many were queued.
    """
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_strangers AS"
        " SELECT payment_id, amount, currency, payer_name FROM payments p"
        " WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "  AND NOT contains(payer_name, chr(39)) AND NOT contains(payer_name, chr(92))"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_ref_hits)"
        "  AND payment_id NOT IN (SELECT payment_id FROM m_cust_hits)"
    )
    amount = sql_amount_text("i.open_amount", "i.currency")
    store.execute(
        "INSERT INTO exceptions (exception_id, payment_id, invoice_number, customer_id,"
        " type, status, amount, currency, reason_code, detail, suggestions, opened_at,"
        " run_id)"
        " SELECT 'exc_' || substr(sha256(concat_ws(chr(31), s.payment_id, 'unidentified',"
        "   '')), 1, 20), s.payment_id, NULL, NULL, 'unidentified', 'open', s.amount,"
        f"  s.currency, '', {_UNIDENTIFIED_DETAIL},"
        "  coalesce(g.suggestions, '[]'), ?, ?"
        " FROM m_strangers s LEFT JOIN ("
        "  SELECT payment_id, to_json(list({'invoices': [invoice_number],"
        "    'amount': amount_text, 'score': '0.40',"
        "    'evidence': 'open amount equals payment (customer ' || customer_id || ')'}"
        "    ORDER BY invoice_number))::VARCHAR AS suggestions"
        "  FROM (SELECT * FROM (SELECT s.payment_id, i.invoice_number, i.customer_id,"
        f"     {amount} AS amount_text, i.due_date"
        "    FROM m_strangers s JOIN invoices i"
        "     ON i.currency = s.currency AND i.open_amount = s.amount"
        "    QUALIFY row_number() OVER (PARTITION BY s.payment_id"
        "      ORDER BY i.due_date, i.invoice_number) <= 10)"
        "   QUALIFY row_number() OVER (PARTITION BY payment_id"
        "     ORDER BY invoice_number) <= 5)"
        "  GROUP BY payment_id"
        " ) g USING (payment_id)",
        [now, run_id],
    )
    store.execute(
        "UPDATE payments SET status = 'unapplied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_strangers)",
        [now, run_id],
    )
    store.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
        " SELECT ?, 'system:matcher', 'raise', 'exception', e.exception_id,"
        "  json_object('payment', e.payment_id, 'type', e.type, 'amount', e.amount::VARCHAR)"
        " FROM exceptions e JOIN m_strangers USING (payment_id) WHERE e.run_id = ?",
        [now, run_id],
    )
    return int(store.scalar("SELECT count(*) FROM m_strangers"))


#: The primitives whose behaviour :func:`queue_crowds` relies on: a team rule of another
#: kind turns the bulk path off.
_CROWD_SAFE_PRIMITIVES = frozenset(
    {
        "reference_exact", "reference_discount", "reference_writeoff", "reference_duplicate",
        "reference_over", "reference_short", "customer_single_invoice", "customer_combination",
    }
)  # fmt: skip

#: A "nearest open amount" hint's score in hundredths, as the engine's
#: ``quantize(0.5 * (1 - min(|open - paid| / max(paid, 1), 1)))`` rounds it (half even),
#: in exact integers of ten-thousandths: N = 50 (A - min(D, A)), score = N / A rounded.
_NEAREST_HUNDREDTHS = (
    "(N // A + CASE WHEN 2 * (N % A) > A THEN 1 WHEN 2 * (N % A) = A THEN (N // A) % 2 ELSE 0 END)"
)


def queue_crowds(store: Store, rules: Sequence[Rule], run_id: str, now: Any) -> int:
    """Queue as ``ambiguous`` every payment whose payer name fits a crowd of customers.

    A payment that names no invoice and whose payer more than
    :data:`~cashapp.matching.engine.MAX_CANDIDATE_CUSTOMERS` customers could be (a name
    many customers share) can be applied by no rule: the reference rules need a reference,
    ``customer_single_invoice`` refuses a crowd, and ``customer_combination`` needs exactly
    one customer among the methods it accepts (checked here per rule). The engine would
    raise ``ambiguous`` with the hints of its ``_suggest``: for each of the five strongest
    candidates, its open invoices of exactly the amount (0.75) and its three nearest open
    amounts (0.5 x closeness), the best five overall. That decision is written here in
    bulk, with the same exception id, detail and suggestions; like the strangers', the
    hints reflect the book before the engine's own decisions of the run. Returns how many
    were queued.
    """
    if any(rule.primitive not in _CROWD_SAFE_PRIMITIVES for rule in rules):
        return 0
    one_customer_rules = "".join(
        " AND count(DISTINCT customer_id) FILTER (WHERE method IN ("
        + ", ".join(f"'{method}'" for method in rule.identify)
        + ")) <> 1"
        for rule in rules
        if rule.primitive == "customer_combination"
    )
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowds AS"
        # the undecided first: most payments with customer evidence are applied already
        " WITH todo AS (SELECT payment_id, amount, currency FROM payments"
        "  WHERE matched_at IS NULL AND kind = 'payment' AND amount > 0"
        "   AND payment_id NOT IN (SELECT payment_id FROM m_ref_hits))"
        " SELECT t.payment_id, t.amount, t.currency, c.candidates FROM todo t JOIN ("
        "  SELECT payment_id, string_agg(DISTINCT customer_id, ', ' ORDER BY customer_id)"
        "   AS candidates FROM m_cust_hits SEMI JOIN todo USING (payment_id)"
        "  GROUP BY payment_id"
        f"  HAVING count(DISTINCT customer_id) > {MAX_CANDIDATE_CUSTOMERS}{one_customer_rules}"
        " ) c USING (payment_id)"
    )
    amount = sql_amount_text("open_amount", "currency")  # for the five kept, not every row
    store.execute(
        "CREATE OR REPLACE TEMP TABLE m_crowd_hints AS"
        # each candidate's best hit (of equal scores the engine keeps the first, which the
        # evidence order puts at the smallest method), then the five strongest candidates
        " WITH best AS (SELECT h.payment_id, h.customer_id, h.method, h.score"
        "   FROM m_cust_hits h SEMI JOIN m_crowds USING (payment_id)"
        "   QUALIFY row_number() OVER (PARTITION BY h.payment_id, h.customer_id"
        "     ORDER BY h.score DESC, h.method) = 1),"
        " strongest AS (SELECT * FROM best QUALIFY row_number() OVER ("
        "   PARTITION BY payment_id ORDER BY score DESC, customer_id)"
        f"   <= {MAX_CANDIDATE_CUSTOMERS}),"
        " open AS (SELECT s.payment_id, s.customer_id, s.method, i.invoice_number, i.due_date,"
        "   i.open_amount, i.currency, i.open_amount = c.amount AS exact,"
        "   abs(i.open_amount - c.amount) AS diff,"
        "   CAST(greatest(c.amount, 1) * 10000 AS HUGEINT) AS A,"
        "   50 * (A - least(CAST(diff * 10000 AS HUGEINT), A)) AS N"
        "   FROM strongest s JOIN m_crowds c USING (payment_id)"
        "   JOIN invoices i ON i.customer_id = s.customer_id AND i.currency = c.currency"
        "    AND i.open_amount > 0),"
        " hints AS ("
        "  SELECT payment_id, invoice_number, open_amount, currency, 75 AS score,"
        "   'payer identified by ' || method || '; open amount equals payment' AS evidence"
        "  FROM open WHERE exact"
        "  UNION ALL"
        f"  SELECT payment_id, invoice_number, open_amount, currency, {_NEAREST_HUNDREDTHS},"
        "   'payer identified by ' || method || '; nearest open amount'"
        "  FROM open QUALIFY row_number() OVER (PARTITION BY payment_id, customer_id"
        "   ORDER BY diff, due_date, invoice_number) <= 3),"
        # one hint per invoice (its best), the best five per payment
        " ranked AS (SELECT * FROM (SELECT * FROM hints QUALIFY row_number() OVER ("
        "   PARTITION BY payment_id, invoice_number ORDER BY score DESC) = 1)"
        f"  QUALIFY row_number() OVER (PARTITION BY payment_id"
        f"   ORDER BY score DESC, invoice_number) <= {MAX_SUGGESTIONS})"
        " SELECT payment_id, to_json(list({'invoices': [invoice_number],"
        f"   'amount': {amount},"
        "   'score': '0.' || lpad(score::VARCHAR, 2, '0'), 'evidence': evidence}"
        "  ORDER BY score DESC, invoice_number))::VARCHAR AS suggestions"
        " FROM ranked GROUP BY payment_id"
    )
    store.execute(
        "INSERT INTO exceptions (exception_id, payment_id, invoice_number, customer_id,"
        " type, status, amount, currency, reason_code, detail, suggestions, opened_at,"
        " run_id)"
        " SELECT 'exc_' || substr(sha256(concat_ws(chr(31), c.payment_id, 'ambiguous',"
        "   '')), 1, 20), c.payment_id, NULL, NULL, 'ambiguous', 'open', c.amount,"
        "  c.currency, '', 'payer could be any of ' || c.candidates,"
        "  coalesce(h.suggestions, '[]'), ?, ?"
        " FROM m_crowds c LEFT JOIN m_crowd_hints h USING (payment_id)",
        [now, run_id],
    )
    store.execute(
        "UPDATE payments SET status = 'unapplied', matched_at = ?, match_run_id = ?"
        " WHERE payment_id IN (SELECT payment_id FROM m_crowds)",
        [now, run_id],
    )
    store.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, detail)"
        " SELECT ?, 'system:matcher', 'raise', 'exception', e.exception_id,"
        "  to_json({'payment': e.payment_id, 'type': e.type,"
        "           'amount': e.amount::VARCHAR})::VARCHAR"
        " FROM exceptions e JOIN m_crowds USING (payment_id) WHERE e.run_id = ?",
        [now, run_id],
    )
    queued = int(store.scalar("SELECT count(*) FROM m_crowds"))
    store.execute("DROP TABLE m_crowd_hints")
    store.execute("DROP TABLE m_crowds")
    return queued


def hits_for_engine(
    store: Store,
) -> tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]]:
    """Reference and customer evidence of the payments still undecided, for the engine."""
    refs: dict[str, list[tuple[Any, ...]]] = {}
    for pid, *rest in store.fetchall(
        "SELECT h.payment_id, h.invoice_number, h.kind, h.text, h.paid FROM m_ref_hits h"
        " JOIN payments p USING (payment_id) WHERE p.matched_at IS NULL"
        " ORDER BY h.payment_id, h.rank"
    ):
        refs.setdefault(pid, []).append(tuple(rest))
    customers: dict[str, list[tuple[Any, ...]]] = {}
    for pid, *rest in store.fetchall(
        "SELECT c.payment_id, c.customer_id, c.method, c.score, c.detail FROM m_cust_hits c"
        " JOIN payments p USING (payment_id) WHERE p.matched_at IS NULL"
        " ORDER BY c.payment_id, c.score DESC, c.customer_id, c.method"
    ):
        customers.setdefault(pid, []).append(tuple(rest))
    return refs, customers


def drop_evidence(store: Store) -> None:
    for table in ("m_ref_hits", "m_cust_hits", "m_certain", "m_strangers"):
        store.execute(f"DROP TABLE IF EXISTS {table}")


__all__ = [
    "BulkResult",
    "NameSettings",
    "apply_certain",
    "build_customer_hits",
    "build_reference_hits",
    "drop_evidence",
    "hits_for_engine",
    "queue_crowds",
    "start_reference_hits",
]
