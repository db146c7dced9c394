"""Payer identification, set-based: ``m_cust_hits``, who each undecided payment may be from.

Why a module of its own: identification is the largest part of a run's SQL. Learned
account fingerprints and customer ids in the remittance are joins; payer names are keyed
once per distinct name (ASCII names by the SQL forms of the name keys, the rest in
Python) and matched strongest method first -- exact key and learned alias, a bank's
truncated name as a prefix join, the fuzzy index last and only for names nothing else
identified (:mod:`cashapp.keys`, :mod:`cashapp.matching.names`). An alias a person
taught names them in the hit's detail (:func:`cashapp.matching.learning.learned_note`):
both paths read the evidence from these rows, so both say who taught it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from cashapp.keys import full_name_key, full_name_key_sql, is_ascii_sql, name_key, name_key_sql
from cashapp.matching.book import MAX_CANDIDATE_CUSTOMERS
from cashapp.matching.learning import learned_note_sql
from cashapp.matching.names import MIN_TRUNCATED_LENGTH, FuzzyNameIndex
from cashapp.store import Store


@dataclass(frozen=True, slots=True)
class NameSettings:
    fuzzy_threshold: int
    fuzzy_margin: int


def _keys_table(store: Store, source: str, id_column: str, name_column: str) -> None:
    """``m_keys_<...>``: name key and full name key of each row of ``source``.

    ASCII names (nearly all) are keyed by the vectorized SQL forms, the rest one by one in
    Python; the two agree (see :mod:`cashapp.keys`).
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
        f" SELECT k.id, a.customer_id, 'alias', 0.85, k.id || {learned_note_sql('a')}"
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
            "   0.99::DECIMAL(5,4) AS score,"
            f"  t.payer_account || {learned_note_sql('a')} AS detail"
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
