"""Each queue action as a specification, on the demo's matched day (issue 13).

Every test starts from a copy of the same generated day: 40 customers, a BAI2 statement
and NACHA files, matched, leaving one exception of each kind the demo makes (ambiguous,
unidentified, duplicate, over and short payment, an ACH return). Each action is checked
for what it writes (applications, invoice open amounts, the exception), for its audit row
naming the user, and for DESIGN §7 afterwards; each refusal for changing nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from cashapp.config import DEFAULT_DEDUCTIONS, Config
from cashapp.domain import ActionRefused, Conflict, NotPermitted
from cashapp.journal import post_journal
from cashapp.queue import actions, checks, reversal, workflow
from cashapp.queue.policy import Policy
from cashapp.queue.splits import Rest, SplitLine
from cashapp.store import Store, open_store
from tests.queue_books import audit_rows, copy_book, exceptions_of, snapshot


@pytest.fixture
def store(demo_day: Path, tmp_path: Path) -> Iterator[Store]:
    with open_store(str(copy_book(demo_day, tmp_path / "day.duckdb"))) as opened:
        yield opened


def one(store: Store, type_: str) -> str:
    (found,) = exceptions_of(store, type_)
    return found


def exception_row(store: Store, exception: str) -> dict[str, Any]:
    cursor = store.execute("SELECT * FROM exceptions WHERE exception_id = ?", [exception])
    names = [d[0] for d in cursor.description or []]
    row = cursor.fetchone()
    assert row is not None
    return dict(zip(names, row, strict=True))


def open_amount(store: Store, invoice: str) -> Decimal:
    value = store.scalar("SELECT open_amount FROM invoices WHERE invoice_number = ?", [invoice])
    assert isinstance(value, Decimal)
    return value


def applications_of(store: Store, exception: str) -> list[tuple[Any, ...]]:
    """(invoice, amount, kind, method, created_by, reason) of the payment's active rows."""
    return store.fetchall(
        "SELECT invoice_number, amount, kind, method, created_by, reason_code FROM applications"
        " WHERE status = 'active' AND payment_id = (SELECT payment_id FROM exceptions"
        "  WHERE exception_id = ?) ORDER BY kind, invoice_number NULLS LAST, amount",
        [exception],
    )


def last_audit(store: Store, exception: str) -> dict[str, Any]:
    row = store.fetchall(
        "SELECT actor, action, detail FROM audit_log WHERE entity_id = ?"
        " ORDER BY audit_id DESC LIMIT 1",
        [exception],
    )[0]
    return {"actor": row[0], "action": row[1], **json.loads(row[2])}


def consistent(store: Store) -> None:
    assert checks.book_breaks(store) == []
    assert checks.daily_breaks(store) == []


def suggestions(store: Store, exception: str) -> list[dict[str, Any]]:
    value = json.loads(exception_row(store, exception)["suggestions"])
    assert isinstance(value, list)
    return value


# --- accept ------------------------------------------------------------------------------


def test_accepting_the_top_suggestion_applies_it_and_resolves_the_exception(store: Store) -> None:
    exc = one(store, "ambiguous")
    (invoice,) = suggestions(store, exc)[0]["invoices"]
    payment = exception_row(store, exc)["amount"]

    result = actions.accept(store, "spec1", exc, note="payer confirmed by phone")

    assert (result.status, result.version) == ("resolved", 2)
    assert applications_of(store, exc) == [(invoice, payment, "payment", "manual", "spec1", "")]
    assert open_amount(store, invoice) == 0
    row = exception_row(store, exc)
    assert (row["status"], row["version"]) == ("resolved", 2)
    assert row["resolved_at"] is not None
    assert json.loads(row["notes"])[0]["by"] == "spec1"
    audit = last_audit(store, exc)
    assert (audit["actor"], audit["action"]) == ("spec1", "accept")
    assert audit["before"]["status"] == "open"
    assert audit["after"]["status"] == "resolved"
    assert audit["before"]["free"] == str(payment.normalize()) or audit["before"]["free"]
    assert audit["after"]["free"] == "0.00"
    assert audit["note"] == "payer confirmed by phone"
    assert audit_rows(store, result.applications[0]) == [("spec1", "apply")]
    consistent(store)


