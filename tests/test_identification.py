"""Who paid: fuzzy names with blocking and a tie guard, and learned account fingerprints."""

from __future__ import annotations

import functools
import string
from datetime import date, timedelta
from decimal import Decimal

import duckdb
import pyarrow as pa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cashapp.config import Config
from cashapp.domain import PaymentRecord, stable_key
from cashapp.ingest.write import write_result
from cashapp.keys import (
    LEGAL_SUFFIXES,
    full_name_key,
    full_name_key_sql,
    is_ascii_sql,
    name_key,
    name_key_sql,
)
from cashapp.matching.bulk import NameSettings, build_customer_hits
from cashapp.matching.engine import MAX_CANDIDATE_CUSTOMERS
from cashapp.matching.names import FuzzyNameIndex, TruncatedNameIndex
from cashapp.matching.pipeline import run_match
from cashapp.store import Store, open_store, utcnow
from connectors.base import ExtractResult

DAY = date(2026, 11, 20)
CUSTOMERS = {
    "C1": "Acme Plumbing Supply Inc",
    "C2": "Acme Plumbing Services LLC",
    "C3": "Globex Logistics Corp",
    "C4": "Initech Software",
    "C5": "Umbrella Medical Labs",
}


def _index(threshold: int = 90, margin: int = 5) -> FuzzyNameIndex:
    keys = {c: name_key(n) for c, n in CUSTOMERS.items()}
    return FuzzyNameIndex(keys, threshold=threshold, margin=margin)


def test_a_misspelt_payer_is_found() -> None:
    match = _index().lookup(name_key("GLOBEX LOGISITCS CORP"))
    assert match is not None
    assert match.customer_id == "C3"
    assert match.score >= 90


def test_look_alikes_within_the_margin_identify_no_one() -> None:
    # as close to SUPPLY as to SERVICES: the tie guard refuses to pick
    assert _index(threshold=70, margin=5).lookup(name_key("ACME PLUMBING SUPP SERV")) is None
    # clearly one of them: identified
    near = _index().lookup(name_key("ACME PLUMBNG SUPPLY"))
    assert near is not None
    assert near.customer_id == "C1"


def test_strangers_and_short_names_are_not_matched() -> None:
    index = _index()
    assert index.lookup(name_key("NORTHWIND TRADERS")) is None
    assert index.lookup(name_key("ACME")) is None  # too short to mean anything


def test_only_customers_sharing_a_word_start_are_compared() -> None:
    # Both payers are 87.5 similar to INITECH SOFTWARE (two letters changed), above this
    # index's threshold. The first shares the block SOFT with it and is scored; the second
    # shares no word start with any customer, so it is never compared at all.
    index = _index(threshold=80)
    assert index.lookup(name_key("IN1TECH SOFTWARE")) is not None
    assert index.lookup(name_key("XNITECH ZOFTWARE")) is None


def _book(store: Store, invoices: list[tuple[str, str, str]]) -> None:
    now = utcnow()
    for customer_id, name in CUSTOMERS.items():
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', 'NET30', ?, ?, ?)",
            [customer_id, name, name_key(name), now, now],
        )
    for number, customer_id, amount in invoices:
        _invoice(store, number, customer_id, amount)


def _invoice(store: Store, number: str, customer_id: str, amount: str) -> None:
    now = utcnow()
    store.execute(
        "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'USD', '', 'NET30', ?, ?)",
        [
            number,
            number.split("-")[1],
            customer_id,
            DAY - timedelta(days=10),
            DAY + timedelta(days=20),
            Decimal(amount),
            Decimal(amount),
            now,
            now,
        ],
    )


def _pay(store: Store, tag: str, *payments: tuple[str, str, str, str]) -> None:
    records = tuple(
        PaymentRecord(
            "nacha",
            f"T{tag}{n}",
            stable_key(tag, n),
            "payment",
            Decimal(amount),
            "USD",
            DAY,
            payer_name=name,
            payer_account=account,
            remittance=remittance,
        )
        for n, (name, amount, account, remittance) in enumerate(payments)
    )
    write_result(store, stable_key(tag), tag, "nacha", ExtractResult(records), "test")


def _applied(store: Store) -> dict[str, tuple[str, str]]:
    rows = store.fetchall(
        "SELECT p.source_ref, a.invoice_number, a.rule FROM payments p"
        " JOIN applications a USING (payment_id) WHERE a.status = 'active'"
    )
    return {ref: (invoice, rule) for ref, invoice, rule in rows}


