"""The one writer's SQL twins equal their Python definitions (property tests).

Ids, JSON string literals, evidence and suggestions are computed in Python for the
engine's decisions and in DuckDB for the bulk ones; :mod:`cashapp.matching.decisions`
generates the SQL, and these tests hold it to the Python text.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cashapp.domain import stable_key
from cashapp.matching.decisions import (
    application_id,
    exception_id,
    install_macros,
    json_text,
    sql_application_id,
    sql_exception_id,
    sql_json_text,
    sql_stable_key,
)
from cashapp.store import Store, open_store

# DuckDB text holds no NUL; everything else Python's json.dumps may meet
TEXT = st.text(st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))
# dicts built in the engine's key order (fixed_dictionaries does not keep it)
REF = st.tuples(TEXT, TEXT, TEXT).map(lambda t: {"invoice": t[0], "kind": t[1], "text": t[2]})
CUSTOMER = st.tuples(TEXT, TEXT, TEXT).map(
    lambda t: {"customer_id": t[0], "method": t[1], "detail": t[2]}
)


@pytest.fixture(scope="module")
def store() -> Iterator[Store]:
    s = open_store(":memory:")
    install_macros(s)
    yield s
    s.close()


@settings(max_examples=300, deadline=None)
@given(text=TEXT)
def test_json_string_literal_is_json_dumps(store: Store, text: str) -> None:
    assert store.scalar(f"SELECT {sql_json_text('?')}", [text]) == json_text(text)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.one_of(st.none(), TEXT, st.integers(0, 10**6)), min_size=1, max_size=5))
def test_stable_key_in_sql_is_stable_key(store: Store, parts: list[str | int | None]) -> None:
    expr = sql_stable_key(*(["?"] * len(parts)))
    assert store.scalar(f"SELECT {expr}", list(parts)) == stable_key(*parts)


@settings(max_examples=200, deadline=None)
@given(
    refs=st.lists(REF, max_size=3),
    customers=st.lists(CUSTOMER, max_size=3),
    note=st.one_of(st.none(), TEXT),
    candidates=st.one_of(st.none(), st.lists(TEXT, min_size=2, max_size=3)),
)
def test_evidence_macro_is_the_engines_evidence_text(
    store: Store,
    refs: list[dict[str, str]],
    customers: list[dict[str, str]],
    note: str | None,
    candidates: list[str] | None,
) -> None:
    evidence: dict[str, object] = {"references": refs, "customer": customers}
    if note is not None:
        evidence["amount"] = note
    if candidates is not None:
        evidence["candidates"] = candidates
    got = store.scalar(
        "SELECT cashapp_evidence(?::STRUCT(invoice VARCHAR, kind VARCHAR, text VARCHAR)[],"
        " ?::STRUCT(customer_id VARCHAR, method VARCHAR, detail VARCHAR)[], ?, ?::VARCHAR[])",
        [refs, customers, note, candidates],
    )
    assert got == json_text(evidence)


@settings(max_examples=100, deadline=None)
@given(
    hints=st.lists(
        st.tuples(st.lists(TEXT, min_size=1, max_size=3), TEXT, TEXT, TEXT).map(
            lambda t: {"invoices": t[0], "amount": t[1], "score": t[2], "evidence": t[3]}
        ),
        max_size=5,
    )
)
def test_suggestions_macro_is_the_engines_suggestions_text(
    store: Store, hints: list[dict[str, object]]
) -> None:
    got = store.scalar(
        "SELECT cashapp_suggestions(?::STRUCT(invoices VARCHAR[], amount VARCHAR,"
        " score VARCHAR, evidence VARCHAR)[])",
        [hints],
    )
    assert got == json_text(hints)


@settings(max_examples=100, deadline=None)
@given(
    payment=TEXT,
    n=st.integers(0, 9),
    invoice=st.one_of(st.none(), TEXT),
    kind=TEXT,
    earlier=st.integers(0, 5),
)
def test_application_id_in_sql_is_the_python_id(
    store: Store, payment: str, n: int, invoice: str | None, kind: str, earlier: int
) -> None:
    expr = sql_application_id("p", "n", "i", "k", "e")
    got = store.scalar(
        f"SELECT {expr} FROM (SELECT ? AS p, ?::BIGINT AS n, ? AS i, ? AS k, ?::BIGINT AS e)",
        [payment, n, invoice, kind, earlier],
    )
    assert got == application_id(payment, n, invoice, kind, earlier)


@settings(max_examples=100, deadline=None)
@given(
    payment=TEXT,
    type_=TEXT,
    invoice=st.one_of(st.none(), TEXT),
    earlier=st.one_of(st.none(), st.integers(0, 5)),
)
def test_exception_id_in_sql_is_the_python_id(
    store: Store, payment: str, type_: str, invoice: str | None, earlier: int | None
) -> None:
    # ``earlier`` is NULL in SQL for a payment with no exception yet (the LEFT JOIN)
    expr = sql_exception_id("p", "t", "i", "e")
    got = store.scalar(
        f"SELECT {expr} FROM (SELECT ? AS p, ? AS t, ? AS i, ?::BIGINT AS e)",
        [payment, type_, invoice, earlier],
    )
    assert got == exception_id(payment, type_, invoice, earlier or 0)