def test_accepting_a_larger_suggestion_leaves_the_invoice_short_with_a_reason(
    store: Store,
) -> None:
    exc = one(store, "ambiguous")
    payment = exception_row(store, exc)["amount"]
    third = suggestions(store, exc)[2]
    (invoice,) = third["invoices"]
    before = open_amount(store, invoice)
    assert before > payment

    result = actions.accept(store, "spec1", exc, suggestion=3, rest="short:pricing")

    assert result.status == "resolved"
    assert open_amount(store, invoice) == before - payment
    assert exception_row(store, exc)["reason_code"] == "pricing"
    assert f"{invoice} keeps {before - payment:.2f} open (pricing short pay)" in result.message
    consistent(store)


# --- apply (split) -----------------------------------------------------------------------


def _two_open_invoices(store: Store, customer: str) -> list[tuple[str, Decimal]]:
    rows = store.fetchall(
        "SELECT invoice_number, open_amount FROM invoices WHERE customer_id = ?"
        " AND open_amount > 100 ORDER BY invoice_number LIMIT 2",
        [customer],
    )
    assert len(rows) == 2
    return [(str(r[0]), r[1]) for r in rows]


def test_a_split_across_invoices_puts_the_rest_on_account(store: Store) -> None:
    exc = one(store, "ambiguous")
    row = exception_row(store, exc)
    (a, open_a), (b, open_b) = _two_open_invoices(store, row["customer_id"])

    result = actions.apply(
        store, "spec1", exc, [f"{a}=10.00", SplitLine(b, "20.50")], rest=Rest("on-account")
    )

    rest = row["amount"] - Decimal("30.50")
    assert set(applications_of(store, exc)) == {
        (a, Decimal("10.00"), "payment", "manual", "spec1", ""),
        (b, Decimal("20.50"), "payment", "manual", "spec1", ""),
        (None, rest, "unapplied", "manual", "spec1", ""),
    }
    assert (open_amount(store, a), open_amount(store, b)) == (
        open_a - 10,
        open_b - Decimal("20.50"),
    )
    assert result.status == "resolved"
    assert f"{rest:.2f} on account" in result.message
    assert (
        store.scalar("SELECT status FROM payments WHERE payment_id = ?", [row["payment_id"]])
        == "applied"
    )
    consistent(store)


def test_a_split_that_leaves_cash_unapplied_is_refused_and_changes_nothing(store: Store) -> None:
    exc = one(store, "ambiguous")
    (a, _), _ = _two_open_invoices(store, exception_row(store, exc)["customer_id"])
    before = snapshot(store)
    with pytest.raises(ActionRefused, match="would be left unapplied"):
        actions.apply(store, "spec1", exc, [f"{a}=10.00"])
    assert snapshot(store) == before


def test_a_split_written_off_within_the_limit_books_each_deduction(store: Store) -> None:
    exc = one(store, "ambiguous")
    payment = exception_row(store, exc)["amount"]
    (invoice,) = suggestions(store, exc)[2]["invoices"]
    short = open_amount(store, invoice) - payment
    generous = Policy(write_off_limit=Decimal("1000.00"))

    result = actions.accept(
        store, "spec1", exc, suggestion=3, rest="write-off:freight", policy=generous
    )

    assert result.status == "resolved"
    assert (invoice, short, "writeoff", "manual", "spec1", "freight") in applications_of(store, exc)
    assert open_amount(store, invoice) == 0
    post_journal(store, Config().accounts)
    freight = store.scalar(
        "SELECT sum(debit) FROM journal_lines WHERE account = ?", [DEFAULT_DEDUCTIONS["freight"]]
    )
    assert freight == short
    consistent(store)


def test_the_payments_rest_cannot_be_short_paid(store: Store) -> None:
    exc = one(store, "ambiguous")
    (a, _), _ = _two_open_invoices(store, exception_row(store, exc)["customer_id"])
    with pytest.raises(ActionRefused, match="of the payment is left over"):
        actions.apply(store, "spec1", exc, [f"{a}=10.00"], rest="short:pricing")


# --- short pays and write-offs -----------------------------------------------------------