def test_fuzzy_name_applies_only_with_an_invoice_of_exactly_the_amount() -> None:
    store = open_store(":memory:")
    _book(store, [("INV-5001", "C3", "1200.00"), ("INV-5002", "C5", "300.00")])
    _pay(
        store,
        "a",
        ("GLOBEX LOGISITCS CORP", "1200.00", "", ""),  # typo, exact amount: applied
        ("UMBRELA MEDICAL LABS", "299.00", "", ""),  # typo, no such amount: queued
    )
    run_match(store, Config())
    assert _applied(store) == {"Ta0": ("INV-5001", "cust-single")}
    evidence = store.scalar("SELECT evidence FROM applications WHERE invoice_number = 'INV-5001'")
    assert "fuzzy_name" in evidence
    assert "similarity" in evidence
    store.close()


def test_an_originator_proven_by_a_reference_identifies_its_next_payment() -> None:
    store = open_store(":memory:")
    _book(
        store,
        [("INV-6001", "C4", "500.00"), ("INV-6002", "C4", "740.00"), ("INV-6003", "C1", "740.00")],
    )
    # day 1: a payer name nobody knows, but the remittance names the invoice
    _pay(store, "d1", ("IT DEPT PAYABLES", "500.00", "ach:1234567890", "INV-6001"))
    run_match(store, Config())
    aliases = store.fetchall("SELECT customer_id, kind, value FROM customer_aliases")
    assert aliases == [("C4", "account", "ach:1234567890")]
    # day 2: same originator, no remittance; 740.00 is open at C4 and at C1 -> the
    # learned fingerprint decides, a masked account would not have been learned
    _pay(store, "d2", ("IT DEPT PAYABLES", "740.00", "ach:1234567890", ""))
    run_match(store, Config())
    assert _applied(store)["Td20"] == ("INV-6002", "cust-single")
    audit = store.scalar("SELECT count(*) FROM audit_log WHERE action = 'learn'")
    assert audit == 1
    store.close()


def test_masked_accounts_are_never_learned() -> None:
    store = open_store(":memory:")
    _book(store, [("INV-7001", "C4", "500.00")])
    _pay(store, "m", ("SOMEONE", "500.00", "******6789", "INV-7001"))
    run_match(store, Config())
    assert store.scalar("SELECT count(*) FROM customer_aliases") == 0
    store.close()


def test_a_misspelt_or_cut_legal_form_costs_nothing() -> None:
    keys = {"C9": name_key("Keystone Uniform Rental Corporation")}
    index = FuzzyNameIndex(keys, threshold=90, margin=5)
    for payer in ("KEYSTONE UNIFORM RENTAL COROPRATION", "KEYSTONE UNIFORM RENTAL CROPORAT"):
        match = index.lookup(name_key(payer))
        assert match is not None, payer
        assert match.customer_id == "C9"


def test_every_candidate_of_a_shared_name_is_weighed_even_with_two_hits_for_one() -> None:
    # five customers share the name; one of them is also a learned alias (a second hit).
    # Two of them have 90.00 open: ambiguous, whichever hits rank first.
    store = open_store(":memory:")
    now = utcnow()
    for n, suffix in enumerate(("Inc", "LLC", "Corp", "Co", "Ltd")):
        name = f"Vertex Staffing {suffix}"
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', 'NET30', ?, ?, ?)",
            [f"V{n}", name, name_key(name), now, now],
        )
    store.execute(
        "INSERT INTO customer_aliases VALUES ('V0', 'name', 'VERTEX STAFFING', 'test', ?, 'test')",
        [now],
    )
    for number, customer in (("INV-9001", "V1"), ("INV-9002", "V4"), ("INV-9003", "V0")):
        _invoice(store, number, customer, "40.00" if customer == "V0" else "90.00")
    _pay(store, "v", ("VERTEX STAFFING", "90.00", "", ""))
    run_match(store, Config())
    assert _applied(store) == {}
    assert store.scalar("SELECT type FROM exceptions") == "ambiguous"
    store.close()


# --- the SQL name keys are the Python name keys ---------------------------------------------

