"""Who paid: fuzzy names with blocking and a tie guard, and learned account fingerprints."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from cashapp.config import Config
from cashapp.ingest import _write
from cashapp.matching.names import FuzzyNameIndex, name_key
from cashapp.matching.pipeline import run_match
from cashapp.store import Store, open_store, utcnow
from connectors.base import ExtractResult, PaymentRecord, stable_key

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
    _write(store, stable_key(tag), tag, "nacha", ExtractResult(records), "test")


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