def test_a_short_pay_accepted_with_a_reason_keeps_the_invoice_open(store: Store) -> None:
    exc = one(store, "short_payment")
    invoice = exception_row(store, exc)["invoice_number"]
    before = open_amount(store, invoice)

    result = actions.apply(store, "spec1", exc, [], rest="short:damaged_goods")

    assert result.status == "resolved"
    assert open_amount(store, invoice) == before == Decimal("1000.00")
    assert exception_row(store, exc)["reason_code"] == "damaged_goods"
    consistent(store)


def test_a_write_off_within_the_limit_posts_to_its_deduction_account(store: Store) -> None:
    exc = one(store, "short_payment")
    invoice = exception_row(store, exc)["invoice_number"]

    result = actions.write_off(store, "spec1", exc, amount="3.20", reason="freight")

    assert (invoice, Decimal("3.20"), "writeoff", "manual", "spec1", "freight") in (
        applications_of(store, exc)
    )
    assert open_amount(store, invoice) == Decimal("996.80")
    row = exception_row(store, exc)
    assert (row["status"], row["amount"], result.status) == ("open", Decimal("996.80"), "open")
    post_journal(store, Config().accounts)
    lines = store.fetchall(
        "SELECT account, debit, credit FROM journal_lines WHERE entry_id = ? ORDER BY line_no",
        ["je_" + result.applications[0]],
    )
    assert lines == [
        (DEFAULT_DEDUCTIONS["freight"], Decimal("3.20"), 0),
        (Config().accounts["accounts_receivable"], 0, Decimal("3.20")),
    ]
    consistent(store)


def test_the_write_off_reason_comes_from_the_remittance_when_not_given(store: Store) -> None:
    exc = one(store, "short_payment")
    store.execute(
        "UPDATE payments SET remittance = 'INV-100230 LESS DAMAGED GOODS' WHERE payment_id ="
        " (SELECT payment_id FROM exceptions WHERE exception_id = ?)",
        [exc],
    )
    result = actions.write_off(store, "spec1", exc, amount="12.00")
    assert "(damaged_goods) (reason from the remittance" in result.message
    assert exception_row(store, exc)["reason_code"] == "damaged_goods"


def test_a_write_off_without_a_reason_anywhere_is_refused(store: Store) -> None:
    exc = one(store, "short_payment")  # remittance: "INV-100230 PARTIAL"
    with pytest.raises(ActionRefused, match=r"say why \(--reason\); the \[deductions\] codes"):
        actions.write_off(store, "spec1", exc, amount="12.00")


# --- on account, link, duplicate, refund -------------------------------------------------


def test_an_unidentified_payment_goes_on_account_once_its_payer_is_linked(store: Store) -> None:
    exc = one(store, "unidentified")
    with pytest.raises(ActionRefused, match="link it first"):
        actions.on_account(store, "spec1", exc)

    linked = workflow.link(store, "spec1", exc, customer="C1005")
    assert (linked.status, linked.version) == ("open", 2)
    row = exception_row(store, exc)
    assert (row["type"], row["customer_id"]) == ("unmatched", "C1005")
    assert (
        store.scalar("SELECT customer_id FROM payments WHERE payment_id = ?", [row["payment_id"]])
        == "C1005"
    )

    result = actions.on_account(store, "spec1", exc)
    assert result.status == "resolved"
    assert applications_of(store, exc) == [
        (None, Decimal("1234.56"), "unapplied", "manual", "spec1", "")
    ]
    assert [a for _, a in audit_rows(store, exc)][-2:] == ["link", "on-account"]
    consistent(store)


@pytest.mark.parametrize("how", ["link", "apply"])
def test_the_payer_is_learned_when_linked_or_resolved_by_hand(store: Store, how: str) -> None:
    exc = one(store, "unidentified")
    if how == "link":
        workflow.link(store, "spec1", exc, customer="C1005")
    else:
        invoice = store.scalar(
            "SELECT invoice_number FROM invoices WHERE customer_id = 'C1005'"
            " AND open_amount >= 1234.56 ORDER BY 1 LIMIT 1"
        )
        actions.apply(store, "spec1", exc, [f"{invoice}=1234.56"])
    learned = store.fetchall(
        "SELECT DISTINCT customer_id, created_by FROM customer_aliases WHERE learned_from = ?",
        [exc],
    )
    assert learned == [("C1005", "spec1")]