# Every ASCII character a bank file can carry, the ones the key treats specially first:
# letters, digits, the whitespace it collapses, the punctuation it drops or keeps as a word
# break, and control characters (NUL included) that must act as a word break too.
_ASCII_CHARS = (
    string.ascii_letters
    + string.digits
    + " \t\n\r\x0b\x0c"
    + ".,'&-()#/"
    + "".join(map(chr, range(32)))
    + "\x7f"
    + string.punctuation
)
# whole words the key removes or rewrites, in the spellings payers use
_special_word = st.builds(
    lambda word, spelling: spelling(word),
    st.one_of(st.sampled_from(["THE", "AND", "&"]), st.sampled_from(sorted(LEGAL_SUFFIXES))),
    st.sampled_from([str.upper, str.lower, str.title, lambda w: w + ".", lambda w: w + ","]),
)
_ascii_word = st.text(alphabet=_ASCII_CHARS, max_size=8)
_gap = st.text(alphabet=" \t\n\r,.-&", min_size=1, max_size=3)
_ascii_name = st.one_of(
    st.text(alphabet=_ASCII_CHARS, max_size=30),
    # words (mostly THE, AND, legal forms) between runs of whitespace and punctuation
    st.builds(
        lambda lead, words, gaps: lead + "".join(w + g for w, g in zip(words, gaps, strict=False)),
        st.text(alphabet=" \t\n", max_size=2),
        st.lists(st.one_of(_special_word, _special_word, _ascii_word), max_size=5),
        st.lists(_gap, min_size=5, max_size=5),
    ),
)


@functools.cache
def _duckdb() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def _in_sql(names: list[str]) -> list[tuple[str, str, bool]]:
    """(name key, full name key, is ASCII) of every name, by the SQL forms, in one query."""
    con = _duckdb()
    con.register("names", pa.table({"i": list(range(len(names))), "s": names}))
    try:
        rows = con.execute(
            f"SELECT {name_key_sql('s')}, {full_name_key_sql('s')}, {is_ascii_sql('s')}"
            " FROM names ORDER BY i"
        ).fetchall()
    finally:
        con.unregister("names")
    return [(key, full, ascii_) for key, full, ascii_ in rows]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_ascii_name, min_size=1, max_size=40))
def test_the_sql_name_keys_are_the_python_name_keys_for_every_ascii_name(
    names: list[str],
) -> None:
    # bulk.py keys every ASCII payer and customer in SQL and the rest in Python: both
    # must give the very same keys, or the same payer would be matched one way in bulk
    # and another way by the engine
    for name, (key, full, ascii_) in zip(names, _in_sql(names), strict=True):
        assert (key, full, ascii_) == (name_key(name), full_name_key(name), True), repr(name)


def test_the_sql_name_keys_on_the_worked_examples() -> None:
    names = ["The Acme Holdings, Inc.", "Smith & Jones LLC", "INC LLC", "the the x", "THE", ""]
    assert _in_sql(names) == [
        ("ACME", "ACME HOLDINGS INC", True),
        ("SMITH AND JONES", "SMITH AND JONES LLC", True),
        ("INC", "INC LLC", True),  # the first word always stays
        ("THE X", "THE X", True),  # only one leading THE goes
        ("", "", True),
        ("", "", True),
    ]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.text(max_size=20), min_size=1, max_size=40))
def test_only_ascii_names_are_keyed_in_sql(names: list[str]) -> None:
    # anything else (accents, sharp s, emoji) must be folded by the Python key
    names = [*names, "Société Générale", "Straße", "ACME 😀", "e\u0301", "A\u00a0B", "Ωmega"]
    for name, (_, _, ascii_) in zip(names, _in_sql(names), strict=True):
        assert ascii_ == name.isascii(), repr(name)


# --- truncated names in bulk are the TruncatedNameIndex's answer ------------------------------

# Company stems and the words that make look-alikes of them: a bank cutting any of these at
# 16 or 22 characters leaves a prefix several customers may share.
_STEMS = (
    "Globex Logistics",
    "The Globex Logistics",
    "Acme Plumbing Supply",
    "Acme Plumbing Services",
    "Initech Software",
    "Keystone Uniform Rental",
    "Société Générale Logistique",  # keyed in Python, folded to ASCII
)
_TAILS = (
    "",
    " South",
    " North",
    " Holdings",
    " International",
    " of Texas",
    " Corp",
    ", Inc.",
    " LLC",
    " & Sons",
    " Co",
    " Corporation",
)
_customer_name = st.builds(
    lambda stem, tail, spelling: spelling(stem + tail),
    st.sampled_from(_STEMS),
    st.sampled_from(_TAILS),
    st.sampled_from([str, str.upper]),
)


