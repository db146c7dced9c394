"""The set-based deciders decide exactly what the engine decides (issue 12).

Hypothesis draws small books -- customers with look-alike and shared names (six or more
sharing one make a crowd), open invoices of a few amounts (so payments collide), payments
naming an invoice or not, from a customer, a stranger, a crowd or nobody, paying exactly,
short or over, sometimes twice -- and a rules file that is an ordering of a subset of the
default rules. Each book is matched twice, ``[matching] set_based`` on and off, and the
stored rows must be the same: applications with their ids, rules, confidence and
evidence text; exceptions with their details and suggestions; audit rows; payments;
invoices -- everything but timestamps and run ids.

The re-match (issue 13) is held to the same: a book whose master data arrives in two
parts, with a payer learned between the runs, decides the same rows on both paths.

``CASHAPP_DIFFERENTIAL_EXAMPLES`` sets the number of books (default 30; the long mode
of issue 12 is 200 or more).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cashapp.config import Config
from cashapp.domain import PaymentRecord, stable_key
from cashapp.ingest.write import write_result
from cashapp.keys import name_key
from cashapp.matching.learning import learn_alias
from cashapp.matching.pipeline import run_match
from cashapp.matching.rules import Rule, load_rules
from cashapp.store import Store, open_store, utcnow
from connectors.base import ExtractResult
from tests.test_rematch import check_invariants

DAY = date(2026, 11, 20)
DEFAULT_RULES = load_rules()
EXAMPLES = int(os.environ.get("CASHAPP_DIFFERENTIAL_EXAMPLES", "30"))

NAMES = ("Acme Inc", "ACME Inc.", "Acme Industries", "Globex LLC", "Initech", "Müller GmbH")
AMOUNTS = tuple(
    Decimal(a)
    for a in ("100.00", "250.00", "980.00", "1000.00", "1234.56", "77.70", "5000.00", "310.25")
)


@st.composite
def books(
    draw: st.DrawFn,
) -> tuple[list[str], list[tuple[str, str, Decimal, int]], list[PaymentRecord]]:
    crowd = draw(st.booleans())
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4))
    if crowd:  # six customers of one name: more than the engine looks at
        names += [names[0]] * 6
    # half the books give every invoice one amount: a stranger then has more invoices of
    # its amount than the five hints shown, and customers compete for the same amounts
    one_amount = draw(st.booleans())
    invoices = []
    for n in range(draw(st.integers(1, 14))):
        owner = draw(st.integers(0, len(names) - 1))
        amount = AMOUNTS[0] if one_amount else draw(st.sampled_from(AMOUNTS))
        invoices.append((f"INV-{1000 + n}", f"C{owner}", amount, draw(st.sampled_from((2, 40)))))
    payments = []
    for k in range(draw(st.integers(1, 12))):
        number, customer, amount, _ = draw(st.sampled_from(invoices))
        named = draw(st.sampled_from(("invoice", "bare", "none", "none", "unknown")))
        remittance = {
            "invoice": f"INV {number.split('-')[1]}",
            "bare": number.split("-")[1],
            "none": "",
            "unknown": "INV 9999",
        }[named]
        payer = draw(
            st.sampled_from(("customer", "customer", "crowd", "stranger", "nobody", "lookalike"))
        )
        payer_name = {
            "customer": names[int(customer[1:])],
            "crowd": names[0],
            "stranger": "SOMEONE ELSE",
            "nobody": "",
            "lookalike": names[int(customer[1:])].upper() + " CO",
        }[payer]
        delta = draw(
            st.sampled_from(
                (
                    Decimal(0),
                    Decimal(0),
                    Decimal("-3.00"),
                    Decimal("-20.00"),
                    Decimal("25.00"),
                    Decimal("0.01"),
                    Decimal("-0.01"),
                )
            )
        )
        paid = max(amount + delta, Decimal("0.01"))
        payments.append(
            PaymentRecord(
                "bai2", f"R{k}", stable_key("diff", k), "payment", paid, "USD", DAY,
                payer_name=payer_name, remittance=remittance,
            )
        )  # fmt: skip
    return names, invoices, payments


rule_files = st.one_of(
    st.just(DEFAULT_RULES),  # the bundled order: the one most books are matched with
    st.permutations(DEFAULT_RULES).flatmap(
        lambda rules: st.lists(st.booleans(), min_size=len(rules), max_size=len(rules)).map(
            lambda keep: tuple(r for r, k in zip(rules, keep, strict=True) if k)
        )
    ),
)


def _seed(
    store: Store,
    names: list[str],
    invoices: list[tuple[str, str, Decimal, int]],
    now_or_later: Callable[[int], bool] = lambda _: True,
) -> None:
    """The customers and invoices of the book; ``now_or_later(n)`` picks which of them
    (customers first, then invoices, numbered on) are seeded in this call."""
    now = utcnow()
    for c, name in enumerate(names):
        if not now_or_later(c):
            continue
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', '', ?, ?, ?)",
            [f"C{c}", name, name_key(name), now, now],
        )
    for n, (number, customer, amount, age) in enumerate(invoices, start=len(names)):
        if not now_or_later(n):
            continue
        store.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'USD', '', '2/10 NET30', ?, ?)",
            [number, number.split("-")[1], customer, DAY - timedelta(days=age),
             DAY + timedelta(days=30 - age), amount, amount, now, now],
        )  # fmt: skip


#: The stored rows a decision makes, without timestamps and run ids.
SNAPSHOT = {
    "applications": "SELECT application_id, payment_id, invoice_number, customer_id, amount,"
    " currency, kind, method, rule, confidence, evidence, status, reverses, reversed_by,"
    " created_by FROM applications",
    "exceptions": "SELECT exception_id, payment_id, invoice_number, customer_id, type, status,"
    " amount, currency, reason_code, detail, resolution, version FROM exceptions",
    "suggestions": "SELECT exception_id, suggestions FROM exceptions",
    "audit": "SELECT actor, action, entity, entity_id, detail FROM audit_log",
    "payments": "SELECT payment_id, status, customer_id FROM v_payments",
    "invoices": "SELECT invoice_number, open_amount FROM invoices",
}


def _matched(
    book: tuple[list[str], list[tuple[str, str, Decimal, int]], list[PaymentRecord]],
    rules: tuple[Rule, ...],
    set_based: bool,
) -> dict[str, list[tuple[object, ...]]]:
    names, invoices, payments = book
    store = open_store(":memory:")
    try:
        _seed(store, names, invoices)
        write_result(store, "f1", "f1", "bai2", ExtractResult(tuple(payments)), "test")
        config = Config()
        config = replace(config, matching=replace(config.matching, set_based=set_based))
        run_match(store, config, rules=rules)
        return {name: sorted(store.fetchall(sql), key=repr) for name, sql in SNAPSHOT.items()}
    finally:
        store.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(book=books(), rules=rule_files)
def test_set_based_decides_exactly_as_the_engine(
    book: tuple[list[str], list[tuple[str, str, Decimal, int]], list[PaymentRecord]],
    rules: tuple[Rule, ...],
) -> None:
    engine = _matched(book, rules, set_based=False)
    bulk = _matched(book, rules, set_based=True)
    for table in SNAPSHOT:
        if table != "suggestions":
            assert bulk[table] == engine[table], f"{table} differ"


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(book=books(), rules=rule_files)
def test_set_based_suggests_exactly_as_the_engine(
    book: tuple[list[str], list[tuple[str, str, Decimal, int]], list[PaymentRecord]],
    rules: tuple[Rule, ...],
) -> None:
    engine = _matched(book, rules, set_based=False)
    bulk = _matched(book, rules, set_based=True)
    assert bulk["suggestions"] == engine["suggestions"]


Book = tuple[list[str], list[tuple[str, str, Decimal, int]], list[PaymentRecord]]


def _rematched(
    book: Book, rules: tuple[Rule, ...], late: list[bool], learn: bool, set_based: bool
) -> dict[str, list[tuple[object, ...]]]:
    """Match with part of the master data, add the rest (and, with ``learn``, link the
    first queued stranger to C0), match again; the rows, after the invariants hold."""
    names, invoices, payments = book
    store = open_store(":memory:")
    try:
        _seed(store, names, invoices, lambda n: not late[n % len(late)])
        write_result(store, "f1", "f1", "bai2", ExtractResult(tuple(payments)), "test")
        config = Config()
        config = replace(config, matching=replace(config.matching, set_based=set_based))
        run_match(store, config, rules=rules)
        _seed(store, names, invoices, lambda n: late[n % len(late)])
        strangers = store.fetchall(
            "SELECT e.exception_id, p.payer_name FROM exceptions e JOIN payments p"
            " USING (payment_id) WHERE e.type = 'unidentified' AND p.payer_name <> ''"
            " ORDER BY e.exception_id LIMIT 1"
        )
        if learn and strangers:
            [(exception, payer)] = strangers
            with store.transaction():
                learn_alias(
                    store, customer_id="C0", payer_name=payer, payer_account="",
                    exception_id=exception, actor_id="spec1", now=utcnow(),
                )  # fmt: skip
        run_match(store, config, rules=rules)
        check_invariants(store)
        return {name: sorted(store.fetchall(sql), key=repr) for name, sql in SNAPSHOT.items()}
    finally:
        store.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    book=books(),
    rules=rule_files,
    late=st.lists(st.booleans(), min_size=1, max_size=12),
    learn=st.booleans(),
)
def test_a_rematch_decides_exactly_as_the_engine(
    book: Book, rules: tuple[Rule, ...], late: list[bool], learn: bool
) -> None:
    engine = _rematched(book, rules, late, learn, set_based=False)
    bulk = _rematched(book, rules, late, learn, set_based=True)
    for table in SNAPSHOT:
        assert bulk[table] == engine[table], f"{table} differ"