def test_refunding_an_over_payment_spends_its_cash_on_account(store: Store) -> None:
    exc = one(store, "over_payment")
    result = actions.refund(store, "spec1", exc)

    assert result.status == "resolved"
    assert len(result.reversals) == 1
    kinds = {(k, a) for _, a, k, *_ in applications_of(store, exc)}
    assert ("refund", Decimal("300.00")) in kinds
    assert not any(k == "unapplied" for k, _ in kinds)
    accounts = Config().accounts
    post_journal(store, accounts)
    payable = store.scalar(
        "SELECT sum(credit) - sum(debit) FROM journal_lines WHERE account = ?",
        [accounts["refunds_payable"]],
    )
    assert payable == Decimal("300.00")
    consistent(store)
    assert checks.ledger_breaks(store, accounts, DEFAULT_DEDUCTIONS) == []


def test_a_duplicate_marked_by_hand_is_then_refunded(store: Store) -> None:
    exc = one(store, "ambiguous")
    marked = workflow.duplicate(store, "spec1", exc, of="INV-100461")
    row = exception_row(store, exc)
    assert (marked.status, row["type"], row["invoice_number"]) == (
        "open",
        "duplicate_payment",
        "INV-100461",
    )
    result = actions.refund(store, "spec1", exc, policy=Policy(refund_limit=Decimal("50000")))
    assert result.status == "resolved"
    consistent(store)


def test_an_over_payment_kept_on_account_is_resolved_without_new_rows(store: Store) -> None:
    exc = one(store, "over_payment")
    before = applications_of(store, exc)
    result = actions.on_account(store, "spec1", exc)
    assert result.status == "resolved"
    assert result.applications == ()
    assert applications_of(store, exc) == before


def test_cash_on_account_can_be_applied_to_another_invoice(store: Store) -> None:
    exc = one(store, "over_payment")
    customer = exception_row(store, exc)["customer_id"] or store.scalar(
        "SELECT customer_id FROM invoices WHERE invoice_number = 'INV-100438'"
    )
    (other, _), _ = _two_open_invoices(store, customer)
    result = actions.apply(store, "spec1", exc, [f"{other}=120.00"], rest="on-account")
    assert result.status == "resolved"
    on_account = [a for _, a, k, *_ in applications_of(store, exc) if k == "unapplied"]
    assert on_account == [Decimal("180.00")]
    consistent(store)


# --- returns, dismiss, assign, note ------------------------------------------------------


def test_an_ach_return_is_acknowledged(store: Store) -> None:
    exc = one(store, "ach_return")
    result = workflow.ack(store, "spec1", exc, note="customer called, will pay by wire")
    assert result.status == "resolved"
    assert exception_row(store, exc)["resolution"] == "ach_return R01 acknowledged"
    consistent(store)


def test_an_ach_return_is_re_presented(store: Store) -> None:
    exc = one(store, "ach_return")
    result = workflow.re_present(store, "spec1", exc)
    assert result.status == "resolved"
    assert "re-presented" in result.message


def test_only_a_return_or_chargeback_can_be_acknowledged(store: Store) -> None:
    with pytest.raises(ActionRefused, match="only a return or chargeback"):
        workflow.ack(store, "spec1", one(store, "short_payment"))


def test_dismissing_an_exception_that_holds_cash_is_refused(store: Store) -> None:
    exc = one(store, "unidentified")
    before = snapshot(store)
    with pytest.raises(ActionRefused, match=r"still holds 1234.56 USD .* lose it from the day"):
        workflow.dismiss(store, "spec1", exc, note="booked elsewhere")
    assert snapshot(store) == before


def test_a_short_pay_may_be_dismissed_with_a_note(store: Store) -> None:
    exc = one(store, "short_payment")
    result = workflow.dismiss(store, "spec1", exc, note="collections will chase the 1000.00")
    assert result.status == "dismissed"
    assert (
        exception_row(store, exc)["resolution"] == "dismissed: collections will chase the 1000.00"
    )
    consistent(store)