@st.composite
def _book_and_payers(draw: st.DrawFn) -> tuple[list[str], list[str], list[tuple[int, int]]]:
    """Customer names, payer names as banks send them, and (customer, payer) name aliases."""
    customers = draw(st.lists(_customer_name, min_size=1, max_size=12))
    # the payer names: a customer's name (or a look-alike not in the book) cut by the bank
    payers = draw(
        st.lists(
            st.builds(
                lambda name, cut, upper: (name.upper() if upper else name)[:cut],
                st.one_of(st.sampled_from(customers), _customer_name),
                st.sampled_from([16, 22, 40]),
                st.booleans(),
            ).filter(lambda name: name.strip() != ""),
            min_size=1,
            max_size=8,
            unique=True,
        )
    )
    aliases = draw(
        st.lists(
            st.tuples(st.integers(0, len(customers) - 1), st.integers(0, len(payers) - 1)),
            max_size=2,
            unique=True,
        )
    )
    return customers, payers, aliases


_SIX_LOOK_ALIKES = [
    f"Globex Logistics {place}"
    for place in ("South", "North", "East", "West", "of Texas", "Europe")
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_book_and_payers())
# six customers share the cut name: no one; five: each a candidate at 0.5; one: 0.85
@example((_SIX_LOOK_ALIKES, ["GLOBEX LOGISTICS", "GLOBEX LOGISTICS SOUT"], []))
@example((_SIX_LOOK_ALIKES[:5], ["GLOBEX LOGISTICS", "Globex Logistics Eas"], []))
# a cut legal form: only the full key still has it
@example((["Hooli Supply Corp", "Hooli Supply"], ["HOOLI SUPPLY COR"], []))
def test_truncated_names_in_bulk_are_the_truncated_name_index_answer(
    drawn: tuple[list[str], list[str], list[tuple[int, int]]],
) -> None:
    customers, payers, aliases = drawn
    ids = {f"K{n:02d}": name for n, name in enumerate(customers)}
    store = open_store(":memory:")
    now = utcnow()
    for customer_id, name in ids.items():
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', 'NET30', ?, ?, ?)",
            [customer_id, name, name_key(name), now, now],
        )
    for customer, paid_by in aliases:
        store.execute(
            "INSERT OR IGNORE INTO customer_aliases VALUES (?, 'name', ?, 'test', ?, 'test')",
            [f"K{customer:02d}", name_key(payers[paid_by]), now],
        )
    _pay(store, "t", *((payer, "100.00", "", "") for payer in payers))
    build_customer_hits(store, NameSettings(90, 5))
    hits: dict[str, list[tuple[str, str, Decimal]]] = {}
    for ref, customer_id, method, score in store.fetchall(
        "SELECT p.source_ref, h.customer_id, h.method, h.score"
        " FROM m_cust_hits h JOIN payments p USING (payment_id) ORDER BY 1, 2"
    ):
        hits.setdefault(ref, []).append((customer_id, method, score))
    index = TruncatedNameIndex(ids)
    for n, payer in enumerate(payers):
        found = hits.get(f"Tt{n}", [])
        # stronger first: the same name key, or a name alias learned for that key
        key = name_key(payer)
        strong = {c for c, name in ids.items() if key and name_key(name) == key}
        strong |= {f"K{c:02d}" for c, p in aliases if key and name_key(payers[p]) == key}
        assert {c for c, method, _ in found if method in ("exact_name", "alias")} == strong, payer
        # only a payer nothing stronger identified is looked up as a cut name
        expected = [] if strong else index.lookup_all(payer, limit=MAX_CANDIDATE_CUSTOMERS)
        truncated = [(c, score) for c, method, score in found if method == "truncated_name"]
        assert [c for c, _ in truncated] == expected, (payer, full_name_key(payer))
        # one customer is an identification; a few are candidates for the amount to decide
        assert {score for _, score in truncated} <= {
            Decimal("0.85") if len(expected) == 1 else Decimal("0.5")
        }, payer
    store.close()
