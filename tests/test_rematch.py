"""Re-match (issue 13, point 6): after new master data, ``match`` re-decides what it explains.

The issue's finding: "adding the missing customer and invoice and re-running match
decided 0 payments". Now an open exception that a change since may explain (a customer
or invoice imported, an alias learned) and that no person touched is closed as
``rematched`` and its payment decided again -- applied, or queued again with fresh
suggestions -- never doubled; an exception a person touched, or one no change explains,
stays as it is; and a second run changes nothing.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from cashapp.config import Config
from cashapp.domain import PaymentRecord, stable_key
from cashapp.ingest.write import write_result
from cashapp.keys import name_key
from cashapp.matching.pipeline import run_match
from cashapp.matching.rematch import reopen_candidates
from cashapp.store import Store, open_store, utcnow
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from connectors.base import ExtractResult
from tests.conftest import CliRunner

MONDAY = date(2026, 11, 23)


def _customer(store: Store, customer_id: str, name: str) -> None:
    now = utcnow()
    store.execute(
        "INSERT INTO customers VALUES (?, ?, '', 'USD', 'NET30', ?, ?, ?)",
        [customer_id, name, name_key(name), now, now],
    )


def _invoice(store: Store, number: str, customer_id: str, amount: str) -> None:
    now = utcnow()
    store.execute(
        "INSERT INTO invoices VALUES (?, ?, ?, ?, ?, ?, 0, ?, 'USD', '', 'NET30', ?, ?)",
        [number, number.split("-")[1], customer_id, MONDAY - timedelta(days=10),
         MONDAY + timedelta(days=20), Decimal(amount), Decimal(amount), now, now],
    )  # fmt: skip


def _pay(
    store: Store, tag: str, amount: str, payer: str, remittance: str = "", account: str = ""
) -> str:
    record = PaymentRecord(
        "nacha", f"T{tag}", stable_key(tag), "payment", Decimal(amount), "USD", MONDAY,
        payer_name=payer, remittance=remittance, payer_account=account,
    )  # fmt: skip
    write_result(store, stable_key("file", tag), tag, "nacha", ExtractResult((record,)), "test")
    return str(store.scalar("SELECT payment_id FROM payments WHERE source_ref = ?", [f"T{tag}"]))


def _exceptions(store: Store, payment_id: str) -> list[tuple[str, str, str, str, int]]:
    return [
        (str(e), str(t), str(s), str(r), int(v))
        for e, t, s, r, v in store.fetchall(
            "SELECT exception_id, type, status, resolution, version FROM exceptions"
            " WHERE payment_id = ? ORDER BY opened_at, exception_id",
            [payment_id],
        )
    ]


def _applied(store: Store, payment_id: str) -> list[tuple[str, str]]:
    return [
        (str(i), str(r))
        for i, r in store.fetchall(
            "SELECT invoice_number, rule FROM applications WHERE payment_id = ?"
            " AND status = 'active' ORDER BY 1",
            [payment_id],
        )
    ]


def _everything(store: Store) -> dict[str, list[tuple[object, ...]]]:
    tables = ("payments", "invoices", "applications", "exceptions", "audit_log", "customer_aliases")
    return {t: sorted(store.fetchall(f"SELECT * FROM {t}"), key=repr) for t in tables}


def check_invariants(store: Store) -> None:
    """DESIGN §7 with re-matches: only the live exceptions explain what is not applied."""
    assert (
        store.fetchall(
            "SELECT payment_id FROM exceptions WHERE status IN ('open', 'in_review')"
            " GROUP BY payment_id HAVING count(*) > 1"
        )
        == []
    )
    assert (
        store.fetchall(
            "SELECT i.invoice_number FROM invoices i LEFT JOIN (SELECT invoice_number, sum(amount) s"
            "  FROM applications WHERE status = 'active' GROUP BY ALL) a USING (invoice_number)"
            " WHERE i.open_amount < 0 OR i.open_amount > i.amount"
            "  OR i.open_amount <> i.amount - i.settled_outside - coalesce(a.s, 0)"
        )
        == []
    )
    assert (
        store.fetchall(
            "SELECT p.payment_id FROM payments p"
            " LEFT JOIN (SELECT payment_id, sum(amount) s FROM applications WHERE status = 'active'"
            "   AND kind IN ('payment', 'unapplied') GROUP BY ALL) a USING (payment_id)"
            " LEFT JOIN (SELECT payment_id, sum(amount) s FROM exceptions"
            "   WHERE type IN ('unmatched', 'unidentified', 'ambiguous', 'duplicate_payment',"
            "    'currency_mismatch') AND resolution <> 'rematched' GROUP BY ALL) e"
            "  USING (payment_id)"
            " WHERE p.kind = 'payment' AND p.matched_at IS NOT NULL"
            "  AND (abs(p.amount) < coalesce(a.s, 0)"
            "   OR coalesce(a.s, 0) + coalesce(e.s, 0) <> abs(p.amount))"
        )
        == []
    )


# --- the finding ------------------------------------------------------------------


def test_the_missing_customer_and_invoice_imported_decide_the_payment() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payment = _pay(store, "n", "1200.00", "NORTHWIND TRADERS")
    run_match(store, Config())
    [(first, type_, _, _, _)] = _exceptions(store, payment)
    assert type_ == "unidentified"
    _customer(store, "C77", "Northwind Traders Inc")
    _invoice(store, "INV-9001", "C77", "1200.00")
    summary = run_match(store, Config())
    assert (summary.rematched, summary.payments, summary.applied) == (1, 1, 1)
    assert _exceptions(store, payment) == [(first, "unidentified", "resolved", "rematched", 2)]
    assert _applied(store, payment) == [("INV-9001", "cust-single")]
    [(actor, detail)] = store.fetchall(
        "SELECT actor, detail FROM audit_log WHERE action = 'rematch' AND entity_id = ?", [first]
    )
    assert actor == "system:matcher"
    assert json.loads(detail) == {
        "payment": payment,
        "reason": "customer C77 imported or changed",
    }
    assert store.scalar("SELECT status FROM v_payments WHERE payment_id = ?", [payment]) == (
        "applied"
    )
    check_invariants(store)
    store.close()


def test_an_invoice_the_remittance_names_imported_later_decides_the_payment() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payment = _pay(store, "r", "640.00", "ACME CORP", remittance="INV 7777")
    run_match(store, Config())
    assert _exceptions(store, payment)[0][1] == "unmatched"
    _invoice(store, "INV-7777", "C1", "640.00")
    assert run_match(store, Config()).rematched == 1
    assert _applied(store, payment) == [("INV-7777", "ref-exact")]
    reason = store.scalar("SELECT detail FROM audit_log WHERE action = 'rematch'")
    assert json.loads(reason)["reason"] == "invoice INV-7777 named in the remittance imported"
    check_invariants(store)
    store.close()


def test_a_payment_still_unexplained_is_queued_again_with_fresh_suggestions() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payment = _pay(store, "q", "300.00", "ACME CORP")
    run_match(store, Config())
    [(first, *state)] = _exceptions(store, payment)
    assert state == ["unmatched", "open", "", 1]
    # two invoices of the amount: either could be the one paid
    _invoice(store, "INV-5001", "C1", "300.00")
    _invoice(store, "INV-5002", "C1", "300.00")
    assert run_match(store, Config()).rematched == 1
    old, new = _exceptions(store, payment)
    assert old == (first, "unmatched", "resolved", "rematched", 2)
    assert new[1:] == ("ambiguous", "open", "", 1)
    assert new[0] != first  # a new id: the closed one keeps its own
    suggestions = json.loads(
        store.scalar("SELECT suggestions FROM exceptions WHERE exception_id = ?", [new[0]])
    )
    assert {s["invoices"][0] for s in suggestions} == {"INV-5001", "INV-5002"}
    assert _applied(store, payment) == []
    check_invariants(store)
    store.close()


# --- what is left alone -------------------------------------------------------------------


def test_a_change_nothing_points_at_leaves_the_exception_alone() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payment = _pay(store, "u", "300.00", "ACME CORP")
    run_match(store, Config())
    before = _exceptions(store, payment)
    _customer(store, "C2", "Globex Corporation")  # another customer
    _invoice(store, "INV-6001", "C1", "900.00")  # above the amount: cannot be what was paid
    _invoice(store, "INV-6002", "C2", "300.00")  # the amount, but another customer's
    summary = run_match(store, Config())
    assert (summary.rematched, summary.payments) == (0, 0)
    assert _exceptions(store, payment) == before
    store.close()


def test_a_change_is_looked_at_once_not_on_every_later_run() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    _pay(store, "o", "300.00", "ACME CORP")
    run_match(store, Config())
    _customer(store, "C2", "Globex Corporation")
    run_match(store, Config())  # looks at the change, finds it explains nothing
    store.execute("BEGIN TRANSACTION")
    try:
        assert reopen_candidates(store) == 0  # the next run does not look again
    finally:
        store.execute("ROLLBACK")
    store.close()


def test_an_account_a_run_learns_decides_an_earlier_payment_from_it() -> None:
    store = open_store(":memory:")
    _customer(store, "C4", "Initech Software")
    _invoice(store, "INV-6001", "C4", "500.00")
    _invoice(store, "INV-6002", "C4", "740.00")
    # Monday morning: the originator pays 740.00 without a word: nobody knows it
    first = _pay(store, "m1", "740.00", "IT DEPT PAYABLES", account="ach:1234567890")
    run_match(store, Config())
    assert _exceptions(store, first)[0][1] == "unidentified"
    # Monday noon: it pays INV-6001 by name; the run learns the originator is C4
    _pay(store, "m2", "500.00", "IT DEPT PAYABLES", "INV 6001", account="ach:1234567890")
    run_match(store, Config())
    # the next run re-decides the morning's payment from the learned account
    assert run_match(store, Config()).rematched == 1
    assert _applied(store, first) == [("INV-6002", "cust-single")]
    reason = store.scalar("SELECT detail FROM audit_log WHERE action = 'rematch'")
    assert json.loads(reason)["reason"] == (
        "payer account alias of C4 learned from " + _payment_of(store, "m2")
    )
    check_invariants(store)
    store.close()


def _payment_of(store: Store, tag: str) -> str:
    return str(store.scalar("SELECT payment_id FROM payments WHERE source_ref = ?", [f"T{tag}"]))


#: How a person touches an exception, as the queue's actions (another part of issue 13)
#: record it: a new version, a note, an assignee, a status, or an audit row of theirs.
TOUCHES = {
    "version": "UPDATE exceptions SET version = 2 WHERE exception_id = ?",
    "note": 'UPDATE exceptions SET notes = \'[{"by": "spec1", "text": "called AP"}]\''
    " WHERE exception_id = ?",
    "assignee": "UPDATE exceptions SET assignee = 'spec2' WHERE exception_id = ?",
    "in review": "UPDATE exceptions SET status = 'in_review' WHERE exception_id = ?",
}


@pytest.mark.parametrize("touch", [*TOUCHES, "audit row"])
def test_an_exception_a_person_touched_is_left_alone(touch: str) -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payment = _pay(store, "t", "1200.00", "NORTHWIND TRADERS")
    run_match(store, Config())
    [(exception, *_)] = _exceptions(store, payment)
    if touch == "audit row":
        store.audit("spec1", "view", "exception", exception, {})
    else:
        store.execute(TOUCHES[touch], [exception])
    before = _everything(store)
    _customer(store, "C77", "Northwind Traders Inc")
    _invoice(store, "INV-9001", "C77", "1200.00")
    summary = run_match(store, Config())
    assert (summary.rematched, summary.payments) == (0, 0)
    after = _everything(store)
    for table in ("payments", "applications", "exceptions", "audit_log"):
        assert after[table] == before[table], table
    store.close()


def test_a_second_match_changes_nothing() -> None:
    store = open_store(":memory:")
    _customer(store, "C1", "Acme Corp")
    payments = [
        _pay(store, "a", "1200.00", "NORTHWIND TRADERS"),
        _pay(store, "b", "300.00", "ACME CORP"),
        _pay(store, "c", "75.00", "SOMEONE ELSE"),
    ]
    run_match(store, Config())
    _customer(store, "C77", "Northwind Traders Inc")
    _invoice(store, "INV-9001", "C77", "1200.00")
    _invoice(store, "INV-5001", "C1", "250.00")
    assert run_match(store, Config()).rematched == 2  # a (applied) and b (queued again)
    before = _everything(store)
    summary = run_match(store, Config())
    assert (summary.rematched, summary.payments) == (0, 0)
    assert _everything(store) == before
    assert [len(_exceptions(store, p)) for p in payments] == [1, 2, 1]
    check_invariants(store)
    store.close()


def test_a_dry_run_says_what_it_would_re_decide_and_writes_nothing() -> None:
    store = open_store(":memory:")
    payment = _pay(store, "d", "1200.00", "NORTHWIND TRADERS")
    run_match(store, Config())
    _customer(store, "C77", "Northwind Traders Inc")
    _invoice(store, "INV-9001", "C77", "1200.00")
    before = _everything(store)
    assert run_match(store, Config(), dry_run=True).rematched == 1
    assert _everything(store) == before
    assert _exceptions(store, payment)[0][2] == "open"
    store.close()


# --- through the CLI, as the issue tried it -----------------------------------------------


def _bai2(path: Path, payer: str, amount: str) -> Path:
    account = Bai2Account(
        "987654321", "USD", (Bai2Transaction("195", Decimal(amount), "FW1", "", f"ORG={payer}"),)
    )
    path.write_bytes(
        write_bai2(
            [account], sender="021000021", receiver="OURCO", file_id="F1",
            created=datetime(2026, 11, 23, 6, 0, tzinfo=UTC), as_of=MONDAY,
        )
    )  # fmt: skip
    return path


def test_match_after_importing_the_missing_master_data_decides_the_payment(
    cli: CliRunner, db: Path, tmp_path: Path
) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("customer_id,name,email,currency,terms\nC1,Acme Corp,,USD,NET30\n")
    assert cli("import", "customers", customers).code == 0
    assert cli("ingest", _bai2(tmp_path / "day.bai2", "NORTHWIND TRADERS", "1200.00")).code == 0
    first = cli("match")
    assert "1 unapplied" in first.stdout
    customers.write_text(customers.read_text() + "C77,Northwind Traders Inc,,USD,NET30\n")
    invoices = tmp_path / "invoices.csv"
    invoices.write_text(
        "invoice_number,customer_id,invoice_date,due_date,amount,open_amount,currency,"
        "po_number,terms\nINV-9001,C77,2026-11-01,2026-12-01,1200.00,,USD,,NET30\n"
    )
    assert cli("import", "customers", customers).code == 0
    assert cli("import", "invoices", invoices).code == 0
    second = cli("match")
    assert second.code == 0, second
    assert "decided 1 payments -> 1 applied" in second.stdout
    assert "re-decided 1 queued payments" in second.stdout
    listed = cli("exceptions", "list", "--format", "json")
    assert json.loads(listed.stdout) == []
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT invoice_number FROM applications").fetchall() == [("INV-9001",)]
    finally:
        con.close()
    third = cli("match")
    assert "decided 0 payments" in third.stdout
    assert "re-decided" not in third.stdout
