"""End to end: a generated day's queue cleared through the CLI, and the books still tie.

The quality bench's labelled book (every bank format; payments, returns, chargebacks,
platform payouts over two days) leaves one or more exceptions of every type the matcher
raises. The journal for those days is posted and exported first, as accounting would
have done by mid-morning. Then a specialist and two leads clear every exception with the
action a person would take for it -- including two write-offs and a refund over the
limits, approved or rejected by a lead, and a reversal of an automatic application --
each through ``cashapp --user ... exceptions ...`` as in the README. Afterwards:

- no exception is left open, every action has its audit row naming its user;
- DESIGN §7 holds for every payment and invoice, and ``report daily`` adds up every day;
- the journal posts the changes as new entries (the exported ones are unchanged, to the
  byte), the second export carries only those, and the ledger ties to the book to the
  cent (AR, unapplied cash, refunds payable, the deduction accounts).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest

from cashapp.config import Config
from cashapp.matching.model import EXCEPTION_TYPES
from cashapp.queue import checks
from tests.conftest import CliResult, CliRunner
from tests.queue_books import build_quality_book, copy_book


@pytest.fixture(scope="module")
def quality_day(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_quality_book(tmp_path_factory.mktemp("quality-day"))


def read(db: Path, sql: str, params: list[object] | None = None) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def ok(result: CliResult) -> dict[str, Any]:
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, dict)
    return data


class Team:
    """The people clearing the queue: each verb as the CLI shape of the README."""

    def __init__(self, cli: CliRunner) -> None:
        self.cli = cli

    def do(self, user: str, *args: str) -> dict[str, Any]:
        return ok(self.cli("--user", user, *args, "--format", "json"))

    def exceptions(self, user: str, verb: str, exc: str, *args: str) -> dict[str, Any]:
        return self.do(user, "exceptions", verb, exc[:12], *args)


def _open_invoice(db: Path, customer: str, currency: str) -> tuple[str, Decimal] | None:
    rows = read(
        db,
        "SELECT invoice_number, open_amount FROM invoices WHERE customer_id = ? AND currency = ?"
        " AND open_amount > 0 ORDER BY invoice_number LIMIT 1",
        [customer, currency],
    )
    return (str(rows[0][0]), rows[0][1]) if rows else None


def clear(team: Team, db: Path, exc: str, type_: str, nth: int) -> str:  # noqa: C901 - one realistic action per exception type
    """Clear one exception as a person would; returns what was done (for the record)."""
    row = read(
        db,
        "SELECT e.customer_id, e.currency, e.invoice_number, e.amount, p.remittance"
        " FROM exceptions e LEFT JOIN payments p USING (payment_id) WHERE exception_id = ?",
        [exc],
    )[0]
    customer, currency, invoice, amount, _ = row
    if type_ == "ambiguous":
        team.exceptions("spec1", "accept", exc, "--suggestion", "1")
        return "accepted the top suggestion"
    if type_ == "unidentified":
        team.exceptions("spec1", "link", exc, "--customer", "C10001", "--note", "AP confirmed")
        team.exceptions("spec1", "on-account", exc)
        return "linked the payer, cash on account"
    if type_ in ("unmatched", "currency_mismatch"):
        found = _open_invoice(db, customer, currency) if customer else None
        if found is not None and found[1] >= amount:
            team.exceptions("spec1", "apply", exc, found[0] + f"={amount}")
            return f"applied to {found[0]}"
        team.exceptions("spec1", "on-account", exc, "--note", "no open invoice in this currency")
        return "cash on account"
    if type_ == "duplicate_payment":
        made = team.exceptions("spec1", "refund", exc, "--note", "paid twice")
        assert made["status"] == "pending_approval"
        team.do("lead1", "approvals", "approve", made["approval_id"])
        return "refund over the limit, approved"
    if type_ == "over_payment":
        made = team.exceptions("spec1", "refund", exc)
        if made["status"] == "pending_approval":
            team.do("lead1", "approvals", "reject", made["approval_id"], "--note", "keep credit")
        team.exceptions("spec2", "on-account", exc, "--note", "customer keeps the credit")
        return "refund rejected, kept on account"
    if type_ == "short_payment":
        if amount <= Decimal("50.00"):
            team.exceptions(
                "spec1", "write-off", exc, "--amount", str(amount), "--reason", "freight"
            )
            return "written off within the limit"
        if nth % 2:
            team.exceptions("spec1", "apply", exc, "--rest", "short:pricing")
            return "short pay accepted as pricing, invoice left open"
        made = team.exceptions(
            "spec2", "write-off", exc, "--amount", str(amount), "--reason", "damaged_goods"
        )
        assert made["status"] == "pending_approval"
        team.do("lead2", "approvals", "approve", made["approval_id"], "--note", "photos seen")
        return "write-off over the limit, approved"
    if type_ in ("ach_return", "failed_payment"):
        team.exceptions("spec1", "re-present" if nth % 2 == 0 else "ack", exc)
        return "re-presented" if nth % 2 == 0 else "acknowledged"
    if type_ == "chargeback":
        verb = "re-present" if invoice else "ack"
        team.exceptions("spec2", verb, exc, "--note", "evidence sent" if invoice else "")
        return "disputed" if invoice else "acknowledged"
    if type_ == "settlement_mismatch":
        team.exceptions("lead1", "dismiss", exc, "--note", "processor fee, booked by treasury")
        return "dismissed with a note"
    raise AssertionError(f"no realistic action for {type_}")


def open_queue(db: Path) -> list[tuple[str, str]]:
    rows = read(
        db,
        "SELECT exception_id, type FROM exceptions WHERE status IN ('open', 'in_review')"
        " ORDER BY type, opened_at, exception_id",
    )
    return [(str(a), str(b)) for a, b in rows]


def test_every_exception_type_cleared_and_the_books_still_tie(
    quality_day: Path, db: Path, cli_without_book: CliRunner, tmp_path: Path
) -> None:
    copy_book(quality_day, db)
    cli = cli_without_book
    team = Team(cli)
    days = [str(r[0]) for r in read(db, "SELECT DISTINCT value_date FROM payments ORDER BY 1")]

    # mid-morning: accounting has posted and exported the journal of these days
    first = tmp_path / "gl-1.csv"
    assert cli("export", "journal", "--out", first).code == 0
    exported = read(db, "SELECT * FROM v_journal_lines ORDER BY ALL")
    assert exported
    assert all(r[9] is not None for r in exported)

    queue = open_queue(db)
    assert {t for _, t in queue} == set(EXCEPTION_TYPES)
    done: dict[str, list[str]] = {}
    seen: dict[str, int] = {}
    for exc, type_ in queue:
        nth = seen[type_] = seen.get(type_, -1) + 1
        done.setdefault(type_, []).append(clear(team, db, exc, type_, nth))

    # and one automatic application turns out wrong: reversed, then applied again
    app, invoice, amount = read(
        db,
        "SELECT application_id, invoice_number, amount FROM applications a"
        " WHERE method = 'auto' AND kind = 'payment' AND status = 'active'"
        " AND payment_id NOT IN (SELECT payment_id FROM exceptions)"
        " AND (SELECT count(*) FROM applications b WHERE b.payment_id = a.payment_id) = 1"
        " ORDER BY application_id LIMIT 1",
    )[0]
    reopened_from = read(db, "SELECT open_amount FROM invoices WHERE invoice_number = ?", [invoice])
    reversed_ = team.do("spec1", "applications", "reverse", app[:12], "--note", "wrong invoice")
    assert read(db, "SELECT open_amount FROM invoices WHERE invoice_number = ?", [invoice]) == [
        (reopened_from[0][0] + amount,)
    ]
    assert reversed_["status"] == "open"
    team.exceptions("spec2", "apply", reversed_["exception_id"], f"{invoice}={amount}")

    assert open_queue(db) == [], done
    assert read(db, "SELECT count(*) FROM approvals WHERE state = 'pending'") == [(0,)]
    # every action has its audit row with the user
    people = read(
        db,
        "SELECT DISTINCT actor FROM audit_log WHERE entity IN ('exception', 'approval')"
        " AND NOT starts_with(actor, 'system:') AND NOT starts_with(actor, 'rule:')",
    )
    assert {r[0] for r in people} == {"spec1", "spec2", "lead1", "lead2"}
    for exc, _ in queue:
        actors = read(
            db,
            "SELECT DISTINCT actor FROM audit_log WHERE entity_id = ? AND NOT contains(actor, ':')",
            [exc],
        )
        assert actors, f"{exc} has no audit row of a person"
    manual_by_nobody = read(
        db,
        "SELECT application_id FROM applications WHERE method = 'manual'"
        " AND created_by NOT IN ('spec1', 'spec2', 'lead1', 'lead2')",
    )
    assert manual_by_nobody == []

    # report daily adds up, every day, and shows no open exception
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert checks.book_breaks(con) == []
        assert checks.daily_breaks(con) == []
    finally:
        con.close()
    for day in days:
        report = cli("report", "daily", "--date", day, "--format", "json")
        assert report.code == 0, report.stderr
        assert json.loads(report.stdout)["open_exceptions"] == []

    # the journal: the changes are new entries; what was exported is untouched
    second = tmp_path / "gl-2.csv"
    assert cli("export", "journal", "--out", second).code == 0
    now = read(db, "SELECT * FROM v_journal_lines ORDER BY ALL")
    earlier_ids = {r[0] for r in exported}
    assert [r for r in now if r[0] in earlier_ids] == exported
    with second.open(newline="", encoding="utf-8") as handle:
        new_entries = {row["entry_id"] for row in csv.DictReader(handle)}
    assert new_entries
    assert not new_entries & earlier_ids
    assert new_entries == {r[0] for r in now} - earlier_ids
    config = Config()
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert checks.journal_breaks(con) == []
        assert checks.ledger_breaks(con, config.accounts, config.deductions) == []
        # the deductions landed on their accounts
        booked: Callable[[str], Decimal] = lambda code: con.execute(  # noqa: E731
            "SELECT coalesce(sum(debit) - sum(credit), 0) FROM journal_lines WHERE account = ?",
            [config.deductions[code]],
        ).fetchall()[0][0]
        assert booked("freight") > 0
        assert booked("damaged_goods") > 0
        refunds = con.execute(
            "SELECT sum(credit) - sum(debit) FROM journal_lines WHERE account = ?",
            [config.accounts["refunds_payable"]],
        ).fetchall()[0][0]
        assert (
            refunds
            == con.execute(
                "SELECT sum(amount) FROM applications WHERE kind = 'refund' AND status = 'active'"
            ).fetchall()[0][0]
        )
    finally:
        con.close()