def test_assigning_puts_the_exception_in_review_with_its_assignee(store: Store) -> None:
    exc = one(store, "unidentified")
    result = workflow.assign(store, "spec1", exc, to="spec2")
    row = exception_row(store, exc)
    assert (result.status, row["assignee"], row["version"]) == ("in_review", "spec2", 2)
    with pytest.raises(ActionRefused, match="already assigned to spec2"):
        workflow.assign(store, "spec1", exc, to="spec2")
    with pytest.raises(ActionRefused, match=r"cannot assign .* to acct1: .*lacks"):
        workflow.assign(store, "spec1", exc, to="acct1")
    with pytest.raises(ActionRefused, match=r"cannot assign .* to nobody1: unknown user"):
        workflow.assign(store, "spec1", exc, to="nobody1")


def test_a_note_is_kept_with_who_and_when_even_on_a_closed_exception(store: Store) -> None:
    exc = one(store, "ach_return")
    workflow.ack(store, "spec1", exc)
    result = workflow.note(store, "spec2", exc, "called AP")
    (entry,) = json.loads(exception_row(store, exc)["notes"])
    assert (entry["by"], entry["text"], result.version) == ("spec2", "called AP", 3)
    assert audit_rows(store, exc)[-1] == ("spec2", "note")


# --- reversal ----------------------------------------------------------------------------


def test_reversing_an_automatic_application_reopens_the_invoice_and_queues_the_cash(
    store: Store,
) -> None:
    app, payment, invoice, amount = store.fetchall(
        "SELECT a.application_id, a.payment_id, a.invoice_number, a.amount FROM applications a"
        " WHERE a.method = 'auto' AND a.kind = 'payment' AND a.status = 'active'"
        " AND a.payment_id NOT IN (SELECT payment_id FROM exceptions)"
        " AND (SELECT count(*) FROM applications b WHERE b.payment_id = a.payment_id) = 1"
        " ORDER BY 1 LIMIT 1"
    )[0]
    before = open_amount(store, invoice)

    result = reversal.reverse(store, "spec1", app[:10], note="wrong customer")

    assert open_amount(store, invoice) == before + amount
    assert (
        store.scalar("SELECT status FROM payments WHERE payment_id = ?", [payment]) == "unapplied"
    )
    assert result.exception_id is not None
    assert result.status == "open"
    row = exception_row(store, result.exception_id)
    assert (row["type"], row["amount"], row["payment_id"]) == ("unmatched", amount, payment)
    assert "wrong customer" in row["detail"]
    assert audit_rows(store, app)[-1] == ("spec1", "reverse")
    consistent(store)

    again = actions.apply(store, "spec2", result.exception_id, [invoice])
    assert again.status == "resolved"
    assert open_amount(store, invoice) == before
    consistent(store)


def test_reversing_a_manual_application_reopens_its_exception(store: Store) -> None:
    exc = one(store, "ambiguous")
    (invoice,) = suggestions(store, exc)[0]["invoices"]
    accepted = actions.accept(store, "spec1", exc)

    result = reversal.reverse(store, "lead1", accepted.applications[0], note="wrong twin")

    row = exception_row(store, exc)
    assert (result.exception_id, row["status"], row["version"]) == (exc, "open", 3)
    assert row["resolved_at"] is None
    assert row["resolution"] == ""
    assert open_amount(store, invoice) == row["amount"]
    with pytest.raises(Conflict, match="already reversed: reverse by lead1"):
        reversal.reverse(store, "spec1", accepted.applications[0], note="again")
    with pytest.raises(ActionRefused, match="is itself the reversal"):
        reversal.reverse(store, "spec1", result.reversals[0], note="undo the undo")
    consistent(store)


def test_reversing_a_refund_puts_its_cash_back_in_the_queue(store: Store) -> None:
    exc = one(store, "over_payment")
    refunded = actions.refund(store, "spec1", exc)
    result = reversal.reverse(
        store, "spec1", refunded.applications[0], note="customer keeps credit"
    )
    assert result.exception_id == exc
    assert result.status == "open"
    assert exception_row(store, exc)["type"] == "unmatched"  # it holds cash now, not an over pay
    consistent(store)


# --- locking, roles ----------------------------------------------------------------------


def test_acting_on_a_version_someone_changed_is_a_conflict_naming_them(store: Store) -> None:
    exc = one(store, "ambiguous")
    read = exception_row(store, exc)["version"]
    workflow.note(store, "spec2", exc, "looking at it")
    before = snapshot(store)
    with pytest.raises(Conflict, match=r"changed since you read version 1 .* note by spec2 at"):
        actions.accept(store, "spec1", exc, version=read)
    assert snapshot(store) == before


