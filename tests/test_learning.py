"""Learning a payer from the queue (issue 13, point 5): link once, applied the next day.

A person links an exception's payer to a customer (the queue's ``link`` action, or an
``unidentified`` payment applied by hand, both call :func:`learn_alias`); the next payment
from that payer is identified by the alias on both paths, applied when the rules find one
explanation, and its evidence names the exception and the person. Conflicting aliases
are refused with the fix; a team lists and removes aliases, and removing one changes no
past application.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.aliases import list_aliases, remove_alias
from cashapp.config import Config
from cashapp.domain import ActionRefused, NotPermitted, PaymentRecord, stable_key
from cashapp.ingest.write import write_result
from cashapp.keys import name_key
from cashapp.matching.learning import LearnedAlias, learn_alias, learned_note
from cashapp.matching.pipeline import run_match
from cashapp.queue.actions import apply
from cashapp.queue.workflow import link
from cashapp.store import Store, open_store, utcnow
from cashapp.users import add_user
from connectors.base import ExtractResult
from tests.conftest import CliRunner

MONDAY = date(2026, 11, 23)
TUESDAY = MONDAY + timedelta(days=1)
CUSTOMERS = {"C42": "Acme Holdings Inc", "C7": "Globex Corporation", "C9": "Initech LLC"}
PAYER, ACCOUNT = "ACME TRADING", "ach:9988776655"


def _book(store: Store, *invoices: tuple[str, str, str]) -> None:
    now = utcnow()
    for customer_id, name in CUSTOMERS.items():
        store.execute(
            "INSERT INTO customers VALUES (?, ?, '', 'USD', 'NET30', ?, ?, ?)",
            [customer_id, name, name_key(name), now, now],
        )
    for number, customer_id, amount in invoices:
        store.execute(
            "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'USD', '', 'NET30', ?, ?)",
            [number, number.split("-")[1], customer_id, MONDAY - timedelta(days=10),
             MONDAY + timedelta(days=20), Decimal(amount), Decimal(amount), now, now],
        )  # fmt: skip


def _pay(
    store: Store, tag: str, day: date, amount: str, payer: str = PAYER, account: str = ACCOUNT
) -> str:
    record = PaymentRecord(
        "nacha", f"T{tag}", stable_key(tag), "payment", Decimal(amount), "USD", day,
        payer_name=payer, payer_account=account,
    )  # fmt: skip
    write_result(store, stable_key("file", tag), tag, "nacha", ExtractResult((record,)), "test")
    return str(store.scalar("SELECT payment_id FROM payments WHERE source_ref = ?", [f"T{tag}"]))


def _config(set_based: bool = True) -> Config:
    config = Config()
    return replace(config, matching=replace(config.matching, set_based=set_based))


def _open_exception(store: Store, payment_id: str) -> tuple[str, str]:
    rows = store.fetchall(
        "SELECT exception_id, type FROM exceptions WHERE payment_id = ? AND status = 'open'",
        [payment_id],
    )
    assert len(rows) == 1
    return str(rows[0][0]), str(rows[0][1])


def _learn(store: Store, exception: str, customer: str = "C42", **kw: str) -> list[LearnedAlias]:
    with store.transaction():
        return learn_alias(
            store,
            customer_id=customer,
            payer_name=kw.get("payer_name", PAYER),
            payer_account=kw.get("payer_account", ACCOUNT),
            exception_id=exception,
            actor_id=kw.get("actor_id", "spec1"),
            now=utcnow(),
        )


def _monday_unidentified(store: Store, set_based: bool = True) -> str:
    """Monday: ACME TRADING pays 500.00, no remittance, nobody of that name: queued."""
    _book(store, ("INV-1001", "C42", "845.50"), ("INV-1002", "C7", "845.50"))
    payment = _pay(store, "mon", MONDAY, "500.00")
    run_match(store, _config(set_based))
    exception, type_ = _open_exception(store, payment)
    assert type_ == "unidentified"
    return exception


def _team(store: Store) -> None:
    """The people of these tests: an admin, a lead, a specialist and an accountant."""
    add_user(store, None, "root", "admin")
    for user, role in (("lead1", "lead"), ("spec1", "specialist"), ("acct1", "accountant")):
        add_user(store, "root", user, role)


def _counts(store: Store) -> tuple[object, ...]:
    return tuple(
        store.scalar(f"SELECT count(*) FROM {t}")
        for t in ("customer_aliases", "audit_log", "applications", "exceptions")
    )


# --- the acceptance: linked Monday, applied Tuesday ------------------------------------------


@pytest.mark.parametrize("set_based", [True, False], ids=["set-based", "engine"])
def test_a_linked_payer_is_applied_the_next_day_with_the_exception_and_the_person(
    set_based: bool,
) -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store, set_based)
    learned = _learn(store, exception)
    assert [(a.kind, a.value, a.learned_from, a.created_by, a.new) for a in learned] == [
        ("name", "ACME TRADING", exception, "spec1", True),
        ("account", ACCOUNT, exception, "spec1", True),
    ]
    # Tuesday: 845.50 is open at C42 and at C7 -- only the learned payer says which
    tuesday = _pay(store, "tue", TUESDAY, "845.50")
    run_match(store, _config(set_based))
    [(invoice, rule, evidence)] = store.fetchall(
        "SELECT invoice_number, rule, evidence FROM applications WHERE payment_id = ?"
        " AND status = 'active'",
        [tuesday],
    )
    assert (invoice, rule) == ("INV-1001", "cust-single")
    details = [c["detail"] for c in json.loads(str(evidence))["customer"]]
    day = learned[0].created_at.date().isoformat()
    assert f"ACME TRADING; learned from {exception} by spec1 on {day}" in details
    assert f"{ACCOUNT}; learned from {exception} by spec1 on {day}" in details
    assert learned[0].note == f"learned from {exception} by spec1 on {day}"
    store.close()


def _tuesday_evidence(store: Store) -> tuple[str, str, list[str]]:
    """Tuesday: ACME TRADING pays 845.50, open at C42 and at C7: who is it applied to?"""
    tuesday = _pay(store, "tue", TUESDAY, "845.50")
    run_match(store, _config())
    [(invoice, rule, evidence)] = store.fetchall(
        "SELECT invoice_number, rule, evidence FROM applications WHERE payment_id = ?"
        " AND status = 'active'",
        [tuesday],
    )
    return str(invoice), str(rule), [c["detail"] for c in json.loads(str(evidence))["customer"]]


def test_the_queues_link_teaches_the_matcher() -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    result = link(store, "spec1", exception, customer="C42", note="called their AP")
    assert result.exception_id == exception
    audit = store.fetchall(
        "SELECT actor, action FROM audit_log WHERE entity_id = ? ORDER BY audit_id", [exception]
    )
    assert ("spec1", "link") in audit
    invoice, rule, details = _tuesday_evidence(store)
    assert (invoice, rule) == ("INV-1001", "cust-single")
    assert any(f"learned from {exception} by spec1 on " in d for d in details)
    # Monday's exception is the person's now (linked, version 2): the re-match leaves it
    assert store.fetchall(
        "SELECT type, status, version FROM exceptions WHERE exception_id = ?", [exception]
    ) == [("unmatched", "open", 2)]
    store.close()


def test_an_unidentified_payment_applied_by_hand_teaches_the_matcher() -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    now = utcnow()
    store.execute(
        "INSERT INTO invoices VALUES ('INV-1003', '1003', 'C42', ?, ?, 500, 0, 500, 'USD', '',"
        " 'NET30', ?, ?)",
        [MONDAY - timedelta(days=3), MONDAY + timedelta(days=27), now, now],
    )
    apply(store, "spec1", exception, ["INV-1003"])
    assert [(a.kind, a.created_by) for a in list_aliases(store)] == [
        ("account", "spec1"),
        ("name", "spec1"),
    ]
    invoice, rule, details = _tuesday_evidence(store)
    assert (invoice, rule) == ("INV-1001", "cust-single")
    assert any(f"learned from {exception} by spec1 on " in d for d in details)
    store.close()


def test_a_link_that_conflicts_with_another_customers_alias_is_refused_whole() -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    store.execute(
        "INSERT INTO customer_aliases VALUES ('C7', 'name', 'ACME TRADING', 'exc_x', ?, 'spec2')",
        [utcnow()],
    )
    before = _counts(store)
    with pytest.raises(ActionRefused, match="already an alias of C7"):
        link(store, "spec1", exception, customer="C42")
    assert _counts(store) == before
    assert store.scalar("SELECT version FROM exceptions WHERE exception_id = ?", [exception]) == 1
    store.close()


def test_the_learning_is_audited_with_the_person() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    _learn(store, exception, actor_id="spec2")
    rows = store.fetchall(
        "SELECT actor, entity_id, detail FROM audit_log WHERE action = 'learn' ORDER BY 2"
    )
    assert [(actor, value) for actor, value, _ in rows] == [
        ("spec2", "ACME TRADING"),
        ("spec2", ACCOUNT),
    ]
    assert all(json.loads(d)["from"] == exception for _, _, d in rows)
    store.close()


def test_learning_the_same_payer_twice_changes_nothing() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    _learn(store, exception)
    before = _counts(store)
    again = _learn(store, exception, actor_id="spec2")
    assert [a.new for a in again] == [False, False]
    assert {a.created_by for a in again} == {"spec1"}  # as first learned
    assert _counts(store) == before
    store.close()


# --- what is not learned, and what is refused -------------------------------------------------


def test_a_masked_account_is_not_learned_only_the_name() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    learned = _learn(store, exception, payer_account="******6789")
    assert [(a.kind, a.value) for a in learned] == [("name", "ACME TRADING")]
    store.close()


def test_a_name_that_is_a_customers_own_name_is_not_learned() -> None:
    # the customer master already says who GLOBEX is: an alias would only make a tie
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    learned = _learn(store, exception, payer_name="GLOBEX CORP", payer_account="")
    assert learned == []
    assert store.scalar("SELECT count(*) FROM customer_aliases") == 0
    store.close()


def test_a_name_learned_for_another_customer_is_refused_naming_it_and_the_fix() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    _learn(store, exception, customer="C42")
    before = _counts(store)
    with pytest.raises(ActionRefused) as refused:
        _learn(store, exception, customer="C7", payer_account="", actor_id="spec2")
    message = str(refused.value)
    assert "already an alias of C42" in message
    assert "learned from exc_" in message
    assert "cashapp --user spec2 aliases remove name 'ACME TRADING' --customer C42" in message
    assert "\n" not in message
    assert _counts(store) == before
    store.close()


def test_an_account_the_matcher_learned_for_another_customer_is_refused() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    now = utcnow()
    store.execute(
        "INSERT INTO customer_aliases VALUES ('C9', 'account', ?, 'pay_x', ?, 'rule:learned')",
        [ACCOUNT, now],
    )
    before = _counts(store)
    with pytest.raises(ActionRefused, match=r"already an alias of C9 \(learned from pay_x"):
        _learn(store, exception)
    assert _counts(store) == before  # the name was not learned either
    store.close()


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("customer", "C404", "no customer 'C404'"),
        ("exception", "exc_nope", "no exception 'exc_nope'"),
        ("actor", " ", "needs the person"),
    ],
)
def test_an_unknown_customer_exception_or_person_is_refused(
    field: str, value: str, says: str
) -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    before = _counts(store)
    with pytest.raises(ActionRefused, match=says):
        _learn(
            store,
            value if field == "exception" else exception,
            customer=value if field == "customer" else "C42",
            actor_id=value if field == "actor" else "spec1",
        )
    assert _counts(store) == before
    store.close()


# --- list and remove ----------------------------------------------------------------------


def test_list_shows_learned_aliases_by_customer_and_hides_imported_ones() -> None:
    store = open_store(":memory:")
    exception = _monday_unidentified(store)
    _learn(store, exception)
    store.execute(
        "INSERT INTO customer_aliases VALUES ('C7', 'name', 'GLOBEX EU', 'import', ?, 'erp')",
        [utcnow()],
    )
    learned = list_aliases(store)
    assert [(a.customer_id, a.customer_name, a.kind, a.source) for a in learned] == [
        ("C42", "Acme Holdings Inc", "account", "person"),
        ("C42", "Acme Holdings Inc", "name", "person"),
    ]
    everything = list_aliases(store.con, learned_only=False)
    assert ("C7", "import") in {(a.customer_id, a.source) for a in everything}
    assert list_aliases(store, customer="C7") == []
    store.close()


def test_removing_an_alias_stops_it_identifying_and_keeps_past_applications() -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    _learn(store, exception, payer_account="")
    tuesday = _pay(store, "tue", TUESDAY, "845.50")
    run_match(store, _config())
    applied = store.fetchall("SELECT * FROM applications ORDER BY application_id")
    assert len(applied) == 1
    # the bank's spelling is accepted for a name: its key is what is stored
    removed = remove_alias(store, "lead1", "name", "Acme Trading", "C42")
    assert (removed.value, removed.learned_from, removed.created_by) == (
        "ACME TRADING", exception, "spec1",
    )  # fmt: skip
    assert store.scalar("SELECT count(*) FROM customer_aliases") == 0
    [audit] = store.fetchall(
        "SELECT actor, entity_id, detail FROM audit_log WHERE action = 'remove'"
    )
    assert audit[:2] == ("lead1", "ACME TRADING")
    assert json.loads(audit[2])["learned_from"] == exception
    assert store.fetchall("SELECT * FROM applications ORDER BY application_id") == applied
    assert store.scalar("SELECT status FROM payments WHERE payment_id = ?", [tuesday]) == "applied"
    # Wednesday: the same payer is a stranger again
    wednesday = _pay(store, "wed", TUESDAY + timedelta(days=1), "845.50")
    run_match(store, _config())
    assert _open_exception(store, wednesday)[1] == "unidentified"
    store.close()


@pytest.mark.parametrize(
    ("kind", "value", "customer", "says"),
    [
        ("nickname", "ACME TRADING", "C42", "unknown alias kind 'nickname'"),
        ("name", "ACME TRADING", "C7", "C7 has no name alias 'ACME TRADING' (it is an alias of C42)"),
        ("account", "ach:1", "C42", "C42 has no account alias 'ach:1'"),
    ],
)  # fmt: skip
def test_removing_an_alias_that_is_not_there_is_refused(
    kind: str, value: str, customer: str, says: str
) -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    _learn(store, exception)
    before = _counts(store)
    with pytest.raises(ActionRefused, match=re.escape(says)):
        remove_alias(store, "lead1", kind, value, customer)
    assert _counts(store) == before
    store.close()


@pytest.mark.parametrize(
    ("user", "says"),
    [
        ("acct1", "user 'acct1' (accountant) lacks the permission 'aliases.manage'"),
        ("nobody", "unknown user 'nobody'"),
    ],
)
def test_only_a_person_allowed_to_manage_aliases_removes_one(user: str, says: str) -> None:
    store = open_store(":memory:")
    _team(store)
    exception = _monday_unidentified(store)
    _learn(store, exception)
    before = _counts(store)
    with pytest.raises(NotPermitted, match=re.escape(says)):
        remove_alias(store, user, "name", "ACME TRADING", "C42")
    assert _counts(store) == before
    store.close()


def test_the_note_names_the_day_in_utc() -> None:
    late = datetime.fromisoformat("2026-11-23T23:30:00-05:00")  # Tuesday 04:30 UTC
    assert learned_note("exc_1", "spec1", late) == "learned from exc_1 by spec1 on 2026-11-24"


# --- the CLI ------------------------------------------------------------------------------


def test_aliases_list_and_remove_through_the_cli(cli: CliRunner, db: Path) -> None:
    assert cli("init").code == 0
    assert cli("users", "add", "root", "--role", "admin").code == 0
    assert cli("--user", "root", "users", "add", "lead1", "--role", "lead").code == 0
    store = open_store(str(db))
    try:
        exception = _monday_unidentified(store)
        _learn(store, exception)
    finally:
        store.close()
    listed = cli("aliases", "list", "--format", "json")
    assert listed.code == 0, listed
    rows = json.loads(listed.stdout)
    assert [(r["customer_id"], r["kind"], r["value"], r["created_by"]) for r in rows] == [
        ("C42", "account", ACCOUNT, "spec1"),
        ("C42", "name", "ACME TRADING", "spec1"),
    ]
    assert cli("aliases", "list", "--customer", "C42", "--format", "csv").stdout.count("\n") == 3
    anonymous = cli("aliases", "remove", "name", "ACME TRADING", "--customer", "C42")
    assert anonymous.code == 2
    assert "--user" in anonymous.stderr
    missing = cli("--user", "lead1", "aliases", "remove", "name", "NOBODY", "--customer", "C42")
    assert missing.code == 2
    assert "has no name alias" in missing.stderr
    assert "Traceback" not in missing.stderr
    removed = cli(
        "--user", "lead1", "aliases", "remove", "name", "ACME TRADING", "--customer", "C42"
    )
    assert removed.code == 0, removed
    assert "removed name alias 'ACME TRADING' of C42" in removed.stdout
    left = json.loads(cli("aliases", "list", "--format", "json").stdout)
    assert [r["kind"] for r in left] == ["account"]
