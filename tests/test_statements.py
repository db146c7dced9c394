"""Bank statement tie-out: opening + movements = closing, per statement, reported daily."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Literal

import duckdb
import pytest

from cashapp.domain import AccountBalance, PaymentRecord
from cashapp.statements import check_statements
from connectors.bai2.writer import Bai2Account, Bai2Transaction, write_bai2
from tests.conftest import CliRunner, require_conformance

D1, D2 = date(2026, 3, 2), date(2026, 3, 3)


def _record(amount: str, statement: str = "s1", account: str = "**1234") -> PaymentRecord:
    return PaymentRecord(
        source="test",
        source_ref="",
        dedupe_key=f"{statement}{amount}",
        kind="payment" if Decimal(amount) > 0 else "other",
        amount=Decimal(amount),
        currency="EUR",
        value_date=D1,
        account=account,
        statement=statement,
    )


BalanceKind = Literal["opening", "closing", "available", "other"]  # AccountBalance.kind


def _balance(
    kind: BalanceKind, amount: str, as_of: date = D1, statement: str = "s1"
) -> AccountBalance:
    return AccountBalance("**1234", "EUR", as_of, kind, Decimal(amount), statement=statement)


def test_a_statement_whose_lines_add_up_ties_out() -> None:
    (check,) = check_statements(
        [_record("100.00"), _record("-30.50")],
        [_balance("opening", "1000.00"), _balance("closing", "1069.50")],
    )
    assert (check.status, check.difference, check.movement_count) == ("tied", Decimal(0), 2)


def test_a_missing_line_is_a_break_with_its_difference() -> None:
    (check,) = check_statements(
        [_record("100.00")], [_balance("opening", "1000.00"), _balance("closing", "1069.50")]
    )
    assert check.status == "break"
    assert check.difference == Decimal("30.50")


def test_each_statement_is_checked_on_its_own_lines() -> None:
    records = [_record("10.00", "s1"), _record("5.00", "s2")]
    balances = [
        _balance("opening", "0", D1, "s1"),
        _balance("closing", "10.00", D1, "s1"),
        _balance("opening", "10.00", D2, "s2"),
        _balance("closing", "15.00", D2, "s2"),
    ]
    assert [c.status for c in check_statements(records, balances)] == ["tied", "tied"]


def test_paged_statement_runs_from_first_opening_to_last_closing() -> None:
    balances = [
        _balance("opening", "0", D1),
        _balance("closing", "99.00", D1),  # an intermediate page's closing, superseded
        _balance("closing", "10.00", D2),
    ]
    (check,) = check_statements([_record("10.00")], balances)
    assert (check.opening_date, check.closing_date, check.status) == (D1, D2, "tied")


def test_statement_without_both_balances_cannot_be_checked() -> None:
    (check,) = check_statements([_record("1.00")], [_balance("closing", "1.00")])
    assert check.status == "no_opening"
    assert check.difference is None
    assert check_statements([_record("1.00")], [_balance("available", "1.00")]) == []


def _bai2(path: Path, day: date, opening: str, closing: str, amounts: list[str]) -> Path:
    tx = tuple(
        Bai2Transaction("195", Decimal(a), f"REF{day:%d}{n}", "", f"WIRE {n}")
        for n, a in enumerate(amounts)
    )
    account = Bai2Account("987654321", "USD", tx, Decimal(opening), Decimal(closing))
    created = datetime(day.year, day.month, day.day, 6, tzinfo=UTC)
    path.write_bytes(
        write_bai2([account], sender="BANK", receiver="US", file_id="1", created=created, as_of=day)
    )
    return path


def test_report_daily_shows_a_tied_day_and_exits_0(cli: CliRunner, tmp_path: Path) -> None:
    cli("ingest", _bai2(tmp_path / "d1.bai2", D1, "1000.00", "1250.00", ["200.00", "50.00"]))
    result = cli("report", "daily", "--date", D1.isoformat(), "--format", "json")
    assert result.code == 0, result.stderr
    report = json.loads(result.stdout)
    (row,) = report["bank_tie_out"]
    assert (row["status"], row["opening"], row["movements"], row["closing"]) == (
        "tied",
        "1000.00",
        "250.00",
        "1250.00",
    )
    (totals,) = report["cash_received"]
    assert (totals["source"], totals["received"]) == ("bai2", "250.00")


def test_a_break_is_warned_at_ingest_stored_and_fails_the_report(
    cli: CliRunner, tmp_path: Path, db: Path
) -> None:
    # the bank's closing says 1300, the lines only explain 1250
    path = _bai2(tmp_path / "d1.bai2", D1, "1000.00", "1300.00", ["200.00", "50.00"])
    ingest = cli("ingest", path)
    assert "does not tie out" in ingest.stdout
    assert cli("ingest", path).code == 0  # a known file adds no second check
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT status, difference FROM statement_checks").fetchall() == [
        ("break", Decimal("-50.0000"))
    ]
    con.close()
    report = cli("report", "daily", "--date", D1.isoformat())
    assert report.code == 1
    assert "do not tie out" in report.stderr
    assert "break" in report.stdout


def test_a_statement_that_does_not_start_where_the_last_ended_is_a_gap(
    cli: CliRunner, tmp_path: Path
) -> None:
    cli("ingest", _bai2(tmp_path / "d1.bai2", D1, "1000.00", "1250.00", ["250.00"]))
    # day 2 opens at 1300: 50.00 moved between the statements that no file shows
    cli("ingest", _bai2(tmp_path / "d2.bai2", D2, "1300.00", "1400.00", ["100.00"]))
    report = cli("report", "daily", "--date", D2.isoformat(), "--format", "json")
    assert report.code == 1
    (row,) = json.loads(report.stdout)["bank_tie_out"]
    assert (row["status"], row["previous_closing"]) == ("gap", "1250.00")
    # and a continuous day 2 is fine
    cli("ingest", _bai2(tmp_path / "e2.bai2", D2, "1250.00", "1350.00", ["100.00"]))
    rows = json.loads(cli("report", "daily", "--date", "2026-03-03", "--format", "json").stdout)
    assert sorted(r["status"] for r in rows["bank_tie_out"]) == ["gap", "tied"]


def test_report_daily_defaults_to_the_latest_day_and_refuses_bad_dates(
    cli_without_book: CliRunner, tmp_path: Path
) -> None:
    cli = cli_without_book
    assert cli("report", "daily").code == 2  # no database yet: said, not crashed
    cli("init")
    empty = cli("report", "daily")
    assert (empty.code, "nothing ingested yet" in empty.stderr) == (1, True)
    cli("ingest", _bai2(tmp_path / "d1.bai2", D1, "0", "5.00", ["5.00"]))
    assert f"daily report for {D1.isoformat()}" in cli("report", "daily").stdout
    bad = cli("report", "daily", "--date", "2026-02-30")
    assert bad.code == 2
    assert "not a date" in bad.stderr


@pytest.mark.parametrize(
    ("name", "statuses"),
    [
        ("moj_svb_us_example.bai2", ["tied", "tied"]),
        ("kedder_davider80_camt053v04.xml", ["tied"]),
        ("oca_test-camt053-txdtls.xml", ["tied"]),
        ("cmxl_mt940.sta", ["tied", "tied", "tied"]),
        ("oca_test-camt053.xml", ["break"]),  # the sample's own numbers do not add up
        ("moj_citi_example.bai2", ["break"]),
        ("ofxparse_bank_medium.ofx", ["no_opening"]),  # OFX reports a closing balance only
    ],
)
def test_corpus_statements_tie_out_as_their_numbers_say(
    name: str, statuses: list[str], cli: CliRunner, db: Path
) -> None:
    corpus = require_conformance()
    (path,) = corpus.rglob(name)
    assert cli("ingest", path).code == 0
    con = duckdb.connect(str(db), read_only=True)
    found = [
        r[0] for r in con.execute("SELECT status FROM statement_checks ORDER BY ALL").fetchall()
    ]
    con.close()
    assert found == sorted(statuses)