def test_a_resolved_exception_cannot_be_resolved_again(store: Store) -> None:
    exc = one(store, "ambiguous")
    actions.accept(store, "spec1", exc)
    before = snapshot(store)
    with pytest.raises(Conflict, match="already resolved: accept by spec1 at"):
        actions.accept(store, "spec2", exc)
    assert snapshot(store) == before


def test_a_write_conflict_between_two_connections_is_a_conflict(store: Store) -> None:
    """Two connections of one process (the web server's, later): DuckDB refuses the second
    writer of the same row; the action reports a conflict and writes nothing."""
    exc = one(store, "ambiguous")
    other = Store(store.path)
    try:
        other.execute("BEGIN TRANSACTION")
        # what another action's update_exception does, not yet committed
        other.execute(
            "UPDATE exceptions SET assignee = 'spec2', version = version + 1"
            " WHERE exception_id = ? AND version = 1",
            [exc],
        )
        before = snapshot(store)
        with pytest.raises(Conflict, match="at the same moment"):
            actions.accept(store, "spec1", exc)
        assert snapshot(store) == before
        other.execute("ROLLBACK")
    finally:
        other.close()


@pytest.mark.parametrize(
    ("user", "message"),
    [
        ("nobody1", "unknown user 'nobody1'"),
        ("gone1", "user 'gone1' is disabled"),
        ("acct1", r"user 'acct1' \(accountant\) lacks the permission 'queue.resolve'"),
    ],
)
def test_the_role_is_checked_in_the_service(store: Store, user: str, message: str) -> None:
    before = snapshot(store)
    with pytest.raises(NotPermitted, match=message):
        actions.accept(store, user, one(store, "ambiguous"))
    assert snapshot(store) == before


# --- every action's audit row ------------------------------------------------------------

AUDITED: dict[str, tuple[str, Callable[[Store, str], object]]] = {
    "accept": ("ambiguous", lambda s, e: actions.accept(s, "spec2", e, note="n")),
    "apply": ("ambiguous", lambda s, e: actions.apply(s, "spec2", e, ["INV-100461"], note="n")),
    "on-account": ("over_payment", lambda s, e: actions.on_account(s, "spec2", e, note="n")),
    "write-off": (
        "short_payment",
        lambda s, e: actions.write_off(s, "spec2", e, amount="1.00", reason="tax", note="n"),
    ),
    "refund": ("over_payment", lambda s, e: actions.refund(s, "spec2", e, note="n")),
    "duplicate": ("unidentified", lambda s, e: workflow.duplicate(s, "spec2", e, note="n")),
    "link": ("unidentified", lambda s, e: workflow.link(s, "spec2", e, customer="C1005", note="n")),
    "ack": ("ach_return", lambda s, e: workflow.ack(s, "spec2", e, note="n")),
    "re-present": ("ach_return", lambda s, e: workflow.re_present(s, "spec2", e, note="n")),
    "dismiss": ("short_payment", lambda s, e: workflow.dismiss(s, "spec2", e, note="n")),
    "assign": ("ambiguous", lambda s, e: workflow.assign(s, "spec2", e, to="spec1", note="n")),
    "note": ("ambiguous", lambda s, e: workflow.note(s, "spec2", e, "n")),
}


@pytest.mark.parametrize("action", sorted(AUDITED))
def test_every_action_has_its_audit_row_with_the_user(store: Store, action: str) -> None:
    type_, act = AUDITED[action]
    exc = one(store, type_)
    act(store, exc)
    audit = last_audit(store, exc)
    assert (audit["actor"], audit["action"], audit["note"]) == ("spec2", action, "n")
    assert audit["before"]["version"] == 1
    assert audit["after"]["status"] == exception_row(store, exc)["status"]
    assert audit["version"] == 2 == exception_row(store, exc)["version"]
    consistent(store)


# --- refusals change nothing -------------------------------------------------------------

Refusal = Callable[[Store], object]


