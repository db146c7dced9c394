"""Maker-checker, as an auditor would test it (issue 13, item 4).

A write-off over ``[approval] write_off_limit`` or a refund over ``refund_limit`` waits as
a pending approval: nothing is written but the request, nothing reaches the journal; the
maker can never approve their own; only a lead decides; an approval posts the action
through the same writer in one transaction; a rejection posts nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from cashapp.config import Config
from cashapp.domain import ActionRefused, Conflict, NotPermitted
from cashapp.journal import post_journal
from cashapp.queue import actions, approvals, checks, workflow
from cashapp.queue.policy import Policy
from cashapp.store import Store, open_store
from tests.queue_books import audit_rows, copy_book, exceptions_of, snapshot


@pytest.fixture
def store(demo_day: Path, tmp_path: Path) -> Iterator[Store]:
    with open_store(str(copy_book(demo_day, tmp_path / "day.duckdb"))) as opened:
        yield opened


def short_pay(store: Store) -> str:
    (found,) = exceptions_of(store, "short_payment")
    return found


def write_offs(store: Store) -> list[tuple[object, ...]]:
    return store.fetchall(
        "SELECT invoice_number, amount, created_by, approval_id FROM applications"
        " WHERE kind = 'writeoff' AND method = 'manual' ORDER BY ALL"
    )


def test_a_write_off_over_the_limit_waits_and_posts_nothing(store: Store) -> None:
    exc = short_pay(store)
    accounts = Config().accounts
    post_journal(store, accounts)
    journal = snapshot(store)["journal_lines"]

    result = actions.write_off(store, "spec1", exc, amount="1000.00", reason="damaged_goods")

    assert result.status == "pending_approval"
    assert result.approval_id is not None
    assert "over the limit of 50.00" in result.message
    assert write_offs(store) == []
    (pending,) = approvals.list_approvals(store)
    assert (pending.action, pending.amount, pending.maker, pending.state) == (
        "write-off",
        Decimal("1000.00"),
        "spec1",
        "pending",
    )
    assert pending.parameters == {"amount": "1000.00", "reason": "damaged_goods", "invoice": None}
    assert store.scalar("SELECT status FROM exceptions WHERE exception_id = ?", [exc]) == (
        "in_review"
    )
    assert post_journal(store, accounts).entries == 0
    assert snapshot(store)["journal_lines"] == journal
    assert audit_rows(store, exc)[-1] == ("spec1", "request_approval")


def test_the_maker_can_never_approve_their_own(store: Store) -> None:
    lead_made = actions.write_off(
        store, "lead1", short_pay(store), amount="1000.00", reason="damaged_goods"
    )
    assert lead_made.approval_id is not None
    before = snapshot(store)
    with pytest.raises(NotPermitted, match="the maker cannot decide their own; another lead must"):
        approvals.approve(store, "lead1", lead_made.approval_id)
    assert snapshot(store) == before


def test_only_a_lead_decides(store: Store) -> None:
    made = actions.write_off(store, "spec1", short_pay(store), amount="1000.00", reason="other")
    assert made.approval_id is not None
    for user in ("spec2", "acct1"):
        with pytest.raises(NotPermitted, match=r"lacks the permission 'approvals\.decide'"):
            approvals.approve(store, user, made.approval_id)


def test_a_leads_approval_posts_it_through_the_same_writer(store: Store) -> None:
    exc = short_pay(store)
    made = actions.write_off(store, "spec1", exc, amount="1000.00", reason="damaged_goods")
    assert made.approval_id is not None
    invoice = store.scalar("SELECT invoice_number FROM exceptions WHERE exception_id = ?", [exc])

    result = approvals.approve(store, "lead1", made.approval_id[:10], note="photos seen")

    assert result.status == "resolved"
    assert write_offs(store) == [(invoice, Decimal("1000.00"), "spec1", made.approval_id)]
    assert store.scalar("SELECT open_amount FROM invoices WHERE invoice_number = ?", [invoice]) == 0
    (decided,) = approvals.list_approvals(store, state="approved")
    assert (decided.checker, decided.decision_note) == ("lead1", "photos seen")
    assert audit_rows(store, made.approval_id) == [("lead1", "approve")]
    detail = store.scalar(
        "SELECT detail FROM audit_log WHERE entity_id = ? AND action = 'write-off'", [exc]
    )
    assert '"approved_by": "lead1"' in detail
    accounts = Config().accounts
    post_journal(store, accounts)
    assert checks.book_breaks(store) == []
    assert checks.ledger_breaks(store, accounts, Config().deductions) == []
    with pytest.raises(Conflict, match="already approved by lead1"):
        approvals.approve(store, "lead2", made.approval_id)


def test_a_rejection_posts_nothing_and_puts_the_exception_back(store: Store) -> None:
    exc = short_pay(store)
    made = actions.write_off(store, "spec1", exc, amount="1000.00", reason="pricing")
    assert made.approval_id is not None
    with pytest.raises(ActionRefused, match="needs a note"):
        approvals.reject(store, "lead1", made.approval_id, note="")

    result = approvals.reject(store, "lead1", made.approval_id, note="ask for the credit memo")

    assert (result.status, write_offs(store)) == ("open", [])
    assert store.scalar("SELECT status FROM exceptions WHERE exception_id = ?", [exc]) == "open"
    assert approvals.list_approvals(store, state="rejected")[0].checker == "lead1"
    # back in the queue: a smaller write-off needs no approval
    assert actions.write_off(store, "spec1", exc, amount="20.00", reason="pricing").status == "open"


def test_a_pending_exception_takes_no_other_resolution_until_decided(store: Store) -> None:
    exc = short_pay(store)
    made = actions.write_off(store, "spec1", exc, amount="1000.00", reason="other")
    with pytest.raises(ActionRefused, match=f"waits for approval {made.approval_id}"):
        actions.write_off(store, "spec2", exc, amount="5.00", reason="other")
    with pytest.raises(ActionRefused, match="waits for approval"):
        workflow.dismiss(store, "spec2", exc, note="never mind")
    # a note or an assignment is still fine
    assert workflow.note(store, "spec2", exc, "lead is on it").status == "in_review"


def test_a_refund_over_the_limit_waits_for_a_lead(store: Store) -> None:
    (exc,) = exceptions_of(store, "duplicate_payment")
    made = actions.refund(store, "spec1", exc)
    assert made.status == "pending_approval"
    assert "refund of 588.79" in made.message
    assert store.scalar("SELECT count(*) FROM applications WHERE kind = 'refund'") == 0
    assert made.approval_id is not None
    approved = approvals.approve(store, "lead2", made.approval_id)
    assert approved.status == "resolved"
    assert store.scalar("SELECT sum(amount) FROM applications WHERE kind = 'refund'") == Decimal(
        "588.79"
    )


def test_the_limits_come_from_the_policy(store: Store) -> None:
    (exc,) = exceptions_of(store, "duplicate_payment")
    relaxed = Policy(refund_limit=Decimal("600.00"))
    assert actions.refund(store, "spec1", exc, policy=relaxed).status == "resolved"


def test_an_approval_is_carried_out_against_the_book_as_it_is_then(store: Store) -> None:
    """Approving checks the amounts again: what fitted when asked may not fit any more."""
    exc = short_pay(store)
    made = actions.write_off(store, "spec1", exc, amount="1000.00", reason="other")
    assert made.approval_id is not None
    invoice = store.scalar("SELECT invoice_number FROM exceptions WHERE exception_id = ?", [exc])
    # meanwhile the customer paid 10.00 of it (another payment applied by the matcher)
    store.execute(
        "UPDATE invoices SET open_amount = open_amount - 10, settled_outside = settled_outside + 10"
        " WHERE invoice_number = ?",
        [invoice],
    )
    before = snapshot(store)
    with pytest.raises(ActionRefused, match="would over-apply it"):
        approvals.approve(store, "lead1", made.approval_id)
    assert snapshot(store) == before
    assert approvals.list_approvals(store)[0].state == "pending"