def _eur_invoice(store: Store) -> str:
    store.execute(
        "INSERT INTO invoices SELECT * REPLACE ('INV-EUR-1' AS invoice_number, 'EUR' AS currency,"
        " 'eur1' AS ref_key) FROM invoices WHERE invoice_number = 'INV-100461'"
    )
    return "INV-EUR-1"


REFUSALS: dict[str, tuple[Refusal, str]] = {
    "an invoice over-applied": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-100461=19372.04"]),
        "would over-apply it",
    ),
    "an unknown invoice": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-999999=1.00"]),
        "no invoice 'INV-999999'",
    ),
    "an invoice in another currency": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), [_eur_invoice(s)]),
        "is in EUR, the payment in USD",
    ),
    "an invoice named twice": (
        lambda s: actions.apply(
            s, "spec1", one(s, "ambiguous"), ["INV-100461=1.00", "INV-100461=2.00"]
        ),
        "named twice",
    ),
    "more decimals than the currency has": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-100461=19372.025"]),
        "more decimal places than USD allows",
    ),
    "a negative amount": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-100461=-5"]),
        "must be more than zero",
    ),
    "a split larger than the payment": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-100461", "INV-600461"]),
        "but the payment has 19372.03 USD to apply",
    ),
    "an invoice already paid": (
        lambda s: actions.accept(s, "spec1", one(s, "duplicate_payment")),
        "has nothing open now",
    ),
    "a missing suggestion": (
        lambda s: actions.accept(s, "spec1", one(s, "ambiguous"), suggestion=4),
        "has 3 suggestion",
    ),
    "a write-off larger than the invoice's rest": (
        lambda s: actions.write_off(
            s, "spec1", one(s, "short_payment"), amount="1000.01", reason="other"
        ),
        "would over-apply it",
    ),
    "an unknown reason code": (
        lambda s: actions.write_off(
            s, "spec1", one(s, "short_payment"), amount="1.00", reason="weather"
        ),
        "unknown reason 'weather'",
    ),
    "a write-off of unapplied cash": (
        lambda s: actions.write_off(
            s, "spec1", one(s, "ambiguous"), amount="1.00", reason="other", invoice="INV-100461"
        ),
        "not applied yet",
    ),
    "a refund larger than the cash": (
        lambda s: actions.refund(s, "spec1", one(s, "over_payment"), amount="300.01"),
        "more than the 300.00 USD",
    ),
    "nothing to put on account": (
        lambda s: actions.on_account(s, "spec1", one(s, "short_payment")),
        "nothing to put on account",
    ),
    "money actions on a return": (
        lambda s: actions.refund(s, "spec1", one(s, "ach_return")),
        "there is no received cash to apply",
    ),
    "a dismissal without a note": (
        lambda s: workflow.dismiss(s, "spec1", one(s, "short_payment"), note=" "),
        "needs a note",
    ),
    "an unknown customer": (
        lambda s: workflow.link(s, "spec1", one(s, "unidentified"), customer="C9999"),
        "no customer 'C9999'",
    ),
    "an empty note": (lambda s: workflow.note(s, "spec1", one(s, "ambiguous"), ""), "empty"),
    "an unknown exception": (
        lambda s: actions.on_account(s, "spec1", "exc_ffffffff"),
        "no exception 'exc_ffffffff'",
    ),
    "a token too short to be an id": (
        lambda s: actions.on_account(s, "spec1", "exc_12"),
        "at least 6 of its hex",
    ),
    "an unknown application": (
        lambda s: reversal.reverse(s, "spec1", "app_ffffffffff", note="x"),
        "no application",
    ),
    "a reversal without a note": (
        lambda s: reversal.reverse(s, "spec1", "app_ffffffffff", note=""),
        "needs a note",
    ),
    "an unknown rest": (
        lambda s: actions.apply(s, "spec1", one(s, "ambiguous"), ["INV-100461"], rest="later"),
        "unknown rest 'later'",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_action_changes_nothing(store: Store, case: str) -> None:
    refuse, message = REFUSALS[case]
    before = snapshot(store)
    with pytest.raises(ActionRefused, match=message) as refused:
        refuse(store)
    assert "\n" not in str(refused.value)
    after = snapshot(store)
    after["invoices"] = [r for r in after["invoices"] if r[0] != "INV-EUR-1"]
    assert after == before
